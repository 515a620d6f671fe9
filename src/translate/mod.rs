//! Pure translation: client request → canonical → upstream request, and
//! upstream response → canonical → client response. No I/O here.

pub mod form;
pub mod graphql;
pub mod paging;
pub mod plan;
pub mod preview;
pub mod read;
pub mod record;
pub mod scan;
pub mod url;
pub mod write;

use crate::canonical::{synthetic_id, ErrorKind, Kind, Op, ASSET_ID, RELEASE_ID, RELEASE_TAG};
use crate::error::{GwError, Side};
use crate::mapping::model::{
    CredentialSlot, Dialect, Download, PathPart, PathVar, RefuseCheck, ReleaseKeyVar, Route,
    ShapeId, Ty,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use paging::PageReq;
use read::{check_all, check_types, read_list, read_record, ReadError, TypeMismatch};
use record::{json_text, Record};
use std::borrow::Cow;
use write::{render, write_list, write_record, Ctx};

/// Path parameters of a matched client route, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub owner: String,
    pub repo: String,
    /// The project path as the client named it ("owner/repo", "group/sub/proj").
    pub project: String,
    pub tag: Option<String>,
    pub id: Option<u64>,
    /// An asset's id (`{asset}`).
    pub asset: Option<u64>,
}

#[derive(Debug)]
pub struct Matched<'d> {
    pub route: &'d Route,
    /// The API root the request came in under ("" or "/api/v3", …).
    pub root: &'d str,
    pub params: Params,
}

/// Finds the client route for a raw (still percent-encoded) path.
pub fn match_route<'d>(
    d: &'d Dialect,
    method: &Method,
    raw_path: &str,
) -> Result<Matched<'d>, GwError> {
    let not_found = || {
        GwError::gateway(
            ErrorKind::NotFound,
            format!("no {} route matches {method} {raw_path}", d.title),
        )
    };
    let m = d.router.at(raw_path).map_err(|_| not_found())?;
    let route_for = |want: &Method| {
        m.value
            .iter()
            .map(|i| &d.routes[*i])
            .find(|r| r.method == want)
    };
    // HEAD is served wherever GET is (RFC 9110 9.3.2): the GET route answers,
    // and the server sends its head alone.
    let route = match route_for(method) {
        None if method == Method::HEAD => route_for(&Method::GET),
        found => found,
    };
    let Some(route) = route else {
        let mut allowed: Vec<&str> = Vec::with_capacity(m.value.len() + 1);
        for i in m.value.iter() {
            let method = &d.routes[*i].method;
            allowed.push(method.as_str());
            if method == Method::GET && route_for(&Method::HEAD).is_none() {
                allowed.push(Method::HEAD.as_str());
            }
        }
        let mut e = GwError::gateway(
            ErrorKind::MethodNotAllowed,
            format!(
                "{method} is not allowed on {raw_path}; allowed: {}",
                allowed.join(", ")
            ),
        );
        e.allow = Some(allowed.join(", "));
        return Err(e);
    };
    let root = d
        .roots
        .iter()
        .filter(|r| raw_path.starts_with(r.as_str()) && raw_path[r.len()..].starts_with('/'))
        .max_by_key(|r| r.len())
        .map_or("", String::as_str);
    let mut p = Params::default();
    for (name, raw) in m.params.iter() {
        let v = url::decode(raw).ok_or_else(|| {
            GwError::client(
                ErrorKind::BadRequest,
                format!("path parameter `{name}` is not valid UTF-8 once decoded"),
            )
        })?;
        match PathVar::parse(name) {
            Some(PathVar::Owner) => p.owner = v.into_owned(),
            Some(PathVar::Repo) => p.repo = v.into_owned(),
            Some(PathVar::Project) => p.project = v.into_owned(),
            Some(PathVar::Tag) => p.tag = Some(v.into_owned()),
            Some(PathVar::Id) => p.id = Some(positive(&v).ok_or_else(not_found)?),
            Some(PathVar::Asset) => p.asset = Some(positive(&v).ok_or_else(not_found)?),
            None => {}
        }
    }
    if p.project.is_empty() {
        // A path that names an owner alone (an organization) names it as the project.
        p.project = if p.repo.is_empty() {
            p.owner.clone()
        } else {
            [p.owner.as_str(), "/", p.repo.as_str()].concat()
        };
    } else if p.owner.is_empty() {
        let (o, r) = split_project(&p.project);
        p.owner = o.to_owned();
        p.repo = r.to_owned();
    }
    Ok(Matched {
        route,
        root,
        params: p,
    })
}

/// An id in a path: a number above zero.
fn positive(v: &str) -> Option<u64> {
    v.parse::<u64>().ok().filter(|n| *n > 0)
}

/// "group/sub/proj" → ("group/sub", "proj").
pub fn split_project(p: &str) -> (&str, &str) {
    p.rsplit_once('/').unwrap_or(("", p))
}

