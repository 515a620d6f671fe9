//! The listener as a client sees it: HTTP/2 with prior knowledge, TLS with
//! HTTP/1.1 and h2 by ALPN, graceful shutdown on SIGTERM and SIGINT, and the
//! request log line.

mod support;

use bytes::Bytes;
use http::{Method, Request, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake::{FakeUpstream, Reply};
use support::gateway::{call, mappings_dir, TestGateway};
use support::tmp::TempDir;
use support::{fixtures, schema};
use support::{until_listening, NotListening};

const LIST_PATH: &str = "/repos/octocat/hello/releases";
const UPSTREAM_LIST: &str = "/api/v4/projects/octocat%2Fhello/releases";

// ---------------------------------------------------------------- helpers

/// The gateway binary as a child process; killed on drop. Its stderr is
/// collected in the background.
struct Gw {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    _cwd: TempDir,
}

impl Gw {
    /// `serve` on a free loopback port in front of `upstream`, from an empty
    /// working directory (no config file), with `extra` arguments and `RUST_LOG`.
    /// The port is one the system just gave out; if another process takes it
    /// before the gateway binds it, the gateway is started again on another.
    async fn serve(upstream: &str, extra: &[&str], rust_log: &str) -> Gw {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut gw = Gw::spawn(upstream, extra, rust_log);
            match gw.wait_listening().await {
                Ok(()) => return gw,
                Err(text) if attempts < 5 && text.contains("in use") => continue,
                Err(text) => panic!("forgebridge did not start:\n{text}"),
            }
        }
    }

    fn spawn(upstream: &str, extra: &[&str], rust_log: &str) -> Gw {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let cwd = TempDir::new("cwd");
        let listen = addr.to_string();
        let mut cmd = support::forgebridge_command(
            cwd.path(),
            &["serve", "--listen", &listen, "--accept", "github"],
        );
        cmd.arg("--upstream")
            .arg(format!("gitlab={upstream}"))
            .arg("--mappings")
            .arg(mappings_dir())
            .args(extra)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn forgebridge");
        let mut pipe = child.stderr.take().expect("stderr pipe");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("stderr lock")
                    .extend_from_slice(&buf[..n]);
            }
        });
        Gw {
            child,
            addr,
            stderr,
            reader: Some(reader),
            _cwd: cwd,
        }
    }

    /// Waits until the gateway itself listens on its port (a socket of this
    /// process, not whatever else may have taken the port). If the gateway
    /// exits first, gives its exit status and everything it wrote to stderr.
    async fn wait_listening(&mut self) -> Result<(), String> {
        match until_listening(&mut self.child, self.addr.port()).await {
            Ok(()) => Ok(()),
            Err(NotListening::Exited(st)) => {
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                Err(format!(
                    "forgebridge exited ({st}) before listening:\n{}",
                    self.stderr_text()
                ))
            }
            Err(NotListening::TimedOut) => panic!(
                "forgebridge did not listen on {} in time:\n{}",
                self.addr,
                self.stderr_text()
            ),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} failed");
    }

    /// Waits for the process to exit, at most `limit`.
    async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "forgebridge still running after {limit:?}:\n{}",
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr lock")).into_owned()
    }
}

impl Drop for Gw {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn seed_list() -> Value {
    fixtures::gitlab_list()
}

async fn start_list_upstream(delay: Duration) -> FakeUpstream {
    FakeUpstream::builder()
        .route(
            "GET",
            UPSTREAM_LIST,
            Reply::json(200, &seed_list()).with_delay(delay),
        )
        .start()
        .await
}

/// The one upstream request, checked against the GitLab API description.
fn assert_one_list_request(fake: &FakeUpstream) -> support::fake::Recorded {
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    schema::gitlab_path(&reqs[0].method, &reqs[0].path_and_query).expect("upstream path");
    assert_eq!(
        reqs[0].path_and_query,
        format!("{UPSTREAM_LIST}?page=1&per_page=30")
    );
    reqs[0].clone()
}

fn assert_release_list(body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body).expect("JSON body");
    schema::github_release_list(&v).expect("GitHub release list");
    assert_eq!(
        v.as_array().expect("array").len(),
        seed_list().as_array().expect("array").len()
    );
    v
}

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM files.
struct Cert {
    der: rustls::pki_types::CertificateDer<'static>,
    cert: PathBuf,
    key: PathBuf,
    _dir: TempDir,
}

