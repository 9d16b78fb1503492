//! The two time limits that watch a connection once its request header has arrived: a body that
//! must arrive whole in its time ([`DeadlineBody`]), and an answer the client must keep taking
//! ([`SendStall`]). Both arm a timer only when they would otherwise wait, so a request whose
//! body is already in hand and whose answer fits the socket's buffer costs no timer at all.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What a guarded body fails with.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body that must arrive whole by a deadline counted from its header. A deadline
/// rather than a silence allowed between chunks: a client sending one byte just inside each
/// silence would otherwise hold its connection for as long as the size limit lets it.
pub(crate) struct DeadlineBody<B> {
    inner: B,
    deadline: Instant,
    /// Armed the first time the body has nothing to give.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> DeadlineBody<B> {
    pub(crate) fn new(inner: B, allowed: Duration) -> Self {
        DeadlineBody { inner, deadline: Instant::now() + allowed, timer: None }
    }
}

/// The body did not arrive whole in `[http] body_timeout_seconds`.
#[derive(Debug)]
pub(crate) struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive whole in the time allowed")
    }
}

impl std::error::Error for BodyTooSlow {}

impl<B> Body for DeadlineBody<B>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTooSlow)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection whose writes may wait for room at most `allowed`: a client that asks and then
/// takes nothing of the answer (its receive window closed, the server's send buffer full) is
/// disconnected instead of holding a connection, its slot under the cap, and a graceful stop.
pub(crate) struct SendStall<S> {
    inner: S,
    allowed: Duration,
    /// Armed when a write first finds no room; disarmed by any write that goes through.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> SendStall<S> {
    pub(crate) fn new(inner: S, allowed: Duration) -> Self {
        SendStall { inner, allowed, timer: None }
    }

    /// Passes on a write's outcome; a write still waiting once `allowed` has passed since the
    /// stall began fails the connection.
    fn watch<T>(
        &mut self,
        outcome: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        if outcome.is_ready() {
            self.timer = None;
            return outcome;
        }
        let allowed = self.allowed;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(allowed)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client took nothing of the answer for {} s", allowed.as_secs()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for SendStall<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SendStall<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(outcome, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(outcome, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(outcome, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(outcome, cx)
    }
}

/// A body that gives one byte every `every`, `n` times, as a slow client sends one.
#[cfg(test)]
pub(crate) fn trickle(
    every: Duration,
    n: usize,
) -> impl Body<Data = bytes::Bytes, Error = BoxError> + Unpin + Send + 'static {
    let stream = futures_util::stream::unfold(0, move |i| async move {
        if i == n {
            return None;
        }
        tokio::time::sleep(every).await;
        Some((Ok::<_, BoxError>(Frame::data(bytes::Bytes::from_static(b"x"))), i + 1))
    });
    http_body_util::StreamBody::new(Box::pin(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;

    #[tokio::test(start_paused = true)]
    async fn a_body_trickling_past_its_deadline_fails_though_never_silent_long() {
        let body =
            DeadlineBody::new(trickle(Duration::from_millis(300), 100), Duration::from_secs(1));
        let err = body.collect().await.expect_err("the deadline");
        assert!(err.downcast_ref::<BodyTooSlow>().is_some(), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_whole_in_time_is_given_as_sent() {
        let body =
            DeadlineBody::new(trickle(Duration::from_millis(300), 3), Duration::from_secs(1));
        let got = body.collect().await.expect("the body").to_bytes();
        assert_eq!(&got[..], b"xxx");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_finds_no_room_fails_after_the_time_allowed() {
        // A pipe whose reader never reads: its buffer fills, and then writes wait.
        let (writer, _reader) = tokio::io::duplex(64);
        let mut guarded = SendStall::new(writer, Duration::from_secs(2));
        let err = guarded.write_all(&[0u8; 1024]).await.expect_err("a stall");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_reader_that_keeps_taking_is_not_cut_off() {
        let (writer, mut reader) = tokio::io::duplex(64);
        let mut guarded = SendStall::new(writer, Duration::from_secs(2));
        let read = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let mut total = 0;
            // 64 bytes a second: the whole kilobyte takes 16 s, far past the 2 s allowed for
            // one stall, but no single write waits that long.
            while total < 1024 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                total += tokio::io::AsyncReadExt::read(&mut reader, &mut buf).await.expect("read");
            }
            total
        });
        guarded.write_all(&[0u8; 1024]).await.expect("written");
        assert_eq!(read.await.expect("reader"), 1024);
    }
}
