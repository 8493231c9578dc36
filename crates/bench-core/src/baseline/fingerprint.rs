//! The machine fingerprint stored with every baseline and calibration, so a comparison across
//! machines can say so.

use serde::{Deserialize, Serialize};

use crate::metrics::HostInfo;

/// What identifies the machine and toolchain a figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// CPU model as the OS names it.
    pub cpu_model: String,
    /// Logical CPUs available.
    pub logical_cpus: usize,
    /// Operating system and version.
    pub os: String,
    /// Hardware architecture.
    pub arch: String,
    /// Compiler that built the measuring code (`rustc --version`).
    pub rustc: String,
}

impl Fingerprint {
    /// This machine, and the rustc that built this crate.
    pub fn detect() -> Self {
        let host = HostInfo::detect();
        Fingerprint {
            cpu_model: host.cpu_model,
            logical_cpus: host.logical_cpus,
            os: host.os,
            arch: host.arch,
            rustc: env!("NOISEGATE_RUSTC_VERSION").to_owned(),
        }
    }

    /// One line per differing field, e.g. `cpu_model: AMD EPYC 7B13 vs Intel Xeon`; empty when
    /// the machines match.
    pub fn differences(&self, other: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |field: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{field}: {a} vs {b}"));
            }
        };
        cmp("cpu_model", self.cpu_model.clone(), other.cpu_model.clone());
        cmp("logical_cpus", self.logical_cpus.to_string(), other.logical_cpus.to_string());
        cmp("os", self.os.clone(), other.os.clone());
        cmp("arch", self.arch.clone(), other.arch.clone());
        cmp("rustc", self.rustc.clone(), other.rustc.clone());
        out
    }
}

/// The warnings every comparison output must show about where its figures came from: base and
/// head measured on different machines, or calibration measured on another machine than head.
pub fn machine_warnings(base: &Fingerprint, head: &Fingerprint, calibration: Option<&Fingerprint>) -> Vec<String> {
    let mut warnings = Vec::new();
    let diff = base.differences(head);
    if !diff.is_empty() {
        warnings.push(format!("comparing across machines (base vs head): {}", diff.join("; ")));
    }
    if let Some(cal) = calibration {
        let diff = cal.differences(head);
        if !diff.is_empty() {
            warnings.push(format!(
                "calibration was measured on another machine (calibration vs head): {}",
                diff.join("; ")
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_field() {
        let a = Fingerprint::detect();
        assert!(a.differences(&a).is_empty());
        assert!(a.rustc.starts_with("rustc "), "{}", a.rustc);
        let b = Fingerprint { cpu_model: "Intel Xeon".into(), logical_cpus: a.logical_cpus + 2, ..a.clone() };
        let d = a.differences(&b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0], format!("cpu_model: {} vs Intel Xeon", a.cpu_model));
        assert_eq!(d[1], format!("logical_cpus: {} vs {}", a.logical_cpus, a.logical_cpus + 2));
    }
}
