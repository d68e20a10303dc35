//! Diameter framing over a byte stream (RFC 6733 §3): the 4-byte prefix (version, 24-bit
//! Message Length) tells how much to read; whole messages are split zero-copy from a
//! [`BytesMut`].

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The smallest legal Message Length: the 20-byte header (RFC 6733 §3).
pub const MIN_MESSAGE_LEN: usize = 20;

/// The default cap on a received Message Length (64 KiB).
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 64 * 1024;

/// A framing fault: the connection must be closed (RFC 6733 §3 gives no way to resynchronise).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The version octet is not 1.
    #[error("unsupported Diameter version {0}")]
    Version(u8),
    /// Message Length below 20 or above the configured cap.
    #[error("bad message length {0}")]
    Length(usize),
    /// The stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Splits one whole message off the front of `buf`, if it holds one. `Ok(None)` asks for
/// more bytes.
pub fn split_frame(buf: &mut BytesMut, max_len: usize) -> Result<Option<Bytes>, FrameError> {
    let Some(&[version, a, b, c]) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    if version != 1 {
        return Err(FrameError::Version(version));
    }
    let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
    if !(MIN_MESSAGE_LEN..=max_len).contains(&len) {
        return Err(FrameError::Length(len));
    }
    if buf.len() < len {
        buf.reserve(len - buf.len());
        return Ok(None);
    }
    Ok(Some(buf.split_to(len).freeze()))
}

/// Reads whole messages from a stream.
#[derive(Debug)]
pub struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    max_len: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// Wraps `io`; messages longer than `max_len` are refused.
    pub fn new(io: R, max_len: usize) -> Self {
        Self {
            io,
            buf: BytesMut::with_capacity(16 * 1024),
            max_len,
        }
    }

    /// The next whole message; `Ok(None)` on a clean end of stream between messages.
    pub async fn next_frame(&mut self) -> Result<Option<Bytes>, FrameError> {
        loop {
            if let Some(frame) = split_frame(&mut self.buf, self.max_len)? {
                return Ok(Some(frame));
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            let n = self.io.read_buf(&mut self.buf).await?;
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> R {
        self.io
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        v[0] = 1;
        v[1..4].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        v
    }

    #[test]
    fn splits_whole_messages_only() {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&frame(24));
        buf.extend_from_slice(&frame(20)[..10]);
        let first = split_frame(&mut buf, 1000).unwrap().unwrap();
        assert_eq!(first.len(), 24);
        assert!(split_frame(&mut buf, 1000).unwrap().is_none());
        buf.extend_from_slice(&frame(20)[10..]);
        assert_eq!(split_frame(&mut buf, 1000).unwrap().unwrap().len(), 20);
        assert!(buf.is_empty());
    }

    #[test]
    fn refuses_bad_lengths_and_versions() {
        let mut short = BytesMut::from(&frame(20)[..]);
        short[3] = 19;
        assert!(matches!(
            split_frame(&mut short, 1000),
            Err(FrameError::Length(19))
        ));
        let mut long = BytesMut::from(&frame(2000)[..]);
        assert!(matches!(
            split_frame(&mut long, 1000),
            Err(FrameError::Length(2000))
        ));
        let mut v2 = BytesMut::from(&frame(20)[..]);
        v2[0] = 2;
        assert!(matches!(
            split_frame(&mut v2, 1000),
            Err(FrameError::Version(2))
        ));
    }

    #[tokio::test]
    async fn reader_handles_split_reads_and_eof() {
        let (mut a, b) = tokio::io::duplex(8);
        let data = [frame(28), frame(20)].concat();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            a.write_all(&data).await.unwrap();
        });
        let mut r = FrameReader::new(b, 1000);
        assert_eq!(r.next_frame().await.unwrap().unwrap().len(), 28);
        assert_eq!(r.next_frame().await.unwrap().unwrap().len(), 20);
        assert!(r.next_frame().await.unwrap().is_none());
    }
}