fn mint_cert() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("self-signed certificate");
    let dir = TempDir::new("tls");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).expect("write cert");
    std::fs::write(&key, ck.key_pair.serialize_pem()).expect("write key");
    Cert {
        der: ck.cert.der().clone(),
        cert,
        key,
        _dir: dir,
    }
}

/// A client TLS config trusting only `cert`, offering `alpn`.
fn tls_client_config(cert: &Cert, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).expect("add root");
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    cfg
}

async fn tls_gateway(fake: &FakeUpstream, cert: &Cert) -> Gw {
    let (c, k) = (
        cert.cert.display().to_string(),
        cert.key.display().to_string(),
    );
    Gw::serve(&fake.url(), &["--tls-cert", &c, "--tls-key", &k], "info").await
}

/// A TLS connection to the gateway with the given SNI name and ALPN offer.
async fn tls_connect(
    addr: SocketAddr,
    cert: &Cert,
    server_name: &str,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_client_config(cert, alpn)));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tcp connect");
    let name =
        rustls::pki_types::ServerName::try_from(server_name.to_owned()).expect("server name");
    tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp))
        .await
        .expect("handshake in time")
        .expect("TLS handshake")
}

// ---------------------------------------------------------------- HTTP/2 and TLS

#[tokio::test]
async fn h2c_with_prior_knowledge() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let gw = TestGateway::start(&fake.url()).await;
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let req = Request::get(format!("{}{LIST_PATH}", gw.url))
        .body(Empty::new())
        .expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(5), client.request(req))
        .await
        .expect("answer in time")
        .expect("h2c request");
    assert_eq!(resp.version(), Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_release_list(&body);
    assert_one_list_request(&fake);
    gw.stop().await;
}

#[tokio::test]
async fn h2c_serves_concurrent_streams_on_one_connection() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            UPSTREAM_LIST,
            Reply::json(200, &seed_list()).with_delay(Duration::from_millis(200)),
        )
        .start()
        .await;
    let gw = TestGateway::start(&fake.url()).await;
    let tcp = tokio::net::TcpStream::connect(gw.addr)
        .await
        .expect("connect");
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let mut send = send.clone();
        let url = format!("{}{LIST_PATH}", gw.url);
        tasks.push(tokio::spawn(async move {
            let req = Request::get(url)
                .body(Empty::<Bytes>::new())
                .expect("request");
            let resp = send.send_request(req).await.expect("stream");
            let status = resp.status();
            let body = resp.into_body().collect().await.expect("body").to_bytes();
            (status, body)
        }));
    }
    for t in tasks {
        let (status, body) = tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .expect("in time")
            .expect("task");
        assert_eq!(status, 200);
        assert_release_list(&body);
    }
    // Four 200 ms upstream answers in parallel streams, not one after another.
    assert!(
        start.elapsed() < Duration::from_millis(750),
        "{:?}",
        start.elapsed()
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        schema::gitlab_path(&r.method, &r.path_and_query).expect("upstream path");
    }
    gw.stop().await;
}

#[tokio::test]
async fn tls_http1_with_hyper_rustls() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_client_config(&cert, &[]))
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let port = gw.addr.port();
    let req = Request::get(format!("https://127.0.0.1:{port}{LIST_PATH}"))
        .body(Empty::new())
        .expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(5), client.request(req))
        .await
        .expect("answer in time")
        .expect("TLS request");
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v = assert_release_list(&body);
    // With TLS the gateway's own URLs are https ones.
    let url = v[0]["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("https://127.0.0.1:{port}{LIST_PATH}/")),
        "{url}"
    );
    assert_one_list_request(&fake);
}

#[tokio::test]
async fn tls_h2_negotiated_by_alpn_with_hyper_rustls() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_client_config(&cert, &[]))
        .https_only()
        .enable_all_versions()
        .build();
    // No http2_only: the client speaks h2 only because ALPN chose it.
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let req = Request::get(format!("https://127.0.0.1:{}{LIST_PATH}", gw.addr.port()))
        .body(Empty::new())
        .expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(5), client.request(req))
        .await
        .expect("answer in time")
        .expect("TLS request");
    assert_eq!(resp.version(), Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_release_list(&body);
    assert_one_list_request(&fake);
}

