//! Reading this process's resource counters from the OS.
//!
//! Linux: CPU time from `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)` (all threads, nanosecond
//! resolution), resident set size from `/proc/self/statm` (field 2, in pages), thread count from
//! `/proc/self/stat` (field 20), storage I/O from `/proc/self/io` (`read_bytes`/`write_bytes`,
//! which a hardened kernel may hide). Elsewhere each reader returns `None`: unavailable, never a
//! zero pretending to be a measurement.

use std::time::Duration;

/// One reading of the process counters; `None` means the OS did not provide the value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub cpu_time: Option<Duration>,
    pub rss_bytes: Option<u64>,
    pub threads: Option<u64>,
    pub io_read_bytes: Option<u64>,
    pub io_write_bytes: Option<u64>,
}

#[cfg(target_os = "linux")]
pub(crate) fn read() -> Counters {
    let (io_read_bytes, io_write_bytes) = io_bytes().unzip();
    Counters { cpu_time: process_cpu_time(), rss_bytes: rss_bytes(), threads: threads(), io_read_bytes, io_write_bytes }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn read() -> Counters {
    Counters::default()
}

/// CPU time consumed by every thread of this process so far.
#[cfg(target_os = "linux")]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn process_cpu_time() -> Option<Duration> {
    None
}

#[cfg(target_os = "linux")]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as u64 } else { 4096 }
}

#[cfg(target_os = "linux")]
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    parse_statm_rss_pages(&statm).map(|pages| pages * page_size())
}

#[cfg(target_os = "linux")]
fn threads() -> Option<u64> {
    parse_stat_threads(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

#[cfg(target_os = "linux")]
fn io_bytes() -> Option<(u64, u64)> {
    parse_io(&std::fs::read_to_string("/proc/self/io").ok()?)
}

/// Field 2 of `/proc/self/statm`: resident pages.
pub(crate) fn parse_statm_rss_pages(statm: &str) -> Option<u64> {
    statm.split_whitespace().nth(1)?.parse().ok()
}

/// Field 20 (`num_threads`) of `/proc/self/stat`. The command name (field 2) is parenthesised
/// and may contain spaces, so fields are counted after its closing parenthesis.
pub(crate) fn parse_stat_threads(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After ")" come fields 3, 4, …: field 20 is the 18th of them.
    after_comm.split_whitespace().nth(17)?.parse().ok()
}

/// `read_bytes` and `write_bytes` of `/proc/self/io`.
pub(crate) fn parse_io(io: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        io.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_prefix(':').unwrap_or("").trim().parse().ok())
    };
    Some((field("read_bytes")?, field("write_bytes")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_statm() {
        assert_eq!(parse_statm_rss_pages("5000 1234 300 10 0 900 0\n"), Some(1234));
        assert_eq!(parse_statm_rss_pages("5000"), None);
    }

    #[test]
    fn parses_thread_count_even_with_spaces_in_the_name() {
        let stat = "4242 (my bench (x)) R 1 4242 4242 0 -1 4194304 100 0 0 0 5 1 0 0 20 0 7 0 1000 \
                    1000000 250 18446744073709551615";
        assert_eq!(parse_stat_threads(stat), Some(7));
        assert_eq!(parse_stat_threads("garbage"), None);
    }

    #[test]
    fn parses_io() {
        let io = "rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n\
                  cancelled_write_bytes: 0\n";
        assert_eq!(parse_io(io), Some((4096, 8192)));
        assert_eq!(parse_io("rchar: 1\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn live_counters_are_present_on_linux() {
        let c = read();
        assert!(c.cpu_time.is_some());
        assert!(c.rss_bytes.unwrap() > 0);
        assert!(c.threads.unwrap() >= 1);
    }
}
