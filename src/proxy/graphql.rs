//! A dialect's GraphQL endpoint (`[graphql]` in its mapping). Each field of a
//! query is read through one of the dialect's own routes, as a GET the
//! gateway serves itself: whatever the upstream, a field answers what that
//! route answers, with the client's credentials, the same limits and the
//! same errors. Only queries are served; writes go through the routes.
//!
//! Errors are GraphQL's: a query that asks for what the mapping does not
//! serve is answered `200` with `errors` and no `data`; a field whose read
//! failed is `null`, with an error naming its path. A refusal that is not
//! the query's (credentials, rate limit, the upstream down) is answered as
//! its route answered it.

use super::client::{full, Body, Inbound};
use super::handler::{read_body, respond_error, Gateway, LogLine};
use crate::canonical::ErrorKind;
use crate::error::GwError;
use crate::mapping::model::{GqlField, GqlOut, GqlType, Graphql, PathVar, Route};
use crate::mapping::Dialect;
use crate::translate::graphql::{self as gql, Field, OpKind, Pos, Value};
use crate::translate::{encode_path, error_message, paging, plan};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

/// The body of a GraphQL request.
#[derive(serde::Deserialize)]
struct Query {
    query: String,
    #[serde(default)]
    variables: Option<serde_json::Map<String, Json>>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

/// One entry of a GraphQL answer's `errors`.
struct GqlError {
    message: String,
    at: Option<Pos>,
    path: Vec<String>,
    /// The error's type, where the mapping names one (`not_found_type`).
    ty: Option<String>,
}

impl GqlError {
    fn at(f: &Field, message: String) -> GqlError {
        GqlError {
            message,
            at: Some(f.at),
            path: Vec::new(),
            ty: None,
        }
    }

    fn json(&self) -> String {
        let mut s = format!("{{\"message\":{}", Json::from(self.message.as_str()));
        if let Some(t) = &self.ty {
            s.push_str(&format!(",\"type\":{}", Json::from(t.as_str())));
        }
        if let Some(p) = self.at {
            s.push_str(&format!(
                ",\"locations\":[{{\"line\":{},\"column\":{}}}]",
                p.line, p.column
            ));
        }
        if !self.path.is_empty() {
            let path: Vec<Json> = self.path.iter().map(|k| Json::from(k.as_str())).collect();
            s.push_str(&format!(",\"path\":{}", Json::Array(path)));
        }
        s.push('}');
        s
    }
}

/// What one read through a route came to.
enum Read {
    /// The answer, and what its list says of its pages (by the dialect's
    /// own paging headers or body token).
    Found(Json, paging::PageInfo),
    /// 404, with the route's message.
    Missing(String),
    /// Any other refusal of the query's (400, 422, …), with its message.
    Failed(String),
    /// Not the query's to answer (401, 403, 429, 5xx): the route's answer
    /// becomes the whole response.
    Refused(Box<Response<Body>>),
}

/// A query's execution: its variables, and the reads it shares between
/// fields (what a `same_as` route answered, per project).
struct Run<'g> {
    d: &'g Dialect,
    g: &'g Graphql,
    /// The GraphQL request's headers (its credentials), sent with each read.
    headers: HeaderMap,
    rid: HeaderValue,
    /// What the last read's route answered, for the log.
    upstream_status: u16,
    vars: serde_json::Map<String, Json>,
    same: HashMap<(usize, String), Option<Json>>,
    errors: Vec<GqlError>,
}

type Boxed<'s, T> = Pin<Box<dyn Future<Output = T> + Send + 's>>;

/// What serves the GETs a query's fields are read through, in the
/// dialect's own routes: the gateway (in front of any upstream), or a
/// simulated forge of the dialect.
pub trait Reader: Sync {
    /// Serves a GET of the dialect's routes; a failure is its answer too.
    fn get(&self, req: Request<Inbound>, rid: HeaderValue) -> Boxed<'_, Response<Body>>;
}

/// How much of a read's answer is taken, and for how long it is waited for.
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_response_bytes: usize,
    pub timeout: std::time::Duration,
    /// The most pages of a list read whole (to reverse it).
    pub max_pages: u64,
}

/// A query's reads, through `reader`, whose routes are answered by an
/// upstream of dialect `upstream` (whose pages may be smaller).
struct Exec<'r> {
    reader: &'r dyn Reader,
    upstream: &'r Dialect,
    limits: Limits,
}

impl Gateway {
    /// Serves a GraphQL request of client dialect `ci`.
    pub(super) async fn graphql<'s>(
        &'s self,
        req: Request<Inbound>,
        ci: usize,
        g: &'s Graphql,
        rid: &HeaderValue,
        log: &mut LogLine<'s>,
    ) -> Result<Response<Body>, (GwError, usize)> {
        let d = &*self.clients[ci];
        let headers = req.headers().clone();
        let body = read_body(req, self.cfg.max_body_bytes)
            .await
            .map_err(|e| (e, ci))?;
        let limits = Limits {
            max_response_bytes: self.cfg.max_response_bytes,
            timeout: self.cfg.upstream_timeout,
            max_pages: self.cfg.max_id_scan_pages,
        };
        let (resp, upstream_status) =
            answer_query((self, &self.upstream), limits, (d, g), headers, rid, &body)
                .await
                .map_err(|e| (e, ci))?;
        log.upstream_status = upstream_status;
        Ok(resp)
    }
}

