//! The gateway's decisions about what to ask the upstream, and in what order,
//! as pure functions: the gateway makes them for each request (`proxy::handler`)
//! and `forgebridge translate` shows them without sending anything
//! (`preview`). Keeping them here keeps the two in step.

use super::paging::{self, PageReq};
use super::record::Record;
use super::url;
use super::{encode_path, Matched, ReleaseKey};
use crate::canonical::{ErrorKind, Op};
use crate::error::GwError;
use crate::mapping::model::{Dialect, PagingStyle, ReleaseKeyVar, Route, ShapeId};
use http::HeaderName;

/// The `User-Agent` of the requests the gateway makes itself (translated
/// requests and lookups; a pass-through forwards the client's).
pub const USER_AGENT: &str = concat!("forgebridge/", env!("CARGO_PKG_VERSION"));

/// The 413 for a request body over `max` bytes.
pub fn too_large(max: usize) -> GwError {
    GwError::client(
        ErrorKind::PayloadTooLarge,
        format!("request body is larger than the limit of {max} bytes"),
    )
}

/// The 501 for an upload across dialects: a file is passed on only where
/// nothing in it needs translating.
pub fn upload_refused(client: &Dialect, up: &Dialect) -> GwError {
    GwError::gateway(
        ErrorKind::Unsupported,
        format!(
            "the gateway passes this upload on only to an upstream of the client's dialect ({}), not to {}: across dialects a file goes only as the request body named in the query, to an upstream that takes it so",
            client.title, up.title
        ),
    )
}

/// Where an upstream of a dialect serves GraphQL, for an upstream URL whose
/// path is `base_path`: the GraphQL path that stands in place of the API
/// root that path ends with (the first of `[graphql] upstream` that it
/// does). `None` where the dialect names no such endpoint or the path ends
/// with none of its roots.
pub fn graphql_upstream(g: &crate::mapping::model::Graphql, base_path: &str) -> Option<String> {
    crate::mapping::model::root_in_place(&g.upstream, base_path)
}

/// How a file goes to an upstream: the raw body with its name in this
/// query parameter, or as this field of a multipart form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileTo {
    Query(String),
    Form(String),
}

/// A file passed on to an upstream of another dialect: its name, how the
/// upstream takes it, and its media type.
#[derive(Clone, Debug)]
pub struct FileOut {
    pub name: String,
    pub to: FileTo,
    pub media: http::HeaderValue,
    /// The field of the client's form that holds the file, where the client
    /// sent one: its name and media type are read from it with the body
    /// (`file_in_form`).
    pub form: Option<String>,
}

/// An upstream with no `upload` of its own that keeps a file in the project
/// and links it to a release: its `store` route and its `link` route for
/// the client's release key. A release's file goes there in two requests.
pub fn store_and_link<'u>(up: &'u Dialect, key: &ReleaseKey) -> Option<(&'u Route, &'u Route)> {
    if up.routes_for(Op::Upload).next().is_some() {
        return None;
    }
    let store = up.routes_for(Op::Store).next()?;
    let link = super::upstream_route(up, Op::Link, key).ok()?;
    Some((store, link))
}

/// Where a client keeps a file in the project (`store`) or links one to a
/// release (`link`), and the upstream has no such route but takes files in
/// its releases (`upload`): the gateway holds the kept file until a link
/// names it, then uploads it to the release. The upstream's `upload` route
/// for the release `key` names.
pub fn held_upload<'u>(up: &'u Dialect, op: Op, key: &ReleaseKey) -> Option<&'u Route> {
    if !matches!(op, Op::Store | Op::Link) || up.routes_for(op).next().is_some() {
        return None;
    }
    super::upstream_route(up, Op::Upload, key).ok()
}

/// How route `r` takes a file: the raw body named in the query where it
/// can, else in a form.
fn file_to(r: &Route) -> Option<FileTo> {
    match (&r.file_query, &r.file_form) {
        (Some(q), _) => Some(FileTo::Query(q.clone())),
        (None, Some(f)) => Some(FileTo::Form(f.clone())),
        (None, None) => None,
    }
}

