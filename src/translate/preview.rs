//! `forgebridge translate`: what the gateway would send upstream for one
//! client request, worked out without sending anything. The request is
//! routed, read and checked as the gateway does it, with the same functions;
//! where the gateway would first have to ask the upstream something (the tag
//! of a release id, the id of a tag, the release that holds an asset, the
//! release a client gets back), that request is shown, and what depends on
//! its answer is a placeholder in braces (`{tag of release 123}`).
//! Credentials are never shown: their values are `***`.

use super::paging::{self, PageReq};
use super::plan::{self, Addressing};
use super::record::Record;
use super::write::Ctx;
use super::{
    decode_body, encode_allowed, extract_token, match_route, refusal, upstream_route, url, Matched,
    OutboundArgs, ReleaseKey,
};
use crate::canonical::{ErrorKind, Op};
use crate::config::Config;
use crate::error::{encode_error, GwError};
use crate::mapping::model::{Dialect, Graphql, RefuseCheck, Route};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use std::fmt::{self, Write as _};

/// One client request.
pub struct Request<'a> {
    pub method: &'a Method,
    /// The path as the client sends it (still percent-encoded).
    pub path: &'a str,
    /// The query as the client sends it, without the `?`.
    pub query: &'a str,
    /// Headers: (name as the client spells it, value).
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// What the gateway would do with a request.
#[derive(Debug)]
pub struct Preview {
    /// `client: …`: the client's dialect, the operation and its parameters.
    pub client: String,
    /// The upstream requests, in the order the gateway sends them.
    pub steps: Vec<Step>,
    /// Notes that no request follows.
    pub notes: Vec<String>,
    /// The answer the client gets instead, where the gateway refuses.
    pub refused: Option<Refusal>,
}

/// One upstream request.
#[derive(Debug)]
pub struct Step {
    /// Why it is sent, or what depends on it (printed as `# …` lines).
    pub notes: Vec<String>,
    pub method: String,
    /// Upstream base URL, path and query.
    pub url: String,
    /// (name, value), credentials masked.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// The gateway's own answer to a request it refuses.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What `request`, from a client of `client`, would become upstream (`up`,
/// at `cfg.upstream_url`).
pub fn preview(cfg: &Config, client: &Dialect, up: &Dialect, request: &Request) -> Preview {
    let mut p = Planner {
        cfg,
        client,
        up,
        line: format!("client: {}", client.title),
        root: "",
        uproject: String::new(),
        token: None,
        file: None,
        steps: Vec::new(),
        notes: Vec::new(),
        marks: Vec::new(),
    };
    let refused = p.run(request).err().map(|e| p.refusal(&e));
    Preview {
        client: p.line,
        steps: p.steps,
        notes: p.notes,
        refused,
    }
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.client)?;
        for s in &self.steps {
            writeln!(f)?;
            for n in &s.notes {
                writeln!(f, "# {n}")?;
            }
            writeln!(f, "{} {}", s.method, s.url)?;
            for (k, v) in &s.headers {
                writeln!(f, "{k}: {v}")?;
            }
            if let Some(b) = &s.body {
                writeln!(f)?;
                writeln!(f, "{}", String::from_utf8_lossy(b))?;
            }
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "# {n}")?;
            }
        }
        if let Some(r) = &self.refused {
            let reason = http::StatusCode::from_u16(r.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            writeln!(f)?;
            writeln!(f, "refused: {} {reason}", r.status)?;
            for (k, v) in &r.headers {
                writeln!(f, "{k}: {v}")?;
            }
            writeln!(f)?;
            writeln!(f, "{}", String::from_utf8_lossy(&r.body))?;
        }
        Ok(())
    }
}

/// A release's tag as a request addresses it: known, or a placeholder for
/// what an upstream answer would tell.
#[derive(Clone, Debug)]
struct Tag {
    /// The tag, or the placeholder in braces.
    text: String,
    known: bool,
}

impl Tag {
    fn known(t: &str) -> Tag {
        Tag {
            text: t.to_owned(),
            known: true,
        }
    }

    /// A placeholder: `what` the gateway would learn, e.g. "tag of release 1".
    fn unknown(what: String) -> Tag {
        Tag {
            text: format!("{{{what}}}"),
            known: false,
        }
    }

