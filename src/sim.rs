//! A simulated forge: an in-memory release store served in any dialect, driven
//! by that dialect's mapping exactly as the gateway is. It backs `forgebridge
//! demo` and tests; it is not a conformance reference for the real forge.

use crate::canonical::{synthetic_id, ErrorKind, Kind, Op};
use crate::error::{encode_error, GwError};
use crate::mapping::model::{Graphql, Route};
use crate::mapping::Dialect;
use crate::proxy::client::{full, Body, Inbound};
use crate::proxy::graphql::{answer_query, Limits, Reader};
use crate::translate::paging::{self, PageInfo, PageReq};
use crate::translate::record::{json_string, Record};
use crate::translate::write::{write_list, write_record, Ctx};
use crate::translate::{self, Params};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// One request, as the simulated forge serves it.
struct Req<'a> {
    route: &'a Route,
    params: &'a Params,
    body: &'a [u8],
    api: &'a str,
    path: &'a str,
    query: &'a str,
    /// The request asks for an asset's file (see `translate::wants_download`).
    download: bool,
    content_type: &'a str,
}

pub struct Sim {
    dialect: Arc<Dialect>,
    base: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Project path → releases, oldest first.
    projects: HashMap<String, Vec<Record<'static>>>,
    /// Project path → its tags and the commits they name: a release's tag
    /// is made with it, and stays when the release is deleted.
    tags: HashMap<String, Vec<(String, String)>>,
    /// The files uploaded to it, by the path of the URL it serves each at:
    /// (media type, bytes). At most `SIM_FILE_BYTES` in all.
    files: HashMap<String, (String, Bytes)>,
    /// Projects read by path, so that their number finds them too.
    read: HashSet<String>,
    next_id: u64,
}

/// How many bytes of uploaded files the simulated forge keeps.
const SIM_FILE_BYTES: usize = 64 << 20;

/// A release to seed the store with, in canonical field names.
pub struct SeedRelease<'a> {
    pub tag: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub published_at: &'a str,
    /// Its assets: (name, download URL).
    pub assets: &'a [(&'a str, &'a str)],
}

pub const DEMO_PROJECT: &str = "demo/hello";

/// When the simulated forge says each of its projects was made.
const SIM_PROJECT_CREATED: &str = "2024-01-01T00:00:00Z";

pub fn demo_seed() -> Vec<SeedRelease<'static>> {
    vec![
        SeedRelease {
            tag: "v1.0.0",
            name: "First stable",
            body: "The first stable release.",
            published_at: "2026-01-10T09:00:00Z",
            assets: &[],
        },
        SeedRelease {
            tag: "v1.1.0",
            name: "Faster",
            body: "Twice as fast.\n\n- parser rewrite",
            published_at: "2026-03-02T12:30:00Z",
            assets: &[
                (
                    "hello-linux-amd64.tar.gz",
                    "https://downloads.invalid/hello/v1.1.0/hello-linux-amd64.tar.gz",
                ),
                (
                    "checksums.txt",
                    "https://downloads.invalid/hello/v1.1.0/checksums.txt",
                ),
            ],
        },
        SeedRelease {
            tag: "release/2.0",
            name: "Two",
            body: "Tags may contain slashes.",
            published_at: "2026-06-15T08:15:00Z",
            assets: &[],
        },
    ]
}

