//! The block-sync wire format: one length-prefixed frame per request and per response.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes. The length is checked
//! against the receiver's limit *before* anything is allocated or read, so a peer cannot make a
//! node buffer more than its configured maximum; an oversized frame is a typed
//! [`CodecError::FrameTooLarge`], never a panic. The payload itself is opaque here (the sync
//! module encodes its requests and blocks with bcs).

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response;

/// The block-sync protocol name negotiated on each request stream.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/loanchain/sync/1");

/// Bytes of the length prefix.
pub const LENGTH_PREFIX_BYTES: usize = 4;

/// A frame that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The frame is (or announces) more bytes than the limit.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// The frame's (announced) length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The stream failed or ended early.
    #[error("frame I/O: {0}")]
    Io(#[from] io::Error),
}

impl CodecError {
    /// As the `io::Error` the request-response codec trait wants; the typed error stays
    /// recoverable through `io::Error::get_ref` (see `RequestFailure::from_io`).
    fn into_io(self) -> io::Error {
        match self {
            CodecError::Io(e) => e,
            too_large => io::Error::new(io::ErrorKind::InvalidData, too_large),
        }
    }
}

/// Reads one frame of at most `max` bytes.
pub async fn read_frame<R: AsyncRead + Unpin>(io: &mut R, max: usize) -> Result<Vec<u8>, CodecError> {
    let mut prefix = [0u8; LENGTH_PREFIX_BYTES];
    io.read_exact(&mut prefix).await?;
    let len = u32::from_be_bytes(prefix);
    if u64::from(len) > max as u64 {
        return Err(CodecError::FrameTooLarge { len: u64::from(len), max });
    }
    let mut data = vec![0u8; len as usize];
    io.read_exact(&mut data).await?;
    Ok(data)
}

/// Writes one frame; refuses data longer than `max` (or than a `u32` can announce).
pub async fn write_frame<W: AsyncWrite + Unpin>(io: &mut W, data: &[u8], max: usize) -> Result<(), CodecError> {
    let len = u32::try_from(data.len()).ok().filter(|&len| len as usize <= max);
    let Some(len) = len else {
        return Err(CodecError::FrameTooLarge { len: data.len() as u64, max });
    };
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.flush().await?;
    Ok(())
}

/// The request-response codec: opaque byte requests and responses in length-prefixed frames,
/// each bounded by its own limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameCodec {
    /// Largest request accepted or sent.
    pub max_request_bytes: usize,
    /// Largest response accepted or sent.
    pub max_response_bytes: usize,
}

// request-response 0.30 declares the codec methods as `impl Future + Send` (not `async_trait`
// any more, unlike the older docs), so plain `async fn`s implement them.
impl request_response::Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_request_bytes).await.map_err(CodecError::into_io)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response_bytes).await.map_err(CodecError::into_io)
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Vec<u8>) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req, self.max_request_bytes).await.map_err(CodecError::into_io)
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, res: Vec<u8>) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res, self.max_response_bytes).await.map_err(CodecError::into_io)
    }
}