/// The client's token, from the first slot of its dialect that carries one.
pub fn extract_token(d: &Dialect, headers: &HeaderMap, query: &str) -> Option<String> {
    for slot in &d.auth_in {
        if let Some(h) = &slot.header {
            let Some(v) = headers.get(h).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            match &slot.scheme {
                Some(scheme) => {
                    let v = v.trim();
                    if v.len() > scheme.len()
                        && v[..scheme.len()].eq_ignore_ascii_case(scheme)
                        && v.as_bytes()[scheme.len()] == b' '
                    {
                        return Some(v[scheme.len() + 1..].trim().to_owned());
                    }
                }
                None => return Some(v.trim().to_owned()),
            }
        } else if let Some(q) = &slot.query {
            if let Some((_, v)) = url::query_pairs(query).into_iter().find(|(k, _)| k == q) {
                return Some(v.into_owned());
            }
        }
    }
    None
}

/// Reads and checks the request body against the client route's request shape.
pub fn decode_body<'a>(
    d: &Dialect,
    route: &Route,
    body: &'a [u8],
) -> Result<Option<Record<'a>>, GwError> {
    let Some(shape) = route.request else {
        return Ok(None);
    };
    let text = simdutf8::basic::from_utf8(body)
        .map_err(|_| GwError::client(ErrorKind::BadRequest, "request body is not UTF-8"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let rec = read_record(d, shape, text).map_err(|e| match e {
        ReadError::Syntax(e) => {
            GwError::client(ErrorKind::BadRequest, format!("Problems parsing JSON: {e}"))
        }
        ReadError::Shape { expected, at } => GwError::client(
            ErrorKind::BadRequest,
            format!("Problems parsing JSON: expected {expected} at {at}"),
        ),
        ReadError::Value { at, known, .. } => {
            GwError::client(ErrorKind::Invalid, format!("`{at}` must be one of {known}"))
        }
        ReadError::Prefix { at, prefix, .. } => GwError::client(
            ErrorKind::Invalid,
            format!("`{at}` must be a string starting \"{prefix}\""),
        ),
    })?;
    // The shape's own checks first, then the fields this route requires.
    let problem = check_types(d, shape, &rec, false).err().or_else(|| {
        route
            .required
            .iter()
            .find(|f| rec.vals[**f].as_deref().is_none_or(|v| v == "null"))
            .map(|&field| TypeMismatch {
                field,
                expected: Ty::Any,
                missing: true,
            })
    });
    if let Some(TypeMismatch {
        field,
        expected,
        missing,
    }) = problem
    {
        let key = d.shape(shape).key(field);
        let err = if missing {
            GwError::client(ErrorKind::MissingField, format!("`{key}` is required"))
        } else {
            GwError::client(
                ErrorKind::Invalid,
                format!("`{key}` must be {}", ty_name(expected)),
            )
        };
        return Err(err.with_field(rec.kind.fields()[field]));
    }
    Ok(Some(rec))
}

/// A value of type `t`, with its article: "a string", "an integer", ….
fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::String => "a string",
        Ty::Int => "an integer",
        Ty::Bool => "a boolean",
        Ty::Any | Ty::Spelled => "a value",
    }
}

/// How a release is addressed in a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseKey {
    None,
    Id(u64),
    Tag(String),
}

impl Params {
    pub fn key(&self) -> ReleaseKey {
        match (&self.id, &self.tag) {
            (Some(id), _) => ReleaseKey::Id(*id),
            (None, Some(t)) => ReleaseKey::Tag(t.clone()),
            _ => ReleaseKey::None,
        }
    }
}

/// Picks the upstream route for `op`, preferring one addressed the way the
/// client addressed the release. Errors name the upstream and the operation.
pub fn upstream_route<'u>(u: &'u Dialect, op: Op, key: &ReleaseKey) -> Result<&'u Route, GwError> {
    let want = match key {
        ReleaseKey::Id(_) => ReleaseKeyVar::Id,
        ReleaseKey::Tag(_) => ReleaseKeyVar::Tag,
        ReleaseKey::None => ReleaseKeyVar::None,
    };
    let mut candidates = u.routes_for(op);
    let first = candidates.next().ok_or_else(|| no_operation(u, op))?;
    if first.key == want {
        return Ok(first);
    }
    Ok(u.routes_for(op).find(|r| r.key == want).unwrap_or(first))
}

/// The 501 for an operation upstream `u` has no route for, with the reason
/// its mapping gives (`[unsupported]`).
pub fn no_operation(u: &Dialect, op: Op) -> GwError {
    let why = match u.unsupported.iter().find(|(o, _)| *o == op) {
        Some((_, why)) => format!(": {why}"),
        None => String::new(),
    };
    GwError::gateway(
        ErrorKind::Unsupported,
        format!("the upstream ({}) has no `{op}` operation{why}", u.title),
    )
}

/// A request ready to send upstream (path relative to the upstream base URL).
#[derive(Debug)]
pub struct Outbound {
    pub method: Method,
    pub path_and_query: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Shared bytes: a body the client sent (an upload's file) goes on
    /// without a copy.
    pub body: Option<bytes::Bytes>,
    /// The path is on the upstream's host, in place of its URL's path (a
    /// route with a root of its own there: `Route::host_root`).
    pub on_host: bool,
    /// The upstream's other host, by name, the request goes to
    /// (`Route::at_host`): its URL, then `path_and_query`.
    pub host: Option<String>,
}

pub struct OutboundArgs<'a> {
    /// The project path on the upstream.
    pub project: &'a str,
    pub tag: Option<&'a str>,
    pub id: Option<u64>,
    pub asset: Option<u64>,
    pub page: &'a PageReq,
    pub body: Option<&'a Record<'a>>,
    pub token: Option<&'a str>,
}