impl Reader for Gateway {
    fn get(&self, req: Request<Inbound>, rid: HeaderValue) -> Boxed<'_, Response<Body>> {
        self.internal(req, rid)
    }
}

/// Answers GraphQL request `body` of dialect `d` (whose `[graphql]` is
/// `g`), reading each field through `reader` in front of an upstream of
/// dialect `upstream`; with the status of the last read's answer (for the
/// log). A body that is no GraphQL request is the error.
pub async fn answer_query(
    (reader, upstream): (&dyn Reader, &Dialect),
    limits: Limits,
    (d, g): (&Dialect, &Graphql),
    headers: HeaderMap,
    rid: &HeaderValue,
    body: &[u8],
) -> Result<(Response<Body>, u16), GwError> {
    let q: Query = serde_json::from_slice(body).map_err(|e| {
        GwError::client(
            ErrorKind::BadRequest,
            format!("the body is not a GraphQL request (JSON with a `query` string): {e}"),
        )
    })?;
    let mut run = Run {
        d,
        g,
        headers,
        rid: rid.clone(),
        upstream_status: 0,
        vars: serde_json::Map::new(),
        same: HashMap::new(),
        errors: Vec::new(),
    };
    let exec = Exec {
        reader,
        upstream,
        limits,
    };
    let resp = exec.query(&mut run, q).await;
    Ok((resp, run.upstream_status))
}

