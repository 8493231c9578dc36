//! Units of criterion benchmarks measured with something other than wall-clock time.
//!
//! criterion's files do not record which `Measurement` produced them, so a figure of 4096 could
//! be nanoseconds or bytes. A bench that measures with a custom measurement (noisegate's
//! `AllocatedBytes` / `Allocations`) declares the unit of its groups in
//! `<results root>/criterion-units.json`; the gate reads it to label figures. Direction is
//! unaffected (every criterion measurement is lower-is-better).

use std::collections::BTreeMap;

use crate::gate::Unit;
use crate::results::{ResultsDir, ResultsError, read_json, write_json_atomic};

/// File name of the unit declarations inside the results root.
pub const UNITS_FILE: &str = "criterion-units.json";

/// Records that every benchmark of criterion group `group` is measured in `unit`.
pub fn declare_group_unit(results: &ResultsDir, group: &str, unit: Unit) -> Result<(), ResultsError> {
    let path = results.root().join(UNITS_FILE);
    let mut units = group_units(results)?;
    if units.get(group) == Some(&unit) {
        return Ok(());
    }
    units.insert(group.to_owned(), unit);
    write_json_atomic(&path, &units)
}

/// Every declared group unit; empty when nothing was declared.
pub(crate) fn group_units(results: &ResultsDir) -> Result<BTreeMap<String, Unit>, ResultsError> {
    let path = results.root().join(UNITS_FILE);
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    read_json(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_accumulate_and_corruption_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let r = ResultsDir::at(dir.path());
        assert!(group_units(&r).unwrap().is_empty());
        declare_group_unit(&r, "route_bytes", Unit::Bytes).unwrap();
        declare_group_unit(&r, "route_allocs", Unit::Allocations).unwrap();
        let u = group_units(&r).unwrap();
        assert_eq!((u["route_bytes"].clone(), u["route_allocs"].clone()), (Unit::Bytes, Unit::Allocations));
        std::fs::write(dir.path().join(UNITS_FILE), "{").unwrap();
        let e = declare_group_unit(&r, "x", Unit::Bytes).unwrap_err().to_string();
        assert!(e.contains(UNITS_FILE), "{e}");
    }
}
