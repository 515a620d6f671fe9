//! Every pair of dialects that involves Gitea, end to end: the simulated forge
//! (`forgebridge::sim`) serves the upstream's dialect, the gateway stands in
//! front of it, and the tests act as a client of the other dialect (or of Gitea
//! itself, through the same-dialect pass-through):
//!
//! | module             | client | upstream |
//! |--------------------|--------|----------|
//! | `gitea_to_gitlab`  | Gitea  | GitLab   |
//! | `gitea_to_github`  | Gitea  | GitHub   |
//! | `github_to_gitea`  | GitHub | Gitea    |
//! | `gitlab_to_gitea`  | GitLab | Gitea    |
//! | `gitea_to_gitea`   | Gitea  | Gitea    |
//!
//! Each pair runs the same client scenarios: `reads` (the list walked page by
//! page through `Link`, get by tag, by id, latest, unknown releases), `assets`
//! (a release's assets, walked one per page, one by id, one deleted), `writes`
//! (create, duplicate, update, delete) and `refusals` (what the pair cannot
//! do, and malformed requests). Every answer body is checked against the client dialect's
//! official schema, and what a user sees (tags, names, notes, asset names and
//! URLs, paging headers, statuses, error words) against the simulated forge's
//! seed. Through the pass-through, every answer to a GET must also be the
//! simulated forge's own, byte for byte.

mod support;

use forgebridge::sim::{self, Sim};
use serde_json::{json, Value};
use support::gateway::{call, Resp, TestGateway};
use support::schema;

/// The demo seed as a user reads it, newest first: tag, name, notes, publication.
const SEED: [(&str, &str, &str, &str); 3] = [
    (
        "release/2.0",
        "Two",
        "Tags may contain slashes.",
        "2026-06-15T08:15:00Z",
    ),
    (
        "v1.1.0",
        "Faster",
        "Twice as fast.\n\n- parser rewrite",
        "2026-03-02T12:30:00Z",
    ),
    (
        "v1.0.0",
        "First stable",
        "The first stable release.",
        "2026-01-10T09:00:00Z",
    ),
];

/// The assets of v1.1.0 (the only seed release that has any): name, file URL.
const V110_ASSETS: [(&str, &str); 2] = [
    (
        "hello-linux-amd64.tar.gz",
        "https://downloads.invalid/hello/v1.1.0/hello-linux-amd64.tar.gz",
    ),
    (
        "checksums.txt",
        "https://downloads.invalid/hello/v1.1.0/checksums.txt",
    ),
];

/// The page size of the list walks: the seed's three releases take two pages.
const PAGE_SIZE: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Gitea,
}

impl Forge {
    /// The mapping's name.
    fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
            Forge::Gitea => "gitea",
        }
    }

    /// How the gateway names the forge in its messages.
    fn title(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Gitea => "Gitea",
        }
    }

    /// The demo project's release collection, under the dialect's API root.
    fn collection(self) -> &'static str {
        match self {
            Forge::GitHub => "/repos/demo/hello/releases",
            Forge::GitLab => "/api/v4/projects/demo%2Fhello/releases",
            Forge::Gitea => "/api/v1/repos/demo/hello/releases",
        }
    }

    /// The credential a client of the dialect sends.
    fn token(self) -> (&'static str, &'static str) {
        match self {
            Forge::GitHub => ("Authorization", "Bearer ghp-demo"),
            Forge::GitLab => ("PRIVATE-TOKEN", "glpat-demo"),
            Forge::Gitea => ("Authorization", "token gitea-demo"),
        }
    }

    /// The query parameter that sets the page size.
    fn per_page_param(self) -> &'static str {
        match self {
            Forge::Gitea => "limit",
            _ => "per_page",
        }
    }

    /// Whether clients address a release by a numeric id (else by its tag).
    fn ids(self) -> bool {
        self != Forge::GitLab
    }

    /// The key of a release's notes.
    fn notes_key(self) -> &'static str {
        match self {
            Forge::GitLab => "description",
            _ => "body",
        }
    }

    /// The key of an asset's file URL.
    fn file_key(self) -> &'static str {
        match self {
            Forge::GitLab => "url",
            _ => "browser_download_url",
        }
    }

    /// A create body, in the dialect's names.
    fn create_body(self, tag: &str, name: &str, notes: &str) -> Value {
        let mut v = json!({"tag_name": tag, "name": name});
        v[self.notes_key()] = json!(notes);
        v
    }

    /// An update body, in the dialect's names.
    fn update_body(self, name: &str, notes: &str) -> Value {
        let mut v = json!({"name": name});
        v[self.notes_key()] = json!(notes);
        v
    }
}

/// A release as a client addresses it.
#[derive(Clone, Debug)]
struct Rel {
    tag: String,
    id: Option<u64>,
}

/// One simulated upstream, the gateway in front of it, and a client of
/// `client`'s dialect talking to the gateway.
struct Pair {
    client: Forge,
    upstream: Forge,
    gw: TestGateway,
    /// The simulated forge's base URL.
    sim: String,
    /// The client's release collection on the gateway.
    base: String,
    _sim_task: tokio::task::JoinHandle<()>,
}

