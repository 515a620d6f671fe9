//! Upstream answers damaged in many ways, through the translation alone: the
//! seed releases (GitLab's from the seed docs; for GitLab clients, GitHub's own
//! example) with each value replaced by every other kind of JSON value or
//! removed, in both directions. Every variant either translates into a body the client's official
//! schema accepts, or is refused as a bad upstream answer (a 502 to the
//! client). None panics, and none becomes a release of the wrong types or
//! without a required field in the client's dialect.
//!
//! The same for client bodies (each is refused as the client's error or becomes
//! a body the upstream's schema accepts), for damaged paging headers, and for
//! upstream error answers (each becomes an error the client's schema accepts).
//!
//! One kind of schema error is expected: `format`. Strings are passed on as the
//! upstream wrote them (a `created_at` of `"x"` stays `"x"`), and fields the
//! upstream lacks get the documented values (an author without a profile page
//! gets `"html_url": ""`).

mod support;

use forgebridge::canonical::{ErrorKind, Op};
use forgebridge::error::encode_error;
use forgebridge::mapping::{Dialect, Mappings};
use forgebridge::translate::paging::PageReq;
use forgebridge::translate::write::Ctx;
use forgebridge::translate::{
    decode_body, decode_upstream_error, encode_request, translate_success, OutboundArgs,
    ResponseArgs,
};
use http::HeaderMap;
use serde_json::{json, Value};
use support::fixtures::{self, altered, places};
use support::schema;

const API: &str = "http://gateway.test";

/// What became of one upstream body.
enum Outcome {
    /// Translated; the client's body.
    Body(Value),
    /// Refused as a bad upstream answer.
    Refused,
}

/// The first page (30 per page) of a client's request.
const FIRST_PAGE: PageReq = PageReq {
    page: 1,
    per_page: Some(30),
    cursor: None,
};

/// What the response side knows of a request for `op` on project `o/r`, made
/// by a client of `c` in front of an upstream of `u`.
fn response_args<'a>(
    c: &'a Dialect,
    u: &'a Dialect,
    op: Op,
    page: &'a PageReq,
) -> ResponseArgs<'a> {
    ResponseArgs {
        client: c,
        client_route: c.routes_for(op).next().expect("client route"),
        upstream: u,
        upstream_route: u.routes_for(op).next().expect("upstream route"),
        ctx: Ctx {
            api: API,
            upstream: "http://upstream.test",
            owner: "o",
            repo: "r",
            project: "o/r",
        },
        upstream_project: "o/r",
        public_base: API,
        raw_path: "/repos/o/r/releases",
        raw_query: "",
        page,
    }
}

/// Translates `body`, the upstream's answer to `op`, for a client of `client`.
/// Panics (naming the body) on anything but a JSON body or a bad-upstream refusal.
fn translate(maps: &Mappings, client: &str, upstream: &str, op: Op, body: &[u8]) -> Outcome {
    let c = maps.get(client).expect("client dialect");
    let u = maps.get(upstream).expect("upstream dialect");
    let args = response_args(c, u, op, &FIRST_PAGE);
    let text = String::from_utf8_lossy(body);
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        translate_success(&args, &HeaderMap::new(), body)
    }));
    match run {
        Err(_) => panic!("translation panicked on {text}"),
        Ok(Err(e)) => {
            assert_eq!(e.kind, ErrorKind::BadUpstreamResponse, "{e:?} on {text}");
            Outcome::Refused
        }
        Ok(Ok(r)) => {
            let out = String::from_utf8(r.body).unwrap_or_else(|e| panic!("{e} on {text}"));
            Outcome::Body(serde_json::from_str(&out).unwrap_or_else(|e| {
                panic!("translated body is not JSON ({e}): {out}\nfrom {text}")
            }))
        }
    }
}

/// Accepts a schema report whose every problem is a string's `format`.
fn only_formats(report: String) -> Result<(), String> {
    let problems = report.lines().skip(1);
    let format = |l: &str| l.contains("is not a \"uri\"") || l.contains("is not a \"date-time\"");
    if problems.clone().all(format) {
        Ok(())
    } else {
        Err(report)
    }
}

/// Every value kind, each as it could stand in for any field.
fn stand_ins() -> Vec<Option<Value>> {
    vec![
        None,
        Some(Value::Null),
        Some(json!(0)),
        Some(json!(-1.5e300)),
        Some(json!(true)),
        Some(json!("")),
        Some(json!("x\"\\\u{1}é")),
        Some(json!([])),
        Some(json!([1])),
        Some(json!({})),
        Some(json!({"k": 1})),
    ]
}