/// A held file as it goes to the upstream's `upload` route: named `name`.
pub fn held_file_out(
    upload: &Route,
    name: &str,
    media: http::HeaderValue,
) -> Result<FileOut, GwError> {
    let to = file_to(upload).ok_or_else(|| {
        GwError::gateway(
            ErrorKind::Internal,
            "the upstream's `upload` route says not how it takes a file",
        )
    })?;
    Ok(FileOut {
        name: name.to_owned(),
        to,
        media,
        form: None,
    })
}

/// The asset a held file is, as the client's `store` answer gives it: its
/// `direct_path` is the file's secret and name (`<secret>/<name>`), and its
/// URL what the client's `store` route says (`held_url`), else that path.
/// A link names the file by the secret, a segment of its URL.
pub fn held_record(
    store: &Route,
    ctx: &super::write::Ctx,
    secret: &str,
    file: &FileOut,
    size: usize,
) -> Record<'static> {
    let name: String = url::segment_pieces(&file.name).collect();
    let direct = format!("{secret}/{name}");
    let mut rec = Record::new(crate::canonical::Kind::Asset);
    rec.set_str("name", &file.name);
    rec.set_str("direct_path", &direct);
    rec.set_json("size", size.to_string());
    rec.set_str(
        "content_type",
        file.media.to_str().unwrap_or("application/octet-stream"),
    );
    let url = match &store.held_url {
        Some(t) => super::write::render(t, &rec, ctx),
        None => direct,
    };
    rec.set_str("url", &url);
    rec.into_owned()
}

/// The 501 for a link whose URL names no file the gateway holds, in front of
/// an upstream that keeps files only in its releases.
pub fn no_held_file(up: &Dialect, held_for: std::time::Duration) -> GwError {
    let mut e = super::no_operation(up, Op::Link);
    e.message = format!(
        "{}. The gateway uploads to the release a file kept in the project through it (within {} s): this link's URL names none it holds",
        e.message,
        held_for.as_secs()
    );
    e
}