async fn pair(client: Forge, upstream: Forge) -> Pair {
    let dialect = support::gateway::mappings()
        .get(upstream.name())
        .expect("the upstream's mapping is shipped")
        .clone();
    let (addr, task) = Sim::start(dialect, 0, sim::DEMO_PROJECT, &sim::demo_seed())
        .await
        .expect("the simulated forge starts");
    let sim = format!("http://{addr}");
    let gw = TestGateway::start_pair(client.name(), upstream.name(), &sim, "").await;
    let base = format!("{}{}", gw.url, client.collection());
    Pair {
        client,
        upstream,
        gw,
        sim,
        base,
        _sim_task: task,
    }
}

/// An answer, for assertion messages.
fn show(r: &Resp) -> String {
    format!("{} {}", r.status, String::from_utf8_lossy(&r.body))
}

/// The targets and relations of every `Link` header of `r`, in order.
fn links(r: &Resp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in r.headers.get_all("link") {
        let v = v.to_str().expect("Link is ASCII");
        for part in v.split(',') {
            let (target, params) = part
                .split_once(';')
                .unwrap_or_else(|| panic!("Link entry without parameters: {v}"));
            let target = target
                .trim()
                .strip_prefix('<')
                .and_then(|t| t.strip_suffix('>'))
                .unwrap_or_else(|| panic!("Link target not in <>: {v}"));
            let rel = params
                .split(';')
                .find_map(|p| p.trim().strip_prefix("rel="))
                .unwrap_or_else(|| panic!("Link entry without rel: {v}"))
                .trim_matches('"');
            out.push((target.to_owned(), rel.to_owned()));
        }
    }
    out
}

impl Pair {
    fn passes_through(&self) -> bool {
        self.client == self.upstream
    }

    /// A request as the client sends it, with its credential, and the body as JSON.
    async fn send(&self, method: &str, url: &str, body: Option<&Value>) -> Resp {
        let mut headers = vec![self.client.token()];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let text = body.map(Value::to_string).unwrap_or_default();
        call(method, url, &headers, &text).await
    }

    /// A GET through the gateway. Through the pass-through its status and body
    /// must be the simulated forge's own answer to the same request, but for
    /// the URLs of the forge's API, which name the gateway's (web URLs stay).
    async fn get(&self, url: &str) -> Resp {
        let r = self.send("GET", url, None).await;
        if self.passes_through() {
            let direct = url.replacen(&self.gw.url, &self.sim, 1);
            let d = self.send("GET", &direct, None).await;
            let root = "/api/v1";
            let moved = String::from_utf8_lossy(&d.body).replace(
                &format!("{}{root}", self.sim),
                &format!("{}{root}", self.gw.url),
            );
            assert_eq!(
                (r.status, String::from_utf8_lossy(&r.body).into_owned()),
                (d.status, moved),
                "GET {url}: the pass-through changed the upstream's answer"
            );
            if r.status == 200 {
                let body = String::from_utf8_lossy(&r.body);
                assert!(
                    !body.contains(&format!("{}{root}", self.sim)),
                    "GET {url}: an API URL names the upstream: {body}"
                );
                assert_eq!(r.header("content-length"), Some(&*r.body.len().to_string()));
            }
        }
        r
    }

    // ------------------------------------------------------------ addresses

    /// A release by tag, the tag as one percent-encoded segment.
    fn tag_url(&self, tag: &str) -> String {
        let t = tag.replace('/', "%2F");
        match self.client {
            Forge::GitLab => format!("{}/{t}", self.base),
            _ => format!("{}/tags/{t}", self.base),
        }
    }

    /// A release as the client's writes address it: by id, or by tag.
    fn release_url(&self, r: &Rel) -> String {
        match (self.client, r.id) {
            (Forge::GitLab, _) => format!("{}/{}", self.base, r.tag.replace('/', "%2F")),
            (_, Some(id)) => format!("{}/{id}", self.base),
            (_, None) => panic!("a {:?} release without an id: {r:?}", self.client),
        }
    }

    fn latest_url(&self) -> String {
        match self.client {
            Forge::GitLab => format!("{}/permalink/latest", self.base),
            _ => format!("{}/latest", self.base),
        }
    }

    /// A release's assets (GitLab: its links).
    fn assets_url(&self, r: &Rel) -> String {
        match self.client {
            Forge::GitLab => format!("{}/assets/links", self.release_url(r)),
            _ => format!("{}/assets", self.release_url(r)),
        }
    }

    /// One asset: GitHub by its id alone, the others under its release.
    fn asset_url(&self, r: &Rel, asset: u64) -> String {
        match self.client {
            Forge::GitHub => format!("{}/assets/{asset}", self.base),
            Forge::GitLab => format!("{}/assets/links/{asset}", self.release_url(r)),
            Forge::Gitea => format!("{}/assets/{asset}", self.release_url(r)),
        }
    }

    /// The list's first page, `PAGE_SIZE` a page.
    fn first_page_url(&self) -> String {
        format!("{}?{}={PAGE_SIZE}", self.base, self.client.per_page_param())
    }

    // ------------------------------------------------------------ answers

    /// A release answer: its status, the client's release schema, and the API
    /// URLs in it (which name the gateway, where the gateway writes them).
    fn release(&self, r: &Resp, status: u16) -> Value {
        assert_eq!(r.status, status, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Forge::GitHub => schema::github_release(&v),
            Forge::GitLab => schema::gitlab_release(&v),
            Forge::Gitea => schema::gitea_release(&v),
        };
        checked.unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        self.api_urls(&v);
        v
    }