    /// The tag in words: "tag v1", or "the tag of release 1".
    fn words(&self) -> String {
        if self.known {
            format!("tag {}", self.text.escape_debug())
        } else {
            format!("the {}", self.text.trim_matches(['{', '}']))
        }
    }
}

/// A release id: known, or a placeholder (its text, braces included).
#[derive(Clone, Debug)]
enum Id {
    Known(u64),
    Unknown(String),
}

/// How a release is named: by the client, or by what a lookup would find.
#[derive(Clone, Debug)]
enum Key {
    None,
    Id(u64),
    Tag(Tag),
}

impl Key {
    fn from_client(k: &ReleaseKey) -> Key {
        match k {
            ReleaseKey::None => Key::None,
            ReleaseKey::Id(i) => Key::Id(*i),
            ReleaseKey::Tag(t) => Key::Tag(Tag::known(t)),
        }
    }

    fn release_key(&self) -> ReleaseKey {
        match self {
            Key::None => ReleaseKey::None,
            Key::Id(i) => ReleaseKey::Id(*i),
            Key::Tag(t) => ReleaseKey::Tag(t.text.clone()),
        }
    }
}

/// How an upstream route is addressed, and whether finding that took a GET
/// of the release itself (whose answer the gateway then uses).
#[derive(Clone, Debug, Default)]
struct Addr {
    tag: Option<Tag>,
    id: Option<Id>,
    looked_up: bool,
}

struct Planner<'a> {
    cfg: &'a Config,
    client: &'a Dialect,
    up: &'a Dialect,
    line: String,
    /// The API root the request came in under, for URLs in error bodies.
    root: &'a str,
    uproject: String,
    token: Option<String>,
    /// An upload's file going across: its name, how the upstream takes it
    /// and its media type, and its bytes.
    file: Option<(plan::FileOut, bytes::Bytes)>,
    steps: Vec<Step>,
    /// Notes for the next request.
    notes: Vec<String>,
    /// Stand-ins in the upstream paths (encoded) and the words shown for them.
    marks: Vec<(String, String)>,
}

impl<'a> Planner<'a> {
    fn run(&mut self, req: &Request) -> Result<(), GwError> {
        if let Some(g) = self
            .client
            .graphql
            .as_ref()
            .filter(|g| req.method == Method::POST && g.paths.iter().any(|p| p == req.path))
        {
            return self.graphql(g, req);
        }
        let m = match_route(self.client, req.method, req.path)?;
        self.root = m.root;
        self.line = client_line(self.client, &m, req.query);
        self.uproject = self.cfg.upstream_project(&m.params.project).to_owned();
        if self.client.name == self.up.name {
            return self.pass_through(&m, req);
        }
        // A project named by a number, where the upstream addresses projects
        // by path: its path first (a client's `project_by_id` is that request).
        if let (Some(n), Some(route), false) = (
            plan::project_number(&m, self.cfg),
            plan::number_route(self.up),
            m.route.op == Op::ProjectById,
        ) {
            self.token = extract_token(self.client, &header_map(req), req.query);
            let answered = plan::number_answers(self.up, m.route.op);
            self.notes
                .push(format!("first, to find the path of project {n}:"));
            self.notes.push(match answered {
                true => "the gateway's cache (the numbers it gave reading projects), else this request, whose answer is then the project the client gets".to_owned(),
                false => "the gateway's cache (the numbers it gave reading projects), else:".to_owned(),
            });
            let addr = Addr {
                id: Some(Id::Known(n)),
                ..Addr::default()
            };
            self.send(route, &addr, None, &PageReq::default(), None)?;
            if answered {
                return Ok(());
            }
            // Stand-ins, each one encoded segment, then shown in words.
            self.uproject = "\u{1}/\u{2}".to_owned();
            self.marks = vec![
                ("%01".to_owned(), format!("{{owner of project {n}}}")),
                ("%02".to_owned(), format!("{{repo of project {n}}}")),
            ];
        }
        self.translated(&m, req)
    }

