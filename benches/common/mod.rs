//! Shared by the criterion bench and `examples/translate_count.rs`: bench data,
//! the gateway's translation of one list response, and a hand-written serde
//! mapping of the same pair (borrowed `&RawValue` leaves) that produces the
//! same bytes.
#![allow(dead_code)]

use forgebridge::canonical::{synthetic_id, Op};
use forgebridge::mapping::{Dialect, Mappings};
use forgebridge::translate::paging::PageReq;
use forgebridge::translate::write::Ctx;
use forgebridge::translate::{translate_success, ResponseArgs};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

const API: &str = "http://127.0.0.1:8080";
const OWNER: &str = "bench";
const REPO: &str = "repo";
const PROJECT: &str = "bench/repo";

pub fn data(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/out/data");
    let p = dir.join(name);
    if !p.exists() {
        let ok = std::process::Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_data.py"))
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "bench/gen_data.py failed");
    }
    std::fs::read(&p).expect("bench data")
}

pub struct Pair {
    client: std::sync::Arc<Dialect>,
    upstream: std::sync::Arc<Dialect>,
}

impl Pair {
    pub fn new(m: &Mappings, client: &str, upstream: &str) -> Pair {
        Pair {
            client: m.get(client).expect("client dialect").clone(),
            upstream: m.get(upstream).expect("upstream dialect").clone(),
        }
    }

    pub fn translate(&self, body: &[u8], headers: &HeaderMap) -> Vec<u8> {
        let croute = self
            .client
            .routes_for(Op::List)
            .next()
            .expect("client list route");
        let uroute = self
            .upstream
            .routes_for(Op::List)
            .next()
            .expect("upstream list route");
        let page = PageReq {
            page: 1,
            per_page: Some(100),
            cursor: None,
        };
        let args = ResponseArgs {
            client: &self.client,
            client_route: croute,
            upstream: &self.upstream,
            upstream_route: uroute,
            ctx: Ctx {
                api: API,
                upstream: "http://127.0.0.1:9090",
                owner: OWNER,
                repo: REPO,
                project: PROJECT,
            },
            upstream_project: PROJECT,
            public_base: API,
            raw_path: "/repos/bench/repo/releases",
            raw_query: "per_page=100",
            page: &page,
        };
        translate_success(&args, headers, body)
            .expect("translates")
            .body
    }
}

// ---------------------------------------------------------------- hand-written

#[derive(Deserialize)]
struct Rel<'a> {
    #[serde(borrow)]
    tag_name: &'a RawValue,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    description: Option<&'a RawValue>,
    #[serde(borrow, default)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow, default)]
    released_at: Option<&'a RawValue>,
    #[serde(borrow, default)]
    author: Option<Author<'a>>,
    #[serde(borrow, default)]
    commit: Option<Commit<'a>>,
    #[serde(borrow, default, rename = "_links")]
    links: Option<Links<'a>>,
    #[serde(borrow, default)]
    assets: Option<Assets<'a>>,
}

#[derive(Deserialize)]
struct Author<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    username: Option<&'a RawValue>,
    #[serde(borrow, default)]
    avatar_url: Option<&'a RawValue>,
    #[serde(borrow, default)]
    web_url: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Links<'a> {
    #[serde(borrow, default, rename = "self")]
    this: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Assets<'a> {
    #[serde(borrow, default)]
    sources: Vec<Source<'a>>,
    #[serde(borrow, default)]
    links: Vec<Link<'a>>,
}

#[derive(Deserialize)]
struct Source<'a> {
    #[serde(borrow)]
    format: Cow<'a, str>,
    #[serde(borrow)]
    url: &'a RawValue,
}

#[derive(Deserialize)]
struct Link<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    url: Option<&'a RawValue>,
}

fn text(r: &RawValue) -> Cow<'_, str> {
    let s = r.get();
    if s.starts_with('"') {
        if s.contains('\\') {
            Cow::Owned(serde_json::from_str::<String>(s).expect("string"))
        } else {
            Cow::Borrowed(&s[1..s.len() - 1])
        }
    } else {
        Cow::Borrowed(s)
    }
}