    fn release_list(&self, r: &Resp) -> Vec<Value> {
        assert_eq!(r.status, 200, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Forge::GitHub => schema::github_release_list(&v),
            Forge::GitLab => schema::gitlab_release_list(&v),
            Forge::Gitea => schema::gitea_release_list(&v),
        };
        checked.unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        let items = v.as_array().expect("a list is an array").clone();
        for item in &items {
            self.api_urls(item);
        }
        items
    }

    fn asset(&self, r: &Resp, status: u16) -> Value {
        assert_eq!(r.status, status, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Forge::GitHub => schema::github_asset(&v),
            Forge::GitLab => schema::gitlab_release_link(&v),
            Forge::Gitea => schema::gitea_attachment(&v),
        };
        checked.unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        v
    }

    fn asset_list(&self, r: &Resp) -> Vec<Value> {
        assert_eq!(r.status, 200, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Forge::GitHub => schema::github_asset_list(&v),
            Forge::GitLab => schema::gitlab_release_links(&v),
            Forge::Gitea => schema::gitea_attachment_list(&v),
        };
        checked.unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        v.as_array().expect("a list is an array").clone()
    }

    /// An error answer: its status and the client dialect's error shape.
    fn error(&self, r: &Resp, status: u16) -> Value {
        assert_eq!(r.status, status, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Forge::GitHub if status == 422 => schema::github_validation_error(&v),
            Forge::GitHub => schema::github_basic_error(&v),
            Forge::Gitea => schema::gitea_error(&v),
            // GitLab publishes no error schema: its errors are {"message": "..."}.
            Forge::GitLab => match v.as_object() {
                Some(m) if m.len() == 1 && m.get("message").is_some_and(Value::is_string) => Ok(()),
                _ => Err("a GitLab error is {\"message\": \"...\"}".to_owned()),
            },
        };
        checked.unwrap_or_else(|e| panic!("{e}\n{v:#}"));
        v
    }

    /// A 404 in the client's error shape, in its forge's words. Through the
    /// pass-through the words are the upstream's own (`get` compares them).
    fn not_found(&self, r: &Resp) {
        let v = self.error(r, 404);
        if self.passes_through() {
            return;
        }
        match self.client {
            Forge::GitHub => {
                assert_eq!(
                    (&v["message"], &v["status"]),
                    (&json!("Not Found"), &json!("404"))
                );
            }
            Forge::GitLab => assert_eq!(v, json!({"message": "404 Not found"})),
            Forge::Gitea => {
                assert_eq!(v["message"], "The target couldn't be found.", "{v}");
                let mut keys: Vec<&String> = v.as_object().expect("object").keys().collect();
                keys.sort();
                assert_eq!(keys, ["message", "url"], "{v}");
            }
        }
    }

    /// What the pair cannot do: 501 in the client's error shape, the message
    /// starting with `want` (which names the upstream).
    fn refused(&self, r: &Resp, want: &str) {
        let v = self.error(r, 501);
        let msg = v["message"].as_str().expect("a message");
        assert!(msg.starts_with(want), "message {msg:?}, want {want:?}…");
        assert!(msg.contains(self.upstream.title()), "{msg}");
    }

    /// The API URLs of a release the gateway wrote: they name the gateway and
    /// the release's id. Through the pass-through the body is the upstream's.
    fn api_urls(&self, v: &Value) {
        if self.passes_through() {
            return;
        }
        let Some(id) = v["id"].as_u64().filter(|_| self.client.ids()) else {
            return;
        };
        let here = format!("{}/{id}", self.base);
        match self.client {
            Forge::GitHub => {
                assert_eq!(v["url"], json!(here));
                assert_eq!(v["assets_url"], json!(format!("{here}/assets")));
                assert_eq!(
                    v["upload_url"],
                    json!(format!("{here}/assets{{?name,label}}"))
                );
                for a in v["assets"].as_array().into_iter().flatten() {
                    assert_eq!(a["url"], json!(format!("{}/assets/{}", self.base, a["id"])));
                }
            }
            Forge::Gitea => {
                assert_eq!(v["url"], json!(here));
                assert_eq!(v["upload_url"], json!(format!("{here}/assets")));
            }
            Forge::GitLab => {}
        }
    }

    // ------------------------------------------------------------ reading

    fn rel(&self, v: &Value) -> Rel {
        Rel {
            tag: v["tag_name"].as_str().expect("tag_name").to_owned(),
            id: if self.client.ids() {
                Some(v["id"].as_u64().expect("a numeric id"))
            } else {
                None
            },
        }
    }

    /// What a user reads of a release: tag, name, notes.
    fn summary(&self, v: &Value) -> (String, String, String) {
        let text = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {v:#}"))
                .to_owned()
        };
        (
            text("tag_name"),
            text("name"),
            text(self.client.notes_key()),
        )
    }

    /// The assets a release answer carries: (name, file URL).
    fn carried_assets(&self, v: &Value) -> Vec<(String, String)> {
        let list = match self.client {
            Forge::GitLab => &v["assets"]["links"],
            _ => &v["assets"],
        };
        list.as_array()
            .unwrap_or_else(|| panic!("no asset list in {v:#}"))
            .iter()
            .map(|a| {
                let (_, name, url) = self.asset_fields(a);
                (name, url)
            })
            .collect()
    }