    /// Different dialects, as the gateway's `translated` goes.
    fn translated(&mut self, m: &Matched<'a>, req: &Request) -> Result<(), GwError> {
        let up = self.up;
        let op = m.route.op;
        if let (Op::About, Some(answer)) = (op, &m.route.answer) {
            self.notes.push(format!(
                "answered by the gateway itself, nothing is sent: 200 {}",
                String::from_utf8_lossy(answer)
            ));
            return Ok(());
        }
        let key = m.params.key();
        // A file the upstream keeps in the project, then links to the release.
        let steps = match op {
            Op::Upload => plan::store_and_link(up, &key),
            _ => None,
        };
        // A file kept in the project, or linked, where the upstream keeps
        // files only in releases: held by the gateway until a link names it.
        let held = plan::held_upload(up, op, &key);
        let uroute = match op {
            Op::Asset => None,
            Op::Latest if plan::latest_by_list(up).is_some() => None,
            _ if steps.is_some() => steps.map(|(_, link)| link),
            _ if held.is_some() => held,
            op => Some(upstream_route(up, op, &key)?),
        };
        let headers = header_map(req);
        // As the gateway goes: what cannot go across is refused before the
        // body is read, a body over the limit before its form is.
        let file = match (op, steps.map(|(store, _)| store).or(uroute)) {
            (Op::Upload | Op::Store, Some(ur)) => Some(plan::upload_file(
                self.client,
                m.route,
                up,
                ur,
                &headers,
                req.query,
            )?),
            _ => None,
        };
        self.token = extract_token(self.client, &headers, req.query);
        if req.body.len() > self.cfg.max_body_bytes {
            return Err(plan::too_large(self.cfg.max_body_bytes));
        }
        if let Some(mut file) = file {
            let ct = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let body = bytes::Bytes::copy_from_slice(req.body);
            let bytes = plan::file_in_form(&mut file, ct, &body)?;
            self.file = Some((file, bytes));
        }
        if let (Op::Store, Some(_), Some((file, bytes))) = (op, held, &self.file) {
            let ctx = Ctx {
                owner: &m.params.owner,
                repo: &m.params.repo,
                project: &m.params.project,
                ..Ctx::default()
            };
            let rec = plan::held_record(m.route, &ctx, "{secret}", file, bytes.len());
            self.notes.push(format!(
                "held by the gateway, nothing is sent: answered {} with the file's URL on the gateway ({}); a link of this project that names it within {} s uploads it to the release ({} bytes of {} held at most)",
                m.route.status,
                rec.text("url").unwrap_or_default(),
                self.cfg.held_file_time.as_secs(),
                bytes.len(),
                self.cfg.held_file_bytes
            ));
            return Ok(());
        }
        let record = decode_body(self.client, m.route, req.body)?;
        if let (Op::Link, Some(ur), Some(rec)) = (op, held, &record) {
            let name = rec.text("name").unwrap_or_default().into_owned();
            let octets = HeaderValue::from_static("application/octet-stream");
            let file = plan::held_file_out(ur, &name, octets)?;
            self.file = Some((file, bytes::Bytes::from_static(b"{the held file}")));
            self.notes.push(format!(
                "the file this link's URL names, held by the gateway since a client kept it in the project (a 501 where it holds none), goes to the release, once, under the link's name; then it is let go (kept {} s at most)",
                self.cfg.held_file_time.as_secs()
            ));
        }
        let mut page = plan::page_request(self.client, up, op, req.query)?;
        if let (Some(list), true) = (uroute, plan::walks_to_page(self.client, up, op, &page)) {
            self.notes.push(format!(
                "first, as {} pages by cursor: this list, followed from its first page through its next cursors {} times (a 400 beyond {}; no releases where it ends sooner)",
                up.title,
                page.page - 1,
                self.cfg.max_id_scan_pages
            ));
            let first = PageReq {
                page: 1,
                per_page: page.per_page,
                cursor: None,
            };
            self.send(list, &Addr::default(), None, &first, None)?;
            page.cursor = Some(format!("{{cursor of page {}}}", page.page));
        }
        let links = record
            .as_ref()
            .and_then(|r| {
                r.kind
                    .list_index("assets")
                    .and_then(|i| r.lists[i].as_ref())
            })
            .is_some_and(|l| !l.is_empty());
        if let (Op::Create, true, Some(_)) = (op, links, plan::held_upload(up, Op::Link, &key)) {
            self.notes.push(format!(
                "where every link's URL names a file the gateway holds (kept in the project through it), the release is made without the links, each file is then uploaded to it once ({}'s `upload`), and the release read back; otherwise as follows",
                up.title
            ));
        }
        if let Some(ur) = uroute {
            plan::early_refusal(up, ur, &key, record.as_ref())?;
        }
        if op.addresses_asset() {
            return self.asset(m, record.as_ref());
        }
        if let (Op::Latest, None, Some((list, first, get))) = (op, uroute, plan::latest_by_list(up))
        {
            let from_page = plan::latest_from_page(up).is_some();
            self.notes.push(format!(
                "{}as {} has no latest release of its own: this list, walked page by page until a page holds a release that is neither a draft nor a prerelease (at most {} pages); the latest is the one of them published last{}",
                if from_page { "" } else { "first, " },
                up.title,
                self.cfg.max_id_scan_pages,
                if from_page { ", answered as that page gives it" } else { "" }
            ));
            self.send(list, &Addr::default(), None, &first, None)?;
            if from_page {
                // The release is taken from the page it was found on.
                return Ok(());
            }
            let tag = Tag::unknown("tag of the latest release".into());
            self.notes.push("then, to read it:".into());
            let addr = Addr {
                tag: Some(tag),
                ..Addr::default()
            };
            return self.send(get, &addr, None, &PageReq::default(), None);
        }
        let Some(uroute) = uroute else {
            return Err(GwError::gateway(
                ErrorKind::Internal,
                format!("no upstream route chosen for `{op}`"),
            ));
        };
        if uroute.found_in_list {
            // Found in the list by the client's tag or id: one walk.
            let addr = Addr {
                tag: match &key {
                    ReleaseKey::Tag(t) => Some(Tag::known(t)),
                    _ => None,
                },
                id: match &key {
                    ReleaseKey::Id(i) => Some(Id::Known(*i)),
                    _ => None,
                },
                looked_up: false,
            };
            return self.send(uroute, &addr, None, &page, None);
        }
        let addr = self.resolve(uroute, &Key::from_client(&key))?;
        if addr.looked_up && plan::release_from_lookup(m.route, uroute) {
            if let Some(s) = self.steps.last_mut() {
                s.notes
                    .push("its answer is also the release the client gets back".into());
            }
        }
        if !addr.looked_up && plan::release_from_lookup(m.route, uroute) {
            let tag = addr.tag.as_ref().map(|t| t.text.as_str());
            let id = addr.id.as_ref().map(|i| match i {
                Id::Known(n) => *n,
                Id::Unknown(_) => 0,
            });
            if let Some(get) = plan::lookup_route(up, tag, id) {
                self.notes.push(format!(
                    "first, to read the release the client gets back ({} answers `{}` without it):",
                    up.title, uroute.op
                ));
                self.send(get, &addr, None, &PageReq::default(), None)?;
            }
        }
        if let Some(rec) = &record {
            self.check(uroute, &addr, rec)?;
            // A rule that compares with the release's tag, which only the
            // upstream knows here.
            if let (Some(t), Some(shape)) =
                (addr.tag.as_ref().filter(|t| !t.known), m.route.request)
            {
                for r in &uroute.refuse {
                    if let RefuseCheck::Changed(f) = r.check {
                        if rec.vals[f].is_some() {
                            self.notes.push(format!(
                                "refused with 501 instead unless `{}` is {}: {}",
                                self.client.shape(shape).key(f),
                                t.words(),
                                r.reason
                            ));
                        }
                    }
                }
            }
        }
        let name = self.file.as_ref().map(|(f, _)| f.name.clone());
        if let (Some((store, _)), Some(name)) = (steps, name) {
            self.notes.push(format!(
                "{} keeps a release's file in the project, then links it to the release: first the file, sent once",
                up.title
            ));
            self.send(store, &Addr::default(), None, &PageReq::default(), None)?;
            self.notes.push(
                "then the link to it, at the URL that answer gives (a 502 where it gives none); the file is not sent again if the link fails".into(),
            );
            let mut link = Record::new(crate::canonical::Kind::Asset);
            link.set_str("name", &name);
            link.set_str("url", "{URL of the kept file}");
            return self.send(uroute, &addr, None, &page, Some(&link));
        }
        self.send(uroute, &addr, None, &page, record.as_ref())
    }

