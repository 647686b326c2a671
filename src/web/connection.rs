//! Every request head on a connection must arrive in time, not just the
//! first. actix-http times a connection's first head itself (408 after
//! `client_request_timeout`), but on a reused connection its keep-alive
//! timer stops at the first byte of the next request and nothing times the
//! rest: a client could trickle a second head for as long as it liked.
//!
//! So each connection's socket is wrapped in a [`TimedStream`], and the app
//! tells it, through a [`HeadClock`] shared with every request on the
//! connection, when a request has arrived and when its response is done.
//! From the first byte after a response, the next head must reach the app
//! within the same time as the first; otherwise the socket reads as closed
//! and actix-http closes the connection once it has sent what it owes.
//! There is no 408 then: only actix-http's parser knows whether a response
//! is still on its way out, and a status line written from here could land
//! in the middle of it.

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;
use actix_web::web::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until};

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Before the first request: actix-http times that head itself.
    First,
    /// A request is being answered.
    Serving,
    /// A response is done and nothing of the next request has come since.
    /// (Bytes that came before are actix-http's: its keep-alive timer ends
    /// a connection that sends nothing more.)
    Between,
    /// Part of the next head has come; all of it is due by `deadline`.
    Arriving { deadline: Instant },
}

/// What the app tells a connection's [`TimedStream`].
#[derive(Debug, Clone)]
pub struct HeadClock(Rc<Cell<Phase>>);

impl HeadClock {
    fn request_arrived(&self) {
        self.0.set(Phase::Serving);
    }

    fn response_done(&self) {
        self.0.set(Phase::Between);
    }
}

/// A connection's socket, read as closed once a request head after the
/// first is overdue.
pub struct TimedStream {
    io: TcpStream,
    clock: HeadClock,
    /// The time for a whole head, from its first byte.
    head_timeout: Duration,
    timer: Pin<Box<Sleep>>,
    cut_off: bool,
    /// Set once the server has sent its last byte and is reading out what
    /// the client still sends (see `poll_shutdown`).
    lingering_until: Option<Instant>,
}

/// How long a closing connection keeps reading what the client still
/// sends: a client that is sending a body the server refused (413) then
/// reads the answer instead of losing it to a reset. Bounded as well by
/// actix-http's disconnect timeout.
const LINGER: Duration = Duration::from_secs(1);

impl TimedStream {
    pub fn new(io: TcpStream, head_timeout: Duration) -> TimedStream {
        TimedStream {
            io,
            clock: HeadClock(Rc::new(Cell::new(Phase::First))),
            head_timeout,
            timer: Box::pin(sleep_until(Instant::now())),
            cut_off: false,
            lingering_until: None,
        }
    }

    /// For the requests of this connection (actix-http's connection data).
    pub fn clock(&self) -> HeadClock {
        self.clock.clone()
    }

    /// When the head being received is due, if one is being timed here.
    fn deadline(&self) -> Option<Instant> {
        match self.clock.0.get() {
            Phase::Arriving { deadline } => Some(deadline),
            Phase::First | Phase::Serving | Phase::Between => None,
        }
    }

    fn bytes_arrived(&self) {
        if let Phase::Between = self.clock.0.get() {
            let deadline = Instant::now() + self.head_timeout;
            self.clock.0.set(Phase::Arriving { deadline });
        }
    }

    fn cut_off(&mut self) -> Poll<io::Result<()>> {
        if !self.cut_off {
            log::debug!("a request head took longer than {:?}", self.head_timeout);
            self.cut_off = true;
        }
        // End of stream: actix-http finishes what it is sending and closes.
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for TimedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.cut_off || this.deadline().is_some_and(|due| Instant::now() >= due) {
            return this.cut_off();
        }
        let filled = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        match &read {
            Poll::Ready(Ok(())) if buf.filled().len() > filled => this.bytes_arrived(),
            Poll::Pending => {
                if let Some(due) = this.deadline() {
                    // Wakes the connection when the head falls due.
                    this.timer.as_mut().reset(due);
                    if this.timer.as_mut().poll(cx).is_ready() {
                        return this.cut_off();
                    }
                }
            }
            _ => {}
        }
        read
    }
}

impl AsyncWrite for TimedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// A lingering close, as nginx does it: the write half is shut (the
    /// client sees the end of the answer), then what the client still
    /// sends is read and dropped until it closes too or [`LINGER`] runs
    /// out. Closing with unread bytes would make the kernel reset the
    /// connection, and a client still sending a refused body would see the
    /// reset instead of the answer.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let until = match this.lingering_until {
            Some(until) => until,
            None => {
                std::task::ready!(Pin::new(&mut this.io).poll_shutdown(cx))?;
                let until = Instant::now() + LINGER;
                this.lingering_until = Some(until);
                this.timer.as_mut().reset(until);
                until
            }
        };
        let mut scratch = [0u8; 8192];
        loop {
            if Instant::now() >= until {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.io).poll_read(cx, &mut buf) {
                // The client closed, or the connection failed: done.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => continue,
                Poll::Pending => {
                    return match this.timer.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// Middleware, outermost: tells the connection's clock that a request has
/// arrived, and that its response is done when actix-http lets go of the
/// body (sent, or never to be sent).
pub async fn time_heads(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<TimedBody>, actix_web::Error> {
    let clock = req.conn_data::<HeadClock>().cloned();
    if let Some(clock) = &clock {
        clock.request_arrived();
    }
    match next.call(req).await {
        Ok(response) => Ok(response.map_body(|_, body| TimedBody {
            body: BoxBody::new(body),
            clock,
        })),
        Err(e) => {
            // actix-http answers with the error's own short body.
            if let Some(clock) = &clock {
                clock.response_done();
            }
            Err(e)
        }
    }
}

/// A response body that tells the connection's clock when it is dropped.
pub struct TimedBody {
    body: BoxBody,
    clock: Option<HeadClock>,
}

impl MessageBody for TimedBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

impl Drop for TimedBody {
    fn drop(&mut self) {
        if let Some(clock) = &self.clock {
            clock.response_done();
        }
    }
}