    /// An asset's id, name and file URL.
    fn asset_fields(&self, a: &Value) -> (u64, String, String) {
        let text = |k: &str| {
            a[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {a:#}"))
                .to_owned()
        };
        (
            a["id"].as_u64().unwrap_or_else(|| panic!("id in {a:#}")),
            text("name"),
            text(self.client.file_key()),
        )
    }

    /// `releases` is the seed as a user sees it, newest first, each release once.
    fn assert_seed(&self, releases: &[Value]) {
        let tags: Vec<&str> = releases
            .iter()
            .map(|r| r["tag_name"].as_str().unwrap_or("?"))
            .collect();
        assert_eq!(tags, ["release/2.0", "v1.1.0", "v1.0.0"]);
        let (published, login) = match self.client {
            Forge::GitLab => ("released_at", &["author", "username"]),
            _ => ("published_at", &["author", "login"]),
        };
        for (r, (tag, name, notes, at)) in releases.iter().zip(SEED) {
            assert_eq!(
                self.summary(r),
                (tag.to_owned(), name.to_owned(), notes.to_owned())
            );
            assert_eq!(r[published], at, "{tag}");
            assert_eq!(r[login[0]][login[1]], "demo", "{tag}");
            let want: Vec<(String, String)> = if tag == "v1.1.0" {
                V110_ASSETS
                    .iter()
                    .map(|(n, u)| (n.to_string(), u.to_string()))
                    .collect()
            } else {
                Vec::new()
            };
            assert_eq!(self.carried_assets(r), want, "{tag}");
        }
        if self.client.ids() {
            let mut ids: Vec<u64> = releases
                .iter()
                .map(|r| self.rel(r).id.unwrap_or(0))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids.len(),
                releases.len(),
                "every release has an id of its own"
            );
        }
    }

    /// The whole list, from its first page (`PAGE_SIZE` a page) through every
    /// `Link` rel="next" until there is none. Checks each page's paging
    /// headers for a list of the seed's length.
    async fn list_all(&self) -> Vec<Value> {
        let total = SEED.len();
        let pages = total.div_ceil(PAGE_SIZE);
        let mut url = self.first_page_url();
        let mut all = Vec::new();
        for page in 1..=pages {
            let r = self.get(&url).await;
            let items = self.release_list(&r);
            let want = PAGE_SIZE.min(total - (page - 1) * PAGE_SIZE);
            assert_eq!(items.len(), want, "page {page}: {}", show(&r));
            self.page_headers(&r, page, pages, total);
            all.extend(items);
            let next = links(&r)
                .into_iter()
                .find(|(_, rel)| rel == "next")
                .map(|(t, _)| t);
            match next {
                Some(n) => url = n,
                None => {
                    assert_eq!(page, pages, "page {page} has no next page");
                    return all;
                }
            }
        }
        panic!("page {pages} of {pages} names a next page");
    }

    /// The paging headers of list page `page` of `pages`: `Link` on the
    /// gateway's URL with the client's parameter names, and the client
    /// dialect's own headers.
    fn page_headers(&self, r: &Resp, page: usize, pages: usize, total: usize) {
        let page_url = |n: usize| {
            format!(
                "{}?{}={PAGE_SIZE}&page={n}",
                self.base,
                self.client.per_page_param()
            )
        };
        let mut want: Vec<(String, String)> = [
            (page > 1).then(|| (page_url(page - 1), "prev")),
            (page < pages).then(|| (page_url(page + 1), "next")),
            Some((page_url(pages), "last")),
            (page > 1).then(|| (page_url(1), "first")),
        ]
        .into_iter()
        .flatten()
        .map(|(u, rel)| (u, rel.to_owned()))
        .collect();
        let mut got = links(r);
        for (target, rel) in &got {
            assert!(
                target.starts_with(&format!("{}/", self.gw.url)) && !target.contains(&self.sim),
                "page {page}: Link rel={rel} names {target}, not the gateway {}",
                self.gw.url
            );
        }
        want.sort();
        got.sort();
        assert_eq!(got, want, "page {page}: Link");

        let h = |name: &str| r.header(name).map(str::to_owned);
        let total = total.to_string();
        match self.client {
            Forge::Gitea => {
                assert_eq!(
                    h("x-total-count"),
                    self.upstream_counts().then(|| total.clone()),
                    "page {page}: X-Total-Count"
                );
            }
            Forge::GitHub => {
                assert_eq!(h("x-total-count"), None);
                assert_eq!(h("x-total"), None);
            }
            Forge::GitLab => {
                let num = |n: usize| n.to_string();
                let got = [
                    h("x-page"),
                    h("x-per-page"),
                    h("x-next-page"),
                    h("x-prev-page"),
                    h("x-total"),
                    h("x-total-pages"),
                ];
                let want = [
                    Some(num(page)),
                    Some(num(PAGE_SIZE)),
                    Some(if page < pages {
                        num(page + 1)
                    } else {
                        String::new()
                    }),
                    Some(if page > 1 {
                        num(page - 1)
                    } else {
                        String::new()
                    }),
                    Some(total.clone()),
                    Some(num(pages)),
                ];
                assert_eq!(
                    got, want,
                    "page {page}: X-Page, X-Per-Page, X-Next-Page, X-Prev-Page, X-Total, X-Total-Pages"
                );
            }
        }
    }

    /// Whether the upstream says how long a list is: GitHub does not count
    /// releases; GitLab and Gitea do.
    fn upstream_counts(&self) -> bool {
        self.upstream != Forge::GitHub
    }

    /// A release's assets walked one per page through `Link` rel="next", as
    /// clients walk them; `count` is how many it has.
    async fn walk_assets(&self, r: &Rel, count: usize) -> Vec<Value> {
        let mut url = format!("{}?{}=1", self.assets_url(r), self.client.per_page_param());
        let mut all = Vec::new();
        for page in 1..=count {
            let resp = self.get(&url).await;
            let items = self.asset_list(&resp);
            assert_eq!(items.len(), 1, "asset page {page}: {}", show(&resp));
            let mut next = None;
            for (target, rel) in links(&resp) {
                assert!(
                    target.starts_with(&format!("{}/", self.gw.url)) && !target.contains(&self.sim),
                    "asset page {page}: Link rel={rel} names {target}, not the gateway"
                );
                if rel == "next" {
                    next = Some(target);
                }
            }
            let h = |name: &str| resp.header(name).map(str::to_owned);
            match self.client {
                Forge::Gitea => assert_eq!(
                    h("x-total-count"),
                    self.upstream_counts().then(|| count.to_string()),
                    "asset page {page}: X-Total-Count"
                ),
                Forge::GitLab => assert_eq!(
                    (h("x-page"), h("x-total")),
                    (Some(page.to_string()), Some(count.to_string())),
                    "asset page {page}: X-Page, X-Total"
                ),
                Forge::GitHub => {}
            }
            all.extend(items);
            match next {
                Some(n) => url = n,
                None => {
                    assert_eq!(page, count, "asset page {page} has no next page");
                    return all;
                }
            }
        }
        panic!("asset page {count} of {count} names a next page");
    }

    /// A release by tag, checked.
    async fn get_tag(&self, tag: &str) -> Value {
        self.release(&self.get(&self.tag_url(tag)).await, 200)
    }

    // ------------------------------------------------------------ writing

    async fn create(&self, body: &Value) -> Resp {
        self.send("POST", &self.base, Some(body)).await
    }

    async fn update(&self, r: &Rel, body: &Value) -> Resp {
        let method = match self.client {
            Forge::GitLab => "PUT",
            _ => "PATCH",
        };
        self.send(method, &self.release_url(r), Some(body)).await
    }

    /// A file added to a release, as GitHub and Gitea clients upload one.
    async fn upload(&self, r: &Rel, name: &str, content: &str) -> Resp {
        let url = format!("{}/assets?name={name}", self.release_url(r));
        let headers = [self.client.token(), ("Content-Type", "text/plain")];
        call("POST", &url, &headers, content).await
    }

    /// A release delete's answer: 204 without a body, or GitLab's 200 with
    /// the release that was deleted.
    fn deleted(&self, r: &Resp) -> Option<Value> {
        match self.client {
            Forge::GitLab => Some(self.release(r, 200)),
            _ => {
                assert_eq!(r.status, 204, "{}", show(r));
                assert!(r.body.is_empty(), "a 204 with a body: {}", show(r));
                None
            }
        }
    }
}

// ---------------------------------------------------------------- scenarios

/// The list walked page by page; every release by tag (one encoded segment,
/// and raw where the dialect's route takes the rest of the path), by id, the
/// latest; unknown releases are 404s.
async fn reads(client: Forge, upstream: Forge) {
    let p = pair(client, upstream).await;
    let all = p.list_all().await;
    p.assert_seed(&all);

    for (listed, (tag, ..)) in all.iter().zip(SEED) {
        let by_tag = p.get_tag(tag).await;
        assert_eq!(&by_tag, listed, "{tag}: by tag as in the list");
        if client != Forge::GitLab {
            let raw = format!("{}/tags/{tag}", p.base);
            let by_raw_tag = p.release(&p.get(&raw).await, 200);
            assert_eq!(by_raw_tag, by_tag, "{tag}: raw and encoded tag");
        }
        if client.ids() {
            let url = p.release_url(&p.rel(listed));
            let by_id = p.release(&p.get(&url).await, 200);
            assert_eq!(by_id, by_tag, "{tag}: by id and by tag");
        }
    }
    let latest = p.release(&p.get(&p.latest_url()).await, 200);
    assert_eq!(latest, all[0], "the latest is the newest");

    p.not_found(&p.get(&p.tag_url("v9.9.9")).await);
    p.not_found(&p.get(&p.tag_url("nope/v9")).await);
    if client.ids() {
        let unknown = Rel {
            tag: String::new(),
            id: Some(987_654_321),
        };
        p.not_found(&p.get(&p.release_url(&unknown)).await);
    }
    p.gw.stop().await;
}

/// v1.1.0's assets as a list and one by one; an asset of another release is
/// not found under that release; one asset deleted is gone.
async fn assets(client: Forge, upstream: Forge) {
    let p = pair(client, upstream).await;
    let v110 = p.get_tag("v1.1.0").await;
    let rel = p.rel(&v110);
    let list = p.asset_list(&p.get(&p.assets_url(&rel)).await);
    let fields: Vec<(u64, String, String)> = list.iter().map(|a| p.asset_fields(a)).collect();
    let named: Vec<(&str, &str)> = fields
        .iter()
        .map(|(_, n, u)| (n.as_str(), u.as_str()))
        .collect();
    assert_eq!(named, V110_ASSETS);
    let carried = match client {
        Forge::GitLab => &v110["assets"]["links"],
        _ => &v110["assets"],
    };
    assert_eq!(
        &json!(list),
        carried,
        "the release carries its assets as listed"
    );

    // Dates: the simulated forge dates an asset with its release. GitLab links
    // have none (Gitea clients read the epoch); Gitea keeps one, which GitHub
    // clients get as both dates.
    let made = json!(SEED[1].3);
    for a in &list {
        match (client, upstream) {
            (Forge::GitLab, _) => {}
            (Forge::Gitea, Forge::GitLab) => assert_eq!(a["created_at"], "1970-01-01T00:00:00Z"),
            (Forge::GitHub, _) => assert_eq!((&a["created_at"], &a["updated_at"]), (&made, &made)),
            (Forge::Gitea, _) => assert_eq!(a["created_at"], made),
        }
    }

    let walked = p.walk_assets(&rel, list.len()).await;
    assert_eq!(walked, list, "the assets walked one per page");

    for (a, (id, ..)) in list.iter().zip(&fields) {
        let one = p.asset(&p.get(&p.asset_url(&rel, *id)).await, 200);
        assert_eq!(&one, a, "asset {id}");
    }
    let (gone, _, _) = fields[0].clone();
    if client == Forge::GitHub {
        // The file itself, as gh and octokit ask for it: GitHub's redirect.
        let url = p.asset_url(&rel, fields[1].0);
        let headers = [p.client.token(), ("Accept", "application/octet-stream")];
        let file = call("GET", &url, &headers, "").await;
        assert_eq!(file.status, 302, "{}", show(&file));
        assert_eq!(file.header("location"), Some(V110_ASSETS[1].1));
        assert!(file.body.is_empty());
    } else {
        // Under another release the asset is not found, nor deleted.
        let other = p.rel(&p.get_tag("release/2.0").await);
        p.not_found(&p.get(&p.asset_url(&other, gone)).await);
        let r = p.send("DELETE", &p.asset_url(&other, gone), None).await;
        p.error(&r, 404);
        let still = p.asset_list(&p.get(&p.assets_url(&rel)).await);
        assert_eq!(
            still, list,
            "a delete under another release deleted nothing"
        );
    }

    let r = p.send("DELETE", &p.asset_url(&rel, gone), None).await;
    match client {
        // GitLab answers with the deleted link.
        Forge::GitLab => assert_eq!(p.asset(&r, 200), list[0]),
        _ => {
            assert_eq!(r.status, 204, "{}", show(&r));
            assert!(r.body.is_empty(), "{}", show(&r));
        }
    }
    let left = p.asset_list(&p.get(&p.assets_url(&rel)).await);
    assert_eq!(left, list[1..], "only checksums.txt is left");
    p.not_found(&p.get(&p.asset_url(&rel, gone)).await);
    let v110 = p.get_tag("v1.1.0").await;
    assert_eq!(
        p.carried_assets(&v110),
        [(V110_ASSETS[1].0.to_owned(), V110_ASSETS[1].1.to_owned())]
    );
    p.gw.stop().await;
}

/// Create, a duplicate, update, delete, and the deleted release not found.
async fn writes(client: Forge, upstream: Forge) {
    let p = pair(client, upstream).await;
    let three = |name: &str, notes: &str| ("v3.0.0".to_owned(), name.to_owned(), notes.to_owned());

    let r = p
        .create(&client.create_body("v3.0.0", "Three", "Notes for three."))
        .await;
    let created = p.release(&r, 201);
    assert_eq!(p.summary(&created), three("Three", "Notes for three."));
    let rel = p.rel(&created);
    if client == Forge::GitHub {
        assert_eq!(r.header("location"), Some(p.release_url(&rel).as_str()));
    }
    let got = p.get_tag("v3.0.0").await;
    assert_eq!(p.summary(&got), three("Three", "Notes for three."));
    if client.ids() {
        assert_eq!(p.rel(&got).id, rel.id, "the id the create answered");
    }

    // A second release with the same tag is refused, and changes nothing.
    let dup = p
        .create(&client.create_body("v3.0.0", "Again", "Again."))
        .await;
    match client {
        Forge::GitHub => {
            let v = p.error(&dup, 422);
            assert_eq!(v["message"], "Validation Failed");
            assert_eq!(
                (&v["errors"][0]["code"], &v["errors"][0]["field"]),
                (&json!("already_exists"), &json!("tag_name")),
                "{v}"
            );
        }
        Forge::GitLab => assert_eq!(
            p.error(&dup, 409),
            json!({"message": "Release already exists"})
        ),
        Forge::Gitea => {
            let v = p.error(&dup, 409);
            if !p.passes_through() {
                let msg = v["message"].as_str().unwrap_or_default();
                let want = format!("the upstream ({})", upstream.title());
                assert!(msg.starts_with(&want), "{msg}");
            }
        }
    }
    let got = p.get_tag("v3.0.0").await;
    assert_eq!(p.summary(&got), three("Three", "Notes for three."));

    let r = p
        .update(&rel, &client.update_body("Three, again", "Updated notes."))
        .await;
    let updated = p.release(&r, 200);
    assert_eq!(p.summary(&updated), three("Three, again", "Updated notes."));
    let got = p.get_tag("v3.0.0").await;
    assert_eq!(p.summary(&got), three("Three, again", "Updated notes."));

    let r = p.send("DELETE", &p.release_url(&rel), None).await;
    if let Some(v) = p.deleted(&r) {
        assert_eq!(p.summary(&v), three("Three, again", "Updated notes."));
    }
    p.not_found(&p.get(&p.tag_url("v3.0.0")).await);
    if client.ids() {
        p.not_found(&p.get(&p.release_url(&rel)).await);
    }

    if client == Forge::Gitea {
        // Gitea also deletes by tag (a tag with a slash, as one segment).
        let made = p.create(&client.create_body("v3.1/rc", "Rc", "")).await;
        p.release(&made, 201);
        let r = p.send("DELETE", &p.tag_url("v3.1/rc"), None).await;
        p.deleted(&r);
        p.not_found(&p.get(&p.tag_url("v3.1/rc")).await);
    }

    // Nothing is left behind.
    p.assert_seed(&p.list_all().await);
    p.gw.stop().await;
}

/// What the pair cannot do is refused (501, naming the upstream) and nothing
/// is written; what is lossy but allowed is shown as the upstream keeps it;
/// a create without a tag is the client's validation error.
async fn refusals(client: Forge, upstream: Forge) {
    let p = pair(client, upstream).await;
    let v100 = p.rel(&p.get_tag("v1.0.0").await);

    let no_tag = p.create(&json!({"name": "No tag"})).await;
    match client {
        Forge::GitHub => {
            let v = p.error(&no_tag, 422);
            assert_eq!(
                (&v["errors"][0]["code"], &v["errors"][0]["field"]),
                (&json!("missing_field"), &json!("tag_name")),
                "{v}"
            );
        }
        Forge::GitLab => {
            let v = p.error(&no_tag, 400);
            assert!(
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("tag_name")),
                "{v}"
            );
        }
        Forge::Gitea => {
            let v = p.error(&no_tag, 422);
            assert!(
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("tag_name")),
                "{v}"
            );
        }
    }

    // Uploads: the raw body named in the query, passed on to an upstream of the
    // client's dialect, or of another that takes a file so (Gitea), or kept
    // in the project and linked to the release (GitLab).
    if client != Forge::GitLab {
        let r = p.upload(&v100, "notes.txt", "hello").await;
        if p.passes_through() || upstream != Forge::GitHub {
            let a = p.asset(&r, 201);
            assert_eq!((&a["name"], &a["size"]), (&json!("notes.txt"), &json!(5)));
            let mut listed = p.asset_list(&p.get(&p.assets_url(&v100)).await);
            let mut a = a;
            if !p.passes_through() {
                // What the upstream does not keep of a file (GitLab a link's
                // size, neither its media type), the upload's answer gives
                // from the file sent; read again, the client's defaults.
                for v in listed.iter_mut().chain([&mut a]) {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("size");
                        o.remove("content_type");
                    }
                }
            }
            assert_eq!(listed, [a]);
        } else {
            let want = "the upstream (GitHub) has no `upload` operation: api.github.com takes a release's files at another host";
            p.refused(&r, want);
            let listed = p.asset_list(&p.get(&p.assets_url(&v100)).await);
            assert_eq!(listed, Vec::<Value>::new(), "nothing was uploaded");
        }
    }

    match (client, upstream) {
        (Forge::Gitea, Forge::GitLab) => {
            // GitLab has no drafts: refused. No prerelease flag: dropped.
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "draft": true}))
                .await;
            p.refused(
                &r,
                "the upstream (GitLab) cannot create this release: GitLab has no draft releases",
            );
            p.not_found(&p.get(&p.tag_url("v4.0.0")).await);
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "prerelease": true}))
                .await;
            let v = p.release(&r, 201);
            assert_eq!(
                (&v["draft"], &v["prerelease"], &v["name"]),
                (&json!(false), &json!(false), &json!("v4.0.0"))
            );
            // GitLab cannot move a release to another tag, nor make it a draft.
            let rel = p.rel(&v);
            let r = p.update(&rel, &json!({"tag_name": "v4.0.1"})).await;
            p.refused(
                &r,
                "the upstream (GitLab) cannot update this release: GitLab cannot move a release to another tag",
            );
            let r = p.update(&rel, &json!({"draft": true})).await;
            p.refused(
                &r,
                "the upstream (GitLab) cannot update this release: GitLab has no draft releases",
            );
            // The same tag again is no move.
            let r = p
                .update(&rel, &json!({"tag_name": "v4.0.0", "name": "Four"}))
                .await;
            assert_eq!(p.release(&r, 200)["name"], "Four");
            p.not_found(&p.get(&p.tag_url("v4.0.1")).await);
        }
        (Forge::GitLab, Forge::Gitea) => {
            let links =
                json!({"links": [{"name": "a.zip", "url": "https://downloads.invalid/a.zip"}]});
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "assets": links}))
                .await;
            p.refused(
                &r,
                "the upstream (Gitea) cannot create this release: Gitea attaches files to a release by upload once it exists",
            );
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "released_at": "2026-07-01T00:00:00Z"}))
                .await;
            p.refused(
                &r,
                "the upstream (Gitea) cannot create this release: Gitea sets a release's publication time itself",
            );
            p.not_found(&p.get(&p.tag_url("v4.0.0")).await);
            let r = p
                .update(&v100, &json!({"released_at": "2026-07-01T00:00:00Z"}))
                .await;
            p.refused(
                &r,
                "the upstream (Gitea) cannot update this release: Gitea sets a release's publication time itself",
            );
            let v = p.get_tag("v1.0.0").await;
            assert_eq!(v["released_at"], SEED[2].3, "nothing was changed");
            // No links at all is no loss: the release is created.
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "name": "Four", "assets": {"links": []}}))
                .await;
            let v = p.release(&r, 201);
            assert_eq!(v["assets"]["links"], json!([]));
        }
        _ => {
            // Both sides know drafts and prereleases: they are kept.
            let r = p
                .create(&json!({"tag_name": "v4.0.0", "name": "Four", "draft": true, "prerelease": true}))
                .await;
            let v = p.release(&r, 201);
            assert_eq!(
                (&v["draft"], &v["prerelease"]),
                (&json!(true), &json!(true))
            );
            let r = p
                .update(&p.rel(&v), &json!({"draft": false, "prerelease": false}))
                .await;
            let v = p.release(&r, 200);
            assert_eq!(
                (&v["draft"], &v["prerelease"]),
                (&json!(false), &json!(false))
            );
        }
    }
    p.gw.stop().await;
}