    /// The refuse rules of `route` that can be checked offline (all but a
    /// `changed` one against a tag only the upstream knows).
    fn check(&self, route: &Route, addr: &Addr, rec: &Record) -> Result<(), GwError> {
        let known = addr.tag.as_ref().filter(|t| t.known);
        let page = PageReq::default();
        refusal(
            self.up,
            route,
            &OutboundArgs {
                project: &self.uproject,
                tag: known.map(|t| t.text.as_str()),
                id: None,
                asset: None,
                page: &page,
                body: Some(rec),
                token: None,
            },
        )
    }

    /// One asset, as the gateway's `asset` and `asset_write` go: read from
    /// the release that holds it, then (a delete) written there.
    fn asset(&mut self, m: &Matched<'a>, body: Option<&Record>) -> Result<(), GwError> {
        let up = self.up;
        let op = m.route.op;
        let Some(asset) = m.params.asset else {
            return Err(GwError::gateway(
                ErrorKind::Internal,
                "an asset route matched without an asset id",
            ));
        };
        let write = op != Op::Asset;
        let named = m.params.key();
        let holder = match &named {
            ReleaseKey::None => {
                let tag = Tag::unknown(format!("tag of the release that holds asset {asset}"));
                self.notes.push(if write {
                    format!("first, to find the release that holds asset {asset}:")
                } else {
                    format!("asset {asset} is read from the release that holds it:")
                });
                let cached = Key::Tag(tag.clone());
                if let Ok(get) = upstream_route(up, Op::Get, &cached.release_key()) {
                    self.notes.push(
                        "the release the gateway last saw it in (its cache), when it has one:"
                            .into(),
                    );
                    if let Ok(addr) = self.resolve(get, &cached) {
                        if !addr.looked_up {
                            self.send(get, &addr, None, &PageReq::default(), None)?;
                        }
                    }
                }
                match plan::walk_start(up) {
                    Some((list, page)) => {
                        self.notes.push(format!(
                            "else, or when that release no longer holds it: this list, walked page by page until a release holds it (at most {} pages)",
                            self.cfg.max_id_scan_pages
                        ));
                        self.send(list, &Addr::default(), None, &page, None)?;
                    }
                    None => self.notes.push(format!(
                        "else a 404: {} has no release list to look in",
                        up.title
                    )),
                }
                tag
            }
            named => {
                let get = upstream_route(up, Op::Get, named)?;
                let addr = self.resolve(get, &Key::from_client(named))?;
                if !addr.looked_up {
                    self.notes.push(if write {
                        format!("first, to find asset {asset} in its release:")
                    } else {
                        format!("asset {asset} is read from its release:")
                    });
                    self.send(get, &addr, None, &PageReq::default(), None)?;
                }
                match (addr.tag, named) {
                    (Some(t), _) => t,
                    (None, ReleaseKey::Id(i)) => Tag::unknown(format!("tag of release {i}")),
                    (None, _) => {
                        Tag::unknown(format!("tag of the release that holds asset {asset}"))
                    }
                }
            }
        };
        if !write {
            return Ok(());
        }
        let key = Key::Tag(holder);
        let uroute = upstream_route(up, op, &key.release_key())?;
        let addr = self.resolve(uroute, &key)?;
        self.send(uroute, &addr, Some(asset), &PageReq::default(), body)
    }

