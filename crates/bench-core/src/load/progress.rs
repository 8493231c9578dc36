//! Progress output for long runs: a progress bar when stderr is a terminal, a plain log line
//! every few seconds otherwise (CI logs). A separate thread reads the timeline aggregator's
//! snapshot (updated once per interval by each worker), so the request path pays nothing.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::intervals::{Snapshot, TimelineAgg};

/// How a run reports progress while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// Silent (the default for library use and tests).
    #[default]
    Off,
    /// A bar when stderr is a terminal, else a plain line every [`PLAIN_EVERY`].
    Auto,
    /// A plain line on stderr every `every`.
    Plain {
        /// Time between lines.
        every: Duration,
    },
}

/// Time between plain progress lines under [`Progress::Auto`].
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// A running progress reporter; dropped or [`finish`](Self::finish)ed at the end of the run.
pub(super) struct Reporter {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

enum Sink {
    Bar(ProgressBar),
    Lines { every: Duration },
}

impl Reporter {
    /// Starts reporting for a run of `label` scheduled to last `scheduled` (wall-clock).
    pub(super) fn start(
        mode: Progress,
        label: &str,
        scheduled: Duration,
        agg: Arc<Mutex<TimelineAgg>>,
    ) -> Option<Self> {
        let sink = match mode {
            Progress::Off => return None,
            Progress::Auto if std::io::stderr().is_terminal() => {
                let bar = ProgressBar::with_draw_target(
                    Some(scheduled.as_secs().max(1)),
                    ProgressDrawTarget::stderr_with_hz(4),
                );
                let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} s  {msg}")
                    .map(|s| s.progress_chars("=> "))
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_prefix(label.to_owned());
                Sink::Bar(bar)
            }
            Progress::Auto => Sink::Lines { every: PLAIN_EVERY },
            Progress::Plain { every } => Sink::Lines { every: every.max(Duration::from_millis(100)) },
        };
        let (tx, rx) = mpsc::channel();
        let label = label.to_owned();
        let thread = std::thread::Builder::new()
            .name("noisegate-progress".into())
            .spawn(move || ticker(rx, sink, &label, scheduled, agg))
            .ok()?;
        Some(Reporter { stop: tx, thread: Some(thread) })
    }

    /// Stops the reporter and clears the bar.
    pub(super) fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn ticker(stop: mpsc::Receiver<()>, sink: Sink, label: &str, scheduled: Duration, agg: Arc<Mutex<TimelineAgg>>) {
    let started = Instant::now();
    let tick = match &sink {
        Sink::Bar(_) => Duration::from_millis(500),
        Sink::Lines { every } => *every,
    };
    loop {
        let stopped = !matches!(stop.recv_timeout(tick), Err(mpsc::RecvTimeoutError::Timeout));
        let snap = agg.lock().unwrap_or_else(PoisonError::into_inner).snapshot();
        let elapsed = started.elapsed();
        match &sink {
            Sink::Bar(bar) => {
                if stopped {
                    bar.finish_and_clear();
                    return;
                }
                bar.set_position(elapsed.as_secs().min(scheduled.as_secs()));
                bar.set_message(status(&snap));
            }
            Sink::Lines { .. } => {
                if stopped {
                    return;
                }
                eprintln!(
                    "{label}: {:.0}/{:.0} s (wall-clock)  {}",
                    elapsed.as_secs_f64(),
                    scheduled.as_secs_f64(),
                    status(&snap)
                );
            }
        }
    }
}

/// "last interval: 12345 req/s completed, p99 1.234 ms | so far 1234 completed, 0 errors, 0 dropped …"
pub(super) fn status(s: &Snapshot) -> String {
    let last = match s.last {
        Some((i, len)) => format!(
            "last interval: {:.0} req/s completed, p99 {} | ",
            i.completed as f64 / len,
            i.p99_ms.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3} ms"))
        ),
        None => String::new(),
    };
    format!("{last}so far {} completed, {} errors, {} dropped (warm-up included)", s.completed, s.errors, s.dropped)
}

#[cfg(test)]
mod tests {
    use super::super::intervals::IntervalStats;
    use super::*;

    #[test]
    fn status_line_labels_every_figure() {
        let s = Snapshot {
            completed: 1_000,
            errors: 2,
            dropped: 3,
            last: Some((IntervalStats { completed: 500, p99_ms: Some(1.5), ..Default::default() }, 0.5)),
        };
        assert_eq!(
            status(&s),
            "last interval: 1000 req/s completed, p99 1.500 ms | so far 1000 completed, 2 errors, 3 dropped (warm-up included)"
        );
        assert_eq!(status(&Snapshot::default()), "so far 0 completed, 0 errors, 0 dropped (warm-up included)");
    }
}