/// The four scenarios for one pair, as a module of tests.
macro_rules! pair_tests {
    ($name:ident, $client:ident, $upstream:ident) => {
        mod $name {
            use super::Forge;

            #[tokio::test]
            async fn reads() {
                super::reads(Forge::$client, Forge::$upstream).await;
            }

            #[tokio::test]
            async fn assets() {
                super::assets(Forge::$client, Forge::$upstream).await;
            }

            #[tokio::test]
            async fn writes() {
                super::writes(Forge::$client, Forge::$upstream).await;
            }

            #[tokio::test]
            async fn refusals() {
                super::refusals(Forge::$client, Forge::$upstream).await;
            }
        }
    };
}

pair_tests!(gitea_to_gitlab, Gitea, GitLab);
pair_tests!(gitea_to_github, Gitea, GitHub);
pair_tests!(github_to_gitea, GitHub, Gitea);
pair_tests!(gitlab_to_gitea, GitLab, Gitea);
pair_tests!(gitea_to_gitea, Gitea, Gitea);

/// A GitLab client asking for more releases a page (100) than Gitea serves
/// (50) gets pages of 50, as from a forge that clamps; GitLab's paging
/// headers describe those pages: a page with a next page holds `X-Per-Page`
/// releases, `X-Total-Pages` is `X-Total` over `X-Per-Page`, and the walk
/// gives every release once.
#[tokio::test]
async fn gitlab_to_gitea_pages_larger_than_gitea_serves() {
    let p = pair(Forge::GitLab, Forge::Gitea).await;
    // 52 more releases, straight into the simulated forge: 55 in all.
    let direct = format!("{}{}", p.sim, Forge::Gitea.collection());
    for i in 0..52 {
        let body = json!({"tag_name": format!("bulk-{i}")}).to_string();
        let r = call(
            "POST",
            &direct,
            &[("Content-Type", "application/json")],
            &body,
        )
        .await;
        assert_eq!(r.status, 201, "{}", show(&r));
    }
    let total = 55;
    let mut url = format!("{}?per_page=100", p.base);
    let mut tags = Vec::new();
    for page in 1.. {
        assert!(page <= 10, "the walk does not end");
        let r = p.get(&url).await;
        let items = p.release_list(&r);
        let header = |name: &str| -> usize {
            r.header(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name}: {:?}", r.header(name)))
        };
        let (per_page, pages) = (header("x-per-page"), header("x-total-pages"));
        assert_eq!(header("x-total"), total);
        assert_eq!(
            pages,
            total.div_ceil(per_page),
            "X-Total-Pages for X-Per-Page {per_page}"
        );
        let next = links(&r).into_iter().find(|(_, rel)| rel == "next");
        tags.extend(items.iter().map(|v| v["tag_name"].to_string()));
        match next {
            Some((n, _)) => {
                assert_eq!(items.len(), per_page, "a page before the last is full");
                url = n;
            }
            None => break,
        }
    }
    let walked = tags.len();
    tags.sort();
    tags.dedup();
    assert_eq!((walked, tags.len()), (total, total), "every release, once");
}

/// The expectations above are the demo's seed.
#[test]
fn the_expected_seed_is_the_demos() {
    let mut seed = sim::demo_seed();
    seed.sort_by(|a, b| b.published_at.cmp(a.published_at));
    let ours: Vec<(&str, &str, &str, &str)> = seed
        .iter()
        .map(|r| (r.tag, r.name, r.body, r.published_at))
        .collect();
    assert_eq!(ours, SEED);
    let v110 = seed
        .iter()
        .find(|r| r.tag == "v1.1.0")
        .expect("v1.1.0 is seeded");
    assert_eq!(v110.assets, V110_ASSETS);
    assert_eq!(sim::DEMO_PROJECT, "demo/hello");
}
