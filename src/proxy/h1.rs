//! A lean HTTP/1.1 client for plain-HTTP upstreams.
//!
//! The request's own task takes a kept connection, writes the request and
//! reads the answer: no connection task, no channel between the two, and a
//! whole body is read straight into the buffer that is translated. (A TLS
//! upstream goes through hyper-util's client instead, which runs every
//! connection as a task of its own and hands each message across a channel.)
//!
//! What it speaks: requests with a `Content-Length` or chunked body; answers
//! framed by `Content-Length`, chunked coding or the connection's end, with
//! interim 1xx answers passed over. A connection is kept for the next request
//! only when its answer was read to the end and did not ask to close.

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::BoxError;

/// A response head larger than this is refused.
const MAX_HEAD_BYTES: usize = 64 << 10;
/// More header fields than this are refused.
const MAX_HEADERS: usize = 100;
/// A chunk-size line (with extensions) or trailer line longer than this is refused.
const MAX_LINE_BYTES: usize = 4 << 10;
/// What is read at once while the head is not yet in.
const HEAD_READ_BYTES: usize = 16 << 10;
/// Request bodies are written in pieces of at most this much.
const WRITE_BYTES: usize = 64 << 10;
/// An idle connection keeps a read buffer of at most this much.
const KEEP_BUF_BYTES: usize = 32 << 10;

#[derive(Debug)]
pub enum Error {
    /// No connection could be opened.
    Connect(io::Error),
    /// The connection failed before any byte of an answer arrived: the
    /// request may not have been handled, so an idempotent one can be tried again.
    Closed(io::Error),
    /// The answer broke HTTP/1.1, or was cut short after it began.
    Protocol(String),
    /// The answer's body is larger than the caller's limit.
    TooLarge,
    /// The request's own body could not be read.
    RequestBody(BoxError),
}

impl Error {
    fn cut_short() -> Self {
        Error::Protocol("the connection closed before the end of the answer".into())
    }
}

/// Kept connections to one address. Idle connections are reused most recent
/// first; one idle longer than `idle_timeout` is closed when next met, or by
/// the sweep of `reap_every`.
pub struct Pool {
    /// "host:port", resolved on every connect.
    target: String,
    connect_timeout: Duration,
    idle_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<(Conn, Instant)>>,
}

pub struct Conn {
    io: TcpStream,
    /// Bytes read and not yet used.
    buf: BytesMut,
    /// Where a request is assembled before it is written.
    out: Vec<u8>,
    /// The header names of this connection's last answer, in order: an
    /// upstream names the same headers answer after answer, so a name is
    /// mostly found here instead of parsed (and allocated) again.
    names: Vec<(Box<str>, HeaderName)>,
    /// The header values of the last answer, in order: many (`Server`,
    /// `Content-Type`, paging totals) come back byte for byte the same, and
    /// such a value is shared instead of checked and sliced again.
    values: Vec<HeaderValue>,
}

impl Pool {
    pub fn new(
        target: String,
        connect_timeout: Duration,
        idle_timeout: Duration,
        max_idle: usize,
    ) -> Self {
        Pool {
            target,
            connect_timeout,
            idle_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A kept connection, or a new one. `check`: make sure a kept connection
    /// was not closed by the upstream meanwhile (one non-blocking read), for a
    /// request that may not be tried again.
    pub async fn get(&self, check: bool) -> Result<Conn, Error> {
        while let Some(c) = self.take_idle() {
            if !check || c.still_open() {
                return Ok(c);
            }
        }
        self.connect().await
    }

    /// From within a runtime: every `every`, for as long as the pool lives,
    /// closes kept connections idle past the timeout or closed by the
    /// upstream (rather than holding them until the next request meets them).
    pub fn reap_every(self: &Arc<Self>, every: Duration) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let pool = Arc::downgrade(self);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                match pool.upgrade() {
                    Some(p) => p.reap(),
                    None => return,
                }
            }
        });
    }

    fn reap(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|(c, since)| self.fresh(*since) && c.still_open());
        }
    }

    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle.lock().map_or(0, |v| v.len())
    }

    /// Whether a connection idle since `since` may still be used.
    fn fresh(&self, since: Instant) -> bool {
        since.elapsed() < self.idle_timeout
    }

    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        let (c, since) = idle.pop()?;
        if self.fresh(since) {
            return Some(c);
        }
        // The others went idle earlier still.
        idle.clear();
        None
    }

    /// A new connection, not taken from the kept ones.
    pub async fn connect(&self) -> Result<Conn, Error> {
        let io = match tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect(self.target.as_str()),
        )
        .await
        {
            Ok(Ok(io)) => io,
            Ok(Err(e)) => return Err(Error::Connect(e)),
            Err(_) => {
                return Err(Error::Connect(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no connection within {} ms",
                        self.connect_timeout.as_millis()
                    ),
                )))
            }
        };
        io.set_nodelay(true).map_err(Error::Connect)?;
        Ok(Conn {
            io,
            buf: BytesMut::new(),
            out: Vec::new(),
            names: Vec::new(),
            values: Vec::new(),
        })
    }

    /// Keeps `c` for the next request, unless it holds bytes of no answer.
    pub fn put(&self, mut c: Conn) {
        if !c.buf.is_empty() {
            return;
        }
        // A large read buffer is not kept idle.
        if c.buf.capacity() > KEEP_BUF_BYTES {
            c.buf = BytesMut::new();
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push((c, Instant::now()));
            }
        }
    }
}