#[tokio::test]
async fn tls_alpn_prefers_h2_and_serves_it() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    // Offered in the client's order http/1.1 first: the server still picks h2.
    let tls = tls_connect(gw.addr, &cert, "localhost", &[b"http/1.1", b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let req = Request::get(format!("https://localhost:{}{LIST_PATH}", gw.addr.port()))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let resp = send.send_request(req).await.expect("h2 request");
    assert_eq!(resp.version(), Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_release_list(&body);
    assert_one_list_request(&fake);
}

#[tokio::test]
async fn tls_h2_head_has_the_get_answers_length_and_no_data() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    let tls = tls_connect(gw.addr, &cert, "localhost", &[b"h2"]).await;
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    let url = format!("https://localhost:{}{LIST_PATH}", gw.addr.port());
    let mut answers = Vec::new();
    for method in [Method::GET, Method::HEAD] {
        let req = Request::builder()
            .method(method.clone())
            .uri(&url)
            .body(Empty::<Bytes>::new())
            .expect("request");
        let resp = send.send_request(req).await.expect("h2 request");
        assert_eq!(resp.version(), Version::HTTP_2);
        assert_eq!(resp.status(), 200, "{method}");
        let length = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // HTTP/2 ends a HEAD answer with its HEADERS frame: DATA would be a
        // stream error, and the body could not be read.
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{method} body: {e}"))
            .to_bytes();
        answers.push((length, body));
    }
    let (get_len, get_body) = &answers[0];
    assert_release_list(get_body);
    assert_eq!(
        get_len.as_deref(),
        Some(get_body.len().to_string().as_str())
    );
    let (head_len, head_body) = &answers[1];
    assert!(head_body.is_empty(), "{} bytes", head_body.len());
    assert_eq!(head_len, get_len);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.method == "GET"), "{reqs:?}");
}

#[tokio::test]
async fn tls_alpn_http1_only() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    let tls = tls_connect(gw.addr, &cert, "127.0.0.1", &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("h1 handshake");
    tokio::spawn(conn);
    let req = Request::get(LIST_PATH)
        .header("host", format!("127.0.0.1:{}", gw.addr.port()))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let resp = send.send_request(req).await.expect("h1 request");
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    assert_release_list(&body);
    assert_one_list_request(&fake);
}

#[tokio::test]
async fn tls_port_refuses_plain_http() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let cert = mint_cert();
    let gw = tls_gateway(&fake, &cert).await;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = Request::get(format!("{}{LIST_PATH}", gw.url()))
        .body(Full::default())
        .expect("request");
    let r = tokio::time::timeout(Duration::from_secs(5), client.request(req))
        .await
        .expect("in time");
    assert!(
        r.is_err(),
        "plain HTTP on the TLS port must fail, got {:?}",
        r.map(|x| x.status())
    );
    assert_eq!(fake.request_count(), 0);
}

// ---------------------------------------------------------------- graceful shutdown

/// Starts a slow request, signals the gateway while it is in flight, and checks
/// that it completes, that new connections are refused and that the process exits 0.
async fn graceful_shutdown_on(sig: &str) {
    let fake = start_list_upstream(Duration::from_millis(1000)).await;
    let mut gw = Gw::serve(&fake.url(), &[], "info").await;
    let url = format!("{}{LIST_PATH}", gw.url());
    let inflight = tokio::spawn(async move { call("GET", &url, &[], "").await });

    // Wait until the request has reached the upstream (it is then in flight).
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.request_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the request never reached the upstream"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gw.signal(sig);

    // New connections are refused while the in-flight request is still running.
    // An attempt that meets the listener as it closes can go unanswered: the
    // client hears the refusal only when it sends its SYN again, a second
    // later (about one run of this test in thirty). So an attempt is given up
    // after 100 ms (on loopback an open listener answers in microseconds)
    // and the next one is refused at once.
    let deadline = Instant::now() + Duration::from_millis(700);
    loop {
        let attempt = tokio::net::TcpStream::connect(gw.addr);
        if let Ok(Err(_)) = tokio::time::timeout(Duration::from_millis(100), attempt).await {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIG{sig}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !inflight.is_finished(),
        "the in-flight request ended before the listener closed"
    );

    let r = tokio::time::timeout(Duration::from_secs(5), inflight)
        .await
        .expect("in-flight request completes")
        .expect("task");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_release_list(&r.body);
    assert_one_list_request(&fake);

    let st = gw.wait_exit(Duration::from_secs(5)).await;
    assert_eq!(
        st.code(),
        Some(0),
        "exit status {st}; stderr:\n{}",
        gw.stderr_text()
    );
    let log = gw.stderr_text();
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.trim_end().ends_with("stopped"), "{log}");
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_0() {
    graceful_shutdown_on("TERM").await;
}

#[tokio::test]
async fn sigint_finishes_in_flight_requests_and_exits_0() {
    graceful_shutdown_on("INT").await;
}

#[tokio::test]
async fn idle_gateway_exits_promptly_on_sigterm() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let mut gw = Gw::serve(&fake.url(), &[], "info").await;
    let start = Instant::now();
    gw.signal("TERM");
    let st = gw.wait_exit(Duration::from_secs(3)).await;
    assert_eq!(st.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------- logs

fn request_lines<'a>(log: &'a str, rid: &str) -> Vec<&'a str> {
    let needle = format!("request_id={rid} ");
    log.lines().filter(|l| l.contains(&needle)).collect()
}