impl Exec<'_> {
    /// Runs the query's operation: checked whole, then its fields read.
    async fn query(&self, run: &mut Run<'_>, q: Query) -> Response<Body> {
        let ops = match gql::parse(&q.query) {
            Ok(ops) => ops,
            Err(e) => {
                run.errors.push(GqlError {
                    message: e.message,
                    at: Some(e.at),
                    path: Vec::new(),
                    ty: None,
                });
                return answer(None, &run.errors);
            }
        };
        let Some(op) = run.operation(&ops, q.operation_name.as_deref()) else {
            return answer(None, &run.errors);
        };
        run.variables(op, q.variables.unwrap_or_default());
        if run.errors.is_empty() {
            run.check(op);
        }
        if !run.errors.is_empty() {
            return answer(None, &run.errors);
        }
        let mut data = Vec::with_capacity(op.selection.len());
        for f in &op.selection {
            if f.name == "__typename" {
                data.push((f.key(), Json::from("Query").to_string()));
                continue;
            }
            if f.name == "__type" {
                data.push((f.key(), run.type_of(f)));
                continue;
            }
            let v = self.project(run, f).await;
            match v {
                Ok(v) => data.push((f.key(), v)),
                Err(refused) => return refused,
            }
        }
        answer(Some(&object(&data)), &run.errors)
    }

    /// The project a root field names, and what is asked of it.
    async fn project(&self, run: &mut Run<'_>, f: &Field) -> Result<String, Response<Body>> {
        let (_, tname, pargs) = &run.g.project;
        let (mut owner, mut repo, mut whole) = (String::new(), String::new(), String::new());
        for (arg, var) in pargs {
            let v = run.string_arg(f, arg).unwrap_or_default();
            match var {
                PathVar::Owner => owner = v,
                PathVar::Repo => repo = v,
                _ => whole = v,
            }
        }
        let project = if whole.is_empty() {
            [owner.as_str(), "/", repo.as_str()].concat()
        } else {
            whole
        };
        let mut out = Vec::with_capacity(f.selection.len());
        for s in &f.selection {
            if s.name == "__typename" {
                out.push((s.key(), Json::from(tname.as_str()).to_string()));
                continue;
            }
            let Some(field) = run.g.fields.iter().find(|x| x.name == s.name) else {
                continue;
            };
            let path = vec![f.key().to_owned(), s.key().to_owned()];
            let v = match &field.connection {
                None => self.one(run, field, s, &project).await?,
                Some(c) => self.page(run, field, c, s, &project).await?,
            };
            match v {
                Ok(v) => out.push((s.key(), v)),
                Err((mut e, whole_project)) => {
                    e.path = path;
                    run.errors.push(e);
                    if whole_project {
                        // The project itself was not found: null, with the error.
                        return Ok("null".into());
                    }
                    out.push((s.key(), "null".into()));
                }
            }
        }
        Ok(object(&out))
    }

    /// One record, `null` where its route answers 404.
    async fn one(
        &self,
        run: &mut Run<'_>,
        field: &GqlField,
        f: &Field,
        project: &str,
    ) -> Result<Result<String, (GqlError, bool)>, Response<Body>> {
        let route = &run.d.routes[field.route];
        // The argument bound to path variable `var`, as given, without the
        // prefix it is taken with (checked before anything is read).
        let given = |var| {
            let (a, _) = field.args.iter().find(|(_, v)| *v == var)?;
            let v = run.string_arg(f, a)?;
            match field.prefix.iter().find(|(p, _)| p == a) {
                Some((_, prefix)) => v.strip_prefix(prefix.as_str()).map(str::to_owned),
                None => Some(v),
            }
        };
        let tag = given(PathVar::Tag);
        let id = given(PathVar::Id).and_then(|s| s.parse::<u64>().ok());
        let path = match encode_path(run.d, route, project, tag.as_deref(), id, None) {
            Ok(p) => p,
            Err(e) => return Ok(Err((GqlError::at(f, e.message), false))),
        };
        match self.read(run, route, path).await {
            Read::Found(rec, _) => Ok(Ok(self
                .record(run, &run.g.types[field.record], f, &rec, project)
                .await?)),
            Read::Missing(_) => Ok(Ok("null".into())),
            Read::Failed(m) => Ok(Err((GqlError::at(f, m), false))),
            Read::Refused(r) => Err(*r),
        }
    }

    /// Page `page` of the route's list (`size` records a page, asked with
    /// the paging parameters of `at`): its records, and what the answer says
    /// of the pages (whether a next one follows, the last, the total).
    async fn list_page(
        &self,
        run: &mut Run<'_>,
        route: &Route,
        (base, pp, pn): (&str, &str, &str),
        (size, page): (u64, u64),
        f: &Field,
    ) -> Result<Result<(Vec<Json>, paging::PageInfo), (GqlError, bool)>, Response<Body>> {
        let path = format!("{base}?{pp}={size}&{pn}={page}");
        let (mut list, further) = match self.read(run, route, path).await {
            Read::Found(j, next) => (j, next),
            Read::Missing(m) => {
                let mut e = GqlError::at(f, m);
                e.ty.clone_from(&run.g.not_found_type);
                return Ok(Err((e, true)));
            }
            Read::Failed(m) => return Ok(Err((GqlError::at(f, m), false))),
            Read::Refused(r) => return Err(*r),
        };
        let pointer: String = route
            .list
            .iter()
            .flatten()
            .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
            .collect();
        let got = match list.pointer_mut(&pointer).map(Json::take) {
            Some(Json::Array(a)) => a,
            _ => Vec::new(),
        };
        Ok(Ok((got, further)))
    }

    /// The records per page to ask `route` for when `want` are wanted: no
    /// more than the upstream serves in one page (the dialect's page
    /// parameter `pp`, as a client's request would give it), at least one.
    fn page_size(&self, d: &Dialect, route: &Route, pp: &str, want: u64) -> u64 {
        plan::page_request(d, self.upstream, route.op, &format!("{pp}={want}"))
            .ok()
            .and_then(|p| p.per_page)
            .unwrap_or(want)
            .clamp(1, want.max(1))
    }

    /// The route's whole list, read in the largest pages the upstream
    /// serves, at most `Limits::max_pages` of them (else an error saying
    /// that the list was read whole `why`).
    async fn whole_list(
        &self,
        run: &mut Run<'_>,
        route: &Route,
        at: (&str, &str, &str),
        f: &Field,
        why: &str,
    ) -> Result<Result<Vec<Json>, (GqlError, bool)>, Response<Body>> {
        let most = run
            .d
            .paging
            .as_ref()
            .and_then(|p| p.max_per_page)
            .unwrap_or(100);
        let size = self.page_size(run.d, route, at.1, most);
        let mut all = Vec::new();
        for page in 1.. {
            let (got, info) = match self.list_page(run, route, at, (size, page), f).await? {
                Ok(read) => read,
                Err(e) => return Ok(Err(e)),
            };
            let n = got.len();
            all.extend(got);
            if info.next.is_none() || n == 0 {
                break;
            }
            if page >= self.limits.max_pages {
                let m = format!(
                    "the list is read whole to be {why}, and it is longer than {page} pages of {size}"
                );
                return Ok(Err((GqlError::at(f, m), false)));
            }
        }
        Ok(Ok(all))
    }

    /// How many records the route's list holds: what its first page of one
    /// record says (its total, or the number of its last page), else the
    /// list counted whole.
    async fn total(
        &self,
        run: &mut Run<'_>,
        route: &Route,
        at: (&str, &str, &str),
        f: &Field,
    ) -> Result<Result<u64, (GqlError, bool)>, Response<Body>> {
        let (got, info) = match self.list_page(run, route, at, (1, 1), f).await? {
            Ok(read) => read,
            Err(e) => return Ok(Err(e)),
        };
        let said = info
            .total
            .as_deref()
            .and_then(|t| t.parse().ok())
            .or_else(|| info.last.as_deref().and_then(|l| l.parse().ok()))
            .or_else(|| info.next.is_none().then_some(got.len() as u64));
        if let Some(n) = said {
            return Ok(Ok(n));
        }
        Ok(self
            .whole_list(run, route, at, f, "counted")
            .await?
            .map(|all| all.len() as u64))
    }

    /// A page of records, as a connection: `first` records after the cursor
    /// `after`, read as one page of the route's list.
    async fn page(
        &self,
        run: &mut Run<'_>,
        field: &GqlField,
        cname: &str,
        f: &Field,
        project: &str,
    ) -> Result<Result<String, (GqlError, bool)>, Response<Body>> {
        let route = &run.d.routes[field.route];
        let Some(paging) = run.d.paging.as_ref() else {
            return Ok(Err((
                GqlError::at(f, "this list is not paged".into()),
                false,
            )));
        };
        let first = match run.arg(f, "first") {
            Some(Value::Int(n)) => n,
            _ => 0,
        };
        let offset = match run.arg(f, "after") {
            Some(Value::Str(c)) => match c.parse::<u64>() {
                Ok(n) => n + 1,
                Err(_) => {
                    let m = format!("`after`: {c:?} is not a cursor this endpoint gave");
                    return Ok(Err((GqlError::at(f, m), false)));
                }
            },
            _ => 0,
        };
        let first = first.max(1) as u64;
        let (Some(pp), Some(pn)) = (&paging.per_page_param, &paging.page_param) else {
            return Ok(Err((
                GqlError::at(f, "this list is not paged by number".into()),
                false,
            )));
        };
        let base = match encode_path(run.d, route, project, None, None, None) {
            Ok(p) => p,
            Err(e) => return Ok(Err((GqlError::at(f, e.message), false))),
        };
        let reversed = field
            .reversed
            .iter()
            .any(|(a, x)| run.arg(f, a).is_some_and(|v| v.same(x)));
        let at = (base.as_str(), pp.as_str(), pn.as_str());
        let wants_total = f.selection.iter().any(|s| s.name == "totalCount");
        let (items, next, total) = if reversed {
            // The whole list, then the page from its end.
            let mut all = match self.whole_list(run, route, at, f, "reversed").await? {
                Ok(all) => all,
                Err(e) => return Ok(Err(e)),
            };
            let total = all.len() as u64;
            all.reverse();
            let start = (offset as usize).min(all.len());
            let end = start.saturating_add(first as usize).min(all.len());
            let next = end < all.len();
            (all.drain(start..end).collect(), next, total)
        } else {
            // The pages the route serves may be smaller than `first` (the
            // upstream's largest page is smaller): the records from `offset`
            // on are read from as many of them as it takes.
            let size = self.page_size(run.d, route, pp, first);
            let (mut page, mut skip) = (offset / size + 1, (offset % size) as usize);
            let mut items: Vec<Json> = Vec::new();
            let next = loop {
                let (got, info) = match self.list_page(run, route, at, (size, page), f).await? {
                    Ok(read) => read,
                    Err(e) => return Ok(Err(e)),
                };
                let further = info.next.is_some();
                let n = got.len();
                let want = first as usize - items.len();
                items.extend(got.into_iter().skip(skip).take(want));
                let left_in_page = n > skip + want;
                if items.len() as u64 >= first || !further || n == 0 {
                    break left_in_page || further;
                }
                page += 1;
                skip = 0;
            };
            let total = if wants_total {
                match self.total(run, route, at, f).await? {
                    Ok(n) => n,
                    Err(e) => return Ok(Err(e)),
                }
            } else {
                0
            };
            (items, next, total)
        };
        let items = &items;
        let rtype = &run.g.types[field.record];
        let cursor = |i: usize| Json::from((offset + i as u64).to_string()).to_string();
        let mut out = Vec::with_capacity(f.selection.len());
        for s in &f.selection {
            let v = match s.name.as_str() {
                "__typename" => Json::from(cname).to_string(),
                "totalCount" => total.to_string(),
                "nodes" => {
                    let mut nodes = Vec::with_capacity(items.len());
                    for it in items {
                        nodes.push(self.record(run, rtype, s, it, project).await?);
                    }
                    format!("[{}]", nodes.join(","))
                }
                "edges" => {
                    let mut edges = Vec::with_capacity(items.len());
                    for (i, it) in items.iter().enumerate() {
                        let mut e = Vec::new();
                        for es in &s.selection {
                            let v = match es.name.as_str() {
                                "cursor" => cursor(i),
                                "node" => self.record(run, rtype, es, it, project).await?,
                                _ => Json::from(edge_name(cname)).to_string(),
                            };
                            e.push((es.key(), v));
                        }
                        edges.push(object(&e));
                    }
                    format!("[{}]", edges.join(","))
                }
                _ => {
                    let mut pi = Vec::new();
                    for ps in &s.selection {
                        let v = match ps.name.as_str() {
                            "hasNextPage" => next.to_string(),
                            "hasPreviousPage" => (offset > 0).to_string(),
                            "startCursor" if !items.is_empty() => cursor(0),
                            "endCursor" if !items.is_empty() => cursor(items.len() - 1),
                            "startCursor" | "endCursor" => "null".into(),
                            _ => Json::from("PageInfo").to_string(),
                        };
                        pi.push((ps.key(), v));
                    }
                    object(&pi)
                }
            };
            out.push((s.key(), v));
        }
        Ok(Ok(object(&out)))
    }

    /// The fields `f` selects of record `rec`, of type `t`.
    async fn record(
        &self,
        run: &mut Run<'_>,
        t: &GqlType,
        f: &Field,
        rec: &Json,
        project: &str,
    ) -> Result<String, Response<Body>> {
        {
            let mut out = Vec::with_capacity(f.selection.len());
            for s in &f.selection {
                let Some((_, how)) = t.fields.iter().find(|(n, _)| *n == s.name) else {
                    out.push((s.key(), Json::from(t.name.as_str()).to_string()));
                    continue;
                };
                let v = match how {
                    GqlOut::Member(p) => scalar(at(rec, p)),
                    GqlOut::SameAs { member, route } => {
                        let key = (*route, project.to_owned());
                        if !run.same.contains_key(&key) {
                            let r = &run.d.routes[*route];
                            let found = match encode_path(run.d, r, project, None, None, None) {
                                Ok(path) => match self.read(run, r, path).await {
                                    Read::Found(j, _) => Some(j),
                                    Read::Missing(_) => None,
                                    Read::Failed(m) => {
                                        let mut e = GqlError::at(s, m);
                                        e.path = vec![s.key().to_owned()];
                                        run.errors.push(e);
                                        None
                                    }
                                    Read::Refused(r) => return Err(*r),
                                },
                                Err(_) => None,
                            };
                            run.same.insert(key.clone(), found);
                        }
                        let other = run.same.get(&key).and_then(|o| o.as_ref());
                        let mine = at(rec, member);
                        (!mine.is_null() && other.is_some_and(|o| at(o, member) == mine))
                            .to_string()
                    }
                };
                out.push((s.key(), v));
            }
            Ok(object(&out))
        }
    }

    /// A GET through `route` of this dialect, served by the gateway itself.
    async fn read(&self, run: &mut Run<'_>, route: &Route, path: String) -> Read {
        let mut req = Request::new(Inbound::Empty);
        *req.method_mut() = http::Method::GET;
        match path.parse() {
            Ok(u) => *req.uri_mut() = u,
            Err(_) => return Read::Failed(format!("cannot ask for {path}")),
        }
        let h = req.headers_mut();
        for (k, v) in &run.headers {
            if !matches!(
                k.as_str(),
                "content-length"
                    | "content-type"
                    | "transfer-encoding"
                    | "content-encoding"
                    | "expect"
            ) {
                h.append(k.clone(), v.clone());
            }
        }
        let resp = self.reader.get(req, run.rid.clone()).await;
        let status = resp.status();
        run.upstream_status = status.as_u16();
        tracing::debug!(request_id = ?run.rid, path = %path, status = status.as_u16(), op = route.op.name(), "graphql read");
        if matches!(status.as_u16(), 401 | 403 | 429) || status.is_server_error() {
            return Read::Refused(Box::new(resp));
        }
        let (parts, body) = resp.into_parts();
        let limit = self.limits.max_response_bytes;
        let bytes =
            match tokio::time::timeout(self.limits.timeout, Limited::new(body, limit).collect())
                .await
            {
                Ok(Ok(c)) => c.to_bytes(),
                Ok(Err(e)) => return Read::Failed(format!("reading {path}: {e}")),
                Err(_) => return Read::Failed(format!("reading {path}: timed out")),
            };
        let text = std::str::from_utf8(&bytes).unwrap_or("");
        if status.is_success() {
            return match serde_json::from_str(text) {
                Ok(j) => Read::Found(j, paging::decode_info(run.d, &parts.headers, text)),
                Err(e) => Read::Failed(format!("{path} answered no JSON: {e}")),
            };
        }
        let m = error_message(run.d, text).unwrap_or_else(|| status.to_string());
        if status == StatusCode::NOT_FOUND {
            Read::Missing(m)
        } else {
            Read::Failed(m)
        }
    }
}

