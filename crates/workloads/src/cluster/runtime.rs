//! openraft's async runtime with a seedable random source.
//!
//! openraft 0.9 draws each election timeout from `AsyncRuntime::thread_rng()`, which its tokio
//! runtime takes from `rand::thread_rng()`: never the same twice. This runtime is tokio for
//! everything else, but its generator comes from a per-thread seed ([`seed_thread`]), so a
//! simulation that runs every node on one thread (turmoil does) replays exactly. Without a seed
//! each thread starts from entropy, as before.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use openraft::{AsyncRuntime, OptionalSend, TokioRuntime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

thread_local! {
    static RNG: RefCell<Option<StdRng>> = const { RefCell::new(None) };
}

/// Seeds this thread's generator: every later `thread_rng()` on this thread follows from `seed`.
pub fn seed_thread(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = Some(StdRng::seed_from_u64(seed)));
}

/// Tokio, with the seedable generator.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeededRuntime;

type Tokio = TokioRuntime;

impl AsyncRuntime for SeededRuntime {
    type JoinError = <Tokio as AsyncRuntime>::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = <Tokio as AsyncRuntime>::JoinHandle<T>;
    type Sleep = <Tokio as AsyncRuntime>::Sleep;
    type Instant = <Tokio as AsyncRuntime>::Instant;
    type TimeoutError = <Tokio as AsyncRuntime>::TimeoutError;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = <Tokio as AsyncRuntime>::Timeout<R, T>;
    type ThreadLocalRng = StdRng;
    type OneshotSender<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotSender<T>;
    type OneshotReceiverError = <Tokio as AsyncRuntime>::OneshotReceiverError;
    type OneshotReceiver<T: OptionalSend> = <Tokio as AsyncRuntime>::OneshotReceiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        Tokio::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        Tokio::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        Tokio::sleep_until(deadline)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(duration: Duration, future: F) -> Self::Timeout<R, F> {
        Tokio::timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(deadline: Self::Instant, future: F) -> Self::Timeout<R, F> {
        Tokio::timeout_at(deadline, future)
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        Tokio::is_panic(join_error)
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        RNG.with(|r| {
            let mut r = r.borrow_mut();
            let g = r.get_or_insert_with(StdRng::from_entropy);
            StdRng::seed_from_u64(g.r#gen())
        })
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        Tokio::oneshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_thread_draws_the_same_timeouts_again() {
        let draw = || -> Vec<u64> { (0..5).map(|_| SeededRuntime::thread_rng().gen_range(150..300)).collect() };
        seed_thread(7);
        let a = draw();
        seed_thread(7);
        assert_eq!(draw(), a);
        seed_thread(8);
        assert_ne!(draw(), a);
    }
}
