//! `noisegate` — benchmarks you can trust on a noisy CI machine.
//!
//! Exit codes (stable; scripts rely on them):
//! - 0: success — nothing failed the check;
//! - 1: the check failed — a metric graded critical (later: a confident regression);
//! - 2: error — bad arguments, missing or corrupt files, invalid configuration.

#![warn(missing_docs)]

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    reset_sigpipe();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("error: {err}");
            let mut shown = err.to_string();
            for cause in err.chain().skip(1) {
                // Library errors often quote their source already; print only what is new.
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                shown = text;
            }
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

/// `noisegate … | head` should end quietly like other Unix tools, not panic on a closed pipe.
fn reset_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
