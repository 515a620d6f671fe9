//! An `https://` upstream: reached through hyper-util's client with TLS, over
//! h2 or HTTP/1.1 as ALPN settles, trusting the public roots and the
//! certificates of `upstream.ca_file` — and nothing else.
mod support;

use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::fixtures;
use support::gateway::{get_v1, TestGateway};
use support::tmp::TempDir;

/// A GitLab-speaking upstream over TLS with a self-signed certificate for
/// localhost; answers every request with release v1.0.0.
struct TlsUpstream {
    port: u16,
    /// The certificate, as PEM, for a client to trust.
    ca_pem: String,
    /// (requests, of which over h2)
    seen: Arc<(AtomicUsize, AtomicUsize)>,
    _dir: TempDir,
}

async fn tls_upstream() -> TlsUpstream {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let dir = TempDir::new("upstream-tls");
    let cert = dir.write("cert.pem", &ck.cert.pem());
    let key = dir.write("key.pem", &ck.key_pair.serialize_pem());
    let acceptor = forgebridge::proxy::server::tls_acceptor(&cert, &key).expect("acceptor");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let body = fixtures::gitlab_release("v1.0.0").to_string();
    let counts = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counts = counts.clone();
            let body = body.clone();
            tokio::spawn(async move {
                // A handshake the client refuses ends here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    counts.0.fetch_add(1, Ordering::SeqCst);
                    if req.version() == http::Version::HTTP_2 {
                        counts.1.fetch_add(1, Ordering::SeqCst);
                    }
                    let resp = Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(bytes::Bytes::from(body.clone())))
                        .expect("response");
                    async move { Ok::<_, std::convert::Infallible>(resp) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    TlsUpstream {
        port,
        ca_pem: ck.cert.pem(),
        seen,
        _dir: dir,
    }
}

#[tokio::test]
async fn https_upstream_trusted_through_ca_file_is_reached_over_h2() {
    let up = tls_upstream().await;
    let dir = TempDir::new("ca");
    let ca = dir.write("ca.pem", &up.ca_pem);
    let cfg = format!("[upstream]\nca_file = {:?}\n", ca.display().to_string());
    let gw = TestGateway::start_with(&format!("https://localhost:{}", up.port), &cfg).await;
    for _ in 0..2 {
        let r = get_v1(&gw).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["tag_name"], "v1.0.0");
    }
    assert_eq!(up.seen.0.load(Ordering::SeqCst), 2);
    assert_eq!(up.seen.1.load(Ordering::SeqCst), 2, "ALPN settles on h2");
}

#[tokio::test]
async fn https_upstream_with_an_untrusted_certificate_is_502_naming_the_certificate() {
    let up = tls_upstream().await;
    let gw = TestGateway::start(&format!("https://localhost:{}", up.port)).await;
    let r = get_v1(&gw).await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        msg.contains("GitLab") && msg.contains("certificate"),
        "{msg}"
    );
    assert_eq!(up.seen.0.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn ca_file_that_is_not_pem_is_refused_at_start() {
    let dir = TempDir::new("bad-ca");
    let ca = dir.write("ca.pem", "not a certificate\n");
    let cfg = format!(
        "[upstream]\ndialect = \"gitlab\"\nurl = \"https://localhost:1\"\nca_file = {:?}\n",
        ca.display().to_string()
    );
    let flags = forgebridge::config::Flags {
        accept: Some("github".into()),
        mappings: Some(support::gateway::mappings_dir()),
        ..Default::default()
    };
    let cfg =
        forgebridge::config::resolve(Some(("t.toml", &cfg)), &flags, &|_| None).expect("config");
    let err = forgebridge::proxy::handler::Gateway::new(cfg, &support::gateway::mappings())
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("upstream.ca_file") && msg.contains("no PEM certificate"),
        "{msg}"
    );
}
