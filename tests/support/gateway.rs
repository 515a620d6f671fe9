//! The gateway, started in-process on an ephemeral port in front of a given
//! upstream, and a small HTTP client to talk to it.

use super::fake::{FakeUpstream, Reply};
use bytes::Bytes;
use forgebridge::config::{self, Flags};
use forgebridge::mapping::Mappings;
use forgebridge::proxy::{server, Gateway};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub fn mappings_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings"))
}

pub fn mappings() -> Mappings {
    Mappings::load_dir(&mappings_dir()).expect("the shipped mappings compile")
}

/// A copy of the shipped mappings in a temporary directory, `edit` given the
/// name and text of each file to change it (for `TestGateway::start_pair_in`).
pub fn mappings_edited(tag: &str, edit: impl Fn(&str, &mut String)) -> super::tmp::TempDir {
    let dir = super::tmp::TempDir::new(tag);
    let shipped = std::fs::read_dir(mappings_dir()).expect("mappings/");
    for entry in shipped {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().expect("a file name");
        let name = name.to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&path).expect("a mapping file");
        edit(&name, &mut text);
        dir.write(&name, &text);
    }
    dir
}

/// A fake answering `method path` with `reply`, and a gateway accepting
/// GitHub clients in front of it.
pub async fn one_route(method: &str, path: &str, reply: Reply) -> (FakeUpstream, TestGateway) {
    let fake = FakeUpstream::builder()
        .route(method, path, reply)
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    (fake, gw)
}

pub struct TestGateway {
    pub url: String,
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestGateway {
    /// A GitHub-speaking gateway in front of a GitLab upstream at `upstream_url`.
    pub async fn start(upstream_url: &str) -> TestGateway {
        Self::start_with(upstream_url, "").await
    }

    /// As `start`, with extra config file text (e.g. "[limits]\nmax_body_bytes = 10").
    pub async fn start_with(upstream_url: &str, config_toml: &str) -> TestGateway {
        Self::start_accepting(upstream_url, "github", config_toml).await
    }

    /// A gateway accepting the client dialects `accept` (e.g. "gitlab", for the
    /// same-dialect pass-through) in front of a GitLab upstream.
    pub async fn start_accepting(
        upstream_url: &str,
        accept: &str,
        config_toml: &str,
    ) -> TestGateway {
        Self::start_pair(accept, "gitlab", upstream_url, config_toml).await
    }

    /// A gateway accepting `accept` in front of an upstream speaking `upstream`.
    pub async fn start_pair(
        accept: &str,
        upstream: &str,
        upstream_url: &str,
        config_toml: &str,
    ) -> TestGateway {
        Self::start_pair_in(&mappings_dir(), accept, upstream, upstream_url, config_toml).await
    }

    /// As `start_pair`, with the mapping files of `dir`.
    pub async fn start_pair_in(
        dir: &std::path::Path,
        accept: &str,
        upstream: &str,
        upstream_url: &str,
        config_toml: &str,
    ) -> TestGateway {
        let flags = Flags {
            listen: Some("127.0.0.1:0".into()),
            accept: Some(accept.into()),
            upstream: Some(format!("{upstream}={upstream_url}")),
            mappings: Some(dir.to_path_buf()),
            ..Flags::default()
        };
        let mut cfg = config::resolve(Some(("test.toml", config_toml)), &flags, &|_| None)
            .expect("test config");
        let listener = server::bind(cfg.listen).await.expect("bind");
        cfg.listen = listener.local_addr().expect("local addr");
        let grace = cfg.shutdown_grace;
        let maps = Mappings::load_dir(dir).expect("the mappings compile");
        let gw = Arc::new(Gateway::new(cfg, &maps).expect("gateway"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let g = gw.clone();
        let task = tokio::spawn(async move {
            server::serve(
                listener,
                g,
                None,
                async {
                    let _ = rx.await;
                },
                grace,
            )
            .await;
        });
        let addr = gw.cfg.listen;
        TestGateway {
            url: format!("http://{addr}"),
            addr,
            gateway: gw,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops accepting and waits for in-flight requests (bounded by the grace period).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    /// The body as text (lossy), for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `rel="next"` target of the `Link` header, if any.
    pub fn next_link(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(", ").find_map(|part| {
            let (target, params) = part.split_once(">;")?;
            params
                .contains("rel=\"next\"")
                .then(|| target.trim_start_matches('<').to_owned())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one HTTP/1.1 request. `headers` are (name, value) pairs.
pub async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut b = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .expect("the gateway answers within 20 s")
        .expect("request sent");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Resp {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

pub async fn get(url: &str) -> Resp {
    call("GET", url, &[], "").await
}

/// A GitHub client's "get release v1.0.0 of o/r" through `gw`.
pub async fn get_v1(gw: &TestGateway) -> Resp {
    get(&format!("{}/repos/o/r/releases/tags/v1.0.0", gw.url)).await
}

/// Sends a raw request head and body over a fresh connection and returns all
/// the gateway answered before it closed. The gateway may answer and close
/// before the whole body is sent; that is fine.
pub async fn raw_exchange(addr: SocketAddr, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("write head");
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("gateway answers within 5 s");
    String::from_utf8_lossy(&out).into_owned()
}

/// One HTTP/1.1 answer as it came off the wire.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `HEAD path` and then `GET path` on one connection, pipelined, with the
/// same `headers`, and splits what came back at the end of the first answer's
/// head: the HEAD answer's `body` is whatever came between its head and the
/// GET answer's status line (nothing, when the server is right).
pub async fn head_then_get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (RawAnswer, RawAnswer) {
    let fields: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let req = format!(
        "HEAD {path} HTTP/1.1\r\nHost: {addr}\r\n{fields}\r\n\
         GET {path} HTTP/1.1\r\nHost: {addr}\r\n{fields}Connection: close\r\n\r\n"
    );
    let out = raw_exchange(addr, &req, b"").await;
    let split_head = |text: &str| -> (u16, Vec<(String, String)>, usize) {
        let end = text.find("\r\n\r\n").expect("an answer head") + 4;
        let mut lines = text[..end - 4].split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(':').expect("header line");
                (k.to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        (status, headers, end)
    };
    let (status, h, end) = split_head(&out);
    let rest = &out[end..];
    let next = rest.find("HTTP/1.1 ").unwrap_or(rest.len());
    let head = RawAnswer {
        status,
        headers: h,
        body: rest.as_bytes()[..next].to_vec(),
    };
    let rest = &rest[next..];
    let (status, h, end) = split_head(rest);
    let get = RawAnswer {
        status,
        headers: h,
        body: rest.as_bytes()[end..].to_vec(),
    };
    (head, get)
}

/// `body` in HTTP/1.1 chunked framing, `piece` bytes per chunk.
pub fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