/// Runs every value-level alteration of `seed` through `client` ← `upstream`
/// for `op`; each translated body must pass `valid`, and both outcomes must
/// occur many times (so the checks are exercised, not bypassed).
fn every_alteration(
    client: &str,
    upstream: &str,
    op: Op,
    seed: &Value,
    valid: fn(&Value) -> Result<(), String>,
) {
    let maps = support::gateway::mappings();
    let seed_body = serde_json::to_vec(seed).expect("serialize");
    match translate(&maps, client, upstream, op, &seed_body) {
        Outcome::Body(b) => valid(&b).unwrap_or_else(|e| panic!("the seed itself: {e}")),
        Outcome::Refused => panic!("the seed itself is refused"),
    }
    let mut at = Vec::new();
    places(seed, String::new(), &mut at);
    let (mut ok, mut refused) = (0, 0);
    for p in &at {
        for w in stand_ins() {
            let v = altered(seed, p, w.as_ref());
            let body = serde_json::to_vec(&v).expect("serialize");
            match translate(&maps, client, upstream, op, &body) {
                Outcome::Body(b) => {
                    if let Err(e) = valid(&b).or_else(only_formats) {
                        panic!(
                            "{p} = {}: translated into a body the client's schema refuses:\n{e}\n{b:#}",
                            w.map_or("(removed)".to_owned(), |w| w.to_string())
                        );
                    }
                    ok += 1;
                }
                Outcome::Refused => refused += 1,
            }
        }
    }
    assert!(
        ok > 100 && refused > 10,
        "{ok} translated, {refused} refused"
    );
}

#[test]
fn altered_gitlab_release_becomes_a_valid_github_release_or_a_refusal() {
    let seed = fixtures::gitlab_release("v1.0");
    every_alteration("github", "gitlab", Op::Get, &seed, schema::github_release);
}

#[test]
fn altered_gitlab_list_becomes_a_valid_github_list_or_a_refusal() {
    let seed = fixtures::gitlab_list();
    every_alteration(
        "github",
        "gitlab",
        Op::List,
        &seed,
        schema::github_release_list,
    );
}

/// The other direction, GitHub upstream answers for GitLab clients: each
/// variant of GitHub's own example (the seed doc's lacks the required
/// `browser_download_url`) becomes a release GitLab's schema accepts, or is refused.
#[test]
fn altered_github_release_becomes_a_valid_gitlab_release_or_a_refusal() {
    let seed = schema::github_example("release");
    every_alteration("gitlab", "github", Op::Get, &seed, schema::gitlab_release);
}

#[test]
fn altered_github_list_becomes_a_valid_gitlab_list_or_a_refusal() {
    let seed = schema::github_example("release-items");
    every_alteration(
        "gitlab",
        "github",
        Op::List,
        &seed,
        schema::gitlab_release_list,
    );
}

/// A GitHub create or edit body, each value altered as above: refused as the
/// client's error (400, 422, or 501 for what GitLab cannot do), or sent to
/// GitLab as a body its API description accepts.
#[test]
fn altered_github_write_bodies_are_refused_or_become_valid_gitlab_bodies() {
    let maps = support::gateway::mappings();
    let gh = maps.get("github").expect("github");
    let gl = maps.get("gitlab").expect("gitlab");
    let page = PageReq {
        page: 1,
        per_page: None,
        cursor: None,
    };
    for (op, file, valid) in [
        (
            Op::Create,
            "github/create_request.json",
            schema::gitlab_create_request as fn(&Value) -> Result<(), String>,
        ),
        (
            Op::Update,
            "github/edit_request.json",
            schema::gitlab_update_request,
        ),
    ] {
        let croute = gh.routes_for(op).next().expect("client route");
        let uroute = gl.routes_for(op).next().expect("upstream route");
        let seed = fixtures::load(file);
        let mut at = Vec::new();
        places(&seed, String::new(), &mut at);
        let mut variants = vec![seed.clone(), json!({}), json!([]), json!(null), json!("x")];
        for p in &at {
            for w in stand_ins() {
                variants.push(altered(&seed, p, w.as_ref()));
            }
        }
        let (mut sent, mut refused) = (0, 0);
        for v in variants {
            let body = serde_json::to_vec(&v).expect("serialize");
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let rec = decode_body(gh, croute, &body)?;
                let args = OutboundArgs {
                    project: "o/r",
                    tag: Some("v1.0.0"),
                    id: None,
                    asset: None,
                    page: &page,
                    body: rec.as_ref(),
                    token: None,
                };
                encode_request(gl, uroute, &args)
            }));
            match run {
                Err(_) => panic!("{op:?} panicked on {v}"),
                Ok(Err(e)) => {
                    let status = gh.errors.status_of(e.kind);
                    assert!(
                        [400, 422, 501].contains(&status),
                        "{op:?} {v}: {status} {e:?}"
                    );
                    refused += 1;
                }
                Ok(Ok(out)) => {
                    let up: Value = serde_json::from_slice(&out.body.expect("a body"))
                        .unwrap_or_else(|e| panic!("{op:?} {v}: upstream body not JSON: {e}"));
                    if let Err(e) = valid(&up) {
                        panic!("{op:?} {v} became a body GitLab refuses:\n{e}\n{up:#}");
                    }
                    sent += 1;
                }
            }
        }
        assert!(
            sent > 10 && refused > 10,
            "{op:?}: {sent} sent, {refused} refused"
        );
    }
}