/// Builds the upstream request for a route. Refuse rules run here, so that
/// nothing the upstream cannot represent is silently dropped.
pub fn encode_request(u: &Dialect, route: &Route, a: &OutboundArgs) -> Result<Outbound, GwError> {
    refusal(u, route, a)?;
    encode_allowed(u, route, a)
}

/// The 501 for a request whose body breaks one of the route's refuse rules.
/// A `changed` rule is checked only where `a.tag` (the addressed release's
/// tag) is known.
pub fn refusal(u: &Dialect, route: &Route, a: &OutboundArgs) -> Result<(), GwError> {
    if let Some(rec) = a.body {
        for r in &route.refuse {
            let val = |f: usize| rec.vals[f].as_deref();
            let hit = match &r.check {
                RefuseCheck::Equals(f, want) => val(*f).is_some_and(|v| {
                    v == want
                        || json_text(v) == json_text(want)
                            && v.starts_with('"') == want.starts_with('"')
                }),
                RefuseCheck::Changed(f) => {
                    val(*f).is_some_and(|v| a.tag.is_some() && json_text(v).as_deref() != a.tag)
                }
                RefuseCheck::Present(f) => val(*f).is_some_and(|v| v != "null"),
                RefuseCheck::Listed(l) => rec.lists[*l].as_ref().is_some_and(|v| !v.is_empty()),
            };
            if hit {
                let name = r.name;
                let message = match route.op.asks() {
                    Kind::Release => format!(
                        "the upstream ({}) cannot {} this release: {}",
                        u.title, route.op, r.reason
                    ),
                    kind => format!(
                        "the upstream ({}) cannot take this {}: {}",
                        u.title,
                        kind.name(),
                        r.reason
                    ),
                };
                return Err(GwError::gateway(ErrorKind::Unsupported, message).with_field(name));
            }
        }
    }
    Ok(())
}

/// Builds the upstream request for a route whose refuse rules the request
/// passed (see `encode_request`, which checks them first).
pub fn encode_allowed(u: &Dialect, route: &Route, a: &OutboundArgs) -> Result<Outbound, GwError> {
    let mut path = encode_path(u, route, a.project, a.tag, a.id, a.asset)?;
    if route.op.lists() {
        if let Some(p) = &u.paging {
            paging::encode_query(p, a.page, &mut path);
        }
    }
    let mut headers = Vec::with_capacity(4);
    headers.push((
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    ));
    add_credential(u, a.token, &mut path, &mut headers)?;
    let body = match (route.request, a.body) {
        (Some(shape), Some(rec)) => {
            let mut out = Vec::with_capacity(256);
            // Templates in a request body name the upstream's project.
            let (owner, repo) = split_project(a.project);
            let ctx = Ctx {
                owner,
                repo,
                project: a.project,
                ..Ctx::default()
            };
            write_record(&mut out, u, shape, rec, &ctx);
            headers.push((
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ));
            Some(bytes::Bytes::from(out))
        }
        _ => None,
    };
    Ok(Outbound {
        method: route.method.clone(),
        path_and_query: path,
        headers,
        body,
        on_host: route.host_root.is_some(),
        host: route.at_host.clone(),
    })
}

/// The upstream path (root included) of a route, every parameter encoded as data.
pub fn encode_path(
    u: &Dialect,
    route: &Route,
    project: &str,
    tag: Option<&str>,
    id: Option<u64>,
    asset: Option<u64>,
) -> Result<String, GwError> {
    let mut path = String::with_capacity(64);
    match (&route.host_root, &route.at_host) {
        (Some(r), _) => path.push_str(r),
        // Another host's URL holds its whole path.
        (None, Some(_)) => {}
        (None, None) => path.push_str(u.roots.first().map_or("", String::as_str)),
    }
    let (owner, repo) = match split_project(project) {
        // A project of one segment has no owner/repo form: it is an owner
        // (an organization) where the route names no repo, else a repo alone.
        ("", _) if !route.path.names(PathVar::Repo) => (project, ""),
        split => split,
    };
    for part in &route.path.parts {
        match part {
            PathPart::Lit(l) => path.push_str(l),
            PathPart::Var(v) | PathPart::CatchAll(v) => {
                let value: Cow<str> = match v {
                    PathVar::Project => Cow::Borrowed(project),
                    PathVar::Owner | PathVar::Repo => {
                        let v = if *v == PathVar::Owner { owner } else { repo };
                        if v.is_empty() {
                            return Err(no_owner_repo(u, project));
                        }
                        Cow::Borrowed(v)
                    }
                    PathVar::Tag => {
                        Cow::Borrowed(tag.ok_or_else(|| missing_key(u, route, "release tag"))?)
                    }
                    PathVar::Id => Cow::Owned(
                        id.ok_or_else(|| missing_key(u, route, "release id"))?
                            .to_string(),
                    ),
                    PathVar::Asset => Cow::Owned(
                        asset
                            .ok_or_else(|| missing_key(u, route, "asset id"))?
                            .to_string(),
                    ),
                };
                // A catch-all matches a client's raw slashes; sent upstream,
                // it is one segment like any variable ('/' becomes %2F).
                url::push_segment(&mut path, &value);
            }
        }
    }
    Ok(path)
}

