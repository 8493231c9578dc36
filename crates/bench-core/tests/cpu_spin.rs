//! The sampler reads one busy thread as about one core. Alone in its binary so no other test
//! adds CPU to the process; the tolerance is generous because the machine is shared.

use std::time::{Duration, Instant};

use bench_core::resource::ResourceSampler;

#[cfg(target_os = "linux")]
#[test]
fn a_thread_spinning_for_one_second_reads_as_one_core() {
    let sampler = ResourceSampler::start().unwrap();
    let spinner = std::thread::spawn(|| {
        let end = Instant::now() + Duration::from_secs(1);
        let mut x = 0u64;
        while Instant::now() < end {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        x
    });
    spinner.join().unwrap();
    let report = sampler.stop();
    let avg = report.summary.cpu_avg.expect("CPU is measured on Linux");
    assert!((0.5..=1.5).contains(&avg.cores), "average {:.2} cores over the spin", avg.cores);
    let logical = report.summary.logical_cpus as f64;
    assert!((avg.percent_of_machine - 100.0 * avg.cores / logical).abs() < 1e-9);
    // 10 Hz over ~1 s: about ten ticks plus the closing one.
    assert!((5..=13).contains(&report.series.len()), "{} samples", report.series.len());
    let peak = report.summary.cpu_peak.unwrap();
    assert!(peak.cores >= avg.cores * 0.9, "peak {:.2} vs avg {:.2}", peak.cores, avg.cores);
}

#[cfg(not(target_os = "linux"))]
#[test]
fn off_linux_cpu_is_unavailable_not_zero() {
    let report = ResourceSampler::start().unwrap().stop();
    assert!(report.summary.cpu_avg.is_none());
}