    /// How `uroute` is addressed for the release `key` names, and the
    /// lookups that takes (as the gateway's `resolve`).
    fn resolve(&mut self, uroute: &Route, key: &Key) -> Result<Addr, GwError> {
        let rk = key.release_key();
        let tag = match key {
            Key::Tag(t) => Some(t.clone()),
            _ => None,
        };
        Ok(match plan::addressing(uroute, &rk) {
            Addressing::None => Addr::default(),
            Addressing::Id(i) => Addr {
                id: Some(Id::Known(i)),
                ..Addr::default()
            },
            Addressing::Tag(_) => Addr {
                tag,
                ..Addr::default()
            },
            Addressing::TagOfId(id) => {
                self.notes
                    .push(format!("first, to find the tag of release {id}:"));
                match plan::walk_start(self.up) {
                    Some((list, page)) => {
                        self.notes.push(format!(
                            "the gateway's cache, else this list, walked page by page until release {id} shows up (at most {} pages)",
                            self.cfg.max_id_scan_pages
                        ));
                        self.send(list, &Addr::default(), None, &page, None)?;
                    }
                    None => self.notes.push(format!(
                        "the gateway's cache, else a 404: {} has no release list to walk",
                        self.up.title
                    )),
                }
                Addr {
                    tag: Some(Tag::unknown(format!("tag of release {id}"))),
                    id: Some(Id::Known(id)),
                    looked_up: false,
                }
            }
            Addressing::IdOfTag(_) => {
                let t = tag.unwrap_or_else(|| Tag::unknown("tag".into()));
                let (get, _) = plan::by_tag_route(self.up, uroute.op)?;
                self.notes
                    .push(format!("first, to find the id of {}:", t.words()));
                let by_tag = Addr {
                    tag: Some(t.clone()),
                    ..Addr::default()
                };
                self.send(get, &by_tag, None, &PageReq::default(), None)?;
                let id = Id::Unknown(format!(
                    "{{id of {}}}",
                    t.words().trim_start_matches("the ")
                ));
                Addr {
                    tag: Some(t),
                    id: Some(id),
                    looked_up: true,
                }
            }
        })
    }