/// A project path without the owner/repo form the upstream's route needs:
/// a client's name that `[projects]` does not map to one of the upstream's.
fn no_owner_repo(u: &Dialect, project: &str) -> GwError {
    GwError::client(
        ErrorKind::NotFound,
        format!(
            "the project `{project}` is not an owner/repo path, which the upstream ({}) addresses projects by; map it to one in the gateway's [projects], or read the project by its path first (the gateway then knows its id)",
            u.title
        ),
    )
}

fn missing_key(u: &Dialect, route: &Route, what: &str) -> GwError {
    GwError::gateway(
        ErrorKind::Internal,
        format!(
            "no {what} to address the upstream ({}) {} route",
            u.title, route.op
        ),
    )
}

/// Presents `token` as upstream `u` takes one (its `[auth] outbound`): a
/// header pushed onto `headers`, else a query parameter appended to `path`.
/// A token no header can carry, for an upstream that takes it in one, is
/// the client's 401.
pub fn add_credential(
    u: &Dialect,
    token: Option<&str>,
    path: &mut String,
    headers: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<(), GwError> {
    let (Some(t), Some(slot)) = (token, &u.auth_out) else {
        return Ok(());
    };
    match credential_header(slot, t) {
        Some(h) => headers.push(h),
        None if slot.query.is_some() => {
            if let Some(q) = &slot.query {
                url::push_query(path, q, t);
            }
        }
        None => {
            return Err(GwError::client(
                ErrorKind::Unauthorized,
                "the token contains characters not allowed in a header",
            ))
        }
    }
    Ok(())
}

fn credential_header(slot: &CredentialSlot, token: &str) -> Option<(HeaderName, HeaderValue)> {
    let h = slot.header.clone()?;
    let v = match &slot.scheme {
        Some(s) => format!("{s} {token}"),
        None => token.to_owned(),
    };
    let mut v = HeaderValue::from_str(&v).ok()?;
    v.set_sensitive(true);
    Some((h, v))
}

/// Everything the response side needs to know about the request.
pub struct ResponseArgs<'a> {
    pub client: &'a Dialect,
    pub client_route: &'a Route,
    pub upstream: &'a Dialect,
    pub upstream_route: &'a Route,
    pub ctx: Ctx<'a>,
    /// The upstream project path, for synthesized ids.
    pub upstream_project: &'a str,
    /// Public base of the gateway (scheme://host[:port]) and the request's raw
    /// path and query, for rebuilt `Link` headers.
    pub public_base: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub page: &'a PageReq,
}

/// The answer for a page past the end of the upstream's list: no releases,
/// with the client's paging headers.
pub fn empty_page(a: &ResponseArgs) -> ClientResponse<'static> {
    let mut body = Vec::new();
    if let Some(shape) = a.client_route.response {
        let path = a.client_route.list.as_deref().unwrap_or(&[]);
        write_list(
            &mut body,
            a.client,
            shape,
            &[],
            &a.ctx,
            path,
            &a.client_route.envelope,
            None,
        );
    }
    let mut headers = Vec::new();
    if let Some(cp) = &a.client.paging {
        let info = paging::PageInfo::default();
        let (base, path, query) = (a.public_base, a.raw_path, a.raw_query);
        paging::encode_headers(cp, &info, a.page, None, base, path, query, &mut headers);
    }
    ClientResponse {
        status: a.client_route.status,
        headers,
        body,
        seen: Seen::default(),
    }
}

#[derive(Debug)]
pub struct ClientResponse<'b> {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
    pub seen: Seen<'b>,
}

/// What an upstream answer showed of where releases and assets are, for the
/// gateway's caches. A tag is borrowed from the upstream body unless it had
/// escapes.
#[derive(Debug, Default)]
pub struct Seen<'b> {
    /// (id, tag) of every release.
    pub releases: Vec<(u64, Cow<'b, str>)>,
    /// (asset id, tag of the release that holds it) of every asset of those
    /// releases.
    pub assets: Vec<(u64, Cow<'b, str>)>,
    /// The numeric id of a project the answer was.
    pub project: Option<u64>,
}

/// What the releases of one upstream answer hold of an asset.
#[derive(Debug)]
pub struct AssetSearch<'b> {
    /// The asset, when one of the releases holds it.
    pub found: Option<FoundAsset>,
    /// How many releases the answer held.
    pub releases: usize,
    pub seen: Seen<'b>,
}

/// An asset found in its release.
#[derive(Debug)]
pub struct FoundAsset {
    /// The asset written for the client.
    pub answer: ClientResponse<'static>,
    /// The tag of the release that holds it.
    pub tag: String,
}

