//! The WASM suite's helpers: case tables, labels and the footprint record.

use super::*;

#[test]
fn formats_durations() {
    assert_eq!(fmt_ns(12.4), "12 ns");
    assert_eq!(fmt_ns(15_300.0), "15.30 µs");
    assert_eq!(fmt_ns(2.5e6), "2.50 ms");
    assert_eq!(fmt_ns(1.25e9), "1.25 s");
}

#[test]
fn kernel_names_are_the_criterion_cases() {
    let names: Vec<String> = MEMORY_SIZES.map(Kernel::Memory).into_iter().map(Kernel::name).collect();
    assert_eq!(names, ["memory_1KiB", "memory_64KiB", "memory_1MiB", "memory_16MiB", "memory_64MiB"]);
    assert_eq!(Kernel::Matmul.name(), "matmul_64");
    assert_eq!(fill_len(1), 943_712);
    assert_eq!(fill_len(1000) % 8, 0);
    assert!(u64::from(fill_len(1000)) < 1000 << 20);
}
