//! Framed requests over stream sockets: one connection per peer, opened on first use and again
//! after a failure. [`Tcp`] dials real sockets; [`Sim`](super::Sim) dials turmoil's.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncWrite};

use super::frame::{self, FrameError};
use super::{Handler, NetStats, Reply, Request, Transport, TransportError};
use crate::cluster::NodeId;

/// How a framed transport opens a connection.
pub trait Dial: Send + Sync + 'static {
    /// The connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Connects to `addr` (`host:port`).
    fn dial(addr: &str) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
}

/// Real TCP sockets (no Nagle delay: Raft's messages are small and latency-bound).
#[derive(Debug)]
pub struct TokioDial;

impl Dial for TokioDial {
    type Stream = tokio::net::TcpStream;

    async fn dial(addr: &str) -> std::io::Result<Self::Stream> {
        let s = tokio::net::TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(s)
    }
}

type Slot<S> = Arc<tokio::sync::Mutex<Option<S>>>;

/// A transport of length-prefixed frames over the connections `D` opens.
pub struct Framed<D: Dial> {
    conns: Arc<Mutex<HashMap<NodeId, Slot<D::Stream>>>>,
    stats: Arc<NetStats>,
    _dial: PhantomData<D>,
}

impl<D: Dial> std::fmt::Debug for Framed<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framed").field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl<D: Dial> Clone for Framed<D> {
    fn clone(&self) -> Self {
        Framed { conns: self.conns.clone(), stats: self.stats.clone(), _dial: PhantomData }
    }
}

impl<D: Dial> Framed<D> {
    /// A transport adding to `stats`.
    pub fn new(stats: Arc<NetStats>) -> Self {
        Framed { conns: Arc::default(), stats, _dial: PhantomData }
    }
}

/// The real-socket transport.
pub type Tcp = Framed<TokioDial>;

impl<D: Dial> Transport for Framed<D> {
    async fn call(&self, target: NodeId, addr: &str, req: Request) -> Result<Reply, TransportError> {
        let slot = self.conns.lock().unwrap_or_else(|p| p.into_inner()).entry(target).or_default().clone();
        let mut conn = slot.lock().await;
        let unreachable = |e: &dyn std::fmt::Display| TransportError::Unreachable(target, e.to_string());
        // Taken out while in use: if this call is cancelled (a timeout) half-way, the connection
        // is dropped with it instead of leaving an unread reply for the next call.
        let mut stream = match conn.take() {
            Some(s) => s,
            None => D::dial(addr).await.map_err(|e| unreachable(&e))?,
        };
        let result: Result<(Reply, u64, u64), FrameError> = async {
            let sent = frame::write(&mut stream, &req).await?;
            let (reply, received) = frame::read(&mut stream).await?;
            Ok((reply, sent, received))
        }
        .await;
        match result {
            Ok((reply, sent, received)) => {
                *conn = Some(stream);
                self.stats.count(sent);
                self.stats.count(received);
                Ok(reply)
            }
            // A broken connection is dropped; the next call dials again.
            Err(e) => Err(unreachable(&e)),
        }
    }

    fn stats(&self) -> &Arc<NetStats> {
        &self.stats
    }
}

/// Answers framed requests on one connection until it closes.
pub(crate) async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin, H: Handler>(mut stream: S, node: H) {
    while let Ok((req, _)) = frame::read::<_, Request>(&mut stream).await {
        let reply = node.handle(req).await;
        if frame::write(&mut stream, &reply).await.is_err() {
            break;
        }
    }
}

/// Accepts connections on `listener` and serves `node` on each, until the task is aborted.
pub async fn serve_tcp<H: Handler>(listener: tokio::net::TcpListener, node: H) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, node.clone()));
    }
}