/// Whether a request asks for an asset's file rather than its record: its
/// route answers such requests (`download`) and an `Accept` header names the
/// route's media type.
pub fn wants_download(route: &Route, headers: &HeaderMap) -> bool {
    let Some(d) = &route.download else {
        return false;
    };
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(&d.accept)
        })
}

/// Translates a successful upstream answer (2xx) into the client's dialect.
pub fn translate_success<'b>(
    a: &ResponseArgs,
    headers: &HeaderMap,
    body: &'b [u8],
) -> Result<ClientResponse<'b>, GwError> {
    translate_answer(a, headers, body, None)
}

/// What the gateway knows of an asset it has just made from a client's
/// file, which the upstream's answer may leave out: the file's size and
/// media type, and the tag of the release that holds it.
pub struct Made<'k> {
    pub size: usize,
    pub media: &'k str,
    pub tag: &'k str,
}

/// `translate_success`, for the answer to a file the client sent (`made`):
/// the asset takes the file's size and media type where the answer does not
/// give them, and its release is remembered.
pub fn translate_answer<'b>(
    a: &ResponseArgs,
    headers: &HeaderMap,
    body: &'b [u8],
    made: Option<&Made>,
) -> Result<ClientResponse<'b>, GwError> {
    let bad = bad_answer(a);
    let mut out_headers = Vec::new();
    map_headers(a.upstream, a.client, headers, &mut out_headers);
    let mut seen = Seen::default();
    let want_body = a.client_route.response.is_some();
    let (Some(cshape), Some(ushape)) = (a.client_route.response, a.upstream_route.response) else {
        return Ok(ClientResponse {
            status: a.client_route.status,
            headers: out_headers,
            body: if want_body {
                b"{}".to_vec()
            } else {
                Vec::new()
            },
            seen,
        });
    };
    let text =
        simdutf8::basic::from_utf8(body).map_err(|_| bad("a body that is not UTF-8".into()))?;
    let mut out = Vec::with_capacity(body.len() + body.len() / 2);
    if a.upstream_route.op.lists() {
        let recs = read_upstream_list(a, ushape, text, &mut seen)?;
        // An upstream that answers its whole list: the client's page is cut
        // from it.
        let (recs, info) = match plan::cut_page(a.client, a.upstream, a.page, recs.len()) {
            Some((range, info)) => (&recs[range], info),
            None => (&recs[..], paging::decode_info(a.upstream, headers, text)),
        };
        let cpath = a.client_route.list.as_deref().unwrap_or(&[]);
        write_list(
            &mut out,
            a.client,
            cshape,
            recs,
            &a.ctx,
            cpath,
            &a.client_route.envelope,
            info.next.as_deref(),
        );
        if let Some(cp) = &a.client.paging {
            paging::encode_headers(
                cp,
                &info,
                a.page,
                plan::cursor_carrier(a.client, a.upstream),
                a.public_base,
                a.raw_path,
                a.raw_query,
                &mut out_headers,
            );
        }
    } else {
        let mut rec = read_upstream_record(a, ushape, text, &mut seen)?;
        if let Some(m) = made.filter(|_| rec.kind == Kind::Asset) {
            if rec.json("size").is_none_or(|v| v == "null") {
                rec.set_json("size", m.size.to_string());
            }
            if rec.text("content_type").is_none_or(|t| t.is_empty()) && !m.media.is_empty() {
                rec.set_str("content_type", m.media);
            }
            if let Some(id) = asset_id(&rec).filter(|_| !m.tag.is_empty()) {
                seen.assets.push((id, Cow::Owned(m.tag.to_owned())));
            }
        }
        write_record(&mut out, a.client, cshape, &rec, &a.ctx);
        if let Some(loc) = &a.client_route.location {
            let l = render(loc, &rec, &a.ctx);
            if let Ok(v) = HeaderValue::from_str(&l) {
                out_headers.push((http::header::LOCATION, v));
            }
        }
    }
    Ok(ClientResponse {
        status: a.client_route.status,
        headers: out_headers,
        body: out,
        seen,
    })
}

/// One record of an upstream answer (`text`, read with `shape`): identified,
/// its derived and `base` fields filled, then checked (a 502 otherwise).
#[inline]
fn read_upstream_record<'b>(
    a: &ResponseArgs,
    shape: ShapeId,
    text: &'b str,
    seen: &mut Seen<'b>,
) -> Result<Record<'b>, GwError> {
    let bad = bad_answer(a);
    let mut rec = read_record(a.upstream, shape, text).map_err(|e| bad(read_error_text(&e)))?;
    identify(a, &upstream_ctx(a), &mut rec, seen);
    check_upstream(a, shape, &rec).map_err(&bad)?;
    Ok(rec)
}

