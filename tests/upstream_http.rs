//! The gateway's HTTP/1.1 client against a plain-HTTP upstream that answers
//! byte for byte as scripted: every framing of an answer (length, chunked, the
//! connection's end), interim answers, kept connections and their reuse, an
//! upstream that closes a kept connection, and answers that are not HTTP.
mod support;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::fixtures;
use support::gateway::{call, get_v1, Resp, TestGateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GET_V1: &str = "/api/v4/projects/o%2Fr/releases/v1.0.0";
const LIST: &str = "/api/v4/projects/o%2Fr/releases";

/// What the upstream does with the next request, on whichever connection it comes.
enum Act {
    /// Writes these bytes and waits for the next request on the connection.
    Send(Vec<u8>),
    /// Writes these bytes, then closes the connection.
    SendClose(Vec<u8>),
}

/// One request as received: the connection it came on (0 for the first
/// accepted) and its method and target.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    connection: usize,
    line: String,
}

struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

/// An upstream that answers the n-th request it receives with `acts[n]`, and
/// closes a connection at once when the script has run out.
async fn scripted(acts: Vec<Act>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let acts = Arc::new(Mutex::new(acts.into_iter()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve(s, connection, acts.clone(), log.clone()));
            connection += 1;
        }
    });
    Scripted { url, seen }
}

async fn serve(
    mut s: TcpStream,
    connection: usize,
    acts: Arc<Mutex<std::vec::IntoIter<Act>>>,
    log: Arc<Mutex<Vec<Seen>>>,
) {
    let mut buf = Vec::new();
    loop {
        // One request: its head, then a Content-Length body if any.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buf.len() < end + len {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + len);
        let line = head.lines().next().unwrap_or_default();
        let line = line.trim_end_matches(" HTTP/1.1").to_owned();
        log.lock().expect("log").push(Seen { connection, line });
        let act = acts.lock().expect("script").next();
        match act {
            Some(Act::Send(b)) => {
                if s.write_all(&b).await.is_err() {
                    return;
                }
            }
            Some(Act::SendClose(b)) => {
                let _ = s.write_all(&b).await;
                let _ = s.shutdown().await;
                return;
            }
            None => return,
        }
    }
}

fn release_json(tag: &str) -> String {
    fixtures::gitlab_release(tag).to_string()
}

/// A `Content-Length` answer.
fn answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A chunked answer, in pieces of `piece` bytes.
fn chunked_answer(body: &str, piece: usize) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    for c in body.as_bytes().chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn tag_of(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["tag_name"].clone()
}

/// A GitHub error answer with `status`; its message.
fn error_message(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    r.json()["message"].as_str().expect("message").to_owned()
}

fn lines(seen: &[Seen]) -> Vec<(usize, &str)> {
    seen.iter()
        .map(|s| (s.connection, s.line.as_str()))
        .collect()
}

/// Gets release v1.0.0 through a GitHub gateway `n` times from an upstream
/// scripted with `acts`, checking each answer; the upstream connection each
/// request came on.
async fn get_tag_times(acts: Vec<Act>, n: usize) -> Vec<usize> {
    let up = scripted(acts).await;
    let gw = TestGateway::start(&up.url).await;
    for _ in 0..n {
        assert_eq!(tag_of(&get_v1(&gw).await), "v1.0.0");
    }
    let seen = up.seen();
    let want = format!("GET {GET_V1}");
    assert!(seen.iter().all(|s| s.line == want), "{seen:?}");
    seen.iter().map(|s| s.connection).collect()
}

#[tokio::test]
async fn chunked_answer_is_read_whole_and_translated() {
    let acts = vec![Act::Send(chunked_answer(&release_json("v1.0.0"), 7))];
    assert_eq!(get_tag_times(acts, 1).await, [0]);
}

#[tokio::test]
async fn kept_connection_serves_the_next_requests() {
    let body = release_json("v1.0.0");
    let acts = vec![
        Act::Send(answer("200 OK", &body)),
        Act::Send(chunked_answer(&body, 100)),
        Act::Send(answer("200 OK", &body)),
    ];
    assert_eq!(get_tag_times(acts, 3).await, [0, 0, 0]);
}