/// A file passed on to an upstream of another dialect, through its route
/// `uroute` (its `upload`, or its `store`): the raw body named in the query,
/// or the field of a multipart form that the client's route names.
pub fn upload_file(
    client: &Dialect,
    croute: &Route,
    up: &Dialect,
    uroute: &Route,
    headers: &http::HeaderMap,
    raw_query: &str,
) -> Result<FileOut, GwError> {
    let Some(to) = file_to(uroute) else {
        return Err(upload_refused(client, up));
    };
    let content_type = headers.get(http::header::CONTENT_TYPE);
    let ct = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
    let named = |param: &str| {
        url::query_pairs(raw_query)
            .into_iter()
            .find(|(k, v)| k == param && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    };
    let octets = http::HeaderValue::from_static("application/octet-stream");
    if let (Some(field), true) = (&croute.file_form, super::form::is_form(ct)) {
        // Named in the query, else by the form's filename.
        let name = croute
            .file_query
            .as_deref()
            .and_then(named)
            .unwrap_or_default();
        return Ok(FileOut {
            name,
            to,
            media: octets,
            form: Some(field.clone()),
        });
    }
    let multipart = ct.trim().to_ascii_lowercase().starts_with("multipart/");
    let Some(cq) = &croute.file_query else {
        return Err(upload_refused(client, up));
    };
    if multipart {
        return Err(GwError::gateway(
            ErrorKind::Unsupported,
            format!(
                "a file sent as a multipart form is passed on only to an upstream of the client's dialect ({}), not to {}; send the file as the request body, its name in the query (`?{cq}=…`)",
                client.title, up.title
            ),
        ));
    }
    let name = named(cq).ok_or_else(|| {
        GwError::client(
            ErrorKind::Invalid,
            format!("the file's name is missing: give it in the query (`?{cq}=…`)"),
        )
    })?;
    let media = content_type.cloned().unwrap_or(octets);
    Ok(FileOut {
        name,
        to,
        media,
        form: None,
    })
}

/// The file's bytes in the client's `body`: the body itself, or the part of
/// the form that holds it (`file.form`), whose filename and media type then
/// complete `file`. A form without the file, or a file without a name, is
/// the client's 422.
pub fn file_in_form(
    file: &mut FileOut,
    content_type: &str,
    body: &bytes::Bytes,
) -> Result<bytes::Bytes, GwError> {
    let Some(field) = &file.form else {
        return Ok(body.clone());
    };
    let part = super::form::file_part(content_type, body, field).map_err(|e| {
        GwError::client(
            ErrorKind::Invalid,
            format!("{e}: the file goes in `{field}`"),
        )
    })?;
    if file.name.is_empty() {
        file.name = part.filename.ok_or_else(|| {
            GwError::client(
                ErrorKind::Invalid,
                format!("the file's name is missing: give `{field}` a filename"),
            )
        })?;
    }
    if let Some(v) = part
        .media
        .and_then(|m| http::HeaderValue::from_str(&m).ok())
    {
        file.media = v;
    }
    Ok(body.slice(part.bytes))
}

/// Puts the file in a request to the upstream, as the upstream takes it:
/// the body itself, named in the query; or a multipart form of one field,
/// the file named by its `filename` (`"`, CR and LF percent-encoded, as
/// browsers write them), under a boundary that does not occur in it.
pub fn attach_file(out: &mut super::Outbound, file: &FileOut, bytes: &bytes::Bytes) {
    out.headers.retain(|(k, _)| k != http::header::CONTENT_TYPE);
    let field = match &file.to {
        FileTo::Query(param) => {
            url::push_query(&mut out.path_and_query, param, &file.name);
            out.headers
                .push((http::header::CONTENT_TYPE, file.media.clone()));
            out.body = Some(bytes.clone());
            return;
        }
        FileTo::Form(field) => field,
    };
    let mut n = crate::canonical::synthetic_id(&file.name, &bytes.len().to_string());
    let boundary = loop {
        let b = format!("forgebridge-{n:016x}");
        if memchr::memmem::find(bytes, b.as_bytes()).is_none() {
            break b;
        }
        n = n.wrapping_add(1);
    };
    let mut filename = String::with_capacity(file.name.len());
    for c in file.name.chars() {
        match c {
            '"' => filename.push_str("%22"),
            '\r' => filename.push_str("%0D"),
            '\n' => filename.push_str("%0A"),
            c => filename.push(c),
        }
    }
    let media = String::from_utf8_lossy(file.media.as_bytes());
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let mut body = Vec::with_capacity(head.len() + bytes.len() + tail.len());
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(tail.as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    if let Ok(v) = http::HeaderValue::from_str(&ct) {
        out.headers.push((http::header::CONTENT_TYPE, v));
    }
    out.body = Some(bytes::Bytes::from(body));
}

/// The page a translated request asks the upstream for: the client's page
/// request (for a list), no larger than the upstream serves, with cursors
/// moved between dialects that page differently (see `cursor_carrier`); a
/// cursor client's cursor that names no page of a numbered upstream is a 400.
pub fn page_request(
    client: &Dialect,
    up: &Dialect,
    op: Op,
    raw_query: &str,
) -> Result<PageReq, GwError> {
    let mut page = match &client.paging {
        Some(p) if op.lists() => paging::decode_request(p, raw_query),
        _ => PageReq::default(),
    };
    if !op.lists() {
        return Ok(page);
    }
    // An upstream cursor, carried in the links the gateway gave a client that
    // pages by number (see `cursor_carrier`).
    if let Some(c) = cursor_carrier(client, up) {
        page.cursor = url::query_pairs(raw_query)
            .into_iter()
            .find(|(k, _)| k == c)
            .map(|(_, v)| v.into_owned());
    }
    // A cursor the gateway gave a client that pages by cursor, in front of an
    // upstream that pages by number, is that page's number.
    if !client.pages_by_number() && (up.pages_by_number() || up.paging.is_none()) {
        if let Some(c) = page.cursor.take() {
            page.page = c.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                GwError::client(
                    ErrorKind::BadRequest,
                    format!("invalid cursor `{c}`: the cursors of this gateway are the ones its Link headers give"),
                )
            })?;
        }
    }
    if let (Some(n), Some(max)) = (
        page.per_page,
        up.paging.as_ref().and_then(|p| p.max_per_page),
    ) {
        page.per_page = Some(n.min(max));
    }
    Ok(page)
}

