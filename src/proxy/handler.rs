//! One request's life, phase by phase: route → read body → decode → resolve →
//! encode → forward → translate back. Every failure leaves through `respond_error`.

use super::client::{self, full, Answer, Body, Inbound, Upstream, UpstreamOptions, Upstreamed};
use super::held::HeldFile;
use crate::canonical::{ErrorKind, Kind, Op};
use crate::config::Config;
use crate::error::{encode_error, GwError};
use crate::identity::IdCache;
use crate::mapping::model::{Graphql, Route};
use crate::mapping::{Dialect, Mappings};
use crate::translate::paging::{self, PageReq};
use crate::translate::plan::{self, too_large, Addressing};
use crate::translate::read::{read_list, read_record};
use crate::translate::record::Record;
use crate::translate::write::Ctx;
use crate::translate::{
    self, ClientResponse, FoundAsset, Matched, OutboundArgs, Params, ReleaseKey, ResponseArgs, Seen,
};
use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Limited};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// An upstream's answer the gateway read for itself: its headers and body.
type Looked = (HeaderMap, Vec<u8>);

pub struct Gateway {
    pub cfg: Config,
    pub clients: Vec<Arc<Dialect>>,
    pub upstream: Arc<Dialect>,
    pub http: Upstream,
    /// The upstream's other hosts the config names (`[upstream.hosts]`),
    /// each with connections of its own.
    hosts: Vec<(String, Upstream)>,
    pub ids: IdCache,
    /// Asset id → tag of the release it was last seen in, so that an asset
    /// addressed by its id alone is read from its release without a walk.
    pub asset_tags: IdCache,
    /// A project's numeric id, as a client was given it reading the project
    /// → the path it read it by, so that the client may address it by that
    /// id (as clients do after reading a project) where the upstream
    /// addresses projects by path.
    pub project_paths: IdCache,
    /// Files clients kept in a project, for an upstream that keeps files
    /// only in releases, until a link names them.
    pub held: super::held::Held,
    pub public_base: String,
    /// The upstream's API address (base URL and its first API root), which
    /// pass-through rewrites to the gateway's in `Link` and `Location`.
    upstream_api: String,
    translations: Arc<tokio::sync::Semaphore>,
    seq: AtomicU64,
    id_prefix: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no client dialect accepted: give --accept DIALECT (known: {0})")]
    NoAccept(String),
    #[error("unknown dialect `{0}` (known: {1})")]
    UnknownDialect(String, String),
    #[error("no upstream: give --upstream DIALECT=URL")]
    NoUpstream,
    #[error("upstream.ca_file: {0}")]
    UpstreamCa(String),
}

/// How a request is built again for a retry (none is, for a write).
type Rebuild = fn() -> Result<Request<Body>, GwError>;