#[tokio::test]
async fn answer_ended_by_close_is_read_to_the_end_and_its_connection_not_kept() {
    let body = release_json("v1.0.0");
    let close_delimited = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{body}"
    );
    let acts = vec![
        Act::SendClose(close_delimited.into_bytes()),
        Act::Send(answer("200 OK", &body)),
    ];
    assert_eq!(get_tag_times(acts, 2).await, [0, 1]);
}

#[tokio::test]
async fn connection_close_on_a_sized_answer_is_honoured() {
    let body = release_json("v1.0.0");
    let mut first = answer("200 OK", &body);
    // "connection: close" in the head, but the upstream leaves the socket open.
    let at = first
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head")
        + 2;
    first.splice(at..at, b"connection: close\r\n".iter().copied());
    let acts = vec![Act::Send(first), Act::Send(answer("200 OK", &body))];
    assert_eq!(get_tag_times(acts, 2).await, [0, 1]);
}

#[tokio::test]
async fn interim_answers_are_passed_over() {
    let mut a =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n".to_vec();
    a.extend_from_slice(&answer("200 OK", &release_json("v1.0.0")));
    assert_eq!(get_tag_times(vec![Act::Send(a)], 1).await, [0]);
}

#[tokio::test]
async fn create_after_the_upstream_closed_a_kept_connection_is_sent_once_on_a_new_one() {
    let body = release_json("v1.0.0");
    let up = scripted(vec![
        // Answered with keep-alive, then closed: an idle timeout upstream.
        Act::SendClose(answer("200 OK", &body)),
        Act::Send(answer("201 Created", &body)),
    ])
    .await;
    let gw = TestGateway::start(&up.url).await;
    assert_eq!(tag_of(&get_v1(&gw).await), "v1.0.0");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = call(
        "POST",
        &format!("{}/repos/o/r/releases", gw.url),
        &[("Content-Type", "application/json")],
        r#"{"tag_name":"v1.0.0","name":"v1.0.0","body":"notes"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let get = format!("GET {GET_V1}");
    let post = format!("POST {LIST}");
    assert_eq!(lines(&up.seen()), [(0, get.as_str()), (1, post.as_str())]);
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_502_and_not_sent_again() {
    let up = scripted(vec![
        Act::Send(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()),
        Act::Send(answer("200 OK", &release_json("v1.0.0"))),
    ])
    .await;
    let gw = TestGateway::start(&up.url).await;
    let msg = error_message(&get_v1(&gw).await, 502);
    assert!(msg.contains("GitLab") && msg.contains("HTTP"), "{msg}");
    assert_eq!(up.seen().len(), 1);
}

#[tokio::test]
async fn an_endless_head_is_502() {
    let mut a = b"HTTP/1.1 200 OK\r\nx-filler: ".to_vec();
    a.resize(200 << 10, b'a');
    let up = scripted(vec![Act::SendClose(a)]).await;
    let gw = TestGateway::start(&up.url).await;
    let msg = error_message(&get_v1(&gw).await, 502);
    assert!(msg.contains("GitLab"), "{msg}");
}

#[tokio::test]
async fn a_chunked_answer_cut_short_is_502() {
    let mut a = chunked_answer(&release_json("v1.0.0"), 50);
    a.truncate(a.len() - 40);
    let up = scripted(vec![Act::SendClose(a)]).await;
    let gw = TestGateway::start(&up.url).await;
    let msg = error_message(&get_v1(&gw).await, 502);
    assert!(msg.contains("GitLab"), "{msg}");
}

#[tokio::test]
async fn pass_through_streams_answers_of_every_framing() {
    let big: String = json!(["x".repeat(300_000)]).to_string();
    let close_delimited = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{big}"
    );
    let up = scripted(vec![
        Act::Send(answer("200 OK", &big)),
        Act::Send(chunked_answer(&big, 10_000)),
        Act::SendClose(close_delimited.into_bytes()),
    ])
    .await;
    let gw = TestGateway::start_accepting(&up.url, "gitlab", "").await;
    for _ in 0..3 {
        let r = call("GET", &format!("{}{LIST}", gw.url), &[], "").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body.len(), big.len());
        assert!(r.body == big.as_bytes());
    }
    let conns: Vec<usize> = up.seen().iter().map(|s| s.connection).collect();
    assert_eq!(conns, [0, 0, 0]);
}