/// For an upstream that answers its whole list in one (it has no paging),
/// in front of a client that pages: the releases of the client's page among
/// the `total` of the list, and that page's neighbours, as page numbers.
/// `None` where the upstream pages, or the client does not.
pub fn cut_page(
    client: &Dialect,
    up: &Dialect,
    page: &PageReq,
    total: usize,
) -> Option<(std::ops::Range<usize>, paging::PageInfo)> {
    if up.paging.is_some() {
        return None;
    }
    let cp = client.paging.as_ref()?;
    let per_page = page.per_page.or(cp.default_per_page).unwrap_or(30).max(1) as usize;
    let n = page.page.max(1) as usize;
    let start = (n - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let last = total.div_ceil(per_page).max(1);
    Some((
        start..end,
        paging::PageInfo {
            next: (n < last).then(|| (n + 1).to_string()),
            prev: (n > 1).then(|| (n - 1).min(last).to_string()),
            last: Some(last.to_string()),
            total: Some(total.to_string()),
        },
    ))
}

/// Whether the client gets the upstream's whole list in one answer: its
/// dialect does not page, and the upstream's does.
pub fn whole_list(client: &Dialect, up: &Dialect, op: Op) -> bool {
    op.lists() && client.paging.is_none() && up.paging.is_some()
}

/// Whether a list page must first be found by following the upstream's
/// cursors: a client that pages by number asks for a page after the first,
/// without a cursor the gateway gave it (see `cursor_carrier`).
pub fn walks_to_page(client: &Dialect, up: &Dialect, op: Op, page: &PageReq) -> bool {
    op == Op::List && page.page > 1 && page.cursor.is_none() && cursor_carrier(client, up).is_some()
}

/// For a client that pages by number in front of an upstream that pages by
/// cursor: the upstream's cursor parameter, under which its cursors travel in
/// the links the client is given.
pub fn cursor_carrier<'u>(client: &Dialect, up: &'u Dialect) -> Option<&'u str> {
    let (c, u) = (client.paging.as_ref()?, up.paging.as_ref()?);
    if c.style == PagingStyle::Page && u.style != PagingStyle::Page {
        u.cursor_param.as_deref()
    } else {
        None
    }
}

/// The 501 for a request body the upstream route refuses, checked before
/// anything is asked of the upstream: every rule but one about the tag
/// changing where the tag the client named is not the upstream's key (that
/// one waits for the lookup, and is checked when the request is built).
pub fn early_refusal(
    up: &Dialect,
    uroute: &Route,
    key: &ReleaseKey,
    body: Option<&Record<'_>>,
) -> Result<(), GwError> {
    let Some(body) = body else {
        return Ok(());
    };
    let tag = match key {
        ReleaseKey::Tag(t) => Some(t.as_str()),
        _ => None,
    };
    let page = PageReq::default();
    super::refusal(
        up,
        uroute,
        &super::OutboundArgs {
            project: "",
            tag,
            id: None,
            asset: None,
            page: &page,
            body: Some(body),
            token: None,
        },
    )
}