/// Where an upstream's answer to a `store` says the file is kept: the
/// asset's `url`, read with the route's shape (its `base` joined).
pub fn stored_url(a: &ResponseArgs, body: &[u8]) -> Result<String, GwError> {
    let bad = bad_answer(a);
    let shape = a.upstream_route.response.ok_or_else(|| {
        GwError::gateway(ErrorKind::Internal, "a `store` route without a response")
    })?;
    let text =
        simdutf8::basic::from_utf8(body).map_err(|_| bad("a body that is not UTF-8".into()))?;
    let rec = read_upstream_record(a, shape, text, &mut Seen::default())?;
    match rec.text("url") {
        Some(url) if !url.is_empty() => Ok(url.into_owned()),
        _ => Err(bad("a kept file without the URL it is kept at".into())),
    }
}

/// Translates every page of an upstream list (the bodies of its successive
/// answers, in order) into one list for a client whose dialect does not
/// page: its releases in the upstream's order, with no paging headers.
pub fn translate_pages<'b>(
    a: &ResponseArgs,
    bodies: &'b [Vec<u8>],
) -> Result<ClientResponse<'b>, GwError> {
    let bad = bad_answer(a);
    let (Some(cshape), Some(ushape)) = (a.client_route.response, a.upstream_route.response) else {
        return Err(GwError::gateway(
            ErrorKind::Internal,
            "a list route without a response shape",
        ));
    };
    let mut seen = Seen::default();
    let mut recs = Vec::new();
    for body in bodies {
        let text =
            simdutf8::basic::from_utf8(body).map_err(|_| bad("a body that is not UTF-8".into()))?;
        recs.append(&mut read_upstream_list(a, ushape, text, &mut seen)?);
    }
    let mut out = Vec::new();
    let cpath = a.client_route.list.as_deref().unwrap_or(&[]);
    write_list(
        &mut out,
        a.client,
        cshape,
        &recs,
        &a.ctx,
        cpath,
        &a.client_route.envelope,
        None,
    );
    Ok(ClientResponse {
        status: a.client_route.status,
        headers: Vec::new(),
        body: out,
        seen,
    })
}

/// The releases of one upstream list answer (`text`, read with `ushape`),
/// identified (ids, derived fields; noted in `seen`) and checked against the
/// upstream's mapping.
fn read_upstream_list<'b>(
    a: &ResponseArgs,
    ushape: ShapeId,
    text: &'b str,
    seen: &mut Seen<'b>,
) -> Result<Vec<Record<'b>>, GwError> {
    let bad = bad_answer(a);
    let path = a.upstream_route.list.as_deref().unwrap_or(&[]);
    let mut recs =
        read_list(a.upstream, ushape, path, text).map_err(|e| bad(read_error_text(&e)))?;
    seen.releases.reserve(recs.len());
    let up = upstream_ctx(a);
    for r in &mut recs {
        identify(a, &up, r, seen);
        check_upstream(a, ushape, r).map_err(&bad)?;
    }
    Ok(recs)
}

/// The error for an upstream answer that cannot be read or breaks the
/// upstream's mapping: `what` it was answered with.
fn bad_answer<'a>(a: &'a ResponseArgs<'_>) -> impl Fn(String) -> GwError + 'a {
    move |what| {
        GwError::upstream(
            ErrorKind::BadUpstreamResponse,
            format!(
                "the upstream ({}) answered {} with {what}",
                a.upstream.title, a.upstream_route.op
            ),
        )
    }
}

/// Searches the releases of a successful upstream answer to a get or a list
/// for asset `asset`. Every release is identified (for the caches); the one
/// that holds the asset is checked as any answer is, and the asset is
/// written for the client: its record, or, for a request for the file
/// (`download`), a redirect to the file.
pub fn find_asset<'b>(
    a: &ResponseArgs,
    headers: &HeaderMap,
    body: &'b [u8],
    asset: u64,
    download: bool,
) -> Result<AssetSearch<'b>, GwError> {
    let bad = bad_answer(a);
    let Some(shape) = a.upstream_route.response else {
        return Err(bad("no release its mapping can read".into()));
    };
    let text =
        simdutf8::basic::from_utf8(body).map_err(|_| bad("a body that is not UTF-8".into()))?;
    let mut recs = if a.upstream_route.op.lists() {
        let path = a.upstream_route.list.as_deref().unwrap_or(&[]);
        read_list(a.upstream, shape, path, text)
    } else {
        read_record(a.upstream, shape, text).map(|r| vec![r])
    }
    .map_err(|e| bad(read_error_text(&e)))?;
    let mut seen = Seen::default();
    let up = upstream_ctx(a);
    for r in &mut recs {
        identify(a, &up, r, &mut seen);
    }
    let holder = recs.iter().find_map(|r| {
        asset_lists(r)
            .find_map(|list| list.iter().find(|x| asset_id(x) == Some(asset)))
            .map(|x| (r, x))
    });
    let found = match holder {
        Some((release, rec)) => {
            check_upstream(a, shape, release).map_err(&bad)?;
            Some(FoundAsset {
                answer: write_asset(a, headers, rec, download)?,
                tag: release.text("tag").unwrap_or_default().into_owned(),
            })
        }
        None => None,
    };
    Ok(AssetSearch {
        found,
        releases: recs.len(),
        seen,
    })
}