impl Sim {
    /// Binds 127.0.0.1:`port` (0 for any) and serves until the task is dropped.
    pub async fn start(
        dialect: Arc<Dialect>,
        port: u16,
        project: &str,
        seed: &[SeedRelease<'_>],
    ) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
        let addr = listener.local_addr()?;
        let sim = Arc::new(Sim {
            base: format!("http://{addr}"),
            dialect,
            state: Mutex::new(State::default()),
        });
        for s in seed {
            let mut r = Record::new(Kind::Release);
            r.set_str("tag", s.tag);
            r.set_str("name", s.name);
            r.set_str("body", s.body);
            r.set_str("created_at", s.published_at);
            r.set_str("published_at", s.published_at);
            let assets = s
                .assets
                .iter()
                .map(|(name, url)| {
                    let mut a = Record::new(Kind::Asset);
                    a.set_str("name", name);
                    a.set_str("url", url);
                    a
                })
                .collect();
            r.lists[0] = Some(assets);
            sim.insert(project, r);
        }
        let task = tokio::spawn(async move {
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let sim = sim.clone();
                let builder = builder.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let sim = sim.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                sim.handle(req.map(Inbound::Peer)).await,
                            )
                        }
                    });
                    let _ = builder
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok((addr, task))
    }

    /// The simulated forge's project at `project`: every one exists.
    fn project(&self, project: &str) -> Record<'static> {
        let (owner, _) = translate::split_project(project);
        let mut r = Record::new(Kind::Project);
        r.set_json("id", synthetic_id(project, "").to_string());
        r.set_str("path", project);
        r.set_str("description", "");
        r.set_str("default_branch", "main");
        r.set_str("html_url", &format!("{}/{project}", self.base));
        r.set_str("clone_url", &format!("{}/{project}.git", self.base));
        r.set_json("private", "false".into());
        r.set_json("archived", "false".into());
        r.set_str("created_at", SIM_PROJECT_CREATED);
        r.set_str("updated_at", SIM_PROJECT_CREATED);
        r.set_json("owner.id", synthetic_id(owner, "").to_string());
        r.set_str("owner.kind", "user");
        r.set_str("owner.html_url", &format!("{}/{owner}", self.base));
        r
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Completes a new release the way a forge would and stores it.
    fn insert(&self, project: &str, mut r: Record<'static>) -> Record<'static> {
        let mut st = self.lock();
        st.next_id += 1;
        let tag = r.text("tag").map(|t| t.into_owned()).unwrap_or_default();
        let id = if self.dialect.synthesized_ids {
            synthetic_id(project, &tag)
        } else {
            st.next_id
        };
        r.set_json("id", id.to_string());
        let now = now_rfc3339();
        if r.json("created_at").is_none() {
            r.set_str("created_at", &now);
        }
        if r.json("published_at").is_none() {
            r.set_str("published_at", &now);
        }
        let sha = format!("{:016x}{:024x}", synthetic_id("commit", &tag), 0);
        r.set_str("commit_sha", &sha);
        let tags = st.tags.entry(project.to_owned()).or_default();
        if !tags.iter().any(|(t, _)| *t == tag) {
            tags.push((tag.clone(), sha));
        }
        r.set_json("author.id", "1".into());
        r.set_str("author.login", "demo");
        r.set_str("author.name", "Demo User");
        r.set_str("author.avatar_url", "https://avatars.invalid/demo.png");
        r.set_str("author.html_url", &format!("{}/demo", self.base));
        r.set_str(
            "html_url",
            &format!("{}/{project}/-/releases/{tag}", self.base),
        );
        // Assets are attached when the release is made.
        let made = r.json("created_at").unwrap_or("null").to_owned();
        for a in r.lists[0].get_or_insert_with(Vec::new) {
            st.next_id += 1;
            a.set_json("id", st.next_id.to_string());
            for (field, value) in [
                ("link_type", json_string("other")),
                ("state", json_string("uploaded")),
                ("created_at", made.clone()),
                ("updated_at", made.clone()),
            ] {
                if a.json(field).is_none() {
                    a.set_json(field, value);
                }
            }
        }
        st.projects
            .entry(project.to_owned())
            .or_default()
            .push(r.clone());
        r
    }

    async fn handle(&self, req: Request<Inbound>) -> Response<Full<Bytes>> {
        let d = self.dialect.clone();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        // The dialect's GraphQL endpoint, read through its routes as the
        // gateway reads it in front of any forge.
        if req.method() == http::Method::POST {
            if let Some(g) = d.graphql.as_ref().filter(|g| g.paths.contains(&path)) {
                return self.graphql(&d, g, req).await;
            }
        }
        // A file uploaded to it, served where its asset says.
        if req.method() == http::Method::GET {
            if let Some((media, bytes)) = self.lock().files.get(&path) {
                let mut r = Response::new(Full::new(bytes.clone()));
                if let Ok(v) = HeaderValue::from_str(media) {
                    r.headers_mut().insert(http::header::CONTENT_TYPE, v);
                }
                return r;
            }
        }
        let m = match translate::match_route(&d, req.method(), &path) {
            Ok(m) => m,
            Err(e) => return self.error(&e),
        };
        // A route served beside the API (under a root of its own) names the
        // API in its answer, as the forge does.
        let root = m
            .route
            .roots
            .iter()
            .find(|(_, own)| own == m.root)
            .map_or(m.root, |(api, _)| api.as_str());
        let api = format!("{}{root}", self.base);
        let route = m.route;
        let params = m.params;
        let download = translate::wants_download(route, req.headers());
        let content_type = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let body = match Limited::new(req.into_body(), 10 << 20).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return self.error(&GwError::client(
                    ErrorKind::PayloadTooLarge,
                    "request body too large",
                ))
            }
        };
        let req = Req {
            route,
            params: &params,
            body: &body,
            api: &api,
            path: &path,
            query: &query,
            download,
            content_type: &content_type,
        };
        match self.serve(&d, &req) {
            Ok(r) => r,
            Err(e) => self.error(&e),
        }
    }

    async fn graphql(
        &self,
        d: &Dialect,
        g: &Graphql,
        req: Request<Inbound>,
    ) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, 10 << 20).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return self.error(&GwError::client(
                    ErrorKind::PayloadTooLarge,
                    "request body too large",
                ))
            }
        };
        let limits = Limits {
            max_response_bytes: 64 << 20,
            timeout: std::time::Duration::from_secs(30),
            max_pages: 100,
        };
        let rid = HeaderValue::from_static("sim");
        match answer_query((self, d), limits, (d, g), parts.headers, &rid, &body).await {
            Ok((resp, _)) => {
                let (p, b) = resp.into_parts();
                let bytes = b.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                Response::from_parts(p, Full::new(bytes))
            }
            Err(e) => self.error(&e),
        }
    }

    fn serve(&self, d: &Dialect, req: &Req) -> Result<Response<Full<Bytes>>, GwError> {
        let Req {
            route,
            params: p,
            body,
            api,
            path,
            query,
            download,
            content_type,
        } = *req;
        let ctx = Ctx {
            api,
            upstream: &self.base,
            owner: &p.owner,
            repo: &p.repo,
            project: &p.project,
        };
        // An organization's releases and its projects' are one store: a
        // path naming the organization alone finds its project's releases,
        // and a project path its organization's.
        let project = {
            let st = self.lock();
            if st.projects.contains_key(&p.project) {
                p.project.clone()
            } else if let Some(k) = p.project.parse::<u64>().ok().and_then(|id| {
                // A project addressed by its (synthetic) numeric id.
                st.projects
                    .keys()
                    .chain(&st.read)
                    .find(|k| synthetic_id(k, "") == id)
            }) {
                k.clone()
            } else {
                st.projects
                    .keys()
                    .find(|k| {
                        k.strip_prefix(p.project.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                            || p.project
                                .strip_prefix(k.as_str())
                                .is_some_and(|r| r.starts_with('/'))
                    })
                    .cloned()
                    .unwrap_or_else(|| p.project.clone())
            }
        };
        let project = project.as_str();
        let not_found = || GwError::client(ErrorKind::NotFound, "404 Release Not Found");
        let find = |st: &State| -> Option<usize> {
            let rels = st.projects.get(project)?;
            rels.iter().position(|r| match (&p.id, &p.tag) {
                (Some(id), _) => r.text("id").and_then(|t| t.parse::<u64>().ok()) == Some(*id),
                (None, Some(tag)) => r.text("tag").as_deref() == Some(tag.as_str()),
                _ => false,
            })
        };
        // The asset the path names: (release index, asset index), in the
        // release the path names, or in any when it names none.
        let locate = |st: &State| -> Result<(usize, usize), GwError> {
            let rels = st.projects.get(project).ok_or_else(not_found)?;
            let range = match find(st) {
                Some(i) => i..i + 1,
                None if p.id.is_none() && p.tag.is_none() => 0..rels.len(),
                None => return Err(not_found()),
            };
            range
                .into_iter()
                .find_map(|i| {
                    let links = rels[i].lists[0].as_deref()?;
                    let j = links
                        .iter()
                        .position(|a| translate::asset_id(a) == p.asset)?;
                    Some((i, j))
                })
                .ok_or_else(|| GwError::client(ErrorKind::NotFound, "404 Not found"))
        };
        let one = |rec: &Record, status: u16| -> Response<Full<Bytes>> {
            let mut out = Vec::new();
            if let Some(s) = route.response {
                write_record(&mut out, d, s, rec, &ctx);
            }
            json_response(status, out, route.response.is_some())
        };
        match route.op {
            // The simulated forge says of itself what its mapping says.
            Op::About => Ok(json_response(
                200,
                route.answer.as_deref().unwrap_or(b"{}").to_vec(),
                true,
            )),
            // Every project named by path exists, empty until a release is
            // made in it; one named by number (where a route that takes a
            // path takes a number too) is one read by path before, or
            // holding releases.
            Op::Project | Op::ProjectById => {
                let number = match route.op {
                    Op::ProjectById => p.id,
                    _ => p.project.parse::<u64>().ok(),
                };
                let mut st = self.lock();
                let found = match number {
                    Some(n) => st
                        .projects
                        .keys()
                        .chain(&st.read)
                        .find(|k| synthetic_id(k, "") == n)
                        .cloned()
                        .ok_or_else(|| {
                            GwError::client(ErrorKind::NotFound, "404 Project Not Found")
                        })?,
                    None => {
                        st.read.insert(project.to_owned());
                        project.to_owned()
                    }
                };
                drop(st);
                // Named by its path, whatever the request named it by.
                let (owner, repo) = translate::split_project(&found);
                let ctx = Ctx {
                    owner,
                    repo,
                    project: &found,
                    ..ctx
                };
                let mut out = Vec::new();
                if let Some(s) = route.response {
                    write_record(&mut out, d, s, &self.project(&found), &ctx);
                }
                Ok(json_response(route.status, out, route.response.is_some()))
            }
            // The simulated forge's tags are those its releases were made
            // with, deleted or not.
            Op::Tag => {
                let st = self.lock();
                let tag = p.tag.as_deref().unwrap_or_default();
                let (_, sha) = st
                    .tags
                    .get(project)
                    .and_then(|tags| tags.iter().find(|(t, _)| t == tag))
                    .ok_or_else(|| GwError::client(ErrorKind::NotFound, "404 Tag Not Found"))?;
                let mut r = Record::new(Kind::Tag);
                r.set_str("tag", tag);
                r.set_str("sha", sha);
                r.set_json("message", "null".into());
                Ok(one(&r, route.status))
            }
            Op::List => {
                let st = self.lock();
                let mut rels: Vec<&Record> = st
                    .projects
                    .get(project)
                    .map(|v| v.iter().collect())
                    .unwrap_or_default();
                rels.sort_by(|a, b| b.json("published_at").cmp(&a.json("published_at")));
                Ok(self.page(d, route, &rels, &ctx, path, query))
            }
            Op::Assets => {
                let st = self.lock();
                let i = find(&st).ok_or_else(not_found)?;
                let assets: Vec<&Record> =
                    st.projects[project][i].lists[0].iter().flatten().collect();
                Ok(self.page(d, route, &assets, &ctx, path, query))
            }
            Op::Upload => {
                let file = sim_file(route, query, content_type, body)?;
                let mut st = self.lock();
                let i = find(&st).ok_or_else(not_found)?;
                let release = &st.projects[project][i];
                let tag = release.text("tag").unwrap_or_default().into_owned();
                name_free(
                    release.lists[0].as_deref().unwrap_or_default(),
                    Some(&file.name),
                    None,
                )?;
                st.next_id += 1;
                let mut a = Record::new(Kind::Asset);
                a.set_json("id", st.next_id.to_string());
                a.set_str("name", &file.name);
                if let Some(label) = &file.label {
                    a.set_str("label", label);
                }
                let at = format!(
                    "/{project}/releases/download/{}/{}",
                    segment(&tag),
                    segment(&file.name)
                );
                a.set_str("url", &format!("{}{at}", self.base));
                a.set_json("size", file.bytes.len().to_string());
                a.set_str("content_type", &file.media);
                let now = now_rfc3339();
                a.set_str("created_at", &now);
                a.set_str("updated_at", &now);
                a.set_str("state", "uploaded");
                st.keep(at, file)?;
                let release = &mut st.projects.get_mut(project).ok_or_else(not_found)?[i];
                release.lists[0]
                    .get_or_insert_with(Vec::new)
                    .push(a.clone());
                Ok(one(&a, route.status))
            }
            // A file kept in the project, outside any release: the answer
            // names it by its path on the forge, as the mapping reads it.
            Op::Store => {
                let file = sim_file(route, query, content_type, body)?;
                let mut st = self.lock();
                st.next_id += 1;
                let id = st.next_id;
                let n = id.to_string();
                let secret = format!(
                    "{:016x}{:016x}",
                    synthetic_id(project, &n),
                    synthetic_id(&file.name, &n)
                );
                let at = format!(
                    "/-/project/{}/uploads/{secret}/{}",
                    synthetic_id(project, ""),
                    segment(&file.name)
                );
                let mut a = Record::new(Kind::Asset);
                a.set_json("id", id.to_string());
                a.set_str("name", &file.name);
                a.set_str("url", &at);
                a.set_json("size", file.bytes.len().to_string());
                a.set_str("content_type", &file.media);
                st.keep(at, file)?;
                Ok(one(&a, route.status))
            }
            // An asset that is a link to a file kept elsewhere.
            Op::Link => {
                let mut a = translate::decode_body(d, route, body)?
                    .filter(|a| a.kind == Kind::Asset)
                    .ok_or_else(|| GwError::client(ErrorKind::BadRequest, "a link needs a body"))?;
                for f in ["name", "url"] {
                    if a.text(f).is_none_or(|t| t.is_empty()) {
                        return Err(GwError::client(
                            ErrorKind::MissingField,
                            format!("{f} is missing"),
                        )
                        .with_field(f));
                    }
                }
                let mut st = self.lock();
                st.next_id += 1;
                let id = st.next_id;
                let i = find(&st).ok_or_else(not_found)?;
                let release = &mut st.projects.get_mut(project).ok_or_else(not_found)?[i];
                let links = release.lists[0].get_or_insert_with(Vec::new);
                name_free(links, a.text("name").as_deref(), None)?;
                a.set_json("id", id.to_string());
                let a = a.into_owned();
                links.push(a.clone());
                Ok(one(&a, route.status))
            }
            Op::DeleteAsset => {
                let mut st = self.lock();
                let (i, j) = locate(&st)?;
                let Some(links) = st
                    .projects
                    .get_mut(project)
                    .and_then(|rels| rels.get_mut(i)?.lists[0].as_mut())
                    .filter(|links| j < links.len())
                else {
                    return Err(not_found());
                };
                let gone = links.remove(j);
                Ok(one(&gone, route.status))
            }
            // The fields the request gives replace the asset's.
            Op::UpdateAsset => {
                let change = translate::decode_body(d, route, body)?
                    .filter(|a| a.kind == Kind::Asset)
                    .ok_or_else(|| {
                        GwError::client(ErrorKind::BadRequest, "an asset edit needs a body")
                    })?;
                let mut st = self.lock();
                let (i, j) = locate(&st)?;
                let links = st
                    .projects
                    .get_mut(project)
                    .and_then(|rels| rels.get_mut(i)?.lists[0].as_mut())
                    .ok_or_else(not_found)?;
                name_free(links, change.text("name").as_deref(), Some(j))?;
                let asset = links.get_mut(j).ok_or_else(not_found)?;
                for (f, v) in Kind::Asset.fields().iter().zip(&change.vals) {
                    if let Some(v) = v.as_deref().filter(|_| *f != "id") {
                        asset.set_json(f, v.to_owned());
                    }
                }
                asset.set_str("updated_at", &now_rfc3339());
                let asset = asset.clone();
                Ok(one(&asset, route.status))
            }
            Op::Asset => {
                let st = self.lock();
                let (i, j) = locate(&st)?;
                let asset = st
                    .projects
                    .get(project)
                    .and_then(|rels| rels.get(i)?.lists[0].as_deref()?.get(j))
                    .ok_or_else(not_found)?;
                match route.download.as_ref().filter(|_| download) {
                    Some(d) => {
                        let mut resp = json_response(d.status, Vec::new(), false);
                        if let Some(v) = translate::download_location(d, asset) {
                            resp.headers_mut().insert(http::header::LOCATION, v);
                        }
                        Ok(resp)
                    }
                    None => Ok(one(asset, route.status)),
                }
            }
            Op::Get => {
                let st = self.lock();
                let i = find(&st).ok_or_else(not_found)?;
                Ok(one(&st.projects[project][i], route.status))
            }
            Op::Latest => {
                let st = self.lock();
                let rels = st.projects.get(project).ok_or_else(not_found)?;
                let latest = rels
                    .iter()
                    .max_by(|a, b| a.json("published_at").cmp(&b.json("published_at")))
                    .ok_or_else(not_found)?;
                Ok(one(latest, route.status))
            }
            Op::Create => {
                let rec = translate::decode_body(d, route, body)?.ok_or_else(not_found)?;
                let rec = rec.into_owned();
                let tag = rec.text("tag").map(|t| t.into_owned()).unwrap_or_default();
                {
                    let st = self.lock();
                    let there = st.projects.get(project).and_then(|v| {
                        v.iter()
                            .find(|r| r.text("tag").as_deref() == Some(tag.as_str()))
                    });
                    match (there, route.exists_status) {
                        // This dialect's create is idempotent: the release that is there.
                        (Some(r), Some(status)) => return Ok(one(r, status)),
                        (Some(_), None) => {
                            return Err(GwError::client(
                                ErrorKind::AlreadyExists,
                                "Release already exists",
                            )
                            .with_field("tag"))
                        }
                        (None, _) => {}
                    }
                }
                let stored = self.insert(project, rec);
                Ok(one(&stored, route.status))
            }
            Op::Update => {
                let rec = translate::decode_body(d, route, body)?.ok_or_else(not_found)?;
                let mut st = self.lock();
                let i = find(&st).ok_or_else(not_found)?;
                let Some(rels) = st.projects.get_mut(project) else {
                    return Err(not_found());
                };
                let stored = &mut rels[i];
                for (f, v) in rec.vals.iter().enumerate() {
                    if let Some(v) = v {
                        if Kind::Release.fields()[f] != "id" {
                            stored.vals[f] = Some(v.clone().into_owned().into());
                        }
                    }
                }
                stored.set_str("updated_at", &now_rfc3339());
                let r = stored.clone();
                Ok(one(&r, route.status))
            }
            Op::Delete => {
                let mut st = self.lock();
                let i = find(&st).ok_or_else(not_found)?;
                let Some(rels) = st.projects.get_mut(project) else {
                    return Err(not_found());
                };
                let r = rels.remove(i);
                Ok(one(&r, route.status))
            }
        }
    }

    /// One page of `all`, as the query asks, with the dialect's paging headers.
    fn page(
        &self,
        d: &Dialect,
        route: &Route,
        all: &[&Record],
        ctx: &Ctx,
        path: &str,
        query: &str,
    ) -> Response<Full<Bytes>> {
        let mut page = d
            .paging
            .as_ref()
            .map(|pg| paging::decode_request(pg, query))
            .unwrap_or_default();
        // The simulated forge's cursors are page numbers.
        if let Some(n) = page.cursor.take().and_then(|c| c.parse::<u64>().ok()) {
            page.page = n.max(1);
        }
        // A dialect that does not page answers its whole list.
        let per = match &d.paging {
            Some(_) => page.per_page.unwrap_or(20).max(1) as usize,
            None => all.len().max(1),
        };
        let total = all.len();
        let pages = total.div_ceil(per).max(1);
        let start = ((page.page as usize).saturating_sub(1))
            .saturating_mul(per)
            .min(total);
        let slice: Vec<Record> = all[start..(start + per).min(total)]
            .iter()
            .map(|r| (*r).clone())
            .collect();
        let info = PageInfo {
            next: ((page.page as usize) < pages).then(|| (page.page + 1).to_string()),
            prev: (page.page > 1).then(|| (page.page - 1).to_string()),
            last: Some(pages.to_string()),
            total: Some(total.to_string()),
        };
        let mut out = Vec::new();
        if let Some(s) = route.response {
            write_list(
                &mut out,
                d,
                s,
                &slice,
                ctx,
                route.list.as_deref().unwrap_or(&[]),
                &route.envelope,
                info.next.as_deref(),
            );
        }
        let mut resp = json_response(route.status, out, true);
        if let Some(pg) = &d.paging {
            let mut hs = Vec::new();
            let req = PageReq {
                per_page: Some(per as u64),
                ..page
            };
            paging::encode_headers(pg, &info, &req, None, &self.base, path, query, &mut hs);
            for (k, v) in hs {
                resp.headers_mut().append(k, v);
            }
        }
        resp
    }

    fn error(&self, e: &GwError) -> Response<Full<Bytes>> {
        let (status, body) = encode_error(&self.dialect, None, e, &Ctx::default());
        json_response(status, body, true)
    }
}

