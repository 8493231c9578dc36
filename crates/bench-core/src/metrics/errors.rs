//! Errors counted by type, so a report can say *how* requests failed, not only how many.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No answer within the allowed time.
    Timeout,
    /// The system refused the request (full queue, admission control).
    Rejected,
    /// The system accepted the request and reported a failure.
    Failed,
    /// The load generator could not issue the request in time; it was never sent.
    Dropped,
    /// The target panicked while serving the request.
    Panicked,
    /// The recipient or resource did not exist.
    NotFound,
    /// The connection or channel to the system was gone.
    Disconnected,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Timeout,
        ErrorKind::Rejected,
        ErrorKind::Failed,
        ErrorKind::Dropped,
        ErrorKind::Panicked,
        ErrorKind::NotFound,
        ErrorKind::Disconnected,
    ];

    /// Stable lower-case name, as used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Failed => "failed",
            ErrorKind::Dropped => "dropped",
            ErrorKind::Panicked => "panicked",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Disconnected => "disconnected",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Request outcomes of a run: how many were attempted and how many failed, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorStats {
    /// Requests the run intended to make (completed + failed, dropped included).
    pub total: u64,
    /// Failures by kind; kinds that never happened are absent.
    pub by_kind: BTreeMap<ErrorKind, u64>,
}

impl ErrorStats {
    /// Counts one outcome.
    pub fn record(&mut self, outcome: Result<(), ErrorKind>) {
        self.total += 1;
        if let Err(kind) = outcome {
            *self.by_kind.entry(kind).or_default() += 1;
        }
    }

    /// Adds `n` failures of `kind` (and `n` to the total).
    pub fn add_failures(&mut self, kind: ErrorKind, n: u64) {
        if n > 0 {
            self.total += n;
            *self.by_kind.entry(kind).or_default() += n;
        }
    }

    /// Merges another tally into this one.
    pub fn merge(&mut self, other: &ErrorStats) {
        self.total += other.total;
        for (k, n) in &other.by_kind {
            *self.by_kind.entry(*k).or_default() += n;
        }
    }

    /// Failed requests of every kind.
    pub fn failed(&self) -> u64 {
        self.by_kind.values().sum()
    }

    /// Requests that succeeded.
    pub fn succeeded(&self) -> u64 {
        self.total - self.failed()
    }

    /// Failed / total, as a percentage; `None` when nothing was attempted.
    pub fn error_rate_percent(&self) -> Option<f64> {
        (self.total > 0).then(|| 100.0 * self.failed() as f64 / self.total as f64)
    }

    /// Count of one kind.
    pub fn count(&self, kind: ErrorKind) -> u64 {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_by_kind_and_rates() {
        let mut e = ErrorStats::default();
        assert_eq!(e.error_rate_percent(), None);
        for _ in 0..96 {
            e.record(Ok(()));
        }
        e.record(Err(ErrorKind::Timeout));
        e.record(Err(ErrorKind::Timeout));
        e.add_failures(ErrorKind::Dropped, 2);
        assert_eq!(e.total, 100);
        assert_eq!(e.failed(), 4);
        assert_eq!(e.succeeded(), 96);
        assert_eq!(e.error_rate_percent(), Some(4.0));
        assert_eq!(e.count(ErrorKind::Dropped), 2);
        let mut m = ErrorStats::default();
        m.merge(&e);
        m.merge(&e);
        assert_eq!((m.total, m.count(ErrorKind::Timeout)), (200, 4));
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"timeout\":2"), "{json}");
    }
}