/// The asset lists a record holds.
fn asset_lists<'r, 'b>(rec: &'r Record<'b>) -> impl Iterator<Item = &'r [Record<'b>]> {
    rec.kind
        .lists()
        .iter()
        .zip(&rec.lists)
        .filter(|((_, kind), _)| *kind == Kind::Asset)
        .filter_map(|(_, list)| list.as_deref())
}

/// An asset's id, where it is a number (or a string of one).
pub fn asset_id(rec: &Record) -> Option<u64> {
    let json = rec.vals[ASSET_ID].as_deref()?;
    match json.parse() {
        Ok(n) => Some(n),
        Err(_) => json_text(json)?.parse().ok(),
    }
}

/// Where a request for an asset's file is sent: the URL in the asset's
/// `download` field, when it has one that can stand in a header.
pub fn download_location(d: &Download, rec: &Record) -> Option<HeaderValue> {
    let url = rec.vals[d.field].as_deref().and_then(json_text)?;
    HeaderValue::from_str(&url).ok().filter(|_| !url.is_empty())
}

/// One asset for the client: its record in the client's shape, or a redirect
/// to its file.
fn write_asset(
    a: &ResponseArgs,
    headers: &HeaderMap,
    rec: &Record,
    download: bool,
) -> Result<ClientResponse<'static>, GwError> {
    let mut out_headers = Vec::new();
    map_headers(a.upstream, a.client, headers, &mut out_headers);
    if let Some(d) = a.client_route.download.as_ref().filter(|_| download) {
        let Some(location) = download_location(d, rec) else {
            let name = rec.text("name").or_else(|| rec.text("id"));
            return Err(bad_answer(a)(format!(
                "asset `{}` without a file URL (`{}`)",
                name.unwrap_or(Cow::Borrowed("?")),
                Kind::Asset.fields()[d.field]
            )));
        };
        out_headers.push((http::header::LOCATION, location));
        return Ok(ClientResponse {
            status: d.status,
            headers: out_headers,
            body: Vec::new(),
            seen: Seen::default(),
        });
    }
    let mut out = Vec::with_capacity(1024);
    if let Some(shape) = a.client_route.response {
        write_record(&mut out, a.client, shape, rec, &a.ctx);
    }
    Ok(ClientResponse {
        status: a.client_route.status,
        headers: out_headers,
        body: out,
        seen: Seen::default(),
    })
}

/// Checks a record read from the upstream, after its derived fields are
/// filled: a release has a tag (every release is addressed by one), and the
/// fields of the record and of its children have the types and presence the
/// upstream mapping declares. The error says which record and which of the
/// upstream's keys.
fn check_upstream(a: &ResponseArgs, shape: ShapeId, rec: &Record) -> Result<(), String> {
    let has_tag = rec.vals[RELEASE_TAG]
        .as_deref()
        .is_some_and(record::has_text);
    if rec.kind == Kind::Release && !has_tag {
        return Err("a release without a tag".into());
    }
    check_all(a.upstream, shape, rec).map_err(|(m, s, r)| {
        let key = a.upstream.shape(s).key(m.field);
        let of = if r.kind == rec.kind {
            String::new()
        } else {
            format!("{} ", r.kind.name())
        };
        let problem = if m.missing {
            "is missing".to_owned()
        } else {
            format!("is not {}", ty_name(m.expected))
        };
        // A release is named by its tag, anything else by its name or id,
        // where its kind has them.
        let label = match rec.kind {
            Kind::Release => rec.text("tag"),
            k => ["name", "id"].iter().find_map(|f| {
                let i = k.field_index(f)?;
                rec.vals[i].as_deref().and_then(json_text)
            }),
        };
        let label = label.unwrap_or(Cow::Borrowed("?"));
        format!("{} `{label}`, whose {of}`{key}` {problem}", rec.kind.name())
    })
}

/// Whether `v` is a `Retry-After` value (RFC 9110 §10.2.3): seconds, or an
/// HTTP date in its preferred form (`Sun, 06 Nov 1994 08:49:37 GMT`). Anything
/// else is not passed on: a client could not tell when to retry.
fn is_retry_after(v: &str) -> bool {
    let b = v.as_bytes();
    let seconds = !b.is_empty() && b.len() <= 10 && b.iter().all(u8::is_ascii_digit);
    let date = b.len() == 29
        && b[3] == b','
        && v.ends_with(" GMT")
        && [5, 6, 12, 13, 14, 15, 17, 18, 20, 21, 23, 24]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    seconds || date
}

fn read_error_text(e: &ReadError) -> String {
    match e {
        ReadError::Syntax(e) if e.is_eof() => "truncated JSON".into(),
        ReadError::Syntax(e) => format!("invalid JSON ({e})"),
        ReadError::Shape { expected, at } => format!("JSON without {expected} at {at}"),
        ReadError::Value { at, value, known } => {
            format!("`{at}` = {value}, which its mapping does not name (it names {known})")
        }
        ReadError::Prefix { at, value, prefix } => {
            format!("`{at}` = {value}, which does not start \"{prefix}\" as its mapping says")
        }
    }
}

