//! The framed transport over turmoil's simulated TCP: the fault suite's network.

use super::Handler;
use super::tcp::{Dial, Framed, serve_connection};

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
pub async fn serve_sim<H: Handler>(listener: turmoil::net::TcpListener, node: H) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve_connection(stream, node.clone()));
    }
}
