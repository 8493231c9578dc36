//! Length-prefixed binary frames: a 4-byte big-endian length, then a bincode body. The same
//! framing runs over real sockets and turmoil's simulated ones.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame accepted (64 MiB): a corrupt length cannot make a node allocate more.
pub const MAX_FRAME: u32 = 64 << 20;

/// A frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The socket failed or closed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The body did not decode or encode.
    #[error("codec: {0}")]
    Codec(#[from] bincode::Error),
    /// The length prefix is over [`MAX_FRAME`].
    #[error("frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLarge(u32),
}

/// Writes `msg` as one frame; returns the bytes written.
pub(crate) async fn write<W: AsyncWrite + Unpin, T: Serialize>(w: &mut W, msg: &T) -> Result<u64, FrameError> {
    let body = bincode::serialize(msg)?;
    let len = u32::try_from(body.len()).ok().filter(|l| *l <= MAX_FRAME).ok_or(FrameError::TooLarge(u32::MAX))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(&body).await?;
    w.flush().await?;
    Ok(4 + u64::from(len))
}

/// Reads one frame; returns it with the bytes read.
pub(crate) async fn read<R: AsyncRead + Unpin, T: DeserializeOwned>(r: &mut R) -> Result<(T, u64), FrameError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body).await?;
    Ok((bincode::deserialize(&body)?, 4 + u64::from(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip_and_oversized_lengths_are_refused() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        let n = write(&mut a, &("hello", 7u64)).await.unwrap();
        assert_eq!(n, 4 + bincode::serialized_size(&("hello", 7u64)).unwrap());
        let (got, m): ((String, u64), u64) = read(&mut b).await.unwrap();
        assert_eq!((got, m), (("hello".to_owned(), 7), n));
        a.write_all(&(MAX_FRAME + 1).to_be_bytes()).await.unwrap();
        assert!(matches!(read::<_, u8>(&mut b).await, Err(FrameError::TooLarge(_))));
    }
}
