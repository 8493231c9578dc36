//! What the load generator drives: any async operation, through a trait or a closure.

use std::future::Future;
use std::time::Duration;

use crate::metrics::ErrorKind;

/// One request handed to a [`Target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// 0-based index in the schedule.
    pub seq: u64,
    /// When the schedule intended it to start, as an offset from the run start (closed loop:
    /// when the worker meant to send it).
    pub intended: Duration,
    /// Which operation of the [`Mix`](super::Mix) to perform: an index into its
    /// [`operations`](super::Mix::operations); always 0 without a mix.
    pub op: usize,
}

/// The outcome of a request: success, or the kind of failure (counted by type).
pub type Outcome = Result<(), ErrorKind>;

/// A system under load. Implement it for your own client to point the generator at your system.
///
/// `call` may run concurrently with itself many times (open loop: new requests are issued on
/// schedule whether or not earlier ones finished), so share state through `&self` with interior
/// synchronisation. Panics are caught and counted as [`ErrorKind::Panicked`].
pub trait Target: Send + Sync + 'static {
    /// Serves one request.
    fn call(&self, request: Request) -> impl Future<Output = Outcome> + Send;
}

/// A [`Target`] made from a closure; see [`from_fn`].
#[derive(Debug, Clone)]
pub struct FnTarget<F>(F);

/// Wraps `f(request) -> impl Future<Output = Outcome>` as a [`Target`].
///
/// ```
/// use bench_core::load::{from_fn, Request};
/// let target = from_fn(|_req: Request| async { Ok(()) });
/// # let _ = target;
/// ```
pub fn from_fn<F, Fut>(f: F) -> FnTarget<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    FnTarget(f)
}

impl<F, Fut> Target for FnTarget<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    fn call(&self, request: Request) -> impl Future<Output = Outcome> + Send {
        (self.0)(request)
    }
}