impl Gateway {
    /// Serves a request of the gateway's own, its failure in the dialect
    /// of the route it matched. Boxed: it serves through `serve`, which
    /// serves GraphQL requests through this.
    fn internal(&self, req: Request<Inbound>, rid: HeaderValue) -> Boxed<'_, Response<Body>> {
        Box::pin(async move {
            let mut log = LogLine::default();
            match self.serve(req, &rid, &mut log).await {
                Ok(r) => r,
                Err((err, ci)) => {
                    let d = &self.clients[ci.min(self.clients.len() - 1)];
                    respond_error(d, &err, &self.public_api(log.root))
                }
            }
        })
    }
}

impl Run<'_> {
    /// The operation to run: the one named, or the only one.
    fn operation<'o>(
        &mut self,
        ops: &'o [gql::Operation],
        name: Option<&str>,
    ) -> Option<&'o gql::Operation> {
        let op = match name.filter(|n| !n.is_empty()) {
            Some(n) => ops
                .iter()
                .find(|o| o.name.as_deref() == Some(n))
                .or_else(|| {
                    self.fail(None, format!("the document has no operation named `{n}`"));
                    None
                })?,
            None if ops.len() == 1 => &ops[0],
            None => {
                self.fail(
                    None,
                    "the document holds several operations: name one in `operationName`".into(),
                );
                return None;
            }
        };
        if op.kind != OpKind::Query {
            let kind = if op.kind == OpKind::Mutation {
                "mutation"
            } else {
                "subscription"
            };
            self.fail(
                Some(op.at),
                format!("this endpoint serves queries only, not a {kind}: writes go through the REST routes"),
            );
            return None;
        }
        Some(op)
    }

    /// The operation's variables: given, else their default; a required
    /// one missing, or given `null`, is an error.
    fn variables(&mut self, op: &gql::Operation, mut given: serde_json::Map<String, Json>) {
        for v in &op.vars {
            let value = match given.remove(&v.name) {
                Some(j) => j,
                None => match &v.default {
                    Some(d) => to_json(d),
                    None => Json::Null,
                },
            };
            if v.required && value.is_null() {
                self.fail(
                    Some(v.at),
                    format!(
                        "Variable ${} of type {} was not given a value",
                        v.name, v.ty
                    ),
                );
            }
            self.vars.insert(v.name.clone(), value);
        }
    }

    fn fail(&mut self, at: Option<Pos>, message: String) {
        self.errors.push(GqlError {
            message,
            at,
            path: Vec::new(),
            ty: None,
        });
    }

    /// Argument `name` of `f`, its variables replaced.
    fn arg(&self, f: &Field, name: &str) -> Option<Value> {
        let (_, v) = f.args.iter().find(|(n, _)| n == name)?;
        Some(self.resolve(v))
    }

    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Var(n) => self.vars.get(n).map_or(Value::Null, gql::from_json),
            Value::List(l) => Value::List(l.iter().map(|x| self.resolve(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.resolve(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn string_arg(&self, f: &Field, name: &str) -> Option<String> {
        match self.arg(f, name)? {
            Value::Str(s) => Some(s),
            Value::Int(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Checks the operation against the schema, before anything is read:
    /// every field served, every argument known, of its type and given.
    fn check(&mut self, op: &gql::Operation) {
        let g = self.g;
        let mut keys = Keys::default();
        for f in &op.selection {
            self.unique(&mut keys, f);
            if f.name == "__typename" {
                self.leaf(f, "Query");
                continue;
            }
            if f.name == "__type" {
                self.type_query(f);
                continue;
            }
            let (pfield, tname, pargs) = &g.project;
            if f.name != *pfield {
                self.undefined(f, "Query");
                continue;
            }
            let names: Vec<&str> = pargs.iter().map(|(a, _)| a.as_str()).collect();
            self.args(f, &names, &names, &[]);
            for (a, _) in pargs {
                self.string(f, a);
            }
            let mut keys = Keys::default();
            self.selects(f, tname);
            for s in &f.selection {
                self.unique(&mut keys, s);
                if s.name == "__typename" {
                    self.leaf(s, tname);
                    continue;
                }
                let Some(field) = g.fields.iter().find(|x| x.name == s.name) else {
                    self.undefined(s, tname);
                    continue;
                };
                self.field(field, s);
            }
        }
    }

    /// A project's field: its arguments, then what it selects.
    fn field(&mut self, field: &GqlField, s: &Field) {
        let g = self.g;
        let rtype = &g.types[field.record];
        let own: Vec<&str> = field.args.iter().map(|(a, _)| a.as_str()).collect();
        let only: Vec<&str> = field
            .only
            .iter()
            .chain(&field.reversed)
            .map(|(a, _)| a.as_str())
            .collect();
        for (a, want) in &field.only {
            if let Some(v) = self.arg(s, a) {
                let reversed = field.reversed.iter().any(|(r, x)| r == a && v.same(x));
                if !v.same(want) && !reversed {
                    let named: Vec<String> = std::iter::once(want)
                        .chain(
                            field
                                .reversed
                                .iter()
                                .filter(|(r, _)| r == a)
                                .map(|(_, x)| x),
                        )
                        .map(literal)
                        .collect();
                    self.fail(
                        Some(s.at),
                        format!(
                            "Field '{}' is served with `{a}` as the mapping names it only ({})",
                            s.name,
                            named.join(" or ")
                        ),
                    );
                }
            }
        }
        for (a, _) in &field.args {
            self.string(s, a);
        }
        for (a, prefix) in &field.prefix {
            if let Some(Value::Str(v)) = self.arg(s, a) {
                if !v.starts_with(prefix.as_str()) {
                    self.fail(
                        Some(s.at),
                        format!(
                            "Field '{}' is served with `{a}` starting {} only",
                            s.name,
                            Json::from(prefix.as_str())
                        ),
                    );
                }
            }
        }
        let Some(cname) = &field.connection else {
            self.args(s, &own, &own, &only);
            self.selects(s, &rtype.name);
            self.record(rtype, s);
            return;
        };
        let mut all = own.clone();
        all.extend(["first", "after"]);
        let mut required = own.clone();
        required.push("first");
        for back in ["last", "before"] {
            if s.args.iter().any(|(n, _)| n == back) {
                self.fail(
                    Some(s.at),
                    format!("`{back}` is not served: this endpoint pages forward, with `first` and `after`"),
                );
            }
        }
        self.args(s, &all, &required, &only);
        let max = self
            .d
            .paging
            .as_ref()
            .and_then(|p| p.max_per_page)
            .unwrap_or(100);
        match self.arg(s, "first") {
            Some(Value::Int(n)) if n >= 1 && n as u64 <= max => {}
            Some(Value::Null) | None => {}
            Some(v) => self.fail(
                Some(s.at),
                format!(
                    "`first` on the `{}` connection is a number from 1 to {max}, not {}",
                    s.name,
                    literal(&v)
                ),
            ),
        }
        match self.arg(s, "after") {
            Some(Value::Str(_) | Value::Null) | None => {}
            Some(v) => self.fail(
                Some(s.at),
                format!("`after` is a cursor (a string), not {}", literal(&v)),
            ),
        }
        self.selects(s, cname);
        let mut keys = Keys::default();
        for c in &s.selection {
            self.unique(&mut keys, c);
            match c.name.as_str() {
                "__typename" | "totalCount" => self.leaf(c, cname),
                "nodes" => {
                    self.selects(c, &rtype.name);
                    self.record(rtype, c);
                }
                "edges" => {
                    let edge = edge_name(cname);
                    self.selects(c, &edge);
                    let mut keys = Keys::default();
                    for e in &c.selection {
                        self.unique(&mut keys, e);
                        match e.name.as_str() {
                            "cursor" | "__typename" => self.leaf(e, &edge),
                            "node" => {
                                self.selects(e, &rtype.name);
                                self.record(rtype, e);
                            }
                            _ => self.undefined(e, &edge),
                        }
                    }
                }
                "pageInfo" => {
                    self.selects(c, "PageInfo");
                    let mut keys = Keys::default();
                    for p in &c.selection {
                        self.unique(&mut keys, p);
                        match p.name.as_str() {
                            "hasNextPage" | "hasPreviousPage" | "startCursor" | "endCursor"
                            | "__typename" => self.leaf(p, "PageInfo"),
                            _ => self.undefined(p, "PageInfo"),
                        }
                    }
                }
                _ => self.undefined(c, cname),
            }
        }
    }

    /// The fields a record selects: each one of its type's, a scalar.
    fn record(&mut self, t: &GqlType, f: &Field) {
        let mut keys = Keys::default();
        for s in &f.selection {
            self.unique(&mut keys, s);
            if s.name != "__typename" && !t.fields.iter().any(|(n, _)| *n == s.name) {
                self.undefined(s, &t.name);
            } else {
                self.leaf(s, &t.name);
            }
        }
    }

    /// Arguments of `f`: each among `known`, every one of `required` given.
    fn args(&mut self, f: &Field, known: &[&str], required: &[&str], only: &[&str]) {
        for (n, v) in &f.args {
            if !known.contains(&n.as_str()) && !only.contains(&n.as_str()) {
                self.fail(
                    Some(f.at),
                    format!("Field '{}' doesn't accept argument '{n}'", f.name),
                );
            }
            if let Some(var) = undeclared(v, &self.vars) {
                self.fail(
                    Some(f.at),
                    format!("Variable ${var} is used by '{}' but not declared", f.name),
                );
            }
        }
        for r in required {
            if matches!(self.arg(f, r), None | Some(Value::Null)) {
                self.fail(
                    Some(f.at),
                    format!("Field '{}' is missing required argument '{r}'", f.name),
                );
            }
        }
    }

    /// Argument `a` of `f`, where given, is a string.
    fn string(&mut self, f: &Field, a: &str) {
        if let Some(v) = self.arg(f, a) {
            if !matches!(v, Value::Str(_) | Value::Null) {
                self.fail(
                    Some(f.at),
                    format!(
                        "Argument '{a}' on Field '{}' is a String, not {}",
                        f.name,
                        literal(&v)
                    ),
                );
            }
        }
    }

    /// An object-typed field selects subfields.
    fn selects(&mut self, f: &Field, tname: &str) {
        if f.selection.is_empty() {
            self.fail(
                Some(f.at),
                format!(
                    "Field '{}' of type '{tname}' must have a selection of subfields",
                    f.name
                ),
            );
        }
    }

    /// A scalar field selects nothing.
    fn leaf(&mut self, f: &Field, on: &str) {
        if !f.selection.is_empty() {
            self.fail(
                Some(f.at),
                format!(
                    "Selections can't be made on scalars (field '{}' on type '{on}')",
                    f.name
                ),
            );
        }
    }

    /// `__type(name:)`: what clients ask to learn which fields a type has
    /// (gh, before it asks for one only newer servers have): its `name`,
    /// `kind` and the `name` of each of its `fields`.
    fn type_query(&mut self, f: &Field) {
        self.args(f, &["name"], &["name"], &[]);
        self.string(f, "name");
        self.selects(f, "__Type");
        let mut keys = Keys::default();
        for s in &f.selection {
            self.unique(&mut keys, s);
            match s.name.as_str() {
                "name" | "kind" | "description" | "__typename" => self.leaf(s, "__Type"),
                "fields" => {
                    self.args(s, &["includeDeprecated"], &[], &[]);
                    self.selects(s, "__Field");
                    let mut keys = Keys::default();
                    for x in &s.selection {
                        self.unique(&mut keys, x);
                        match x.name.as_str() {
                            "name" | "description" | "isDeprecated" | "__typename" => {
                                self.leaf(x, "__Field")
                            }
                            _ => self.undefined(x, "__Field"),
                        }
                    }
                }
                _ => self.undefined(s, "__Type"),
            }
        }
    }

    /// The answer to a checked `__type(name:)`: the type's fields as this
    /// endpoint serves them; `null` for a type it does not have.
    fn type_of(&self, f: &Field) -> String {
        let g = self.g;
        let name = self.string_arg(f, "name").unwrap_or_default();
        let fields: Vec<&str> = if let Some(t) = g.types.iter().find(|t| t.name == name) {
            t.fields.iter().map(|(n, _)| n.as_str()).collect()
        } else if g.project.1 == name {
            g.fields.iter().map(|x| x.name.as_str()).collect()
        } else if g
            .fields
            .iter()
            .any(|x| x.connection.as_deref() == Some(&name))
        {
            vec!["edges", "nodes", "pageInfo", "totalCount"]
        } else if name == "Query" {
            vec![g.project.0.as_str()]
        } else {
            return "null".into();
        };
        let mut out = Vec::with_capacity(f.selection.len());
        for s in &f.selection {
            let v = match s.name.as_str() {
                "name" => Json::from(name.as_str()).to_string(),
                "kind" => "\"OBJECT\"".into(),
                "description" => "null".into(),
                "__typename" => "\"__Type\"".into(),
                _ => {
                    let each: Vec<String> = fields
                        .iter()
                        .map(|n| {
                            let mut m = Vec::with_capacity(s.selection.len());
                            for x in &s.selection {
                                let v = match x.name.as_str() {
                                    "name" => Json::from(*n).to_string(),
                                    "isDeprecated" => "false".into(),
                                    "description" => "null".into(),
                                    _ => "\"__Field\"".into(),
                                };
                                m.push((x.key(), v));
                            }
                            object(&m)
                        })
                        .collect();
                    format!("[{}]", each.join(","))
                }
            };
            out.push((s.key(), v));
        }
        object(&out)
    }

    fn undefined(&mut self, f: &Field, on: &str) {
        self.fail(
            Some(f.at),
            format!(
                "Field '{}' doesn't exist on type '{on}' (not served by this endpoint)",
                f.name
            ),
        );
    }

    /// Two fields of one selection answer under one key only where they are
    /// the same field.
    fn unique<'f>(&mut self, keys: &mut Keys<'f>, f: &'f Field) {
        if let Some(prev) = keys.0.iter().find(|p| p.key() == f.key()) {
            if prev.name != f.name || prev.args != f.args {
                self.fail(
                    Some(f.at),
                    format!(
                        "Field '{}' conflicts with another field answered as '{}'",
                        f.name,
                        f.key()
                    ),
                );
            }
        }
        keys.0.push(f);
    }
}

/// The fields met so far in one selection.
#[derive(Default)]
struct Keys<'f>(Vec<&'f Field>);

/// The first variable in `v` that the operation does not declare.
fn undeclared<'v>(v: &'v Value, vars: &serde_json::Map<String, Json>) -> Option<&'v str> {
    match v {
        Value::Var(n) if !vars.contains_key(n) => Some(n),
        Value::List(l) => l.iter().find_map(|x| undeclared(x, vars)),
        Value::Object(o) => o.iter().find_map(|(_, x)| undeclared(x, vars)),
        _ => None,
    }
}

/// A value as GraphQL writes it, for messages.
fn literal(v: &Value) -> String {
    match v {
        Value::Var(n) => format!("${n}"),
        Value::Enum(n) => n.clone(),
        Value::List(l) => format!("[{}]", l.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => {
            let m: Vec<String> = o
                .iter()
                .map(|(k, x)| format!("{k}: {}", literal(x)))
                .collect();
            format!("{{{}}}", m.join(", "))
        }
        other => to_json(other).to_string(),
    }
}

/// The name of a connection's edge type: `ReleaseConnection` → `ReleaseEdge`.
fn edge_name(connection: &str) -> String {
    format!(
        "{}Edge",
        connection.strip_suffix("Connection").unwrap_or(connection)
    )
}

/// The value at a member path.
fn at<'j>(j: &'j Json, path: &[String]) -> &'j Json {
    path.iter()
        .try_fold(j, |j, k| j.get(k))
        .unwrap_or(&Json::Null)
}

/// A member's value as a GraphQL scalar: objects and arrays are not.
fn scalar(j: &Json) -> String {
    match j {
        Json::Array(_) | Json::Object(_) => "null".into(),
        j => j.to_string(),
    }
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Var(_) | Value::Null => Json::Null,
        Value::Int(n) => Json::from(*n),
        Value::Float(f) => Json::from(*f),
        Value::Str(s) | Value::Enum(s) => Json::from(s.as_str()),
        Value::Bool(b) => Json::from(*b),
        Value::List(l) => Json::Array(l.iter().map(to_json).collect()),
        Value::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

/// A JSON object from (key, JSON text) pairs, in order.
fn object(members: &[(&str, String)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&Json::from(*k).to_string());
        s.push(':');
        s.push_str(v);
    }
    s.push('}');
    s
}

/// A GraphQL answer: `200`, with `data` (absent where the query was not
/// run) and `errors` where there are any.
fn answer(data: Option<&str>, errors: &[GqlError]) -> Response<Body> {
    let mut s = String::from("{");
    if let Some(d) = data {
        s.push_str("\"data\":");
        s.push_str(d);
    }
    if !errors.is_empty() {
        if data.is_some() {
            s.push(',');
        }
        let e: Vec<String> = errors.iter().map(GqlError::json).collect();
        s.push_str("\"errors\":[");
        s.push_str(&e.join(","));
        s.push(']');
    }
    s.push('}');
    let mut r = Response::new(full(s));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_named_after_their_connection() {
        assert_eq!(edge_name("ReleaseConnection"), "ReleaseEdge");
        assert_eq!(edge_name("Releases"), "ReleasesEdge");
    }

    #[test]
    fn scalars_are_copied_and_objects_are_not_scalars() {
        let j: Json = serde_json::json!({"a": {"b": "x\"y"}, "n": 3, "o": {"p": 1}});
        assert_eq!(scalar(at(&j, &["a".into(), "b".into()])), "\"x\\\"y\"");
        assert_eq!(scalar(at(&j, &["n".into()])), "3");
        assert_eq!(scalar(at(&j, &["o".into()])), "null");
        assert_eq!(scalar(at(&j, &["missing".into(), "x".into()])), "null");
    }
}
