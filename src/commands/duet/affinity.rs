//! Pinning a process to one CPU (Linux `sched_setaffinity`), and the CPUs this process may use.

use std::process::Command;

/// The CPUs this process may run on (duets are pinned to one of them each).
pub(super) fn usable_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `set` is a zeroed cpu_set_t the call fills; CPU_ISSET only reads it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
                let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect();
                if !cpus.is_empty() {
                    return cpus;
                }
            }
        }
    }
    Vec::new()
}

/// Whether duets can be pinned here (Linux, with a readable affinity mask).
pub(crate) fn supported() -> bool {
    !usable_cpus().is_empty()
}

/// Makes the command's process run on `cpu` only.
pub(super) fn pin(cmd: &mut Command, cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the closure only builds a cpu_set_t on the stack and
        // makes one system call, both async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (cmd, cpu);
}