impl Conn {
    /// Whether the upstream has not closed this idle connection (nor sent
    /// anything unasked, which would make it unusable too).
    fn still_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.io.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Reads more into `buf`, at least `want` bytes of room; 0 at the end.
    async fn fill(&mut self, want: usize) -> io::Result<usize> {
        self.buf.reserve(want);
        self.io.read_buf(&mut self.buf).await
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>> {
        self.buf.reserve(want);
        loop {
            match self.io.try_read_buf(&mut self.buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.io.poll_read_ready(cx))?;
                }
                other => return Poll::Ready(other),
            }
        }
    }

    /// Writes the request: its head, then its body with the framing its size
    /// calls for. `host` is written when the headers have none.
    pub async fn write_request<B>(
        &mut self,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
        host: Option<&HeaderValue>,
        body: B,
    ) -> Result<(), Error>
    where
        B: Body<Data = Bytes, Error = BoxError> + Unpin,
    {
        let mut head = std::mem::take(&mut self.out);
        let done = self
            .write_with(&mut head, method, target, headers, host, body)
            .await;
        self.out = head;
        done
    }

    async fn write_with<B>(
        &mut self,
        head: &mut Vec<u8>,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
        host: Option<&HeaderValue>,
        mut body: B,
    ) -> Result<(), Error>
    where
        B: Body<Data = Bytes, Error = BoxError> + Unpin,
    {
        let size = body.size_hint().exact();
        head.clear();
        head.extend_from_slice(method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(target.as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\n");
        if !headers.contains_key(http::header::HOST) {
            if let Some(h) = host {
                put_header(head, b"host", h.as_bytes());
            }
        }
        for (k, v) in headers {
            if k == http::header::CONTENT_LENGTH
                || k == http::header::TRANSFER_ENCODING
                || k == http::header::CONNECTION
            {
                continue;
            }
            put_header(head, k.as_str().as_bytes(), v.as_bytes());
        }
        let chunked = size.is_none();
        match size {
            None => put_header(head, b"transfer-encoding", b"chunked"),
            Some(0)
                if !headers.contains_key(http::header::CONTENT_LENGTH)
                    && !matches!(*method, Method::POST | Method::PUT | Method::PATCH) => {}
            Some(n) => {
                head.extend_from_slice(b"content-length: ");
                push_decimal(head, n);
                head.extend_from_slice(b"\r\n");
            }
        }
        head.extend_from_slice(b"\r\n");
        let closed = Error::Closed;
        // The body goes out with the head while it is small: one write.
        while !body.is_end_stream() {
            let Some(frame) = body.frame().await else {
                break;
            };
            let frame = frame.map_err(Error::RequestBody)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if chunked {
                if data.is_empty() {
                    continue;
                }
                head.extend(super::hex_digits(data.len() as u64, 1));
                head.extend_from_slice(b"\r\n");
            }
            if head.len() + data.len() <= WRITE_BYTES {
                head.extend_from_slice(&data);
            } else {
                self.io.write_all(head).await.map_err(closed)?;
                head.clear();
                self.io.write_all(&data).await.map_err(closed)?;
            }
            if chunked {
                head.extend_from_slice(b"\r\n");
            }
        }
        if chunked {
            head.extend_from_slice(b"0\r\n\r\n");
        }
        self.io.write_all(head).await.map_err(closed)
    }

    /// Reads the answer's head, passing over interim (1xx) answers; `room`:
    /// how much to read at once at least, beyond the head's own minimum.
    pub async fn read_head(&mut self, method: &Method, room: usize) -> Result<Head, Error> {
        let mut any = false;
        loop {
            if let Some(head) = self.parse_head(method)? {
                if head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS
                {
                    continue;
                }
                return Ok(head);
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(Error::Protocol(format!(
                    "the answer's head is larger than {} KiB",
                    MAX_HEAD_BYTES >> 10
                )));
            }
            match self.fill(room.max(HEAD_READ_BYTES)).await {
                Ok(0) if !any && self.buf.is_empty() => {
                    return Err(Error::Closed(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "closed before any answer",
                    )))
                }
                Ok(0) => return Err(Error::cut_short()),
                Ok(_) => any = true,
                Err(e) if !any && self.buf.is_empty() => return Err(Error::Closed(e)),
                Err(e) => return Err(Error::Protocol(e.to_string())),
            }
        }
    }

    /// One head from `buf`, if it is all there (consumed from `buf`).
    fn parse_head(&mut self, method: &Method) -> Result<Option<Head>, Error> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut r = httparse::Response::new(&mut slots);
        let len = match r.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(Error::Protocol(format!("not an HTTP/1.1 answer: {e}"))),
        };
        let status = r
            .code
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or_else(|| Error::Protocol("invalid status code".into()))?;
        let version = if r.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        // New header values are slices of one copy of the head rather than a
        // copy each; the copy is made only if one is needed.
        let base = self.buf.as_ptr() as usize;
        let mut copy: Option<Bytes> = None;
        let mut headers = HeaderMap::with_capacity(r.headers.len());
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut coded = false;
        let mut close = version == Version::HTTP_10;
        for (i, h) in r.headers.iter().enumerate() {
            let name = known_name(&mut self.names, i, h.name)?;
            let value = match self.values.get(i) {
                Some(v) if v.as_bytes() == h.value => v.clone(),
                _ => {
                    let copy = copy.get_or_insert_with(|| Bytes::copy_from_slice(&self.buf[..len]));
                    let at = h.value.as_ptr() as usize - base;
                    let v = HeaderValue::from_maybe_shared(copy.slice(at..at + h.value.len()))
                        .map_err(|_| {
                            Error::Protocol(format!("invalid value of header {}", h.name))
                        })?;
                    remember(&mut self.values, i, v.clone());
                    v
                }
            };
            if name == http::header::CONTENT_LENGTH {
                let n = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .filter(|n| length.is_none_or(|l| l == *n))
                    .ok_or_else(|| Error::Protocol("invalid Content-Length".into()))?;
                length = Some(n);
            } else if name == http::header::TRANSFER_ENCODING {
                coded = true;
                // Chunked must be the last coding applied.
                chunked = h
                    .value
                    .rsplit(|&c| c == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if name == http::header::CONNECTION {
                for token in h.value.split(|&c| c == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        close = false;
                    }
                }
            }
            headers.append(name, value);
        }
        let _ = self.buf.split_to(len);
        let bodiless = *method == Method::HEAD
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let framing = if bodiless {
            Framing::Length(0)
        } else if coded {
            if chunked {
                Framing::Chunked(Chunked::default())
            } else {
                Framing::Eof
            }
        } else {
            match length {
                Some(n) => Framing::Length(n),
                None => Framing::Eof,
            }
        };
        let keep = !close && !matches!(framing, Framing::Eof);
        Ok(Some(Head {
            status,
            version,
            headers,
            framing,
            keep,
        }))
    }

    /// Reads the whole body framed by `framing` into `out`, refusing more
    /// than `max` bytes. Whether the connection can be kept afterwards is the
    /// head's `keep`.
    pub async fn read_body(
        &mut self,
        framing: &mut Framing,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), Error> {
        let io_err = |e: io::Error| Error::Protocol(e.to_string());
        match framing {
            Framing::Length(n) => {
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                if n > max {
                    return Err(Error::TooLarge);
                }
                out.reserve(n);
                let have = self.buf.len().min(n);
                out.extend_from_slice(&self.buf.split_to(have));
                // The rest is read straight into `out`.
                while out.len() < n {
                    let room = n - out.len();
                    let mut dst = (&mut *out).limit(room);
                    match self.io.read_buf(&mut dst).await.map_err(io_err)? {
                        0 => return Err(Error::cut_short()),
                        _ => continue,
                    }
                }
                Ok(())
            }
            Framing::Chunked(c) => loop {
                match c.next(&mut self.buf)? {
                    Step::Data(d) => {
                        if out.len() + d.len() > max {
                            return Err(Error::TooLarge);
                        }
                        out.extend_from_slice(&d);
                    }
                    Step::Done => return Ok(()),
                    Step::More => {
                        if self.fill(HEAD_READ_BYTES).await.map_err(io_err)? == 0 {
                            return Err(Error::cut_short());
                        }
                    }
                }
            },
            Framing::Eof => {
                out.extend_from_slice(&self.buf.split());
                loop {
                    if out.len() > max {
                        return Err(Error::TooLarge);
                    }
                    out.reserve(HEAD_READ_BYTES);
                    if self.io.read_buf(out).await.map_err(io_err)? == 0 {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// The header name `raw`, the `i`-th of an answer: the `i`-th of `names`
/// (the last answer's) if it is spelt the same, else parsed and remembered
/// there. The spelling is compared byte for byte: an upstream writes its
/// names the same way every time, and that compare is a `memcmp`.
fn known_name(
    names: &mut Vec<(Box<str>, HeaderName)>,
    i: usize,
    raw: &str,
) -> Result<HeaderName, Error> {
    if let Some((spelt, n)) = names.get(i) {
        if **spelt == *raw {
            return Ok(n.clone());
        }
    }
    let n = HeaderName::from_bytes(raw.as_bytes())
        .map_err(|_| Error::Protocol(format!("invalid header name {raw:?}")))?;
    remember(names, i, (Box::from(raw), n.clone()));
    Ok(n)
}

/// Puts `v` in the `i`-th place of `at` (the next one, or one already there).
fn remember<T>(at: &mut Vec<T>, i: usize, v: T) {
    if i < at.len() {
        at[i] = v;
    } else if i == at.len() {
        at.push(v);
    }
}

/// A response head.
pub struct Head {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub framing: Framing,
    /// Whether the connection may serve another request once the body is read.
    pub keep: bool,
}

/// How the end of a body is known.
pub enum Framing {
    /// This many bytes (left).
    Length(u64),
    Chunked(Chunked),
    /// The connection's end.
    Eof,
}

/// What the chunked decoder met next.
pub enum Step {
    Data(Bytes),
    /// More input is needed.
    More,
    Done,
}

/// A decoder of the chunked transfer coding, fed from a buffer.
#[derive(Default)]
pub struct Chunked {
    state: ChunkState,
}

#[derive(Default)]
enum ChunkState {
    #[default]
    Size,
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    Trailers,
    Done,
}

impl Chunked {
    pub fn next(&mut self, input: &mut BytesMut) -> Result<Step, Error> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some(line) = take_line(input)? else {
                        return Ok(Step::More);
                    };
                    let digits = line[..].split(|&c| c == b';').next().unwrap_or_default();
                    let size = parse_hex(digits.trim_ascii())
                        .ok_or_else(|| Error::Protocol("invalid chunk size".into()))?;
                    self.state = if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    if input.is_empty() {
                        return Ok(Step::More);
                    }
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let rest = left - n as u64;
                    self.state = if rest == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(rest)
                    };
                    return Ok(Step::Data(input.split_to(n).freeze()));
                }
                ChunkState::DataEnd => {
                    if input.len() < 2 {
                        return Ok(Step::More);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(Error::Protocol("chunk data not followed by CRLF".into()));
                    }
                    let _ = input.split_to(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let Some(line) = take_line(input)? else {
                        return Ok(Step::More);
                    };
                    if line.is_empty() {
                        self.state = ChunkState::Done;
                    }
                }
                ChunkState::Done => return Ok(Step::Done),
            }
        }
    }
}

/// One CRLF-ended line from the front of `input`, without its CRLF.
fn take_line(input: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
    match input.windows(2).position(|w| w == b"\r\n") {
        Some(i) => {
            let mut line = input.split_to(i + 2);
            line.truncate(i);
            Ok(Some(line))
        }
        None if input.len() > MAX_LINE_BYTES => Err(Error::Protocol("chunk line too long".into())),
        None => Ok(None),
    }
}

fn parse_hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &c| {
        let d = (c as char).to_digit(16)?;
        Some(n << 4 | u64::from(d))
    })
}