#[tokio::test]
async fn info_log_has_one_line_per_request_without_credentials() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let mut gw = Gw::serve(&fake.url(), &[], "info").await;
    let r = call(
        "GET",
        &format!("{}{LIST_PATH}", gw.url()),
        &[
            ("Authorization", "token SECRET123"),
            ("X-Request-Id", "test-req-1"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-request-id"), Some("test-req-1"));
    assert_release_list(&r.body);

    let up = assert_one_list_request(&fake);
    assert_eq!(up.header("x-request-id"), Some("test-req-1"));
    // The credential does travel upstream, in GitLab's header.
    assert_eq!(up.header("private-token"), Some("SECRET123"));

    gw.signal("TERM");
    let st = gw.wait_exit(Duration::from_secs(5)).await;
    assert!(st.success());
    let log = gw.stderr_text();
    let lines = request_lines(&log, "test-req-1");
    assert_eq!(lines.len(), 1, "{log}");
    let line = lines[0];
    for want in [
        " INFO ",
        "client=\"github\"",
        "op=\"list\"",
        "method=GET",
        &format!("path={LIST_PATH}"),
        "upstream_status=200",
        "status=200",
        "latency_us=",
    ] {
        assert!(line.contains(want), "`{want}` missing from: {line}");
    }
    assert!(
        !log.contains("SECRET123"),
        "the credential leaked into the log:\n{log}"
    );
    // Logs go to a pipe here: plain text, no terminal colour codes.
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a non-terminal log:\n{log}"
    );
}

#[tokio::test]
async fn gateway_generates_a_request_id_when_none_is_given() {
    let fake = start_list_upstream(Duration::ZERO).await;
    let mut gw = Gw::serve(&fake.url(), &[], "info").await;
    let r = call(
        "GET",
        &format!("{}{LIST_PATH}", gw.url()),
        &[("X-Request-Id", "bad id with spaces")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    let rid = r.header("x-request-id").expect("x-request-id").to_owned();
    assert!(!rid.is_empty() && rid != "bad id with spaces", "{rid}");
    let up = assert_one_list_request(&fake);
    assert_eq!(up.header("x-request-id"), Some(rid.as_str()));
    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(5)).await.success());
    assert_eq!(
        request_lines(&gw.stderr_text(), &rid).len(),
        1,
        "{}",
        gw.stderr_text()
    );
}

#[tokio::test]
async fn warn_level_suppresses_the_request_line_but_not_failures() {
    let fake = FakeUpstream::builder()
        .route("GET", UPSTREAM_LIST, Reply::json(200, &seed_list()))
        .route(
            "GET",
            "/api/v4/projects/octocat%2Fhello/releases/v9",
            Reply::json(404, &serde_json::json!({"message": "404 Not found"})),
        )
        .start()
        .await;
    let mut gw = Gw::serve(&fake.url(), &[], "warn").await;
    let ok = call(
        "GET",
        &format!("{}{LIST_PATH}", gw.url()),
        &[("X-Request-Id", "test-req-1")],
        "",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_release_list(&ok.body);
    let missing = call(
        "GET",
        &format!("{}{LIST_PATH}/tags/v9", gw.url()),
        &[("X-Request-Id", "test-req-2")],
        "",
    )
    .await;
    assert_eq!(missing.status, 404);
    schema::github_basic_error(&missing.json()).expect("GitHub basic error");
    for r in fake.requests() {
        schema::gitlab_path(&r.method, &r.path_and_query).expect("upstream path");
    }

    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(5)).await.success());
    let log = gw.stderr_text();
    assert!(request_lines(&log, "test-req-1").is_empty(), "{log}");
    assert!(!log.contains(" INFO "), "{log}");
    let failed = request_lines(&log, "test-req-2");
    assert_eq!(failed.len(), 1, "{log}");
    assert!(
        failed[0].contains(" WARN ") && failed[0].contains("status=404"),
        "{}",
        failed[0]
    );
}