/// How an upstream route is addressed for a release the client named by `key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing<'k> {
    /// By the client's tag.
    Tag(&'k str),
    /// By the client's id.
    Id(u64),
    /// By the tag of the release with this id: the gateway's cache, else a
    /// walk over the upstream's list (the id is kept too).
    TagOfId(u64),
    /// By the id of the release with this tag: a GET of the upstream's
    /// release by tag (see `by_tag_route`).
    IdOfTag(&'k str),
    /// The route names no release.
    None,
}

/// How `uroute` is addressed for the release the client named.
pub fn addressing<'k>(uroute: &Route, key: &'k ReleaseKey) -> Addressing<'k> {
    match (uroute.key, key) {
        (ReleaseKeyVar::Tag, ReleaseKey::Id(id)) => Addressing::TagOfId(*id),
        (ReleaseKeyVar::Id, ReleaseKey::Tag(t)) => Addressing::IdOfTag(t),
        (_, ReleaseKey::Id(i)) => Addressing::Id(*i),
        (_, ReleaseKey::Tag(t)) => Addressing::Tag(t),
        (_, ReleaseKey::None) => Addressing::None,
    }
}

/// The upstream route that finds a release by tag, for an operation (`op`)
/// the upstream addresses by id, with the shape its answer is read with. An
/// upstream with none cannot be asked, and the operation is refused.
pub fn by_tag_route(up: &Dialect, op: Op) -> Result<(&Route, ShapeId), GwError> {
    up.routes_for(Op::Get)
        .find_map(|r| match (r.key, r.response) {
            (ReleaseKeyVar::Tag, Some(shape)) => Some((r, shape)),
            _ => None,
        })
        .ok_or_else(|| {
            GwError::gateway(
                ErrorKind::Unsupported,
                format!(
                    "the upstream ({}) addresses releases by id only for `{op}`, and has no route to find a release by tag",
                    up.title
                ),
            )
        })
}

/// Whether the client expects the release back (`client_route` answers with
/// one) from an upstream route that answers without it (a delete answered
/// 204, say): the gateway then reads the release first.
pub fn release_from_lookup(client_route: &Route, uroute: &Route) -> bool {
    client_route.response.is_some() && uroute.response.is_none()
}

/// The upstream route that reads one release, by tag (else by id) where the
/// upstream has a route for that; `None` where it has none.
pub fn lookup_route<'u>(up: &'u Dialect, tag: Option<&str>, id: Option<u64>) -> Option<&'u Route> {
    match (tag, id) {
        (Some(_), _) => get_route(up, ReleaseKeyVar::Tag),
        (None, Some(_)) => get_route(up, ReleaseKeyVar::Id),
        (None, None) => None,
    }
}

/// For `latest` from an upstream without a route for it: the upstream's
/// `get` route by tag where it answers a release as the list holds it (read
/// with the list's own shape, or found in the list): the release is then
/// answered from the list page it was found on, with no read of its own.
pub fn latest_from_page(up: &Dialect) -> Option<&Route> {
    let (list, _, get) = latest_by_list(up)?;
    (get.response == list.response).then_some(get)
}

/// The upstream's `get` route for a release addressed by `key`, the one
/// `upstream_route` would choose, where it answers with the release.
fn get_route(up: &Dialect, key: ReleaseKeyVar) -> Option<&Route> {
    up.routes_for(Op::Get)
        .find(|r| r.key == key)
        .filter(|r| r.response.is_some())
}

/// Where a walk over the upstream's release list starts: its list route and
/// the first page, the largest the upstream serves (100 where it names no
/// maximum). `None` where the upstream has no list route.
pub fn walk_start(up: &Dialect) -> Option<(&Route, PageReq)> {
    let list = up.routes_for(Op::List).next()?;
    let per_page = up
        .paging
        .as_ref()
        .and_then(|p| p.max_per_page)
        .or(Some(100));
    Some((
        list,
        PageReq {
            page: 1,
            per_page,
            cursor: None,
        },
    ))
}

/// Moves `page` on to the upstream's next page as its answer names it: a
/// page number for an upstream that pages by number, else its cursor. False
/// where that goes nowhere new (a page number not after this one, the same
/// cursor again), so that a walk ends.
pub fn advance(up: &Dialect, page: &mut PageReq, next: String) -> bool {
    if up.pages_by_number() {
        match next.parse::<u64>() {
            Ok(n) if n > page.page => {
                page.page = n;
                true
            }
            _ => false,
        }
    } else if page.cursor.as_deref() == Some(next.as_str()) {
        false
    } else {
        page.cursor = Some(next);
        true
    }
}