fn put_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// An answer's body streamed from its connection, which goes back to the
/// pool once the body has been read to its end (and is closed if the body is
/// dropped before that).
pub struct Streamed {
    conn: Option<Conn>,
    framing: Framing,
    keep: bool,
    pool: Arc<Pool>,
    /// The most read at once.
    read_bytes: usize,
}

impl Streamed {
    pub fn new(conn: Conn, head: &mut Head, pool: Arc<Pool>, read_bytes: usize) -> Self {
        let framing = std::mem::replace(&mut head.framing, Framing::Length(0));
        let mut s = Streamed {
            conn: Some(conn),
            framing,
            keep: head.keep,
            pool,
            read_bytes,
        };
        s.finish_if_done();
        s
    }

    fn finish_if_done(&mut self) {
        if matches!(self.framing, Framing::Length(0)) {
            if let Some(c) = self.conn.take() {
                if self.keep {
                    self.pool.put(c);
                }
            }
        }
    }

    fn frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        let Some(conn) = self.conn.as_mut() else {
            return Poll::Ready(None);
        };
        let io_err = |e: io::Error| Error::Protocol(e.to_string());
        loop {
            match &mut self.framing {
                Framing::Length(left) => {
                    if !conn.buf.is_empty() {
                        let n = usize::try_from(*left)
                            .unwrap_or(usize::MAX)
                            .min(conn.buf.len());
                        *left -= n as u64;
                        let data = conn.buf.split_to(n).freeze();
                        self.finish_if_done();
                        return Poll::Ready(Some(Ok(data)));
                    }
                    let want = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(self.read_bytes);
                    if ready!(conn.poll_fill(cx, want)).map_err(io_err)? == 0 {
                        return Poll::Ready(Some(Err(Error::cut_short())));
                    }
                }
                Framing::Chunked(c) => match c.next(&mut conn.buf)? {
                    Step::Data(d) => return Poll::Ready(Some(Ok(d))),
                    Step::Done => {
                        self.framing = Framing::Length(0);
                        self.finish_if_done();
                        return Poll::Ready(None);
                    }
                    Step::More => {
                        if ready!(conn.poll_fill(cx, self.read_bytes)).map_err(io_err)? == 0 {
                            return Poll::Ready(Some(Err(Error::cut_short())));
                        }
                    }
                },
                Framing::Eof => {
                    if !conn.buf.is_empty() {
                        return Poll::Ready(Some(Ok(conn.buf.split().freeze())));
                    }
                    if ready!(conn.poll_fill(cx, self.read_bytes)).map_err(io_err)? == 0 {
                        self.conn = None;
                        return Poll::Ready(None);
                    }
                }
            }
        }
    }
}