fn raw_or(out: &mut Vec<u8>, v: Option<&RawValue>, default: &str) {
    out.extend_from_slice(v.map_or(default, |r| r.get()).as_bytes());
}

pub fn hand_written(body: &[u8]) -> Vec<u8> {
    let rels: Vec<Rel> = serde_json::from_slice(body).expect("list");
    let mut out = Vec::with_capacity(body.len() + body.len() / 2);
    out.push(b'[');
    for (i, r) in rels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let tag = text(r.tag_name);
        let id = synthetic_id(PROJECT, &tag);
        let base = format!("{API}/repos/{OWNER}/{REPO}/releases/{id}");
        let html = match r.links.as_ref().and_then(|l| l.this) {
            Some(h) => h.get().to_owned(),
            None => {
                serde_json::to_string(&format!("http://127.0.0.1:9090/{PROJECT}/-/releases/{tag}"))
                    .expect("s")
            }
        };
        let source = |f: &str| {
            r.assets
                .as_ref()
                .and_then(|a| a.sources.iter().find(|s| s.format == f))
                .map_or("null", |s| s.url.get())
        };
        write!(
            out,
            r#"{{"url":"{base}","html_url":{html},"assets_url":"{base}/assets","upload_url":"{base}/assets{{?name,label}}","tarball_url":{},"zipball_url":{},"id":{id},"node_id":"RE_{id}","tag_name":{},"target_commitish":"#,
            source("tar.gz"),
            source("zip"),
            r.tag_name.get()
        )
        .expect("write");
        raw_or(&mut out, r.commit.as_ref().and_then(|c| c.id), "\"\"");
        out.extend_from_slice(b",\"name\":");
        raw_or(&mut out, r.name, "null");
        out.extend_from_slice(b",\"body\":");
        raw_or(&mut out, r.description, "null");
        out.extend_from_slice(b",\"draft\":false,\"prerelease\":false,\"created_at\":");
        raw_or(&mut out, r.created_at, "null");
        out.extend_from_slice(b",\"published_at\":");
        raw_or(&mut out, r.released_at, "null");
        let a = r.author.as_ref();
        let login = a
            .and_then(|a| a.username)
            .map(text)
            .unwrap_or(Cow::Borrowed(""));
        let aid = a.and_then(|a| a.id).map_or("0", |v| v.get());
        out.extend_from_slice(b",\"author\":{\"login\":");
        raw_or(&mut out, a.and_then(|a| a.username), "\"\"");
        let u = format!("{API}/users/{login}");
        write!(out, r#","id":{aid},"node_id":"U_{aid}","avatar_url":"#).expect("write");
        raw_or(&mut out, a.and_then(|a| a.avatar_url), "\"\"");
        write!(out, r#","gravatar_id":"","url":"{u}","html_url":"#).expect("write");
        raw_or(&mut out, a.and_then(|a| a.web_url), "\"\"");
        write!(
            out,
            r#","followers_url":"{u}/followers","following_url":"{u}/following{{/other_user}}","gists_url":"{u}/gists{{/gist_id}}","starred_url":"{u}/starred{{/owner}}{{/repo}}","subscriptions_url":"{u}/subscriptions","organizations_url":"{u}/orgs","repos_url":"{u}/repos","events_url":"{u}/events{{/privacy}}","received_events_url":"{u}/received_events","type":"User","site_admin":false}},"assets":["#
        )
        .expect("write");
        if let Some(assets) = &r.assets {
            for (j, l) in assets.links.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                let lid = l.id.map_or("0", |v| v.get());
                write!(out, r#"{{"url":"{API}/repos/{OWNER}/{REPO}/releases/assets/{lid}","browser_download_url":"#).expect("write");
                raw_or(&mut out, l.url, "\"\"");
                write!(out, r#","id":{lid},"node_id":"RA_{lid}","name":"#).expect("write");
                raw_or(&mut out, l.name, "\"\"");
                out.extend_from_slice(br#","label":"","state":"uploaded","content_type":"application/octet-stream","size":0,"digest":null,"download_count":0,"created_at":"1970-01-01T00:00:00Z","updated_at":"1970-01-01T00:00:00Z","uploader":null}"#);
            }
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
    out
}

pub fn mappings() -> Mappings {
    Mappings::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings")).expect("mappings")
}