/// `latest` where the upstream has no route of its own for it: its release
/// list, walked from the first page until a page holds a published release
/// (see `newest_published`), and its by-tag route, which then reads that
/// release unless the page gives it as that route would (`latest_from_page`).
/// `None` where the upstream has a `latest` route, or not both of those.
pub fn latest_by_list(up: &Dialect) -> Option<(&Route, PageReq, &Route)> {
    if up.routes_for(Op::Latest).next().is_some() {
        return None;
    }
    let (list, page) = walk_start(up)?;
    list.response?;
    let get = get_route(up, ReleaseKeyVar::Tag)?;
    Some((list, page, get))
}

/// What a forge calls its latest release, among one page of its list (lists
/// are newest first, so the first page that holds one holds it): the release
/// published last (else created last) that is neither a draft nor a
/// prerelease: its index in `recs`.
pub fn newest_published(recs: &[Record]) -> Option<usize> {
    fn when<'r>(r: &'r Record) -> Option<&'r str> {
        r.json("published_at")
            .filter(|v| *v != "null")
            .or_else(|| r.json("created_at"))
    }
    let mut best: Option<(usize, Option<&str>)> = None;
    for (i, r) in recs.iter().enumerate() {
        if r.json("draft") == Some("true") || r.json("prerelease") == Some("true") {
            continue;
        }
        // RFC 3339 times in one offset compare as text; of equal times, the
        // first listed (the newer).
        let w = when(r);
        if best.is_none_or(|(_, b)| w > b) {
            best = Some((i, w));
        }
    }
    best.map(|(i, _)| i)
}

/// Where a pass-through sends a request: the path and query, and the host.
pub struct PassedTo<'u> {
    /// The path rebuilt from the matched route, every parameter encoded
    /// again, the query as the client sent it.
    pub pq: String,
    /// The path is on the upstream's host, in place of its URL's path (a
    /// route with a root of its own there: `Route::host_root`).
    pub on_host: bool,
    /// The upstream's other host, by name, the request goes to
    /// (`Route::at_host`): its URL, then `pq`.
    pub host: Option<&'u str>,
}

/// Where a pass-through sends a request (same dialect on both sides): a
/// route the upstream serves under a root of its own, or at another host of
/// its, is asked there, as a translated request would be.
pub fn pass_through_path<'u>(
    up: &'u Dialect,
    m: &Matched<'_>,
    uproject: &str,
    raw_query: &str,
) -> Result<PassedTo<'u>, GwError> {
    let elsewhere = |r: &&Route| {
        r.method == m.route.method
            && r.path.raw == m.route.path.raw
            && (r.host_root.is_some() || r.at_host.is_some())
    };
    let there = match m.route.roots.is_empty() && m.route.host.is_none() {
        true => None,
        false => up.routes.iter().find(elsewhere),
    };
    let mut pq = encode_path(
        up,
        there.unwrap_or(m.route),
        uproject,
        m.params.tag.as_deref(),
        m.params.id,
        m.params.asset,
    )?;
    if !raw_query.is_empty() {
        pq.push('?');
        pq.push_str(raw_query);
    }
    Ok(PassedTo {
        pq,
        on_host: there.is_some_and(|r| r.host_root.is_some()),
        host: there.and_then(|r| r.at_host.as_deref()),
    })
}

/// Whether a pass-through sends a client's request header upstream: the
/// forwardable ones and the dialect's credentials.
#[inline]
pub fn forwards(up: &Dialect, k: &HeaderName) -> bool {
    forwardable(k) || up.auth_in.iter().any(|s| s.header.as_ref() == Some(k))
}

/// Request headers a pass-through forwards besides the dialect's credentials.
fn forwardable(h: &HeaderName) -> bool {
    use http::header as hd;
    [
        hd::ACCEPT,
        hd::ACCEPT_ENCODING,
        hd::CONTENT_TYPE,
        hd::CONTENT_LENGTH,
        hd::CONTENT_ENCODING,
        hd::USER_AGENT,
        hd::IF_NONE_MATCH,
        hd::IF_MODIFIED_SINCE,
    ]
    .contains(h)
}