impl Body for Streamed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        match ready!(this.frame(cx)) {
            Some(Ok(d)) => Poll::Ready(Some(Ok(Frame::data(d)))),
            Some(Err(e)) => {
                this.conn = None;
                Poll::Ready(Some(Err(e)))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.conn.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            Framing::Length(n) => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Connect(e) | Error::Closed(e) => write!(f, "{e}"),
            Error::Protocol(m) => f.write_str(m),
            Error::TooLarge => f.write_str("the body is larger than the limit"),
            Error::RequestBody(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8], split: usize) -> Result<(Vec<u8>, usize), Error> {
        let mut c = Chunked::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            match c.next(&mut buf)? {
                Step::Data(d) => out.extend_from_slice(&d),
                Step::Done => return Ok((out, buf.len())),
                Step::More => {
                    if fed == input.len() {
                        return Err(Error::cut_short());
                    }
                    let n = split.min(input.len() - fed);
                    buf.extend_from_slice(&input[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    #[test]
    fn header_names_are_remembered_by_spelling() {
        let mut names = Vec::new();
        let a = known_name(&mut names, 0, "X-Total").expect("valid");
        assert_eq!(a.as_str(), "x-total");
        // Same spelling at the same place: the remembered name.
        assert_eq!(known_name(&mut names, 0, "X-Total").expect("valid"), a);
        // Another spelling or another name there: parsed, and remembered instead.
        let b = known_name(&mut names, 0, "x-TOTAL").expect("valid");
        assert_eq!(b.as_str(), "x-total");
        assert_eq!(&*names[0].0, "x-TOTAL");
        let c = known_name(&mut names, 0, "Link").expect("valid");
        assert_eq!(c, http::header::LINK);
        assert_eq!(names.len(), 1);
        assert!(known_name(&mut names, 1, "bad name").is_err());
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn chunked_decodes_at_every_split() {
        let input =
            b"5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for split in 1..input.len() {
            let (out, left) = decode(input, split).expect("decodes");
            assert_eq!(out, b"helloabcdefghijklmnopqrstuvwxyz", "split {split}");
            assert!(left <= 4, "split {split}");
        }
    }

    #[test]
    fn chunked_refuses_bad_sizes_and_framing() {
        assert!(matches!(decode(b"zz\r\n", 4), Err(Error::Protocol(_))));
        assert!(matches!(
            decode(b"3\r\nabcXX0\r\n\r\n", 64),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            decode(b"ffffffffffffffff\r\n", 64),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(decode(b"3\r\nab", 64), Err(Error::Protocol(_))));
    }

    /// A listener on loopback and a pool of connections to it.
    async fn listener_and_pool(idle_timeout: Duration) -> (tokio::net::TcpListener, Pool) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let pool = Pool::new(addr, Duration::from_secs(1), idle_timeout, 8);
        (listener, pool)
    }

    #[tokio::test]
    async fn idle_connections_are_closed_after_the_timeout_or_when_the_upstream_closes() {
        let timeout = Duration::from_millis(400);
        let (listener, pool) = listener_and_pool(timeout).await;
        let pool = Arc::new(pool);
        let a = pool.connect().await.expect("connect");
        let (_kept, _) = listener.accept().await.expect("accept");
        let b = pool.connect().await.expect("connect");
        let (closed, _) = listener.accept().await.expect("accept");
        pool.put(a);
        pool.put(b);
        assert_eq!(pool.idle_count(), 2);
        pool.reap_every(Duration::from_millis(50));
        // The upstream closes one: it goes at the next round.
        drop(closed);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(pool.idle_count(), 1);
        // The other goes once idle past the timeout.
        tokio::time::sleep(timeout).await;
        assert_eq!(pool.idle_count(), 0);
    }

    #[tokio::test]
    async fn header_values_are_shared_only_when_the_same() {
        let (listener, pool) = listener_and_pool(Duration::from_secs(5)).await;
        let mut c = pool.connect().await.expect("connect");
        let (mut up, _) = listener.accept().await.expect("accept");
        let answers: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nServer: s\r\nX-Page: 1\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nServer: s\r\nX-Page: 2\r\nContent-Length: 0\r\n\r\n",
            // Fewer headers, in another order.
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: t\r\n\r\n",
        ];
        let mut heads = Vec::new();
        for a in answers {
            up.write_all(a).await.expect("write");
            heads.push(c.read_head(&Method::GET, 0).await.expect("head"));
        }
        let get = |h: &Head, n: &str| h.headers.get(n).map(|v| v.as_bytes().to_vec());
        assert_eq!(get(&heads[0], "x-page").as_deref(), Some(&b"1"[..]));
        assert_eq!(get(&heads[1], "x-page").as_deref(), Some(&b"2"[..]));
        assert_eq!(get(&heads[1], "server").as_deref(), Some(&b"s"[..]));
        assert_eq!(get(&heads[2], "x-page"), None);
        assert_eq!(get(&heads[2], "server").as_deref(), Some(&b"t"[..]));
        assert_eq!(get(&heads[2], "content-length").as_deref(), Some(&b"0"[..]));
        // The unchanged value is the last answer's, not a new slice.
        let ptr = |h: &Head, n: &str| h.headers.get(n).map(|v| v.as_bytes().as_ptr());
        assert_eq!(ptr(&heads[0], "server"), ptr(&heads[1], "server"));
        assert_ne!(ptr(&heads[0], "x-page"), ptr(&heads[1], "x-page"));
    }

    #[test]
    fn numbers_are_written_without_formatting() {
        let mut v = Vec::new();
        push_decimal(&mut v, 0);
        v.push(b' ');
        push_decimal(&mut v, 1_048_576);
        v.push(b' ');
        v.extend(super::super::hex_digits(0, 1));
        v.push(b' ');
        v.extend(super::super::hex_digits(0x1a2b, 1));
        v.push(b' ');
        v.extend(super::super::hex_digits(0x2a, 8));
        assert_eq!(v, b"0 1048576 0 1a2b 0000002a");
    }
}