/// The simulated forge reads a GraphQL query's fields through its own routes.
impl Reader for Sim {
    fn get(
        &self,
        req: Request<Inbound>,
        _rid: HeaderValue,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send + '_>> {
        Box::pin(async move {
            let (p, b) = self.handle(req).await.into_parts();
            let bytes = b.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            Response::from_parts(p, full(bytes))
        })
    }
}

/// Refuses a name another asset of the release has (all but the one at
/// `except`), as forges refuse a second asset of one name. No name: free.
fn name_free(links: &[Record], name: Option<&str>, except: Option<usize>) -> Result<(), GwError> {
    let taken = name.is_some_and(|name| {
        links
            .iter()
            .enumerate()
            .any(|(k, a)| Some(k) != except && a.text("name").as_deref() == Some(name))
    });
    if taken {
        return Err(GwError::client(ErrorKind::AlreadyExists, "already_exists").with_field("name"));
    }
    Ok(())
}

impl State {
    /// Keeps an uploaded file, served at `path` from now on.
    fn keep(&mut self, path: String, file: SimFile) -> Result<(), GwError> {
        let held: usize = self.files.values().map(|(_, b)| b.len()).sum();
        if held + file.bytes.len() > SIM_FILE_BYTES {
            return Err(GwError::client(
                ErrorKind::PayloadTooLarge,
                format!("the simulated forge keeps at most {SIM_FILE_BYTES} bytes of files"),
            ));
        }
        self.files
            .insert(path, (file.media, Bytes::from(file.bytes)));
        Ok(())
    }
}