impl Gateway {
    pub fn new(cfg: Config, maps: &Mappings) -> Result<Gateway, SetupError> {
        let known = || maps.names().collect::<Vec<_>>().join(", ");
        if cfg.accept.is_empty() {
            return Err(SetupError::NoAccept(known()));
        }
        let mut clients = Vec::new();
        for a in &cfg.accept {
            clients.push(
                maps.get(a)
                    .cloned()
                    .ok_or_else(|| SetupError::UnknownDialect(a.clone(), known()))?,
            );
        }
        if cfg.upstream_url.is_empty() || cfg.upstream_dialect.is_empty() {
            return Err(SetupError::NoUpstream);
        }
        let upstream = maps
            .get(&cfg.upstream_dialect)
            .cloned()
            .ok_or_else(|| SetupError::UnknownDialect(cfg.upstream_dialect.clone(), known()))?;
        let extra_roots = match &cfg.upstream_ca_file {
            Some(path) => client::load_roots(path).map_err(SetupError::UpstreamCa)?,
            None => Vec::new(),
        };
        let opts = UpstreamOptions {
            connect_timeout: cfg.connect_timeout,
            timeout: cfg.upstream_timeout,
            max_response_bytes: cfg.max_response_bytes,
            io_buffer_bytes: cfg.io_buffer_bytes,
            bulk_streams: cfg.max_bulk_streams,
            extra_roots,
        };
        let http = Upstream::new(&cfg.upstream_url, &upstream.title, &opts);
        // Routes the upstream serves under roots of their own, where its URL
        // says which.
        let upstream = match upstream.at_base(http.base_path(), &cfg.upstream_hosts) {
            Some(d) => Arc::new(d),
            None => upstream,
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        let hosts = cfg
            .upstream_hosts
            .iter()
            .map(|(name, url)| (name.clone(), Upstream::new(url, &upstream.title, &opts)))
            .collect();
        let upstream_api = format!(
            "{}{}",
            http.base,
            upstream.roots.first().map_or("", String::as_str)
        );
        Ok(Gateway {
            upstream_api,
            ids: IdCache::new(cfg.id_cache_entries),
            asset_tags: IdCache::new(cfg.id_cache_entries),
            project_paths: IdCache::new(cfg.id_cache_entries),
            held: super::held::Held::new(cfg.held_file_bytes, cfg.held_file_time),
            translations: Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrent_translations)),
            public_base: cfg.public_base(),
            cfg,
            clients,
            upstream,
            http,
            hosts,
            seq: AtomicU64::new(0),
            id_prefix: nanos ^ std::process::id(),
        })
    }

    /// The address the gateway was bound to (port 0 becomes the one the system
    /// chose); the public URL follows it unless one is configured.
    pub fn set_listen(&mut self, addr: std::net::SocketAddr) {
        self.cfg.listen = addr;
        self.public_base = self.cfg.public_base();
    }

    /// The base URL of the API a client sees under `root` ("" or "/api/v3", …).
    pub(super) fn public_api(&self, root: &str) -> String {
        [self.public_base.as_str(), root].concat()
    }

    /// The client's X-Request-Id when it is a sane one, else a new id. Kept as
    /// a header value: it goes into the upstream request and the response.
    fn request_id(&self, headers: &HeaderMap) -> HeaderValue {
        if let Some(v) = headers.get(&X_REQUEST_ID) {
            let b = v.as_bytes();
            if !b.is_empty()
                && b.len() <= 128
                && b.iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
            {
                return v.clone();
            }
        }
        // "{prefix:08x}-{seq:08x}", without the formatting machinery (every request pays for it).
        let mut id = Vec::with_capacity(17);
        id.extend(super::hex_digits(u64::from(self.id_prefix), 8));
        id.push(b'-');
        id.extend(super::hex_digits(
            self.seq.fetch_add(1, Ordering::Relaxed),
            8,
        ));
        HeaderValue::from_maybe_shared(Bytes::from(id))
            .unwrap_or_else(|_| HeaderValue::from_static("-"))
    }

    /// Serves one request; never fails, never panics on input.
    pub async fn handle(self: Arc<Self>, req: Request<hyper::body::Incoming>) -> Response<Body> {
        let start = Instant::now();
        let rid = self.request_id(req.headers());
        let req = req.map(Inbound::Peer);
        let method = req.method().clone();
        // For the log line; a copy of the URI shares its bytes (no allocation).
        let uri = req.uri().clone();
        let path = uri.path();
        let mut log = LogLine::default();
        // A bug that panics is the client's 500, in its dialect, not a
        // dropped connection; the log names it.
        let served = match AssertUnwindSafe(self.serve(req, &rid, &mut log))
            .catch_unwind()
            .await
        {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(request_id = ?rid, panic = %what, "request panicked");
                let err = GwError::gateway(
                    ErrorKind::Internal,
                    "the gateway failed on this request (a bug); its log names the request id",
                );
                // In the dialect of the route that matched, if one did.
                let client = self.clients.iter().position(|d| d.name == log.client);
                Err((err, client.unwrap_or(0)))
            }
        };
        let mut resp = match served {
            Ok(r) => r,
            Err((err, client)) => {
                log.error = Some(err.to_string());
                let d = &self.clients[client.min(self.clients.len() - 1)];
                // The dialect the error is written in names the request too.
                log.rid_header = d.request_id_header.as_ref();
                let api = self.public_api(log.root);
                respond_error(d, &err, &api)
            }
        };
        let status = resp.status().as_u16();
        let latency_us = start.elapsed().as_micros() as u64;
        let rid_text = rid.to_str().unwrap_or("-");
        // The query is left out: some dialects carry credentials there.
        match &log.error {
            None => tracing::info!(
                request_id = %rid_text, client = log.client, op = log.op, %method, path = %path,
                upstream_status = log.upstream_status, status, latency_us, "request"
            ),
            Some(e) => tracing::warn!(
                request_id = %rid_text, client = log.client, op = log.op, %method, path = %path,
                upstream_status = log.upstream_status, status, latency_us, error = %e, "request failed"
            ),
        }
        if let Some(h) = log.rid_header.filter(|h| **h != X_REQUEST_ID) {
            resp.headers_mut().insert(h.clone(), rid.clone());
        }
        resp.headers_mut().insert(X_REQUEST_ID, rid);
        if method == http::Method::HEAD {
            head_only(&mut resp);
        }
        resp
    }

    pub(super) async fn serve<'s>(
        &'s self,
        req: Request<Inbound>,
        rid: &HeaderValue,
        log: &mut LogLine<'s>,
    ) -> Result<Response<Body>, (GwError, usize)> {
        // Route: the first accepted dialect whose routes match the raw path.
        // A copy of the URI shares its bytes: path and query are borrowed from it.
        let raw_uri = req.uri().clone();
        let raw_path = raw_uri.path();
        let raw_query = raw_uri.query().unwrap_or("");
        // A dialect's GraphQL endpoint, whose fields read through its routes.
        if req.method() == http::Method::POST {
            let gql = self.clients.iter().enumerate().find_map(|(i, d)| {
                d.graphql
                    .as_ref()
                    .filter(|g| g.paths.iter().any(|p| p == raw_path))
                    .map(|g| (i, d, g))
            });
            if let Some((ci, d, g)) = gql {
                log.client = &d.name;
                log.rid_header = d.request_id_header.as_ref();
                log.op = "graphql";
                // Between two sides of the dialect, the upstream's own
                // endpoint answers the query, whatever it asks.
                if d.name == self.upstream.name && !g.upstream.is_empty() {
                    return Box::pin(self.forward_graphql(req, g, rid, log))
                        .await
                        .map_err(|e| (e, ci));
                }
                return Box::pin(self.graphql(req, ci, g, rid, log)).await;
            }
        }
        let mut matched: Option<(usize, Matched)> = None;
        let mut first_err = None;
        for (i, d) in self.clients.iter().enumerate() {
            match translate::match_route(d, req.method(), raw_path) {
                Ok(m) => {
                    matched = Some((i, m));
                    break;
                }
                Err(e) => {
                    if first_err.is_none() || e.kind == ErrorKind::MethodNotAllowed {
                        first_err = Some((e, i));
                    }
                }
            }
        }
        let Some((ci, m)) = matched else {
            return Err(
                first_err.unwrap_or_else(|| (GwError::gateway(ErrorKind::NotFound, "no route"), 0))
            );
        };
        let client = &self.clients[ci];
        log.client = &client.name;
        log.rid_header = client.request_id_header.as_ref();
        log.op = m.route.op.name();
        log.root = m.root;
        if client.name == self.upstream.name {
            return self
                .pass_through(req, &m, raw_query, rid, log)
                .await
                .map_err(|e| (e, ci));
        }
        let mut m = m;
        // Boxed, and only for a project named by number: the lookup's state
        // would otherwise be carried by every request's future.
        let found = match plan::project_number(&m, &self.cfg) {
            Some(n) => {
                Box::pin(self.project_by_number(n, &m, client, req.headers(), raw_query, rid))
                    .await
                    .map_err(|e| (e, ci))?
            }
            None => None,
        };
        let answer = match found {
            Some((path, answer)) => {
                // The answer is the client's where it asked for the project.
                let answer = answer.filter(|_| plan::number_answers(&self.upstream, m.route.op));
                let (owner, repo) = translate::split_project(&path);
                (m.params.owner, m.params.repo) = (owner.to_owned(), repo.to_owned());
                m.params.project = path;
                answer
            }
            None => None,
        };
        // Boxed: the translating path's state is large, and every request's
        // future would otherwise carry (and move) it.
        Box::pin(self.translated(req, ci, m, raw_path, raw_query, rid, answer, log)).await
    }

    /// The path of the project a client names by `number`
    /// (`plan::project_number`), as the client would name it: the path the
    /// gateway gave that number reading the project, else the path in the
    /// upstream's answer to its `project_by_id` route (a GET; the number is
    /// then remembered), with that answer. `None` where the upstream has no
    /// such route (the number goes as the project).
    async fn project_by_number(
        &self,
        number: u64,
        m: &Matched<'_>,
        client: &Dialect,
        headers: &HeaderMap,
        raw_query: &str,
        rid: &HeaderValue,
    ) -> Result<Option<(String, Option<Looked>)>, GwError> {
        if let Some(path) = self.project_paths.get("", number) {
            return Ok(Some((path, None)));
        }
        let up = &*self.upstream;
        let Some(route) = plan::number_route(up) else {
            return match m.route.op {
                Op::ProjectById => Err(translate::no_operation(up, Op::ProjectById)),
                _ => Ok(None),
            };
        };
        let token = translate::extract_token(client, headers, raw_query);
        let (answered, body) = self
            .ask_release(route, "", None, Some(number), token.as_deref(), rid)
            .await?;
        // As the client would name it: the `[projects]` name for that path.
        let upath = plan::project_path(up, route, number, &body)?;
        let path = self.cfg.client_project(&upath).to_owned();
        self.project_paths.insert("", number, &path);
        Ok(Some((path, Some((answered, body)))))
    }

    /// A download redirect to a file under the upstream's API (a package in
    /// the forge's registry, say): such a URL wants the credential, which a client
    /// following the redirect to another host does not send, so the gateway
    /// asks it itself, with the credential (a GET, sent again if its
    /// connection fails), and passes the answer on: the file streamed, with
    /// its media type, length, name and validators; a redirect elsewhere
    /// (object storage) as it is; an error in the client's dialect. `None`
    /// for a redirect anywhere else, which the client follows.
    async fn download_below_api(
        &self,
        redirect: &translate::ClientResponse<'_>,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Option<Response<Body>>, GwError> {
        let location = redirect
            .headers
            .iter()
            .find(|(k, _)| k == http::header::LOCATION)
            .and_then(|(_, v)| v.to_str().ok());
        let Some(url) = location.filter(|u| translate::url::below(&self.upstream_api, u).is_some())
        else {
            return Ok(None);
        };
        // The upstream's API is its URL then its root: the path below its URL.
        let mut pq = url[self.http.base.len()..].to_owned();
        let up = &*self.upstream;
        let mut credential = Vec::with_capacity(1);
        translate::add_credential(up, token, &mut pq, &mut credential)?;
        let request = || -> Result<Request<Body>, GwError> {
            let mut req = Request::new(full(Bytes::new()));
            *req.uri_mut() = self.http.uri(pq.clone())?;
            let h = req.headers_mut();
            h.insert(http::header::ACCEPT, HeaderValue::from_static("*/*"));
            for (k, v) in &credential {
                h.insert(k, v.clone());
            }
            own_headers(h, rid);
            Ok(req)
        };
        let deadline = self.http.deadline();
        let resp = self
            .http
            .head_or_again(request()?, Some(request), deadline, false)
            .await?;
        let (parts, body) = resp.into_parts();
        if parts.status.as_u16() >= 400 {
            let body = self
                .http
                .read_whole(body, &self.translations, deadline)
                .await?;
            return Err(translate::decode_upstream_error(
                up,
                Op::Asset,
                parts.status.as_u16(),
                &parts.headers,
                &body,
            ));
        }
        let mut out = Response::new(Body::Incoming(body, None));
        *out.status_mut() = parts.status;
        let keep = [
            http::header::CONTENT_TYPE,
            http::header::CONTENT_LENGTH,
            http::header::CONTENT_DISPOSITION,
            http::header::ETAG,
            http::header::LAST_MODIFIED,
            http::header::LOCATION,
        ];
        for k in keep {
            if let Some(v) = parts.headers.get(&k) {
                out.headers_mut().insert(k, v.clone());
            }
        }
        Ok(Some(out))
    }

    /// Different dialects: decode, resolve, encode, forward, translate back.
    #[allow(clippy::too_many_arguments)]
    async fn translated<'s>(
        &'s self,
        req: Request<Inbound>,
        ci: usize,
        m: Matched<'s>,
        raw_path: &str,
        raw_query: &str,
        rid: &HeaderValue,
        looked_up: Option<Looked>,
        log: &mut LogLine<'s>,
    ) -> Result<Response<Body>, (GwError, usize)> {
        let fail = |e: GwError| (e, ci);
        let client = &self.clients[ci];
        if let (Op::About, Some(answer)) = (m.route.op, &m.route.answer) {
            // What the forge says of itself, as the client's mapping says it.
            let mut r = Response::new(full(answer.clone()));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            return Ok(r);
        }
        let api = self.public_api(m.root);

        let up = &*self.upstream;
        let key = m.params.key();
        // A file of a release that the upstream keeps in the project and then
        // links to the release: the link is what this request makes, once
        // the file is stored.
        let steps = match m.route.op {
            Op::Upload => plan::store_and_link(up, &key),
            _ => None,
        };
        // A file kept in the project, or a link to one, for an upstream that
        // keeps files only in its releases: held until a link names it, then
        // uploaded to the release.
        let held = plan::held_upload(up, m.route.op, &key);
        if let (Op::Store, Some(ur)) = (m.route.op, held) {
            return self
                .hold_file(req, client, &m, ur, raw_query, &api)
                .await
                .map_err(fail);
        }
        // What the upstream cannot do is refused before the body is read (an
        // upload's file, say). One asset is read from its release, and needs
        // no route of its own.
        let uroute = match m.route.op {
            Op::Asset => None,
            // Found in the upstream's list (see `latest_by_list`).
            Op::Latest if plan::latest_by_list(up).is_some() => None,
            _ if steps.is_some() => steps.map(|(_, link)| link),
            _ if held.is_some() => held,
            op => Some(translate::upstream_route(up, op, &key).map_err(fail)?),
        };
        // A file goes across as the client's route and the upstream's take
        // it (see `plan::upload_file`); what cannot is refused unread.
        let mut file = match (m.route.op, steps.map(|(store, _)| store).or(uroute)) {
            (Op::Upload | Op::Store, Some(ur)) => Some(
                plan::upload_file(client, m.route, up, ur, req.headers(), raw_query)
                    .map_err(fail)?,
            ),
            _ => None,
        };
        let token = translate::extract_token(client, req.headers(), raw_query);
        let download = translate::wants_download(m.route, req.headers());
        let body = self.read_upload(req, file.as_mut()).await.map_err(fail)?;
        let mut record = translate::decode_body(client, m.route, &body).map_err(fail)?;
        let uproject = self.cfg.upstream_project(&m.params.project).to_owned();
        // A release created with links to files the gateway holds, for an
        // upstream that keeps files only in releases: made without them,
        // then each file uploaded to it.
        let create_upload = match m.route.op {
            Op::Create => plan::held_upload(up, Op::Link, &ReleaseKey::None),
            _ => None,
        };
        let held_assets = match (create_upload, record.as_mut()) {
            (Some(_), Some(rec)) => self.held_assets(rec, &uproject),
            _ => Vec::new(),
        };
        // A link to a held file: the file is what goes to the release.
        let mut linked_file = None;
        let body = match (held, &record) {
            (Some(ur), Some(rec)) => {
                let (secret, f, name) = self
                    .held_link(rec, &uproject)
                    .ok_or_else(|| fail(plan::no_held_file(up, self.cfg.held_file_time)))?;
                file = Some(plan::held_file_out(ur, &name, f.media).map_err(fail)?);
                linked_file = Some(secret);
                f.bytes
            }
            _ => body.clone(),
        };
        // Pages are the upstream's: no larger than it serves.
        let mut page = plan::page_request(client, up, m.route.op, raw_query).map_err(fail)?;
        // A page asked for by number of an upstream that pages by cursor: its
        // cursor, found by following the list from the first page.
        let mut past_the_end = false;
        if let (Some(list), true) = (uroute, plan::walks_to_page(client, up, m.route.op, &page)) {
            match self
                .cursor_of_page(list, &uproject, token.as_deref(), &page, rid)
                .await
                .map_err(fail)?
            {
                Some(c) => page.cursor = Some(c),
                None => past_the_end = true,
            }
        }
        // How an upstream answer to route `r` is read back for the client.
        let answer_args = |r| ResponseArgs {
            client,
            client_route: m.route,
            upstream: up,
            upstream_route: r,
            ctx: Ctx {
                api: &api,
                upstream: &self.http.base,
                owner: &m.params.owner,
                repo: &m.params.repo,
                project: &m.params.project,
            },
            upstream_project: &uproject,
            public_base: &self.public_base,
            raw_path,
            raw_query,
            page: &page,
        };
        // A project the client named by number, read already to find its
        // path: that answer is the client's (`plan::number_answers`).
        if let (Some((headers, body)), Some(ur)) = (&looked_up, uroute) {
            let cr = translate::translate_success(&answer_args(ur), headers, body).map_err(fail)?;
            return Ok(respond(cr, true));
        }
        // A client whose dialect does not page gets the whole list.
        if let (true, Some(list)) = (plan::whole_list(client, up, m.route.op), uroute) {
            return self
                .whole_list(&answer_args(list), &uproject, token.as_deref(), rid)
                .await
                .map_err(fail);
        }
        if let (true, Some(list)) = (past_the_end, uroute) {
            return Ok(respond(translate::empty_page(&answer_args(list)), true));
        }
        // What the upstream cannot take is refused before it is asked anything.
        if let Some(ur) = uroute {
            plan::early_refusal(up, ur, &key, record.as_ref()).map_err(fail)?;
        }
        if m.route.op.addresses_asset() {
            let found = self
                .asset(
                    &answer_args,
                    &m.params,
                    &uproject,
                    token.as_deref(),
                    download,
                    rid,
                )
                .await
                .map_err(fail)?;
            if m.route.op == Op::Asset {
                if download {
                    let at_api = self
                        .download_below_api(&found.answer, token.as_deref(), rid)
                        .await
                        .map_err(fail)?;
                    if let Some(r) = at_api {
                        return Ok(r);
                    }
                }
                return Ok(respond(
                    found.answer,
                    m.route.response.is_some() && !download,
                ));
            }
            let cr = self
                .asset_write(
                    found,
                    &answer_args,
                    m.route.op,
                    &m.params,
                    record.as_ref(),
                    &uproject,
                    token.as_deref(),
                    rid,
                )
                .await
                .map_err(fail)?;
            return Ok(respond(cr, m.route.response.is_some()));
        }
        if m.route.op == Op::Latest && uroute.is_none() {
            return self
                .latest_by_list(&answer_args, &uproject, token.as_deref(), rid)
                .await
                .map_err(fail);
        }
        let Some(uroute) = uroute else {
            return Err(fail(GwError::gateway(
                ErrorKind::Internal,
                format!("no upstream route chosen for `{}`", m.route.op),
            )));
        };
        // A release the upstream cannot read by tag, found in its list by the
        // client's tag or id: one walk.
        if uroute.found_in_list {
            let (tag, id) = match &key {
                ReleaseKey::Tag(t) => (Some(t.as_str()), None),
                ReleaseKey::Id(i) => (None, Some(*i)),
                ReleaseKey::None => (None, None),
            };
            let (_, body) = self
                .ask_release(uroute, &uproject, tag, id, token.as_deref(), rid)
                .await
                .map_err(fail)?;
            return self
                .release_answer(&answer_args(uroute), &uproject, &body, None)
                .map_err(fail);
        }
        let Resolved { tag, id, release } = self
            .resolve(uroute, &key, &uproject, token.as_deref(), rid)
            .await
            .map_err(fail)?;
        // The client expects the release back and the upstream will not
        // answer with it, and no lookup was needed to address it: look it up.
        let release = match release {
            None if plan::release_from_lookup(m.route, uroute) => self
                .lookup(&uproject, tag.as_deref(), id, token.as_deref(), rid)
                .await
                .map_err(fail)?,
            r => r,
        };
        // A client that expects the release back from an operation the
        // upstream answers without one (a delete answered 204, say) gets the
        // release as the lookup found it: translated, and so checked, before
        // anything is written.
        let found = match &release {
            Some((get, body)) if plan::release_from_lookup(m.route, uroute) => Some(
                translate::translate_success(&answer_args(get), &HeaderMap::new(), body)
                    .map_err(fail)?,
            ),
            _ => None,
        };

        // The file kept first, where the upstream takes it in two steps; the
        // link to it is the request below.
        let link = match (steps, &file) {
            (Some((store, _)), Some(f)) => Some(
                self.store_file(
                    &answer_args(store),
                    f,
                    &body,
                    &uproject,
                    token.as_deref(),
                    rid,
                )
                .await
                .map_err(fail)?,
            ),
            _ => None,
        };
        let args = OutboundArgs {
            project: &uproject,
            tag: tag.as_deref(),
            id,
            asset: None,
            page: &page,
            body: link.as_ref().or(record.as_ref()),
            token: token.as_deref(),
        };
        let make = || {
            let mut out = translate::encode_request(up, uroute, &args)?;
            // The file, as the upstream takes it, where this request sends it.
            if let (Some(f), None) = (&file, &link) {
                plan::attach_file(&mut out, f, &body);
            }
            Ok(out)
        };
        // A link that fails leaves the file kept but in no release: the
        // error says where it is.
        let unlinked = |e: GwError| fail(unlinked(e, link.as_ref()));
        let answer = self
            .forward(make, uroute.op.idempotent(), rid)
            .await
            .map_err(unlinked)?;
        log.upstream_status = answer.status;

        match created(up, uroute, &answer) {
            Err(e) if e.kind == ErrorKind::AlreadyExists => {
                // A dialect whose create is idempotent answers with the
                // release that already exists.
                let tag = record
                    .as_ref()
                    .filter(|r| r.kind == Kind::Release)
                    .and_then(|r| r.text("tag"));
                if let (Some(status), Some(tag)) = (m.route.exists_status, tag) {
                    let there = self
                        .answer_release(
                            &answer_args,
                            &uproject,
                            &tag,
                            token.as_deref(),
                            Some(status),
                            rid,
                        )
                        .await
                        .map_err(fail)?;
                    if let Some(r) = there {
                        return Ok(r);
                    }
                }
                return Err(fail(e));
            }
            r => r.map_err(unlinked)?,
        }
        let made = file.as_ref().map(|f| translate::Made {
            size: body.len(),
            media: f.media.to_str().unwrap_or_default(),
            tag: tag.as_deref().unwrap_or_default(),
        });
        let cr = match found {
            Some(mut cr) => {
                translate::map_headers(up, client, &answer.headers, &mut cr.headers);
                cr
            }
            None => translate::translate_answer(
                &answer_args(uroute),
                &answer.headers,
                &answer.body,
                made.as_ref(),
            )
            .map_err(fail)?,
        };
        if let Some(secret) = &linked_file {
            self.held.release(secret);
        }
        self.remember(&uproject, &cr.seen);
        if let (Some(upload), false) = (create_upload, held_assets.is_empty()) {
            let made = cr.seen.releases.first().map(|(i, t)| (*i, t.to_string()));
            return self
                .upload_held(
                    &answer_args,
                    m.route.status,
                    made,
                    upload,
                    held_assets,
                    &uproject,
                    token.as_deref(),
                    rid,
                )
                .await
                .map_err(fail);
        }
        if let Some(pid) = cr.seen.project {
            self.project_paths.insert("", pid, &m.params.project);
        }
        if m.route.op == Op::Delete {
            if let Some(id) = id.or(m.params.id) {
                self.ids.remove(&uproject, id);
            }
        }
        Ok(respond(cr, m.route.response.is_some()))
    }

    /// Keeps what an upstream answer showed: release ids and tags, and the
    /// release each asset is in.
    fn remember(&self, uproject: &str, seen: &Seen) {
        for (cache, entries) in [
            (&self.ids, &seen.releases),
            (&self.asset_tags, &seen.assets),
        ] {
            if !entries.is_empty() {
                cache.insert_all(
                    uproject,
                    entries.iter().map(|(id, tag)| (*id, tag.as_ref())),
                );
            }
        }
    }

    /// The upstream's whole list, every page of it from the first (the
    /// largest it serves, at most `max_id_scan_pages` of them), translated as
    /// one list; a 502 saying so where the list has more pages than that.
    async fn whole_list(
        &self,
        args: &ResponseArgs<'_>,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Response<Body>, GwError> {
        let up = &*self.upstream;
        let list = args.upstream_route;
        let Some((_, mut page)) = plan::walk_start(up) else {
            return Err(GwError::gateway(ErrorKind::Internal, "no list route"));
        };
        let mut bodies = Vec::new();
        for _ in 0..self.cfg.max_id_scan_pages {
            let mut answer = self.ask_page(list, uproject, &page, token, rid).await?;
            let headers = std::mem::take(&mut answer.headers);
            let text = std::str::from_utf8(&answer.body).unwrap_or("");
            let next = paging::decode_info(up, &headers, text).next;
            let held = list_page(up, list, text)?.len();
            bodies.push(answer.body.to_vec());
            drop(answer);
            if held == 0 || !next.is_some_and(|n| plan::advance(up, &mut page, n)) {
                let cr = translate::translate_pages(args, &bodies)?;
                self.remember(uproject, &cr.seen);
                return Ok(respond(cr, true));
            }
        }
        Err(GwError::upstream(
            ErrorKind::BadUpstreamResponse,
            format!(
                "the upstream ({}) list of {uproject} is longer than {} pages, the most the gateway reads to answer it whole",
                up.title, self.cfg.max_id_scan_pages
            ),
        ))
    }

    /// The links of a release to be created, where every one names a file
    /// the gateway holds for `uproject`: taken out of the release (which is
    /// made without them), each with its file and the name to give it.
    /// Otherwise none, and the links stay for the upstream's rules to judge.
    fn held_assets(&self, rec: &mut Record, uproject: &str) -> Vec<(String, HeldFile, String)> {
        let Some(at) = rec.kind.list_index("assets") else {
            return Vec::new();
        };
        let Some(links) = rec.lists[at].as_ref().filter(|l| !l.is_empty()) else {
            return Vec::new();
        };
        let Some(out) = links
            .iter()
            .map(|l| self.held_link(l, uproject))
            .collect::<Option<Vec<_>>>()
        else {
            return Vec::new();
        };
        rec.lists[at] = None;
        out
    }

    /// The file a link names, where the gateway holds it for `uproject`: its
    /// secret, the file, and the name to give it (the link's, else the
    /// file's own).
    fn held_link(&self, link: &Record, uproject: &str) -> Option<(String, HeldFile, String)> {
        let url = link.text("url").unwrap_or_default();
        let (secret, f) = self.held.named_in(&url, uproject)?;
        let name = link
            .text("name")
            .filter(|n| !n.is_empty())
            .map_or_else(|| f.name.clone(), |n| n.into_owned());
        Some((secret, f, name))
    }

    /// Uploads held files to the release just made (`made`: its id and tag),
    /// each once, and answers with the release as it then is. A file that
    /// fails ends the uploads: the client gets that error, saying what was
    /// made and that the files not uploaded stay held.
    #[allow(clippy::too_many_arguments)]
    async fn upload_held<'a, F>(
        &'a self,
        answer_args: &F,
        status: u16,
        made: Option<(u64, String)>,
        upload: &Route,
        files: Vec<(String, HeldFile, String)>,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Response<Body>, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let up = &*self.upstream;
        let Some((id, tag)) = made else {
            return Err(GwError::upstream(
                ErrorKind::BadUpstreamResponse,
                format!(
                    "the upstream ({}) answered the release's creation without its id: its files stay held, link them to the release",
                    up.title
                ),
            ));
        };
        let page = PageReq::default();
        let total = files.len();
        for (done, (secret, f, name)) in files.iter().enumerate() {
            let file = plan::held_file_out(upload, name, f.media.clone())?;
            let args = OutboundArgs {
                project: uproject,
                tag: Some(&tag),
                id: Some(id),
                asset: None,
                page: &page,
                body: None,
                token,
            };
            let make = || {
                let mut out = translate::encode_request(up, upload, &args)?;
                plan::attach_file(&mut out, &file, &f.bytes);
                Ok(out)
            };
            let sent = match self.forward(make, false, rid).await {
                Ok(a) => succeeded(up, Op::Upload, &a),
                Err(e) => Err(e),
            };
            if let Err(mut e) = sent {
                e.message = format!(
                    "{} (release {tag} was made with {done} of its {total} files; `{name}` and those after it were not uploaded and stay held: link them to the release)",
                    e.message
                );
                return Err(e);
            }
            self.held.release(secret);
        }
        // The release as it is now, its files in it.
        self.answer_release(answer_args, uproject, &tag, token, Some(status), rid)
            .await?
            .ok_or_else(|| {
                GwError::gateway(
                    ErrorKind::Internal,
                    format!(
                        "the upstream ({}) has no route to read the release back",
                        up.title
                    ),
                )
            })
    }

    /// The request's body (within `max_body_bytes`); where `file` is sent in
    /// a form, only the file's part of it, its name and media type read
    /// into `file`.
    async fn read_upload(
        &self,
        req: Request<Inbound>,
        file: Option<&mut plan::FileOut>,
    ) -> Result<Bytes, GwError> {
        let form_type = match &file {
            Some(f) if f.form.is_some() => req
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            _ => None,
        };
        let body = read_body(req, self.cfg.max_body_bytes).await?;
        match (file, form_type) {
            (Some(f), Some(ct)) => plan::file_in_form(f, &ct, &body),
            _ => Ok(body),
        }
    }

    /// A client's file kept in the project, for an upstream that keeps files
    /// only in its releases: held by the gateway (nothing is sent), and
    /// answered as the client's forge answers, at a URL that names it.
    async fn hold_file(
        &self,
        req: Request<Inbound>,
        client: &Dialect,
        m: &Matched<'_>,
        upload: &Route,
        raw_query: &str,
        api: &str,
    ) -> Result<Response<Body>, GwError> {
        let mut file = plan::upload_file(
            client,
            m.route,
            &self.upstream,
            upload,
            req.headers(),
            raw_query,
        )?;
        let bytes = self.read_upload(req, Some(&mut file)).await?;
        let uproject = self.cfg.upstream_project(&m.params.project);
        let secret = self
            .held
            .hold(uproject, &file.name, file.media.clone(), bytes.clone())?;
        let ctx = Ctx {
            api,
            upstream: &self.http.base,
            owner: &m.params.owner,
            repo: &m.params.repo,
            project: &m.params.project,
        };
        let rec = plan::held_record(m.route, &ctx, &secret, &file, bytes.len());
        let mut out = Vec::with_capacity(256);
        if let Some(shape) = m.route.response {
            crate::translate::write::write_record(&mut out, client, shape, &rec, &ctx);
        }
        let cr = ClientResponse {
            status: m.route.status,
            headers: Vec::new(),
            body: out,
            seen: Default::default(),
        };
        Ok(respond(cr, m.route.response.is_some()))
    }

    /// Keeps a client's file in the upstream's project through its `store`
    /// route (`args.upstream_route`), one request, never repeated; gives the
    /// link to make of it: an asset named as the file, at the URL where the
    /// upstream's answer says it is kept.
    async fn store_file(
        &self,
        args: &ResponseArgs<'_>,
        file: &plan::FileOut,
        bytes: &Bytes,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Record<'static>, GwError> {
        let up = &*self.upstream;
        let store = args.upstream_route;
        let page = PageReq::default();
        let oargs = OutboundArgs {
            project: uproject,
            tag: None,
            id: None,
            asset: None,
            page: &page,
            body: None,
            token,
        };
        let make = || {
            let mut out = translate::encode_request(up, store, &oargs)?;
            plan::attach_file(&mut out, file, bytes);
            Ok(out)
        };
        let answer = self.forward(make, false, rid).await?;
        succeeded(up, Op::Store, &answer)?;
        let url = translate::stored_url(args, &answer.body)?;
        let mut link = Record::new(Kind::Asset);
        link.set_str("name", &file.name);
        link.set_str("url", &url);
        Ok(link)
    }

    /// The upstream's cursor of page `page.page` of its list `list` (pages of
    /// `page.per_page`): the list followed from its first page through its
    /// next cursors, at most `max_id_scan_pages` of them. `None` where the
    /// list ends before that page.
    async fn cursor_of_page(
        &self,
        list: &Route,
        uproject: &str,
        token: Option<&str>,
        page: &PageReq,
        rid: &HeaderValue,
    ) -> Result<Option<String>, GwError> {
        let up = &*self.upstream;
        let hops = page.page - 1;
        if hops > self.cfg.max_id_scan_pages {
            return Err(GwError::client(
                ErrorKind::BadRequest,
                format!(
                    "page {} is more than {} pages in; the upstream ({}) pages by cursor: follow the Link header's next page",
                    page.page, self.cfg.max_id_scan_pages, up.title
                ),
            ));
        }
        let mut at = PageReq {
            page: 1,
            per_page: page.per_page,
            cursor: None,
        };
        for _ in 0..hops {
            let answer = self.ask_page(list, uproject, &at, token, rid).await?;
            let text = std::str::from_utf8(&answer.body).unwrap_or("");
            let next = paging::decode_info(up, &answer.headers, text).next;
            if !next.is_some_and(|n| plan::advance(up, &mut at, n)) {
                return Ok(None);
            }
        }
        Ok(at.cursor)
    }

    /// `latest` from an upstream without a route for it: the newest published
    /// release of the first page of its list that holds one
    /// (`plan::newest_published`), answered as a get: from that page where
    /// the page gives it as a get would (`plan::latest_from_page`), else read
    /// by tag.
    async fn latest_by_list<'a, F>(
        &'a self,
        args: &F,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Response<Body>, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let up = &*self.upstream;
        // Where the upstream's read by tag answers what its list holds (the
        // same shape, or the list itself), the release is taken from the page
        // it was found on.
        let in_list = plan::latest_from_page(up);
        let found = self
            .walk(uproject, token, rid, |list, _, text| {
                let recs = list_page(up, list, text)?;
                let newest = plan::newest_published(&recs);
                let found = newest.and_then(|i| {
                    let tag = recs[i].text("tag")?.into_owned();
                    let element = in_list.and_then(|_| element_of(list, text, i));
                    Some((tag, element))
                });
                Ok((found, recs.len()))
            })
            .await?;
        let Some((tag, element)) = found else {
            return Err(GwError::upstream(
                ErrorKind::NotFound,
                format!("no published release in {uproject}"),
            ));
        };
        if let (Some(get), Some(body)) = (in_list, element) {
            return self.release_answer(&args(get), uproject, &body, None);
        }
        let answer = self
            .answer_release(args, uproject, &tag, token, None, rid)
            .await?;
        answer.ok_or_else(|| {
            GwError::gateway(
                ErrorKind::Internal,
                format!(
                    "no route of the upstream ({}) reads a release by tag",
                    up.title
                ),
            )
        })
    }

    /// The client's answer with the upstream's release `tag`, read by tag
    /// and translated as `args` says; with `status` instead of the route's
    /// own (and no `Location`) where given. `None` where the upstream has no
    /// route to read a release by tag.
    async fn answer_release<'a, F>(
        &'a self,
        args: &F,
        uproject: &str,
        tag: &str,
        token: Option<&str>,
        status: Option<u16>,
        rid: &HeaderValue,
    ) -> Result<Option<Response<Body>>, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let Some((get, body)) = self.lookup(uproject, Some(tag), None, token, rid).await? else {
            return Ok(None);
        };
        self.release_answer(&args(get), uproject, &body, status)
            .map(Some)
    }

    /// The client's answer with one upstream release, `body` as the route
    /// `a` names answers it, translated and remembered; with `status`
    /// instead of the route's own (and no `Location`) where given.
    fn release_answer(
        &self,
        a: &ResponseArgs<'_>,
        uproject: &str,
        body: &[u8],
        status: Option<u16>,
    ) -> Result<Response<Body>, GwError> {
        let mut cr = translate::translate_success(a, &HeaderMap::new(), body)?;
        if let Some(s) = status {
            cr.status = s;
            cr.headers.retain(|(k, _)| k != http::header::LOCATION);
        }
        self.remember(uproject, &cr.seen);
        Ok(respond(cr, a.client_route.response.is_some()))
    }

    /// One asset, for a client of another dialect. It is read from the
    /// release that holds it, as the upstream answers for that release: the
    /// release the client names; else the one the asset was last seen in;
    /// else the first release of the upstream's list that holds it.
    async fn asset<'a, F>(
        &'a self,
        args: &F,
        params: &Params,
        uproject: &str,
        token: Option<&str>,
        download: bool,
        rid: &HeaderValue,
    ) -> Result<FoundAsset, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let Some(asset) = params.asset else {
            return Err(GwError::gateway(
                ErrorKind::Internal,
                "an asset route matched without an asset id",
            ));
        };
        let named = params.key();
        let not_found = || {
            let within = match &named {
                ReleaseKey::Tag(t) => format!("release {t}"),
                ReleaseKey::Id(i) => format!("the release with id {i}"),
                ReleaseKey::None => params.project.clone(),
            };
            GwError::upstream(
                ErrorKind::NotFound,
                format!("no asset with id {asset} in {within}"),
            )
        };
        let key = match &named {
            ReleaseKey::None => self
                .asset_tags
                .get(uproject, asset)
                .map_or(ReleaseKey::None, ReleaseKey::Tag),
            k => k.clone(),
        };
        if key != ReleaseKey::None {
            let found = self
                .asset_in_release(args, &key, uproject, token, asset, download, rid)
                .await;
            match found {
                Ok(Some(found)) => return Ok(found),
                Ok(None) if named != ReleaseKey::None => return Err(not_found()),
                Err(e) if named != ReleaseKey::None => return Err(e),
                // The release the asset was last seen in no longer holds it
                // (or is gone): look for it.
                _ => self.asset_tags.remove(uproject, asset),
            }
        }
        let found = self
            .walk(uproject, token, rid, |list, answer, _| {
                let s = translate::find_asset(
                    &args(list),
                    &answer.headers,
                    &answer.body,
                    asset,
                    download,
                )?;
                self.remember(uproject, &s.seen);
                Ok((s.found, s.releases))
            })
            .await?;
        found.ok_or_else(not_found)
    }

    /// Deletes or edits asset `found` (the client's `op`) under the tag of
    /// the release that holds it; never sent twice. A delete answers with
    /// the asset as it was found, an edit with the upstream's answer.
    #[allow(clippy::too_many_arguments)]
    async fn asset_write<'a, F>(
        &'a self,
        found: FoundAsset,
        args: &F,
        op: Op,
        params: &Params,
        body: Option<&Record<'_>>,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<ClientResponse<'static>, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let up = &*self.upstream;
        let key = ReleaseKey::Tag(found.tag);
        let uroute = translate::upstream_route(up, op, &key)?;
        let Resolved { tag, id, .. } = self.resolve(uroute, &key, uproject, token, rid).await?;
        let page = PageReq::default();
        let args_out = OutboundArgs {
            project: uproject,
            tag: tag.as_deref(),
            id,
            asset: params.asset,
            page: &page,
            body,
            token,
        };
        let make = || translate::encode_request(up, uroute, &args_out);
        let answer = self.forward(make, op.idempotent(), rid).await?;
        succeeded(up, op, &answer)?;
        if op == Op::UpdateAsset {
            let cr = translate::translate_success(&args(uroute), &answer.headers, &answer.body)?;
            return Ok(ClientResponse {
                status: cr.status,
                headers: cr.headers,
                body: cr.body,
                seen: Default::default(),
            });
        }
        if let Some(asset) = params.asset {
            self.asset_tags.remove(uproject, asset);
        }
        let mut cr = found.answer;
        cr.headers.clear();
        translate::map_headers(up, args(uroute).client, &answer.headers, &mut cr.headers);
        Ok(cr)
    }

    /// Asset `asset` as the upstream's answer for release `key` holds it.
    #[allow(clippy::too_many_arguments)]
    async fn asset_in_release<'a, F>(
        &'a self,
        args: &F,
        key: &ReleaseKey,
        uproject: &str,
        token: Option<&str>,
        asset: u64,
        download: bool,
        rid: &HeaderValue,
    ) -> Result<Option<FoundAsset>, GwError>
    where
        F: Fn(&'a Route) -> ResponseArgs<'a>,
    {
        let up = &*self.upstream;
        let get = translate::upstream_route(up, Op::Get, key)?;
        let Resolved { tag, id, release } = self.resolve(get, key, uproject, token, rid).await?;
        let (route, headers, body) = match release {
            Some((route, body)) => (route, HeaderMap::new(), body),
            None => {
                let (headers, body) = self
                    .ask_release(get, uproject, tag.as_deref(), id, token, rid)
                    .await?;
                (get, headers, body)
            }
        };
        let s = translate::find_asset(&args(route), &headers, &body, asset, download)?;
        self.remember(uproject, &s.seen);
        Ok(s.found)
    }

    /// Same dialect on both sides: the path is rebuilt from the matched route
    /// (so only release endpoints are reachable and every parameter is
    /// re-encoded), the query passes as is, and bodies stream through untouched
    /// (a response keeps its framing: Content-Length stays Content-Length).
    async fn pass_through(
        &self,
        req: Request<Inbound>,
        m: &Matched<'_>,
        raw_query: &str,
        rid: &HeaderValue,
        log: &mut LogLine<'_>,
    ) -> Result<Response<Body>, GwError> {
        // What is kept across the awaits below is kept small: it is every
        // request's state, written and moved on every request.
        let deadline = self.http.deadline();
        // Lists are the answers that may be large: while recent ones were,
        // they stream in bulk (large reads, few syscalls) when a permit is to
        // be had.
        let list = m.route.op.lists() && req.method() == http::Method::GET;
        let head = req.method() == http::Method::HEAD;
        let permit = if list {
            self.http.bulk_permit(deadline).await
        } else {
            None
        };
        let idempotent = m.route.op.idempotent();
        let (uri, upstream) = self.pass_through_uri(m, raw_query)?;
        let (retry, first) = self.pass_through_request(req, uri, rid, idempotent)?;
        // The retry (bodiless requests only) is built again rather than copied
        // up front: most requests never need it.
        let again = retry.map(|retry| {
            move || {
                let mut r = Request::new(full(Bytes::new()));
                *r.method_mut() = retry.method;
                *r.uri_mut() = self.pass_through_uri(m, raw_query)?.0;
                let h = r.headers_mut();
                h.reserve(retry.headers.len() + 1);
                for (k, v) in retry.headers {
                    h.append(k, v);
                }
                self.add_upstream_headers(h, rid);
                Ok(r)
            }
        });
        let resp = upstream
            .head_or_again(first, again, deadline, permit.is_some())
            .await
            .map_err(|e| self.body_limit(e))?;
        log.upstream_status = resp.status().as_u16();
        if list && resp.status().is_success() {
            self.http
                .note_answer_length(http_body::Body::size_hint(resp.body()).exact());
        }
        self.pass_back(resp, m.root, head, true, permit, deadline)
            .await
    }

    /// A query passed on to the upstream's own GraphQL endpoint, between two
    /// sides of one dialect: the path that stands in place of the API root
    /// the upstream's URL ends with. Its body streams there and the answer
    /// back, untouched; a query may write, so it is never sent twice.
    async fn forward_graphql(
        &self,
        req: Request<Inbound>,
        g: &Graphql,
        rid: &HeaderValue,
        log: &mut LogLine<'_>,
    ) -> Result<Response<Body>, GwError> {
        let deadline = self.http.deadline();
        let client_path = req.uri().path().to_owned();
        let mut pq = plan::graphql_upstream(g, self.http.base_path())
            .ok_or_else(|| {
                GwError::gateway(
                    ErrorKind::NotFound,
                    format!(
                        "the upstream's URL ends with none of the API roots beside which its mapping names a GraphQL endpoint ({})",
                        g.upstream
                            .iter()
                            .map(|(r, _)| format!("\"{r}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        if let Some(q) = req.uri().query() {
            pq.push('?');
            pq.push_str(q);
        }
        let uri = self.http.uri_on_host(pq)?;
        let (_, first) = self.pass_through_request(req, uri, rid, false)?;
        let resp = self
            .http
            .head_or_again(first, None::<Rebuild>, deadline, false)
            .await
            .map_err(|e| self.body_limit(e))?;
        log.upstream_status = resp.status().as_u16();
        // URLs in its headers name the gateway under the client's root: the
        // one beside which the client's GraphQL path stands.
        let client_root = g
            .upstream
            .iter()
            .find(|(_, p)| *p == client_path)
            .map_or("", |(r, _)| r.as_str());
        self.pass_back(resp, client_root, false, false, None, deadline)
            .await
    }

    /// A failure of a request whose body streamed upstream: the client's
    /// body passing the limit is the client's 413.
    fn body_limit(&self, e: GwError) -> GwError {
        match e.kind {
            ErrorKind::PayloadTooLarge => too_large(self.cfg.max_body_bytes),
            _ => e,
        }
    }

    /// An upstream answer passed back to a client of the same dialect: its
    /// hop-by-hop headers dropped and URLs in `Link` and `Location` the
    /// gateway's; where `rewrite` and the dialect's answers name its API, a
    /// JSON body's URLs too.
    async fn pass_back(
        &self,
        resp: Response<Upstreamed>,
        root: &str,
        head: bool,
        rewrite: bool,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        deadline: Instant,
    ) -> Result<Response<Body>, GwError> {
        let (mut uparts, ubody) = resp.into_parts();
        self.strip_response_headers(&mut uparts.headers, root);
        // A forge whose answers name its API: those URLs name the gateway's
        // (so the body is read whole, as a translated one is).
        if self.upstream.urls_in_bodies
            && rewrite
            && !head
            && !matches!(uparts.status.as_u16(), 204 | 304)
            && is_json(&uparts.headers)
        {
            drop(permit);
            let body = self
                .http
                .read_whole(ubody, &self.translations, deadline)
                .await?;
            let to = self.public_api(root);
            let body = match translate::url::rebase(&body, &self.upstream_api, &to) {
                Some(moved) => Bytes::from(moved),
                None => body,
            };
            uparts.headers.remove(http::header::TRANSFER_ENCODING);
            uparts
                .headers
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            let mut out = Response::from_parts(uparts, full(body));
            *out.version_mut() = http::Version::HTTP_11;
            return Ok(out);
        }
        let mut out = Response::from_parts(uparts, Body::Incoming(ubody, permit));
        *out.version_mut() = http::Version::HTTP_11;
        Ok(out)
    }

    /// The upstream request, and what a retry needs to build it again.
    fn pass_through_request(
        &self,
        req: Request<Inbound>,
        uri: Uri,
        rid: &HeaderValue,
        retryable: bool,
    ) -> Result<(Option<Retry>, Request<Body>), GwError> {
        let (parts, body) = req.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.cfg.max_body_bytes as u64) {
            return Err(too_large(self.cfg.max_body_bytes));
        }
        let body = if declared == Some(0)
            || parts.method == http::Method::GET
            || parts.method == http::Method::HEAD
        {
            full(Bytes::new())
        } else {
            Body::Limited(Limited::new(body, self.cfg.max_body_bytes))
        };
        let mut r = Request::new(body);
        *r.method_mut() = parts.method;
        *r.uri_mut() = uri;
        // The client's header map itself goes upstream, cut down to what is
        // forwarded: hyper parses into maps it keeps from the messages it
        // wrote, so the same allocation serves request after request.
        let h = r.headers_mut();
        *h = parts.headers;
        while let Some(name) = h.keys().find(|k| !self.forwarded(k)).cloned() {
            h.remove(&name);
        }
        let retry = retryable.then(|| Retry {
            method: r.method().clone(),
            headers: r
                .headers()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        });
        self.add_upstream_headers(r.headers_mut(), rid);
        Ok((retry, r))
    }

    /// Where a pass-through goes: the URI, and the upstream's host that
    /// serves it (its URL's, or another the config names).
    fn pass_through_uri(
        &self,
        m: &Matched<'_>,
        raw_query: &str,
    ) -> Result<(Uri, &Upstream), GwError> {
        let uproject = self.cfg.upstream_project(&m.params.project);
        let to = plan::pass_through_path(&self.upstream, m, uproject, raw_query)?;
        let u = self.upstream_at(to.host)?;
        let uri = match to.on_host {
            false => u.uri(to.pq)?,
            true => u.uri_on_host(to.pq)?,
        };
        Ok((uri, u))
    }

    /// The upstream's host of that name, which the config names
    /// (`[upstream.hosts]`); its URL's where none is named.
    fn upstream_at(&self, host: Option<&str>) -> Result<&Upstream, GwError> {
        match host {
            None => Ok(&self.http),
            Some(h) => self
                .hosts
                .iter()
                .find(|(n, _)| n == h)
                .map(|(_, u)| u)
                .ok_or_else(|| {
                    GwError::gateway(
                        ErrorKind::Internal,
                        format!("no upstream host `{h}` in the config's [upstream.hosts]"),
                    )
                }),
        }
    }

    /// Whether a pass-through sends a client's request header upstream: the
    /// forwardable ones and the dialect's credentials.
    fn forwarded(&self, k: &HeaderName) -> bool {
        plan::forwards(&self.upstream, k)
    }

    /// The header the gateway adds to a pass-through request: the request id.
    /// (The upstream client writes the Host.)
    fn add_upstream_headers(&self, h: &mut HeaderMap, rid: &HeaderValue) {
        h.insert(X_REQUEST_ID, rid.clone());
    }

    /// Drops hop-by-hop headers from an upstream response and rewrites URLs
    /// naming the upstream API to the gateway's. One pass finds what is there;
    /// only those headers are touched.
    fn strip_response_headers(&self, headers: &mut HeaderMap, root: &str) {
        let mut hop = 0u32;
        let mut urls = false;
        for name in headers.keys() {
            if let Some(i) = HOP_BY_HOP.iter().position(|h| h == name) {
                hop |= 1 << i;
            } else if name == http::header::LINK || name == http::header::LOCATION {
                urls = true;
            }
        }
        for (i, h) in HOP_BY_HOP.iter().enumerate() {
            if hop & (1 << i) != 0 {
                headers.remove(h);
            }
        }
        if !urls {
            return;
        }
        let from = self.upstream_api.as_str();
        let to = self.public_api(root);
        for name in [http::header::LINK, http::header::LOCATION] {
            if !headers.contains_key(&name) {
                continue;
            }
            let values: Vec<HeaderValue> = headers
                .get_all(&name)
                .iter()
                .map(|v| {
                    translate::url::rebase(v.as_bytes(), from, &to)
                        .and_then(|moved| HeaderValue::from_maybe_shared(Bytes::from(moved)).ok())
                        .unwrap_or_else(|| v.clone())
                })
                .collect();
            headers.remove(&name);
            for v in values {
                headers.append(name.clone(), v);
            }
        }
    }

    /// Finds what the upstream route needs to address the release. A release
    /// the client names by tag and the upstream route by id is looked up first
    /// (a GET of the upstream's by-tag route); that answer comes back too, for
    /// a client that expects the release in the answer to an operation whose
    /// upstream answer has none (a delete).
    async fn resolve(
        &self,
        uroute: &Route,
        key: &ReleaseKey,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Resolved<'_>, GwError> {
        let (tag, id) = match plan::addressing(uroute, key) {
            Addressing::Tag(t) => (Some(t.to_owned()), None),
            Addressing::Id(i) => (None, Some(i)),
            Addressing::TagOfId(id) => {
                let tag = self.tag_for_id(uproject, id, token, rid).await?;
                (Some(tag), Some(id))
            }
            Addressing::IdOfTag(t) => {
                return self.id_for_tag(uroute, uproject, t, token, rid).await;
            }
            Addressing::None => (None, None),
        };
        Ok(Resolved {
            tag,
            id,
            release: None,
        })
    }

    /// tag → id: a GET of the upstream's release by tag, whose id (as the
    /// upstream's mapping reads it) addresses `uroute`. An upstream with no
    /// by-tag route cannot be asked, and the operation is refused.
    async fn id_for_tag(
        &self,
        uroute: &Route,
        uproject: &str,
        tag: &str,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Resolved<'_>, GwError> {
        let up = &*self.upstream;
        let (get, shape) = plan::by_tag_route(up, uroute.op)?;
        let (_, body) = self
            .ask_release(get, uproject, Some(tag), None, token, rid)
            .await?;
        let bad = |what: String| {
            GwError::upstream(
                ErrorKind::BadUpstreamResponse,
                format!(
                    "the upstream ({}) answered the lookup of tag {tag} with {what}",
                    up.title
                ),
            )
        };
        let text =
            std::str::from_utf8(&body).map_err(|_| bad("a body that is not UTF-8".into()))?;
        let rec = read_record(up, shape, text).map_err(|e| bad(e.to_string()))?;
        let Some(id) = translate::release_id(up, uproject, tag, &rec) else {
            return Err(bad("a release without an id".into()));
        };
        Ok(Resolved {
            tag: Some(tag.to_owned()),
            id: Some(id),
            release: Some((get, body)),
        })
    }

    /// The upstream's own answer for one release, asked by tag (else by id)
    /// where the upstream has a route for that; `None` where it has none.
    async fn lookup(
        &self,
        uproject: &str,
        tag: Option<&str>,
        id: Option<u64>,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Option<(&Route, Vec<u8>)>, GwError> {
        let Some(get) = plan::lookup_route(&self.upstream, tag, id) else {
            return Ok(None);
        };
        let (_, body) = self.ask_release(get, uproject, tag, id, token, rid).await?;
        Ok(Some((get, body)))
    }

    /// Asks the upstream's route `get` for one release (or the one record it
    /// answers, as a project by its number), by `tag` or `id`: its
    /// answer's headers and body. The body is owned, so that the answer (and
    /// the translation permit it holds) is let go before anything else is
    /// sent. A route found in the list (`Route::found_in_list`) is a walk
    /// over the list, and the body the release's element of it.
    async fn ask_release(
        &self,
        get: &Route,
        uproject: &str,
        tag: Option<&str>,
        id: Option<u64>,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<(HeaderMap, Vec<u8>), GwError> {
        if get.found_in_list {
            let body = self.find_in_list(uproject, tag, id, token, rid).await?;
            return Ok((HeaderMap::new(), body));
        }
        let page = PageReq::default();
        let args = OutboundArgs {
            project: uproject,
            tag,
            id,
            asset: None,
            page: &page,
            body: None,
            token,
        };
        let mut answer = self.ask(get, &args, rid).await?;
        Ok((std::mem::take(&mut answer.headers), answer.body.to_vec()))
    }

    /// The JSON text of the release with `tag` (else `id`) in the upstream's
    /// list, walked as `walk` does; the upstream's 404 where none has it.
    async fn find_in_list(
        &self,
        uproject: &str,
        tag: Option<&str>,
        id: Option<u64>,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Vec<u8>, GwError> {
        let up = &*self.upstream;
        let found = self
            .walk(uproject, token, rid, |list, _, text| {
                let recs = list_page(up, list, text)?;
                let at = recs.iter().position(|r| {
                    let t = r.text("tag");
                    match (tag, id) {
                        (Some(want), _) => t.as_deref() == Some(want),
                        (None, Some(want)) => t.is_some_and(|t| {
                            translate::release_id(up, uproject, &t, r) == Some(want)
                        }),
                        (None, None) => false,
                    }
                });
                let found = at.map(|i| {
                    element_of(list, text, i).ok_or_else(|| {
                        GwError::upstream(
                            ErrorKind::BadUpstreamResponse,
                            format!("the upstream ({}) release list is unreadable", up.title),
                        )
                    })
                });
                Ok((found.transpose()?, recs.len()))
            })
            .await?;
        found.ok_or_else(|| {
            let what = match (tag, id) {
                (Some(t), _) => format!("tag {t}"),
                (None, Some(i)) => format!("id {i}"),
                (None, None) => "no tag".to_owned(),
            };
            GwError::upstream(
                ErrorKind::NotFound,
                format!("no release with {what} in {uproject}"),
            )
        })
    }

    /// id → tag: the cache, else a walk over the upstream's release list.
    async fn tag_for_id(
        &self,
        uproject: &str,
        id: u64,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<String, GwError> {
        if let Some(t) = self.ids.get(uproject, id) {
            return Ok(t);
        }
        let up = &*self.upstream;
        let found = self
            .walk(uproject, token, rid, |list, _, text| {
                let recs = list_page(up, list, text)?;
                let mut found = None;
                for r in &recs {
                    let Some(tag) = r.text("tag") else { continue };
                    let Some(rid_) = translate::release_id(up, uproject, &tag, r) else {
                        continue;
                    };
                    self.ids.insert(uproject, rid_, &tag);
                    if rid_ == id {
                        found = Some(tag.into_owned());
                    }
                }
                Ok((found, recs.len()))
            })
            .await?;
        found.ok_or_else(|| {
            GwError::upstream(
                ErrorKind::NotFound,
                format!("no release with id {id} in {uproject}"),
            )
        })
    }

    /// Walks the upstream's release list, the largest pages it serves and at
    /// most `max_id_scan_pages` of them, until `visit` finds what it looks for.
    /// `visit` gets the list route, a page's answer and its text, and says what
    /// it found and how many releases the page held; an empty page ends the
    /// walk, as does the last.
    async fn walk<'s, T>(
        &'s self,
        uproject: &str,
        token: Option<&str>,
        rid: &HeaderValue,
        mut visit: impl FnMut(&'s Route, &Answer, &str) -> Result<(Option<T>, usize), GwError>,
    ) -> Result<Option<T>, GwError> {
        let up = &*self.upstream;
        let Some((list, mut page)) = plan::walk_start(up) else {
            return Ok(None);
        };
        for _ in 0..self.cfg.max_id_scan_pages {
            let answer = self.ask_page(list, uproject, &page, token, rid).await?;
            let text = std::str::from_utf8(&answer.body).unwrap_or("");
            let (found, held) = visit(list, &answer, text)?;
            if found.is_some() {
                return Ok(found);
            }
            let next = paging::decode_info(up, &answer.headers, text).next;
            if held == 0 || !next.is_some_and(|n| plan::advance(up, &mut page, n)) {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Asks the upstream's list route `list` for `page`.
    async fn ask_page(
        &self,
        list: &Route,
        uproject: &str,
        page: &PageReq,
        token: Option<&str>,
        rid: &HeaderValue,
    ) -> Result<Answer, GwError> {
        let args = OutboundArgs {
            project: uproject,
            tag: None,
            id: None,
            asset: None,
            page,
            body: None,
            token,
        };
        self.ask(list, &args, rid).await
    }

    /// A read of the gateway's own (a lookup): `route` of the upstream with
    /// `args`, a GET that may be sent again; an answer that is not a success is
    /// the upstream's error.
    async fn ask(
        &self,
        route: &Route,
        args: &OutboundArgs<'_>,
        rid: &HeaderValue,
    ) -> Result<Answer, GwError> {
        let up = &*self.upstream;
        let make = || translate::encode_request(up, route, args);
        let answer = self.forward(make, true, rid).await?;
        succeeded(up, route.op, &answer)?;
        Ok(answer)
    }

    /// Sends the request `make` builds. An idempotent one is built again,
    /// only if it has to be sent again (see `Upstream::send`).
    async fn forward(
        &self,
        make: impl Fn() -> Result<translate::Outbound, GwError>,
        idempotent: bool,
        rid: &HeaderValue,
    ) -> Result<Answer, GwError> {
        let request = |out: translate::Outbound, u: &Upstream| -> Result<Request<Body>, GwError> {
            let mut req = Request::new(full(out.body.unwrap_or_default()));
            *req.method_mut() = out.method;
            *req.uri_mut() = if out.on_host {
                u.uri_on_host(out.path_and_query)?
            } else {
                u.uri(out.path_and_query)?
            };
            let h = req.headers_mut();
            h.reserve(out.headers.len() + 2);
            for (k, v) in out.headers {
                h.append(k, v);
            }
            own_headers(h, rid);
            Ok(req)
        };
        let out = make()?;
        // Where it goes: the upstream, or another of its hosts by name.
        let host = self.upstream_at(out.host.as_deref())?;
        let req = request(out, host)?;
        // Built again, for the same host, only if it has to be sent again.
        let build = || request(make()?, host);
        host.send(req, idempotent.then_some(build), Some(&self.translations))
            .await
    }
}

/// How the upstream addresses the release a request names.
struct Resolved<'u> {
    tag: Option<String>,
    id: Option<u64>,
    /// The upstream's own answer for the release, when finding its id took a
    /// lookup: the route that was asked and the body it answered.
    release: Option<(&'u Route, Vec<u8>)>,
}

/// What a pass-through retry needs to build its request again.
struct Retry {
    method: http::Method,
    /// The forwarded client headers (empty, no allocation, when there are none).
    headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Default)]
pub(super) struct LogLine<'g> {
    pub client: &'g str,
    pub op: &'static str,
    pub upstream_status: u16,
    /// The API root the request came in under, for URLs in error bodies.
    pub root: &'g str,
    /// Where the client's dialect names a request, besides `X-Request-Id`.
    pub rid_header: Option<&'g HeaderName>,
    pub error: Option<String>,
}

/// The releases of one page of the upstream's list `list` (none where the
/// route reads no body).
fn list_page<'t>(up: &Dialect, list: &Route, text: &'t str) -> Result<Vec<Record<'t>>, GwError> {
    let Some(shape) = list.response else {
        return Ok(Vec::new());
    };
    let path = list.list.as_deref().unwrap_or(&[]);
    read_list(up, shape, path, text).map_err(|e| {
        GwError::upstream(
            ErrorKind::BadUpstreamResponse,
            format!(
                "the upstream ({}) release list is unreadable: {e}",
                up.title
            ),
        )
    })
}

/// The JSON text of release `i` of a page of the upstream's list `list`.
fn element_of(list: &Route, text: &str, i: usize) -> Option<Vec<u8>> {
    plan::list_element(text, list.list.as_deref().unwrap_or(&[]), i).map(|e| e.as_bytes().to_vec())
}

/// `succeeded` for the answer to `route`; a create answered with the route's
/// `exists_status` found the release already there.
fn created(up: &Dialect, route: &Route, answer: &Answer) -> Result<(), GwError> {
    if route.op == Op::Create && route.exists_status == Some(answer.status) {
        let mut e = GwError::upstream(
            ErrorKind::AlreadyExists,
            format!(
                "the upstream ({}) answered {}: a release with this tag already exists",
                up.title, answer.status
            ),
        );
        e.field = Some("tag");
        return Err(e);
    }
    succeeded(up, route.op, answer)
}

/// An upstream's error on the link to a file it has kept (`link`, the link
/// that was asked for), saying where the file is: it is in no release.
fn unlinked(mut e: GwError, link: Option<&Record>) -> GwError {
    if let Some(url) = link.and_then(|l| l.text("url")) {
        e.message = format!(
            "{} (the file is kept at {url} but is linked to no release: link it, or upload it again)",
            e.message
        );
    }
    e
}

/// The upstream's error, in canonical form, when its answer to `op` is not a success.
fn succeeded(up: &Dialect, op: Op, answer: &Answer) -> Result<(), GwError> {
    if (200..300).contains(&answer.status) {
        return Ok(());
    }
    Err(translate::decode_upstream_error(
        up,
        op,
        answer.status,
        &answer.headers,
        &answer.body,
    ))
}

/// The headers of a request the gateway makes itself: the request's id and
/// the gateway's `User-Agent`.
fn own_headers(h: &mut HeaderMap, rid: &HeaderValue) {
    h.insert(X_REQUEST_ID, rid.clone());
    h.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(plan::USER_AGENT),
    );
}

/// The client's response from a translated answer; `json` says whether it
/// has a JSON body.
fn respond(cr: ClientResponse, json: bool) -> Response<Body> {
    let mut resp = Response::new(full(cr.body));
    *resp.status_mut() = StatusCode::from_u16(cr.status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    if json {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    for (k, v) in cr.headers {
        h.append(k, v);
    }
    resp
}

/// The gateway's own error answer, in dialect `d`.
pub(super) fn respond_error(d: &Dialect, err: &GwError, api: &str) -> Response<Body> {
    let ctx = Ctx {
        api,
        ..Ctx::default()
    };
    let (status, body) = encode_error(d, None, err, &ctx);
    let mut r = Response::new(full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(ra) = err
        .retry_after
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        r.headers_mut().insert(http::header::RETRY_AFTER, ra);
    }
    if let Some(allow) = err
        .allow
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        r.headers_mut().insert(http::header::ALLOW, allow);
    }
    r
}

/// The answer to a HEAD request: the GET answer's head, with the length of
/// the body it would have had, and no body. HTTP/1.1 would leave the body out
/// on its own; HTTP/2 would send it.
fn head_only(resp: &mut Response<Body>) {
    let len = http_body::Body::size_hint(resp.body()).exact();
    if len == Some(0) {
        // Already bodiless: an upstream's answer to HEAD, which says its own length.
        return;
    }
    if let Some(n) = len {
        resp.headers_mut()
            .entry(http::header::CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(n));
    }
    *resp.body_mut() = full(Bytes::new());
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers that describe one connection, never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    http::header::CONNECTION,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
    http::header::TE,
    http::header::TRAILER,
    http::header::PROXY_AUTHENTICATE,
    http::header::PROXY_AUTHORIZATION,
    HeaderName::from_static("keep-alive"),
];

/// Reads the request body, refusing more than `max` bytes.
pub(super) async fn read_body(req: Request<Inbound>, max: usize) -> Result<Bytes, GwError> {
    let too_large = || too_large(max);
    if let Some(len) = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max as u64 {
            return Err(too_large());
        }
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Err(e) => Err(GwError::client(
            ErrorKind::BadRequest,
            format!("cannot read the request body: {e}"),
        )),
    }
}

/// Whether an answer's `Content-Type` is JSON (`application/json`, or a
/// `+json` type).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("application/json")
                || t.get(t.len().saturating_sub(5)..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("+json"))
        })
}