/// GitLab's paging headers damaged: a page number that is not a positive
/// integer names no page, so no `Link` is made of it; GitLab's own `Link`
/// gives only its page number, on the gateway's address.
#[test]
fn damaged_paging_headers_make_no_link_to_a_page_that_is_not_one() {
    let maps = support::gateway::mappings();
    let c = maps.get("github").expect("github");
    let u = maps.get("gitlab").expect("gitlab");
    let body = serde_json::to_vec(&fixtures::gitlab_list()).expect("serialize");
    let next = |p: &str| format!("<{API}/repos/o/r/releases?page={p}>; rel=\"next\"");
    let cases: [(&str, &str, Option<String>); 10] = [
        ("x-next-page", "2", Some(next("2"))),
        ("x-next-page", "0", None),
        ("x-next-page", "-2", None),
        ("x-next-page", "2x", None),
        ("x-next-page", "2&per_page=1", None),
        ("x-next-page", "99999999999999999999999", None),
        ("x-total-pages", "abc", None),
        ("x-total-pages", "-1", None),
        (
            "link",
            "<http://elsewhere.test/x?page=2>; rel=\"next\"",
            Some(next("2")),
        ),
        ("link", "garbage", None),
    ];
    for (k, v, want) in cases {
        let mut h = HeaderMap::new();
        h.insert(
            http::HeaderName::from_static(k),
            http::HeaderValue::from_str(v).expect("header value"),
        );
        let args = response_args(c, u, Op::List, &FIRST_PAGE);
        let r = translate_success(&args, &h, &body).expect("translates");
        let link: Vec<&str> = r
            .headers
            .iter()
            .filter(|(n, _)| n == http::header::LINK)
            .map(|(_, v)| v.to_str().expect("ASCII"))
            .collect();
        assert_eq!(
            link,
            want.as_deref().into_iter().collect::<Vec<_>>(),
            "{k}: {v}"
        );
    }
}

/// GitLab error answers of every status, with messages of every shape (a
/// string, an object or array of validation messages, a number, HTML, bytes
/// that are not UTF-8, a very long message, control characters): each becomes
/// a GitHub error body that GitHub's error schemas accept, a client error for a
/// client error (4xx) and 502 or 504 for a server error.
#[test]
fn every_upstream_error_becomes_a_valid_github_error() {
    let maps = support::gateway::mappings();
    let gh = maps.get("github").expect("github");
    let gl = maps.get("gitlab").expect("gitlab");
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"message":"404 Release Not Found"}"#.to_vec(),
        br#"{"message":{"name":["has already been taken"],"tag":["x"]}}"#.to_vec(),
        br#"{"message":["a","b"]}"#.to_vec(),
        br#"{"message":5}"#.to_vec(),
        br#"{"message":null,"error":"invalid_token"}"#.to_vec(),
        br#"{"error":{"a":1}}"#.to_vec(),
        b"<html>oops</html>".to_vec(),
        Vec::new(),
        b"\xff\xfe{".to_vec(),
        b"[1,2]".to_vec(),
        br#""str""#.to_vec(),
        format!(r#"{{"message":"{}"}}"#, "x".repeat(100_000)).into_bytes(),
        br#"{"message":"a\u0000b\"c\\d"}"#.to_vec(),
    ];
    let ctx = Ctx {
        api: API,
        ..Ctx::default()
    };
    for status in [
        400u16, 401, 403, 404, 405, 409, 413, 418, 422, 429, 500, 502, 503, 504, 599,
    ] {
        for b in &bodies {
            for op in [Op::Get, Op::Create, Op::List] {
                let e = decode_upstream_error(gl, op, status, &HeaderMap::new(), b);
                let (to, body) = encode_error(gh, None, &e, &ctx);
                let what = format!(
                    "{op:?} {status} {}",
                    String::from_utf8_lossy(&b[..b.len().min(60)])
                );
                let v: Value = serde_json::from_slice(&body)
                    .unwrap_or_else(|er| panic!("{what}: not JSON ({er})"));
                if let Err(er) =
                    schema::github_basic_error(&v).or_else(|_| schema::github_validation_error(&v))
                {
                    panic!("{what} -> {to}: {er}\n{v:#}");
                }
                let class_kept = if status < 500 {
                    (400..500).contains(&to)
                } else {
                    to == 502 || to == 504
                };
                assert!(class_kept, "{what} -> {to}");
            }
        }
    }
}
