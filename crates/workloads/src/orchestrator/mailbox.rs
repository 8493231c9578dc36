//! A bounded multi-producer, single-consumer async mailbox.
//!
//! Why not `tokio::sync::mpsc`: its channel allocates its first block of 32 slots when created,
//! 32 × the message size (≈ 5 KiB for an [`AclMessage`](super::AclMessage) envelope) for every
//! agent, even an idle one. Here an idle mailbox is a few hundred bytes: a `VecDeque` that
//! allocates on first use, a semaphore counting free slots and a `Notify` for the receiver.
//!
//! Capacity counts messages **not yet handled**: the receiver takes the whole queue in one lock
//! (a swap, so the lock is held for O(1)) and gives the slots back only after handling the batch.
//! Senders either wait for a slot (backpressure) or fail at once (reject), by policy.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::{Notify, Semaphore, TryAcquireError};

/// What a full mailbox does to a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxPolicy {
    /// The sender waits until the receiver frees a slot.
    #[default]
    Backpressure,
    /// The send fails at once with [`RouteError::MailboxFull`](super::RouteError::MailboxFull).
    Reject,
}

/// Why a push failed; the message comes back to the caller.
#[derive(Debug)]
pub(crate) enum PushError<T> {
    /// Reject policy and no free slot.
    Full(T),
    /// The mailbox was closed (agent stopped or failed).
    Closed(T),
}

struct Queue<T> {
    items: VecDeque<T>,
    receiver_waiting: bool,
    closed: bool,
}

pub(crate) struct Mailbox<T> {
    queue: Mutex<Queue<T>>,
    slots: Semaphore,
    ready: Notify,
    capacity: usize,
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `capacity` unhandled messages (`capacity` ≥ 1).
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity >= 1);
        Mailbox {
            queue: Mutex::new(Queue { items: VecDeque::new(), receiver_waiting: false, closed: false }),
            slots: Semaphore::new(capacity),
            ready: Notify::new(),
            capacity,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Enqueues without waiting: fails with `Full` when no slot is free.
    pub(crate) fn try_push(&self, item: T) -> Result<(), PushError<T>> {
        match self.slots.try_acquire() {
            Ok(permit) => {
                permit.forget();
                self.enqueue(item)
            }
            Err(TryAcquireError::NoPermits) => Err(PushError::Full(item)),
            Err(TryAcquireError::Closed) => Err(PushError::Closed(item)),
        }
    }

    /// Enqueues, waiting for a free slot if needed.
    pub(crate) async fn push(&self, item: T) -> Result<(), PushError<T>> {
        match self.try_push(item) {
            Err(PushError::Full(item)) => match self.slots.acquire().await {
                Ok(permit) => {
                    permit.forget();
                    self.enqueue(item)
                }
                Err(_) => Err(PushError::Closed(item)),
            },
            other => other,
        }
    }

    fn enqueue(&self, item: T) -> Result<(), PushError<T>> {
        let wake = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            if q.closed {
                drop(q);
                self.slots.add_permits(1);
                return Err(PushError::Closed(item));
            }
            q.items.push_back(item);
            std::mem::take(&mut q.receiver_waiting)
        };
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Moves every queued message into `batch` (which must be empty), waiting while the queue is
    /// empty. Returns false once the mailbox is closed and fully drained. Call
    /// [`release`](Self::release) with the batch size after handling it.
    pub(crate) async fn recv_batch(&self, batch: &mut VecDeque<T>) -> bool {
        debug_assert!(batch.is_empty());
        loop {
            {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                if !q.items.is_empty() {
                    // Swap rather than drain: O(1) under the lock, and the two buffers'
                    // allocations ping-pong instead of being freed and reallocated.
                    std::mem::swap(&mut q.items, batch);
                    return true;
                }
                if q.closed {
                    return false;
                }
                q.receiver_waiting = true;
            }
            // `notify_one` stores a permit if we are not yet waiting, so no wake-up is lost.
            self.ready.notified().await;
        }
    }

    /// Returns `n` slots after their messages were handled.
    pub(crate) fn release(&self, n: usize) {
        if n > 0 {
            self.slots.add_permits(n);
        }
    }

    /// Stops accepting messages and wakes everyone: waiting senders fail, the receiver drains
    /// what is queued and then sees the end.
    pub(crate) fn close(&self) {
        {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            q.closed = true;
        }
        self.slots.close();
        self.ready.notify_one();
    }

    /// Messages waiting (not yet taken by the receiver).
    pub(crate) fn len(&self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).items.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn reject_policy_fails_when_capacity_is_unhandled() {
        let mb = Mailbox::new(2);
        mb.try_push(1).unwrap();
        mb.try_push(2).unwrap();
        assert!(matches!(mb.try_push(3), Err(PushError::Full(3))));
        // Taking the batch does not free slots; releasing after handling does.
        let mut batch = VecDeque::new();
        assert!(mb.recv_batch(&mut batch).await);
        assert_eq!(batch, [1, 2]);
        assert!(matches!(mb.try_push(3), Err(PushError::Full(3))));
        mb.release(2);
        mb.try_push(3).unwrap();
        assert_eq!(mb.len(), 1);
    }

    #[tokio::test]
    async fn backpressure_waits_for_release() {
        let mb = Arc::new(Mailbox::new(1));
        mb.push(1).await.unwrap();
        let sender = tokio::spawn({
            let mb = mb.clone();
            async move { mb.push(2).await.is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(!sender.is_finished(), "the sender must wait while the slot is taken");
        let mut batch = VecDeque::new();
        mb.recv_batch(&mut batch).await;
        mb.release(batch.len());
        batch.clear();
        assert!(sender.await.unwrap());
        mb.recv_batch(&mut batch).await;
        assert_eq!(batch, [2]);
    }

    #[tokio::test]
    async fn close_drains_then_ends_and_fails_waiting_senders() {
        let mb = Arc::new(Mailbox::new(1));
        mb.push(7).await.unwrap();
        let waiting = tokio::spawn({
            let mb = mb.clone();
            async move { matches!(mb.push(8).await, Err(PushError::Closed(8))) }
        });
        tokio::task::yield_now().await;
        mb.close();
        assert!(waiting.await.unwrap());
        assert!(matches!(mb.try_push(9), Err(PushError::Closed(9))));
        let mut batch = VecDeque::new();
        assert!(mb.recv_batch(&mut batch).await, "queued messages survive close");
        assert_eq!(batch, [7]);
        batch.clear();
        assert!(!mb.recv_batch(&mut batch).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_lost_wake_ups_under_concurrency() {
        let mb = Arc::new(Mailbox::new(8));
        let producer = tokio::spawn({
            let mb = mb.clone();
            async move {
                for i in 0..20_000u32 {
                    mb.push(i).await.unwrap();
                }
                mb.close();
            }
        });
        let mut batch = VecDeque::new();
        let mut next = 0u32;
        while mb.recv_batch(&mut batch).await {
            let n = batch.len();
            for v in batch.drain(..) {
                assert_eq!(v, next);
                next += 1;
            }
            mb.release(n);
        }
        producer.await.unwrap();
        assert_eq!(next, 20_000);
    }
}