/// `s` as one percent-encoded path segment.
fn segment(s: &str) -> String {
    translate::url::segment_pieces(s).collect()
}

/// A file sent to the simulated forge: as the raw body named in the query
/// (`file_query`), or as a field of a multipart form (`file_form`).
struct SimFile {
    name: String,
    label: Option<String>,
    media: String,
    bytes: Vec<u8>,
}

fn sim_file(
    route: &Route,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Result<SimFile, GwError> {
    let pairs = crate::translate::url::query_pairs(query);
    let arg = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.to_string())
    };
    let bad = |m: String| GwError::client(ErrorKind::BadRequest, m);
    // A route that takes both reads what the request's media type says.
    let form = crate::translate::form::is_form(content_type);
    let field = match (&route.file_form, &route.file_query) {
        (Some(f), _) if form => Some(f),
        (Some(f), None) => {
            return Err(bad(format!(
                "the file is sent as the field `{f}` of a multipart/form-data form"
            )))
        }
        _ => None,
    };
    let Some(field) = field else {
        let param = route.file_query.as_deref().unwrap_or("name");
        let name = arg(param)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad(format!("an upload needs `{param}` in its query")))?;
        return Ok(SimFile {
            name,
            label: arg("label"),
            media: content_type.to_owned(),
            bytes: body.to_vec(),
        });
    };
    let part = crate::translate::form::file_part(content_type, body, field).map_err(bad)?;
    let name = arg("name")
        .or(part.filename)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad(format!("the form's `{field}` names no file")))?;
    Ok(SimFile {
        name,
        label: None,
        media: part
            .media
            .unwrap_or_else(|| "application/octet-stream".into()),
        bytes: body[part.bytes].to_vec(),
    })
}

fn json_response(status: u16, body: Vec<u8>, json: bool) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if json {
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    r
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (H. Hinnant), valid for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_timestamps() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