/// The JSON text of element `i` of the array at `path` (object keys from the
/// top) of a list answer; `None` where there is no such element. For a
/// release found in a forge's list (`Route::found_in_list`): not the hot path.
pub fn list_element<'t>(text: &'t str, path: &[String], i: usize) -> Option<&'t str> {
    use serde_json::value::RawValue;
    let mut at: &RawValue = serde_json::from_str(text).ok()?;
    for key in path {
        let members: std::collections::HashMap<String, &RawValue> =
            serde_json::from_str(at.get()).ok()?;
        at = members.get(key)?;
    }
    let elements: Vec<&RawValue> = serde_json::from_str(at.get()).ok()?;
    elements.get(i).map(|e| e.get())
}

/// The path of the project numbered `number`, from the upstream's answer to
/// its `project_by_id` route `route`: the `path` its response shape reads.
pub fn project_path(
    up: &Dialect,
    route: &Route,
    number: u64,
    body: &[u8],
) -> Result<String, GwError> {
    let bad = |what: &str| {
        GwError::upstream(
            ErrorKind::BadUpstreamResponse,
            format!(
                "the upstream ({}) answered the lookup of project {number} with {what}",
                up.title
            ),
        )
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("a body that is not UTF-8"))?;
    let shape = route.response.ok_or_else(|| bad("no shape to read"))?;
    let rec = super::read::read_record(up, shape, text).map_err(|e| bad(&e.to_string()))?;
    match rec.text("path") {
        Some(p) if !p.is_empty() => Ok(p.into_owned()),
        _ => Err(bad("a project without its path")),
    }
}

/// The number a client names a project by: the `{id}` of its
/// `project_by_id` route, or a `{project}` of digits that `[projects]` does
/// not map (a client's `/projects/1296269`). `None` for a project
/// named by its path.
pub fn project_number(m: &Matched<'_>, cfg: &crate::config::Config) -> Option<u64> {
    let project = m.params.project.as_str();
    match m.route.op {
        Op::ProjectById => m.params.id,
        _ if m.route.path.names(crate::mapping::model::PathVar::Project)
            && !project.is_empty()
            && project.bytes().all(|b| b.is_ascii_digit())
            && cfg.upstream_project(project) == project =>
        {
            project.parse().ok()
        }
        _ => None,
    }
}

/// The upstream's route that finds a project by its number, if it has one.
pub fn number_route(up: &Dialect) -> Option<&Route> {
    up.routes_for(Op::ProjectById).next()
}