    /// Adds the request for upstream `route`, as `encode_request` builds it,
    /// with placeholders where a value is not known offline.
    fn send(
        &mut self,
        route: &Route,
        addr: &Addr,
        asset: Option<u64>,
        page: &PageReq,
        body: Option<&Record>,
    ) -> Result<(), GwError> {
        let up = self.up;
        if route.found_in_list {
            // Not sent: the release is found in the list.
            if let Some((list, first)) = plan::walk_start(up) {
                let which = match (&addr.tag, &addr.id) {
                    (Some(t), _) => t.words(),
                    (None, Some(Id::Known(i))) => format!("id {i}"),
                    _ => "that release".to_owned(),
                };
                self.notes.push(format!(
                    "{} reads no release by tag: this list, walked page by page until the release with {which} shows up (at most {} pages)",
                    up.title, self.cfg.max_id_scan_pages
                ));
                return self.send(list, &Addr::default(), None, &first, None);
            }
        }
        if let Some(rec) = body {
            self.check(route, addr, rec)?;
        }
        let tag = addr.tag.as_ref();
        let args = |id| OutboundArgs {
            project: &self.uproject,
            tag: tag.map(|t| t.text.as_str()),
            id,
            asset,
            page,
            body,
            token: self.token.as_deref(),
        };
        let (out, id_mark) = match &addr.id {
            None => (encode_allowed(up, route, &args(None))?, None),
            Some(Id::Known(i)) => (encode_allowed(up, route, &args(Some(*i)))?, None),
            // A stand-in number, written where the id goes and then replaced:
            // one that occurs nowhere else in the path.
            Some(Id::Unknown(text)) => {
                let mut n = u64::MAX;
                loop {
                    let out = encode_allowed(up, route, &args(Some(n)))?;
                    let mark = n.to_string();
                    if out.path_and_query.matches(&mark).count() == 1 || n < u64::MAX - 64 {
                        break (out, Some((mark, text.as_str())));
                    }
                    n -= 1;
                }
            }
        };
        let mut out = out;
        if let (Op::Upload | Op::Store, Some((file, bytes))) = (route.op, &self.file) {
            plan::attach_file(&mut out, file, bytes);
        }
        let mut pq = out.path_and_query;
        let (out_headers, out_body) = (out.headers, out.body.map(|b| b.to_vec()));
        if let Some(t) = tag.filter(|t| !t.known) {
            let encoded: String = url::segment_pieces(&t.text).collect();
            pq = pq.replacen(&encoded, &t.text, 1);
        }
        if let Some((mark, text)) = id_mark {
            pq = pq.replacen(&mark, text, 1);
        }
        for (mark, text) in &self.marks {
            pq = pq.replace(mark.as_str(), text);
        }
        // A cursor only the upstream's answers would give, shown as a placeholder.
        if let Some(c) = page.cursor.as_deref().filter(|c| c.starts_with('{')) {
            let encoded: String = url::segment_pieces(c).collect();
            pq = pq.replacen(&encoded, c, 1);
        }
        let slot = up.auth_out.as_ref();
        if let Some(q) = slot.and_then(|s| s.query.as_deref()) {
            pq = mask_query(&pq, &[q]);
        }
        let mut headers = Vec::with_capacity(out_headers.len() + 2);
        for (name, value) in &out_headers {
            let credential = slot.filter(|s| s.header.as_ref() == Some(name));
            let shown_name = credential
                .and_then(|s| s.header_spelling.clone())
                .unwrap_or_else(|| title_case(name.as_str()));
            let shown = if credential.is_some() || value.is_sensitive() {
                match credential.and_then(|s| s.scheme.as_deref()) {
                    Some(scheme) => format!("{scheme} ***"),
                    None => "***".to_owned(),
                }
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers.push((shown_name, shown));
        }
        headers.push(("X-Request-Id".into(), "{request id}".into()));
        headers.push(("User-Agent".into(), plan::USER_AGENT.into()));
        let mut notes = std::mem::take(&mut self.notes);
        // What follows an earlier request comes "then".
        if let (false, Some(n)) = (self.steps.is_empty(), notes.first_mut()) {
            if let Some(rest) = n.strip_prefix("first, ") {
                *n = format!("then, {rest}");
            }
        }
        self.steps.push(Step {
            notes,
            method: out.method.to_string(),
            url: [self.url_of(out.host.as_deref(), out.on_host).as_str(), &pq].concat(),
            headers,
            body: out_body,
        });
        Ok(())
    }

    /// A GraphQL request: passed on to the upstream's own endpoint between
    /// two sides of the dialect (where its mapping names one), else answered
    /// by the gateway, each field read through the dialect's routes.
    fn graphql(&mut self, g: &Graphql, req: &Request) -> Result<(), GwError> {
        self.line = format!("client: {} GraphQL", self.client.title);
        let at = (self.client.name == self.up.name)
            .then(|| plan::graphql_upstream(g, &self.cfg.upstream_path()))
            .flatten();
        let Some(path) = at else {
            let fields: Vec<&str> = g.fields.iter().map(|f| f.name.as_str()).collect();
            self.notes.push(format!(
                "answered by the gateway itself: each field of the query is read through {}'s own routes, as this command shows for each of them (fields of `{}`: {})",
                self.client.title,
                g.project.0,
                fields.join(", ")
            ));
            return Ok(());
        };
        // The path in place of the upstream URL's own.
        let host = self.upstream_host();
        let mut pq = path;
        if !req.query.is_empty() {
            pq.push('?');
            pq.push_str(req.query);
        }
        self.pass_through_to(
            [host.as_str(), &pq].concat(),
            req,
            "passed on to the upstream's own GraphQL endpoint (the same dialect on both sides), the body as sent; never sent twice",
        )
    }

    /// What a request's path follows: the URL of the upstream's other host
    /// `host` names, else its host (`on_host`), else its URL.
    fn url_of(&self, host: Option<&str>, on_host: bool) -> String {
        match host {
            Some(h) => {
                let at = self.cfg.upstream_hosts.iter().find(|(n, _)| n == h);
                at.map_or("", |(_, u)| u.as_str()).to_owned()
            }
            None if on_host => self.upstream_host(),
            None => self.cfg.upstream_url.clone(),
        }
    }

    /// The upstream's URL without its path: where a path in place of that
    /// path goes.
    fn upstream_host(&self) -> String {
        let base = self.cfg.upstream_path();
        self.cfg
            .upstream_url
            .strip_suffix(base.trim_end_matches('/'))
            .unwrap_or(&self.cfg.upstream_url)
            .trim_end_matches('/')
            .to_owned()
    }

    /// Same dialect on both sides, as the gateway's `pass_through` goes.
    fn pass_through(&mut self, m: &Matched<'a>, req: &Request) -> Result<(), GwError> {
        let to = plan::pass_through_path(self.up, m, &self.uproject, req.query)?;
        let url = [self.url_of(to.host, to.on_host).as_str(), &to.pq].concat();
        self.pass_through_to(
            url,
            req,
            "passed through (the same dialect on both sides): the path rebuilt from the route, the query as sent",
        )
    }

    /// The request `req` passed on to `url`: the forwarded headers, the
    /// credentials masked.
    fn pass_through_to(&mut self, url: String, req: &Request, note: &str) -> Result<(), GwError> {
        let up = self.up;
        let pq = url;
        if req.body.len() > self.cfg.max_body_bytes {
            return Err(plan::too_large(self.cfg.max_body_bytes));
        }
        let in_query: Vec<&str> = up
            .auth_in
            .iter()
            .filter_map(|s| s.query.as_deref())
            .collect();
        let pq = mask_query(&pq, &in_query);
        let mut headers = Vec::new();
        for (n, v) in req.headers {
            let Ok(name) = HeaderName::from_bytes(n.trim().as_bytes()) else {
                continue;
            };
            if !plan::forwards(up, &name) {
                continue;
            }
            let slots: Vec<_> = up
                .auth_in
                .iter()
                .filter(|s| s.header.as_ref() == Some(&name))
                .collect();
            let shown = if slots.is_empty() {
                v.trim().to_owned()
            } else {
                let v = v.trim();
                slots
                    .iter()
                    .filter_map(|s| s.scheme.as_deref())
                    .find(|s| {
                        v.len() > s.len()
                            && v[..s.len()].eq_ignore_ascii_case(s)
                            && v.as_bytes()[s.len()] == b' '
                    })
                    .map_or_else(|| "***".to_owned(), |s| format!("{} ***", &v[..s.len()]))
            };
            headers.push((n.trim().to_owned(), shown));
        }
        headers.push(("X-Request-Id".into(), "{request id}".into()));
        let bodiless = req.method == Method::GET || req.method == Method::HEAD;
        self.notes.push(note.into());
        self.steps.push(Step {
            notes: std::mem::take(&mut self.notes),
            method: req.method.to_string(),
            url: pq,
            headers,
            body: (!bodiless && !req.body.is_empty()).then(|| req.body.to_vec()),
        });
        Ok(())
    }

    /// The client's answer to a request the gateway refuses, as `encode_error`
    /// writes it in the client's dialect.
    fn refusal(&self, err: &GwError) -> Refusal {
        let api = [self.cfg.public_base().as_str(), self.root].concat();
        let ctx = Ctx {
            api: &api,
            ..Ctx::default()
        };
        let (status, body) = encode_error(self.client, None, err, &ctx);
        let mut headers = Vec::new();
        if let Some(a) = &err.allow {
            headers.push(("Allow".to_owned(), a.clone()));
        }
        if let Some(r) = &err.retry_after {
            headers.push(("Retry-After".to_owned(), r.clone()));
        }
        Refusal {
            status,
            headers,
            body,
        }
    }
}

/// The request's headers, those that parse.
fn header_map(req: &Request) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (n, v) in req.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.trim().as_bytes()),
            HeaderValue::from_str(v.trim()),
        ) {
            headers.append(n, v);
        }
    }
    headers
}