/// The context the upstream mapping's derived fields are rendered in: the
/// upstream's URL and project, made once per answer.
fn upstream_ctx<'c>(a: &ResponseArgs<'c>) -> Ctx<'c> {
    let (owner, repo) = split_project(a.upstream_project);
    Ctx {
        api: a.ctx.upstream,
        upstream: a.ctx.upstream,
        owner,
        repo,
        project: a.upstream_project,
    }
}

/// Gives the release the id clients of numeric-id dialects use, and fills
/// fields the upstream left out (or sent as `null`) but its mapping can derive.
/// `up`: the context of the upstream's own values (see `upstream_ctx`).
fn identify<'b>(a: &ResponseArgs, up: &Ctx, rec: &mut Record<'b>, seen: &mut Seen<'b>) {
    if let Some(shape) = a.upstream_route.response {
        let shape = a.upstream.shape(shape);
        for (field, tpl) in &shape.derive {
            if rec.vals[*field].as_deref().is_none_or(|v| v == "null") {
                let v = render(tpl, rec, up);
                rec.vals[*field] = Some(Cow::Owned(record::json_string(&v)));
            }
        }
        for (field, tpl) in &shape.bases {
            let path = rec.vals[*field].as_deref().and_then(json_text);
            if let Some(path) = path.filter(|p| p.starts_with('/') && !p.starts_with("//")) {
                let url = [render(tpl, rec, up).trim_end_matches('/'), &path].concat();
                rec.vals[*field] = Some(Cow::Owned(record::json_string(&url)));
            }
        }
    }
    if rec.kind == Kind::Project {
        seen.project = rec.text("id").and_then(|t| t.parse::<u64>().ok());
    }
    if rec.kind != Kind::Release {
        return;
    }
    // The tag's text, borrowed from the body where the value is.
    let tag = match &rec.vals[RELEASE_TAG] {
        Some(Cow::Borrowed(json)) => json_text(json),
        Some(Cow::Owned(json)) => json_text(json).map(|t| Cow::Owned(t.into_owned())),
        None => None,
    };
    let Some(tag) = tag else {
        return;
    };
    for list in asset_lists(rec) {
        seen.assets.reserve(list.len());
        for x in list {
            if let Some(id) = asset_id(x) {
                seen.assets.push((id, tag.clone()));
            }
        }
    }
    let id = release_id(a.upstream, a.upstream_project, &tag, rec);
    if let Some(id) = id {
        if a.upstream.synthesized_ids {
            rec.vals[RELEASE_ID] = Some(Cow::Owned(id.to_string()));
        }
        seen.releases.push((id, tag));
    }
}

/// The numeric id of an upstream release: synthesized from project + tag where
/// the upstream dialect has none, else the one it sent.
pub fn release_id(u: &Dialect, project: &str, tag: &str, rec: &Record) -> Option<u64> {
    if u.synthesized_ids {
        Some(synthetic_id(project, tag))
    } else {
        rec.text("id").and_then(|t| t.parse::<u64>().ok())
    }
}

/// Copies headers with a shared meaning (rate limits, Retry-After) under the
/// client dialect's names.
pub fn map_headers(
    u: &Dialect,
    c: &Dialect,
    from: &HeaderMap,
    out: &mut Vec<(HeaderName, HeaderValue)>,
) {
    for (uh, idx) in &u.headers {
        let Some(v) = from.get(uh) else { continue };
        for (ch, cidx) in &c.headers {
            if cidx == idx {
                out.push((ch.clone(), v.clone()));
            }
        }
    }
}

/// The message of an error body in dialect `d`: the first of its
/// `message_paths` that holds one.
pub fn error_message(d: &Dialect, text: &str) -> Option<String> {
    d.errors.message_paths.iter().find_map(|p| {
        let j = read::find(text, p).ok().flatten()?;
        match json_text(j) {
            Some(t) => Some(t.into_owned()),
            None if j != "null" => Some(j.to_owned()),
            None => None,
        }
    })
}

/// Turns an upstream error answer into a canonical error.
pub fn decode_upstream_error(
    u: &Dialect,
    op: Op,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> GwError {
    let kind = match u.errors.kind_of_status(status) {
        // The upstream's own failure is an upstream error (502), never the gateway's (500).
        ErrorKind::Internal => ErrorKind::UpstreamError,
        k => k,
    };
    let detail = error_message(u, std::str::from_utf8(body).unwrap_or(""));
    let kind = match &detail {
        Some(m) if !u.errors.by_message.is_empty() => {
            let m = m.to_lowercase();
            u.errors
                .by_message
                .iter()
                .find(|(s, text, _)| *s == status && m.contains(text.as_str()))
                .map_or(kind, |(_, _, k)| *k)
        }
        _ => kind,
    };
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let message = match detail {
        Some(m) => format!("the upstream ({}) answered {status} {reason}: {m}", u.title),
        None => format!("the upstream ({}) answered {status} {reason}", u.title),
    };
    let mut e = GwError::new(kind, Side::Upstream, message);
    if kind == ErrorKind::AlreadyExists && op == Op::Create {
        e.field = Some("tag");
    }
    e.retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| is_retry_after(v))
        .map(str::to_owned);
    e
}