/// Whether the upstream's answer to its `project_by_id` route is what the
/// client's `op` asks: a read of the project itself, whose upstream route
/// reads the same shape.
pub fn number_answers(up: &Dialect, op: Op) -> bool {
    matches!(op, Op::Project | Op::ProjectById)
        && number_route(up).is_some_and(|n| {
            super::upstream_route(up, op, &ReleaseKey::None).is_ok_and(|r| r.response == n.response)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::Kind;

    fn rel(tag: &str, published: Option<&str>, created: &str, flags: &[&str]) -> Record<'static> {
        let mut r = Record::new(Kind::Release);
        r.set_str("tag", tag);
        r.set_str("created_at", created);
        match published {
            Some(p) => r.set_str("published_at", p),
            None => r.set_json("published_at", "null".into()),
        }
        for f in flags {
            r.set_json(f, "true".into());
        }
        r
    }

    #[test]
    fn the_latest_is_published_last_and_neither_draft_nor_prerelease() {
        let t = "2024-01-01T00:00:00Z";
        let recs = [
            rel("draft", None, "2024-05-01T00:00:00Z", &["draft"]),
            rel("rc", Some("2024-04-01T00:00:00Z"), t, &["prerelease"]),
            rel("unreleased", None, "2024-02-01T00:00:00Z", &[]),
            rel("v2", Some("2024-03-01T00:00:00Z"), t, &[]),
            rel("v2-again", Some("2024-03-01T00:00:00Z"), t, &[]),
            rel("v1", Some("2024-01-15T00:00:00Z"), t, &[]),
        ];
        let tag = |recs: &[Record]| {
            newest_published(recs).and_then(|i| recs[i].text("tag").map(|t| t.into_owned()))
        };
        // Of equal times the first listed, the newer.
        assert_eq!(tag(&recs).as_deref(), Some("v2"));
        // Without a publication time, the creation time counts.
        assert_eq!(tag(&recs[..3]).as_deref(), Some("unreleased"));
        assert_eq!(tag(&recs[..2]), None);
    }

    fn dialect(paging: &str) -> Dialect {
        let src = format!(
            r#"
[dialect]
name = "d"
roots = [""]
{paging}
[[route]]
op = "list"
method = "GET"
path = "/{{owner}}/{{repo}}/releases"
response = "release"
list = "$.releases"
[shapes.release]
kind = "release"
[shapes.release.fields]
tag = "tag"
[errors]
shape = "error"
[shapes.error]
kind = "error"
[shapes.error.fields]
message = "message"
"#
        );
        crate::mapping::compile::compile_source("d.toml", &src).unwrap()
    }

    #[test]
    fn a_whole_list_is_cut_into_the_clients_pages() {
        let whole = dialect("");
        let paged = dialect("[paging]\nstyle = \"page\"\npage_param = \"page\"\nper_page_param = \"per_page\"\ndefault_per_page = 2");
        let page = |n, per_page| PageReq {
            page: n,
            per_page,
            cursor: None,
        };
        let info =
            |next: Option<&str>, prev: Option<&str>, last: &str, total: &str| paging::PageInfo {
                next: next.map(str::to_owned),
                prev: prev.map(str::to_owned),
                last: Some(last.to_owned()),
                total: Some(total.to_owned()),
            };
        // The client's page size, else its default.
        assert_eq!(
            cut_page(&paged, &whole, &page(2, Some(3)), 7),
            Some((3..6, info(Some("3"), Some("1"), "3", "7")))
        );
        assert_eq!(
            cut_page(&paged, &whole, &page(4, None), 7),
            Some((6..7, info(None, Some("3"), "4", "7")))
        );
        // Past the end: nothing, and the way back to the last page.
        assert_eq!(
            cut_page(&paged, &whole, &page(9, None), 3),
            Some((3..3, info(None, Some("2"), "2", "3")))
        );
        // An empty list is one empty page.
        assert_eq!(
            cut_page(&paged, &whole, &page(1, None), 0),
            Some((0..0, info(None, None, "1", "0")))
        );
        // An upstream that pages, or a client that does not, is not cut.
        assert_eq!(cut_page(&paged, &paged, &page(1, None), 7), None);
        assert_eq!(cut_page(&whole, &whole, &page(1, None), 7), None);
        assert!(whole_list(&whole, &paged, Op::List));
        assert!(!whole_list(&paged, &whole, Op::List));
        assert!(!whole_list(&whole, &paged, Op::Get));
        // The lookup route a forge without a get route is given.
        let get = get_route(&whole, ReleaseKeyVar::Tag).unwrap();
        assert!(get.found_in_list);
        assert!(get_route(&paged, ReleaseKeyVar::Id).is_none());
    }

    #[test]
    fn a_list_element_is_its_own_text() {
        let text = r#"{"status": "Success", "releases": [{"tag": "a"}, {"tag": "b", "x": [1, {"y": "]"}]}]}"#;
        let path = ["releases".to_owned()];
        assert_eq!(list_element(text, &path, 0), Some(r#"{"tag": "a"}"#));
        assert_eq!(
            list_element(text, &path, 1),
            Some(r#"{"tag": "b", "x": [1, {"y": "]"}]}"#)
        );
        assert_eq!(list_element(text, &path, 2), None);
        assert_eq!(list_element("[1, 2]", &[], 1), Some("2"));
        assert_eq!(list_element(text, &["nope".to_owned()], 0), None);
        assert_eq!(list_element("{", &path, 0), None);
    }
}