/// `client: TITLE OP, project "…", tag "…", id N, asset N, page N, N per page`.
fn client_line(d: &Dialect, m: &Matched, query: &str) -> String {
    let p = &m.params;
    let mut s = format!("client: {} {}", d.title, m.route.op);
    if d.roots.len() > 1 && !m.root.is_empty() {
        let _ = write!(s, ", under {}", m.root);
    }
    if !p.project.is_empty() {
        let _ = write!(s, ", project {:?}", p.project);
    }
    if let Some(t) = &p.tag {
        let _ = write!(s, ", tag {t:?}");
    }
    if let Some(i) = p.id {
        let _ = write!(s, ", id {i}");
    }
    if let Some(a) = p.asset {
        let _ = write!(s, ", asset {a}");
    }
    if let (true, Some(pg)) = (m.route.op.lists(), &d.paging) {
        let r = paging::decode_request(pg, query);
        let _ = write!(s, ", page {}", r.page);
        if let Some(n) = r.per_page {
            let _ = write!(s, ", {n} per page");
        }
        if let Some(c) = &r.cursor {
            let _ = write!(s, ", cursor {c:?}");
        }
    }
    s
}

/// `path?query` with the values of the parameters named `names` shown as `***`.
fn mask_query(pq: &str, names: &[&str]) -> String {
    let Some((path, query)) = pq.split_once('?').filter(|_| !names.is_empty()) else {
        return pq.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let k = pair.split_once('=').map_or(pair, |(k, _)| k);
            let named = url::query_pairs(k)
                .first()
                .is_some_and(|(k, _)| names.contains(&k.as_ref()));
            if named {
                format!("{k}=***")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// `content-type` → `Content-Type`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_credentials_are_masked() {
        assert_eq!(
            mask_query("/a?page=1&private_token=abc&x", &["private_token"]),
            "/a?page=1&private_token=***&x"
        );
        assert_eq!(mask_query("/a?token=abc", &[]), "/a?token=abc");
        assert_eq!(mask_query("/a", &["token"]), "/a");
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-request-id"), "X-Request-Id");
        assert_eq!(title_case("accept"), "Accept");
    }
}
