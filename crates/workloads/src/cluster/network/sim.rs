//! The framed transport over turmoil's simulated TCP: the fault suite's network.

use super::tcp::{Dial, Framed, serve_connection};
use crate::cluster::node::NodeHandle;

/// Dials turmoil's simulated sockets (inside a turmoil host or client only).
#[derive(Debug)]
pub struct TurmoilDial;

impl Dial for TurmoilDial {
    type Stream = turmoil::net::TcpStream;

    async fn dial(addr: &str) -> std::io::Result<Self::Stream> {
        turmoil::net::TcpStream::connect(addr).await
    }
}

/// The simulated-network transport.
pub type Sim = Framed<TurmoilDial>;

/// Accepts simulated connections and serves `node` on each.
pub async fn serve_sim(listener: turmoil::net::TcpListener, node: NodeHandle) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve_connection(stream, node.clone()));
    }
}
