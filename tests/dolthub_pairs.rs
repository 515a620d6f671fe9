//! DoltHub (`mappings/dolthub.toml`) on either side of the gateway, end to end
//! against the simulated forge (`forgebridge::sim`):
//!
//! - clients of GitHub, GitLab, Gitea and Sentry in front of a simulated
//!   DoltHub: the list walked through `Link` (DoltHub's pages, its
//!   `next_page_token` carried in the links), get by tag and by id, latest,
//!   create and a duplicate, and what DoltHub cannot do (edit, delete, drafts,
//!   assets: 501 with the mapping's reason, nothing changed);
//! - a DoltHub client in front of a simulated GitHub, GitLab, Gitea and Sentry:
//!   the list walked by `next_page_token` (the upstream's page numbers or
//!   cursors), create
//!   under either document's field names, and DoltHub's errors;
//! - what the gateway sends a DoltHub upstream (a recording fake): the spec's
//!   paths, the credential, and a create body valid under both documents.
//!
//! Every answer is checked against the client dialect's schema validator
//! (`tests/support/schema.rs`) where there is one. Sentry publishes no error
//! schema: its errors are checked to be `{"detail": "..."}`, GitLab's
//! `{"message": "..."}`.

mod support;

use forgebridge::sim::{self, SeedRelease, Sim};
use serde_json::{json, Value};
use support::fake::{calls, FakeUpstream, Reply};
use support::gateway::{call, Resp, TestGateway};
use support::schema;

/// `n` releases `r0000`… and their publication dates, an hour apart from
/// 2026-01-01, `r0000` first.
fn numbered(n: usize) -> (Vec<String>, Vec<String>) {
    let tags = (0..n).map(|i| format!("r{i:04}")).collect();
    let dates = (0..n as u64)
        .map(|i| sim::rfc3339(1_767_225_600 + i * 3600))
        .collect();
    (tags, dates)
}

/// A seed of the releases `numbered` names, each titled with its tag.
fn seed_of<'a>(tags: &'a [String], dates: &'a [String]) -> Vec<SeedRelease<'a>> {
    tags.iter()
        .zip(dates)
        .map(|(tag, date)| SeedRelease {
            tag,
            name: tag,
            body: "many",
            published_at: date,
            assets: &[],
        })
        .collect()
}

/// The demo seed as a user reads it, newest first: tag, title, notes, publication.
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

fn seed_tags() -> Vec<String> {
    SEED.iter().map(|s| s.0.to_owned()).collect()
}

/// An answer, for assertion messages.
fn show(r: &Resp) -> String {
    format!("{} {}", r.status, String::from_utf8_lossy(&r.body))
}

/// A schema check of `tests/support/schema.rs`.
type Validator = fn(&Value) -> Result<(), String>;

#[track_caller]
fn valid(what: &str, result: Result<(), String>, v: &Value) {
    if let Err(e) = result {
        panic!("{what}: {e}\n{v:#}");
    }
}

// ------------------------------------------------------------ the mapping's words

fn dolthub_mapping() -> toml::Table {
    let path = support::gateway::mappings_dir().join("dolthub.toml");
    let text = std::fs::read_to_string(&path).expect("mappings/dolthub.toml");
    text.parse().expect("mappings/dolthub.toml is TOML")
}

/// `[unsupported] <op>` of `mappings/dolthub.toml`.
fn unsupported(op: &str) -> String {
    dolthub_mapping()["unsupported"][op]
        .as_str()
        .unwrap_or_else(|| panic!("no [unsupported] {op} in mappings/dolthub.toml"))
        .to_owned()
}

/// The reason of the create route's `refuse` rule on `field`.
fn refusal(field: &str) -> String {
    let m = dolthub_mapping();
    let routes = m["route"].as_array().expect("[[route]]");
    let create = routes
        .iter()
        .find(|r| r["op"].as_str() == Some("create"))
        .expect("a create route");
    create["refuse"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["field"].as_str() == Some(field))
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_else(|| panic!("no refuse rule on {field}"))
        .to_owned()
}

// ------------------------------------------------------------ Link

/// `Link` entries of `r`: (target, rel, results) in order, `results` where the
/// entry names one (Sentry's `results="true|false"`).
fn links(r: &Resp) -> Vec<(String, String, Option<bool>)> {
    let mut out = Vec::new();
    for v in r.headers.get_all("link") {
        let v = v.to_str().expect("Link is ASCII");
        for part in v.split(", <") {
            let (target, params) = part
                .split_once('>')
                .unwrap_or_else(|| panic!("Link entry without a target: {v}"));
            let target = target.trim_start_matches('<').to_owned();
            let param = |name: &str| {
                params
                    .split(';')
                    .find_map(|p| p.trim().strip_prefix(name))
                    .map(|p| p.trim_matches('"').to_owned())
            };
            let rel = param("rel=").unwrap_or_else(|| panic!("Link entry without rel: {v}"));
            let results = param("results=").map(|r| r == "true");
            out.push((target, rel, results));
        }
    }
    out
}

/// The page `rel="next"` names, unless it is marked as holding no results.
fn next_link(r: &Resp) -> Option<String> {
    links(r)
        .into_iter()
        .find(|(_, rel, results)| rel == "next" && *results != Some(false))
        .map(|(target, _, _)| target)
}

// ------------------------------------------------------------ clients of DoltHub

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Client {
    GitHub,
    GitLab,
    Gitea,
    Sentry,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::GitHub => "github",
            Client::GitLab => "gitlab",
            Client::Gitea => "gitea",
            Client::Sentry => "sentry",
        }
    }

    fn token(self) -> (&'static str, &'static str) {
        match self {
            Client::GitHub => ("Authorization", "Bearer ghp-demo"),
            Client::GitLab => ("PRIVATE-TOKEN", "glpat-demo"),
            Client::Gitea => ("Authorization", "token gitea-demo"),
            Client::Sentry => ("Authorization", "Bearer sntrys-demo"),
        }
    }

    /// The key of a release's tag in the dialect.
    fn tag_key(self) -> &'static str {
        match self {
            Client::Sentry => "version",
            _ => "tag_name",
        }
    }

    /// The keys of a release's title and notes, where the dialect has them.
    fn text_keys(self) -> Option<(&'static str, &'static str)> {
        match self {
            Client::GitHub | Client::Gitea => Some(("name", "body")),
            Client::GitLab => Some(("name", "description")),
            Client::Sentry => None,
        }
    }

    /// Whether clients address a release by a numeric id.
    fn ids(self) -> bool {
        matches!(self, Client::GitHub | Client::Gitea)
    }

    /// The key of an error's message.
    fn message_key(self) -> &'static str {
        match self {
            Client::Sentry => "detail",
            _ => "message",
        }
    }
}

/// A simulated DoltHub with the demo seed, and the gateway in front of it
/// accepting `client`.
struct Front {
    client: Client,
    gw: TestGateway,
    _sim: tokio::task::JoinHandle<()>,
}

async fn in_front_of_dolthub(client: Client, seed: &[SeedRelease<'_>]) -> Front {
    let dialect = support::gateway::mappings()
        .get("dolthub")
        .expect("the DoltHub mapping")
        .clone();
    let (addr, task) = Sim::start(dialect, 0, sim::DEMO_PROJECT, seed)
        .await
        .expect("the simulated forge starts");
    // Sentry's organization routes name no project: organization `demo` is
    // the database demo/hello.
    let config = match client {
        Client::Sentry => "[projects]\n\"demo\" = \"demo/hello\"\n",
        _ => "",
    };
    let gw =
        TestGateway::start_pair(client.name(), "dolthub", &format!("http://{addr}"), config).await;
    Front {
        client,
        gw,
        _sim: task,
    }
}

impl Front {
    async fn send(&self, method: &str, url: &str, body: Option<&Value>) -> Resp {
        let mut headers = vec![self.client.token()];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let text = body.map(Value::to_string).unwrap_or_default();
        call(method, url, &headers, &text).await
    }

    async fn get(&self, url: &str) -> Resp {
        self.send("GET", url, None).await
    }

    /// The release collection (Sentry: the organization's).
    fn base(&self) -> String {
        let path = match self.client {
            Client::GitHub => "/repos/demo/hello/releases",
            Client::GitLab => "/api/v4/projects/demo%2Fhello/releases",
            Client::Gitea => "/api/v1/repos/demo/hello/releases",
            Client::Sentry => "/api/0/organizations/demo/releases",
        };
        format!("{}{path}", self.gw.url)
    }

    /// The lists to walk, `per` releases a page: (URL of the first page, validator).
    fn first_pages(&self, per: usize) -> Vec<(String, Validator)> {
        match self.client {
            Client::GitHub => vec![(
                format!("{}?per_page={per}", self.base()),
                schema::github_release_list,
            )],
            Client::GitLab => vec![(
                format!("{}?per_page={per}", self.base()),
                schema::gitlab_release_list,
            )],
            Client::Gitea => vec![(
                format!("{}?limit={per}", self.base()),
                schema::gitea_release_list,
            )],
            Client::Sentry => vec![
                (
                    format!(
                        "{}/api/0/projects/demo/hello/releases/?per_page={per}",
                        self.gw.url
                    ),
                    schema::sentry_project_release_list,
                ),
                (
                    format!("{}/?per_page={per}", self.base()),
                    schema::sentry_release_list,
                ),
            ],
        }
    }

    /// A release by tag, the tag as one percent-encoded segment.
    fn tag_url(&self, tag: &str) -> String {
        let t = tag.replace('/', "%2F");
        match self.client {
            Client::GitHub | Client::Gitea => format!("{}/tags/{t}", self.base()),
            Client::GitLab => format!("{}/{t}", self.base()),
            Client::Sentry => format!("{}/{t}/", self.base()),
        }
    }

    /// A release as the dialect's edits and deletes address it.
    fn write_url(&self, tag: &str, id: Option<u64>) -> String {
        match (self.client, id) {
            (Client::GitHub | Client::Gitea, Some(id)) => format!("{}/{id}", self.base()),
            (Client::GitHub | Client::Gitea, None) => panic!("{:?} writes by id", self.client),
            _ => self.tag_url(tag),
        }
    }

    fn latest_url(&self) -> Option<String> {
        match self.client {
            Client::GitHub | Client::Gitea => Some(format!("{}/latest", self.base())),
            Client::GitLab => Some(format!("{}/permalink/latest", self.base())),
            Client::Sentry => None,
        }
    }

    fn create_url(&self) -> String {
        match self.client {
            Client::Sentry => format!("{}/", self.base()),
            _ => self.base(),
        }
    }

    fn create_body(&self, tag: &str, title: &str, notes: &str) -> Value {
        match self.client {
            Client::GitHub | Client::Gitea => {
                json!({"tag_name": tag, "name": title, "body": notes, "target_commitish": "main"})
            }
            Client::GitLab => {
                json!({"tag_name": tag, "name": title, "description": notes, "ref": "main"})
            }
            Client::Sentry => json!({"version": tag, "ref": "main", "projects": ["hello"]}),
        }
    }

    /// A release answer: its status and the client's release schema.
    fn release(&self, r: &Resp, status: u16) -> Value {
        assert_eq!(r.status, status, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Client::GitHub => schema::github_release(&v),
            Client::GitLab => schema::gitlab_release(&v),
            Client::Gitea => schema::gitea_release(&v),
            Client::Sentry if r.status == 200 => schema::sentry_release(&v),
            Client::Sentry => schema::sentry_created_release(&v),
        };
        valid(&format!("{:?} release", self.client), checked, &v);
        v
    }

    /// An error answer: its status and the client's error shape; its message.
    fn error(&self, r: &Resp, status: u16) -> String {
        assert_eq!(r.status, status, "{}", show(r));
        let v = r.json();
        let checked = match self.client {
            Client::GitHub if status == 422 => schema::github_validation_error(&v),
            Client::GitHub => schema::github_basic_error(&v),
            Client::Gitea => schema::gitea_error(&v),
            // GitLab and Sentry publish no error schema: {"message"} and {"detail"}.
            Client::GitLab | Client::Sentry => match v.as_object() {
                Some(m) if m.len() == 1 && m.get(self.client.message_key()).is_some() => Ok(()),
                _ => Err(format!(
                    "a {:?} error is {{\"{}\": \"...\"}}",
                    self.client,
                    self.client.message_key()
                )),
            },
        };
        valid(&format!("{:?} error", self.client), checked, &v);
        v[self.client.message_key()]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {v}"))
            .to_owned()
    }

    /// 501 whose message names DoltHub and ends with the mapping's `reason`.
    fn refused(&self, r: &Resp, reason: &str) {
        let msg = self.error(r, 501);
        assert!(msg.contains("DoltHub"), "{msg}");
        assert!(msg.ends_with(reason), "message {msg:?}, want …{reason:?}");
    }

    /// Walks every list of the dialect from its first page, `per` releases
    /// asked a page, through `Link`; each page is checked with the dialect's
    /// list validator, and every walk must give the same tags, which are
    /// returned. DoltHub pages itself (by `next_page_token`), whatever size
    /// the client asks: no page may be empty.
    async fn walk(&self, per: usize) -> Vec<String> {
        let mut result: Option<Vec<String>> = None;
        for (first, list_schema) in self.first_pages(per) {
            let mut url = Some(first.clone());
            let mut tags = Vec::new();
            let mut sizes = Vec::new();
            while let Some(u) = url {
                assert!(sizes.len() < 100, "the walk from {first} does not end: {u}");
                let r = self.get(&u).await;
                assert_eq!(r.status, 200, "{u}: {}", show(&r));
                let v = r.json();
                valid(&u, list_schema(&v), &v);
                let page = v.as_array().expect("a list is an array");
                sizes.push(page.len());
                for rel in page {
                    tags.push(
                        rel[self.client.tag_key()]
                            .as_str()
                            .expect("a tag")
                            .to_owned(),
                    );
                }
                url = next_link(&r);
            }
            assert!(!sizes.contains(&0), "{first}: an empty page: {sizes:?}");
            if let Some(before) = &result {
                assert_eq!(&tags, before, "{first} and the other list differ");
            }
            result = Some(tags);
        }
        result.expect("a list to walk")
    }
}

/// The scenario of every client in front of DoltHub.
async fn client_in_front_of_dolthub(client: Client) {
    let f = in_front_of_dolthub(client, &sim::demo_seed()).await;
    let tag_key = client.tag_key();

    // The list, one release a page: every seed tag once, newest first.
    assert_eq!(f.walk(1).await, seed_tags());
    // DoltHub counts nothing: no totals, and no last page.
    let (first, _) = &f.first_pages(1)[0];
    let r = f.get(first).await;
    for h in ["x-total", "x-total-pages", "x-total-count"] {
        assert_eq!(r.header(h), None, "{first}: {h}");
    }
    assert!(
        !r.header("link")
            .unwrap_or_default()
            .contains("rel=\"last\""),
        "{first}: {:?}",
        r.header("link")
    );

    // Each release by tag (and by id), as the seed has it.
    let mut ids = Vec::new();
    for (tag, title, notes, published) in SEED {
        if client == Client::Sentry && tag.contains('/') {
            // Sentry forbids '/' in a version.
            continue;
        }
        let v = f.release(&f.get(&f.tag_url(tag)).await, 200);
        assert_eq!(v[tag_key], tag, "{v:#}");
        match client {
            Client::GitLab => assert_eq!(v["released_at"], published),
            Client::Sentry => assert_eq!(v["dateReleased"], published),
            _ => assert_eq!(v["published_at"], published),
        }
        if let Some((title_key, notes_key)) = client.text_keys() {
            assert_eq!(
                (&v[title_key], &v[notes_key]),
                (&json!(title), &json!(notes))
            );
        }
        if client == Client::GitHub {
            // DoltHub names no author: GitHub's placeholder user.
            assert_eq!(v["author"]["login"], "ghost", "{v:#}");
            // Its API URLs name it too.
            assert_eq!(
                v["author"]["url"],
                json!(format!("{}/users/ghost", f.gw.url))
            );
            assert_eq!(
                v["author"]["followers_url"],
                json!(format!("{}/users/ghost/followers", f.gw.url))
            );
            assert_eq!(v["author"]["node_id"], "U_10137");
        }
        if client.ids() {
            let id = v["id"].as_u64().expect("a numeric id");
            let by_id = f.release(&f.get(&format!("{}/{id}", f.base())).await, 200);
            assert_eq!(by_id, v, "by id and by tag differ");
            ids.push(id);
        }
    }
    if client.ids() {
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SEED.len(), "ids are distinct");
    }
    // An unknown tag is the dialect's 404.
    let missing = f.get(&f.tag_url("v0.0.0")).await;
    f.error(&missing, 404);

    // Latest, where the dialect has a route for it: the one published last.
    if let Some(url) = f.latest_url() {
        let v = f.release(&f.get(&url).await, 200);
        assert_eq!(v[tag_key], SEED[0].0, "{v:#}");
    }

    // Create: the release is then in the list.
    let body = f.create_body("v3.0.0", "Three", "The third.");
    let made = f.release(&f.send("POST", &f.create_url(), Some(&body)).await, 201);
    assert_eq!(made[tag_key], "v3.0.0", "{made:#}");
    if let Some((title_key, notes_key)) = client.text_keys() {
        assert_eq!(
            (&made[title_key], &made[notes_key]),
            (&json!("Three"), &json!("The third."))
        );
    }
    if client == Client::GitHub {
        assert_eq!(
            made["url"]
                .as_str()
                .map(|u| format!("{}/{}", f.base(), made["id"]) == u),
            Some(true),
            "{made:#}"
        );
    }
    let read = f.release(&f.get(&f.tag_url("v3.0.0")).await, 200);
    assert_eq!(read[tag_key], "v3.0.0");
    let mut listed = f.walk(1).await;
    assert_eq!(
        listed.iter().filter(|t| *t == "v3.0.0").count(),
        1,
        "{listed:?}"
    );
    // Where it sorts depends on the clock (it is made now); the seed's
    // releases keep their order.
    listed.retain(|t| t != "v3.0.0");
    assert_eq!(listed, seed_tags());

    // The same tag again.
    let again = f.send("POST", &f.create_url(), Some(&body)).await;
    match client {
        Client::GitHub => {
            f.error(&again, 422);
            let v = again.json();
            assert_eq!(
                (&v["errors"][0]["code"], &v["errors"][0]["field"]),
                (&json!("already_exists"), &json!("tag_name")),
                "{v:#}"
            );
        }
        Client::GitLab | Client::Gitea => {
            f.error(&again, 409);
        }
        // Sentry's create is idempotent: 208 with the release that is there.
        Client::Sentry => {
            let v = f.release(&again, 208);
            assert_eq!((&v["version"], &v["id"]), (&made["version"], &made["id"]));
        }
    }

    // What DoltHub cannot do: 501 with the mapping's reason, nothing changed.
    let id = made["id"].as_u64();
    let edit = match client {
        Client::GitHub | Client::Gitea => ("PATCH", json!({"name": "renamed"})),
        Client::GitLab => ("PUT", json!({"name": "renamed"})),
        Client::Sentry => ("PUT", json!({"dateReleased": "2026-11-01T00:00:00Z"})),
    };
    let url = f.write_url("v3.0.0", id);
    let r = f.send(edit.0, &url, Some(&edit.1)).await;
    f.refused(&r, &unsupported("update"));
    let r = f.send("DELETE", &url, None).await;
    f.refused(&r, &unsupported("delete"));
    if client == Client::Gitea {
        let r = f.send("DELETE", &f.tag_url("v3.0.0"), None).await;
        f.refused(&r, &unsupported("delete"));
    }
    let after = f.release(&f.get(&f.tag_url("v3.0.0")).await, 200);
    assert_eq!(after, read, "the refused writes changed the release");
    match client {
        Client::GitHub | Client::Gitea => {
            let draft = f
                .send(
                    "POST",
                    &f.create_url(),
                    Some(&json!({"tag_name": "v4.0.0", "draft": true})),
                )
                .await;
            f.refused(&draft, &refusal("draft"));
        }
        Client::GitLab => {
            let links = json!({"tag_name": "v4.0.0", "assets": {"links": [
                {"name": "bin", "url": "https://downloads.invalid/bin"}
            ]}});
            let r = f.send("POST", &f.create_url(), Some(&links)).await;
            f.refused(&r, &refusal("assets"));
        }
        // A Sentry create has neither a draft flag nor assets.
        Client::Sentry => {}
    }
    if client == Client::GitHub {
        let id = id.expect("an id");
        let r = f.get(&format!("{}/{id}/assets", f.base())).await;
        f.refused(&r, &unsupported("assets"));
    }
    assert_eq!(f.get(&f.tag_url("v4.0.0")).await.status, 404);
    let mut listed = f.walk(1).await;
    listed.retain(|t| t != "v3.0.0");
    assert_eq!(listed, seed_tags(), "the refusals changed the list");
}

#[tokio::test]
async fn github_client_in_front_of_dolthub() {
    client_in_front_of_dolthub(Client::GitHub).await;
}

#[tokio::test]
async fn gitlab_client_in_front_of_dolthub() {
    client_in_front_of_dolthub(Client::GitLab).await;
}

#[tokio::test]
async fn gitea_client_in_front_of_dolthub() {
    client_in_front_of_dolthub(Client::Gitea).await;
}

#[tokio::test]
async fn sentry_client_in_front_of_dolthub() {
    client_in_front_of_dolthub(Client::Sentry).await;
}

/// 45 releases in DoltHub, walked 10 a page asked: every one once, newest
/// first (the simulated DoltHub's own pages hold 20, where it pages).
async fn a_long_dolthub_list_walked(client: Client) {
    let (tags, dates) = numbered(45);
    let f = in_front_of_dolthub(client, &seed_of(&tags, &dates)).await;
    let want: Vec<String> = tags.iter().rev().cloned().collect();
    assert_eq!(f.walk(10).await, want, "{client:?}");
}

#[tokio::test]
async fn github_client_walks_a_long_dolthub_list() {
    a_long_dolthub_list_walked(Client::GitHub).await;
}

#[tokio::test]
async fn gitlab_client_walks_a_long_dolthub_list() {
    a_long_dolthub_list_walked(Client::GitLab).await;
}

#[tokio::test]
async fn gitea_client_walks_a_long_dolthub_list() {
    a_long_dolthub_list_walked(Client::Gitea).await;
}

#[tokio::test]
async fn sentry_client_walks_a_long_dolthub_list() {
    a_long_dolthub_list_walked(Client::Sentry).await;
}

// ------------------------------------------------------------ a DoltHub client

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upstream {
    GitHub,
    GitLab,
    Gitea,
    Sentry,
}

impl Upstream {
    fn name(self) -> &'static str {
        match self {
            Upstream::GitHub => "github",
            Upstream::GitLab => "gitlab",
            Upstream::Gitea => "gitea",
            Upstream::Sentry => "sentry",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Upstream::GitHub => "GitHub",
            Upstream::GitLab => "GitLab",
            Upstream::Gitea => "Gitea",
            Upstream::Sentry => "Sentry",
        }
    }

    /// Whether the upstream keeps a release's title and notes (Sentry has neither).
    fn keeps_text(self) -> bool {
        self != Upstream::Sentry
    }
}

const DOLTHUB_TOKEN: (&str, &str) = ("authorization", "token dolt-demo");
const DOLTHUB_LIST: &str = "/api/v1alpha1/demo/hello/releases";

/// A simulated `upstream` seeded with `seed`, and the gateway in front of it
/// accepting DoltHub clients.
async fn dolthub_client_of(
    upstream: Upstream,
    seed: &[SeedRelease<'_>],
) -> (TestGateway, tokio::task::JoinHandle<()>) {
    let dialect = support::gateway::mappings()
        .get(upstream.name())
        .expect("the upstream's mapping")
        .clone();
    let (addr, task) = Sim::start(dialect, 0, sim::DEMO_PROJECT, seed)
        .await
        .expect("the simulated forge starts");
    let gw =
        TestGateway::start_pair("dolthub", upstream.name(), &format!("http://{addr}"), "").await;
    (gw, task)
}

async fn dolthub_call(gw: &TestGateway, method: &str, path: &str, body: &str) -> Resp {
    let mut headers = vec![DOLTHUB_TOKEN];
    if !body.is_empty() {
        headers.push(("content-type", "application/json"));
    }
    call(method, &format!("{}{path}", gw.url), &headers, body).await
}

/// A DoltHub error: `status` and the error schema; its message.
fn dolthub_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", show(r));
    let v = r.json();
    valid("DoltHub error", schema::dolthub_error(&v), &v);
    v["message"].as_str().unwrap_or_default().to_owned()
}

/// The list as a DoltHub client reads it: `GET` the list, then again with
/// `?next_page_token=…` for as long as an answer names a non-empty token (the
/// seed's list parameter). Every answer is 200 without `Link`, its envelope
/// names the database, and it passes `dolthub_release_list`. Returns the releases and the number of answers.
async fn dolthub_list(gw: &TestGateway) -> (Vec<Value>, usize) {
    let mut path = DOLTHUB_LIST.to_owned();
    let mut releases = Vec::new();
    let mut answers = 0;
    loop {
        answers += 1;
        assert!(answers <= 50, "the list does not end: {path}");
        schema::dolthub_path("GET", &path).unwrap_or_else(|e| panic!("{e}"));
        let r = dolthub_call(gw, "GET", &path, "").await;
        assert_eq!(r.status, 200, "{path}: {}", show(&r));
        assert_eq!(r.header("link"), None, "{path}: DoltHub pages by no Link");
        let v = r.json();
        valid(&path, schema::dolthub_release_list(&v), &v);
        assert_eq!(
            (&v["status"], &v["database_owner"], &v["database_name"]),
            (&json!("Success"), &json!("demo"), &json!("hello")),
            "{v:#}"
        );
        releases.extend(v["releases"].as_array().expect("releases").iter().cloned());
        match v["next_page_token"].as_str().filter(|t| !t.is_empty()) {
            Some(token) => {
                let token: String = token
                    .bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                path = format!("{DOLTHUB_LIST}?next_page_token={token}");
            }
            None => return (releases, answers),
        }
    }
}

fn tags_of(releases: &[Value]) -> Vec<String> {
    releases
        .iter()
        .map(|r| r["release_tag"].as_str().expect("release_tag").to_owned())
        .collect()
}

async fn dolthub_client_in_front_of(upstream: Upstream) {
    let (gw, _sim) = dolthub_client_of(upstream, &sim::demo_seed()).await;

    // The whole list in one answer.
    let (releases, answers) = dolthub_list(&gw).await;
    assert_eq!(answers, 1, "the seed's releases come in one answer");
    assert_eq!(tags_of(&releases), seed_tags());
    for (r, (tag, title, notes, published)) in releases.iter().zip(SEED) {
        assert_eq!(r["release_tag"], tag);
        assert_eq!(r["release_created_at"], published, "{r:#}");
        assert!(r["release_commit_sha"].is_string(), "{r:#}");
        assert!(r["release_updated_at"].is_string(), "{r:#}");
        // Sentry keeps no title or notes: the tag, and none.
        let (title, notes) = if upstream.keeps_text() {
            (title, notes)
        } else {
            (tag, "")
        };
        assert_eq!(
            (&r["release_title"], &r["release_description"]),
            (&json!(title), &json!(notes))
        );
    }

    // Create under the seed's names.
    schema::dolthub_path("POST", DOLTHUB_LIST).unwrap_or_else(|e| panic!("{e}"));
    let seed_body = json!({
        "tag": "v3.0.0", "title": "Three", "commitSha": "main", "description": "The third."
    });
    let r = dolthub_call(&gw, "POST", DOLTHUB_LIST, &seed_body.to_string()).await;
    assert_eq!(r.status, 200, "{}", show(&r));
    let made = r.json();
    valid(
        "DoltHub create",
        schema::dolthub_created_release(&made),
        &made,
    );
    let want = if upstream.keeps_text() {
        ("Three", "The third.")
    } else {
        ("v3.0.0", "")
    };
    assert_eq!(
        (&made["release_title"], &made["release_description"]),
        (&json!(want.0), &json!(want.1)),
        "{made:#}"
    );
    assert_eq!(
        (
            &made["status"],
            &made["database_owner"],
            &made["database_name"],
            &made["release_tag"]
        ),
        (
            &json!("Success"),
            &json!("demo"),
            &json!("hello"),
            &json!("v3.0.0")
        ),
        "{made:#}"
    );

    // And under the spec's names.
    let spec_body = json!({
        "tagName": "v3.1.0", "tagMessage": "Three point one",
        "revisionType": "branch", "revisionName": "main"
    });
    let r = dolthub_call(&gw, "POST", DOLTHUB_LIST, &spec_body.to_string()).await;
    assert_eq!(r.status, 200, "{}", show(&r));
    let made = r.json();
    assert_eq!(made["release_tag"], "v3.1.0", "{made:#}");
    valid(
        "DoltHub create",
        schema::dolthub_created_release(&made),
        &made,
    );
    // No title: the tag (GitHub's `name` is null, GitLab and Gitea give the
    // tag); Sentry keeps no notes.
    let notes = if upstream.keeps_text() {
        "Three point one"
    } else {
        ""
    };
    assert_eq!(
        (&made["release_title"], &made["release_description"]),
        (&json!("v3.1.0"), &json!(notes)),
        "{made:#}"
    );

    // A duplicate: DoltHub's one error status.
    let r = dolthub_call(&gw, "POST", DOLTHUB_LIST, &seed_body.to_string()).await;
    let msg = dolthub_error(&r, 400);
    assert!(msg.contains(upstream.title()), "{msg}");
    // Both new releases are listed once, the seed's after them in order.
    let (releases, _) = dolthub_list(&gw).await;
    let mut tags = tags_of(&releases);
    for t in ["v3.0.0", "v3.1.0"] {
        assert_eq!(tags.iter().filter(|x| *x == t).count(), 1, "{t}: {tags:?}");
    }
    tags.retain(|t| !t.starts_with("v3."));
    assert_eq!(tags, seed_tags());

    // Malformed JSON, and a body without a tag.
    let r = dolthub_call(&gw, "POST", DOLTHUB_LIST, r#"{"tag":"#).await;
    let msg = dolthub_error(&r, 400);
    assert!(msg.contains("JSON"), "{msg}");
    let r = dolthub_call(&gw, "POST", DOLTHUB_LIST, r#"{"title":"no tag"}"#).await;
    let msg = dolthub_error(&r, 400);
    assert!(msg.contains("tag"), "{msg}");

    // A release by tag is no DoltHub route.
    let one = "/api/v1alpha1/demo/hello/releases/v1.0.0";
    assert!(schema::dolthub_path("GET", one).is_err());
    let r = dolthub_call(&gw, "GET", one, "").await;
    dolthub_error(&r, 404);
    assert_eq!(dolthub_list(&gw).await.0.len(), 5);
}

#[tokio::test]
async fn dolthub_client_in_front_of_github() {
    dolthub_client_in_front_of(Upstream::GitHub).await;
}

#[tokio::test]
async fn dolthub_client_in_front_of_gitlab() {
    dolthub_client_in_front_of(Upstream::GitLab).await;
}

#[tokio::test]
async fn dolthub_client_in_front_of_gitea() {
    dolthub_client_in_front_of(Upstream::Gitea).await;
}

#[tokio::test]
async fn dolthub_client_in_front_of_sentry() {
    dolthub_client_in_front_of(Upstream::Sentry).await;
}

/// 250 releases: more than one page of each upstream at its largest (GitHub,
/// GitLab and Sentry 100, Gitea 50; the simulated forge clamps a page to its
/// mapping's maximum, as the forge does), so the gateway must walk several
/// upstream pages whatever size it asks. `r0249`, published last, comes first.
const MANY: usize = 250;

async fn many_releases_arrive_once_each_in_order(upstream: Upstream) {
    let (tags, dates) = numbered(MANY);
    let (gw, _sim) = dolthub_client_of(upstream, &seed_of(&tags, &dates)).await;
    let (releases, answers) = dolthub_list(&gw).await;
    eprintln!("{upstream:?}: {MANY} releases in {answers} DoltHub answer(s)");
    let want: Vec<String> = tags.iter().rev().cloned().collect();
    assert_eq!(tags_of(&releases), want, "{upstream:?}");
    let mut once = tags_of(&releases);
    once.sort();
    once.dedup();
    assert_eq!(once.len(), MANY);
}

#[tokio::test]
async fn many_releases_from_github() {
    many_releases_arrive_once_each_in_order(Upstream::GitHub).await;
}

#[tokio::test]
async fn many_releases_from_gitlab() {
    many_releases_arrive_once_each_in_order(Upstream::GitLab).await;
}

#[tokio::test]
async fn many_releases_from_gitea() {
    many_releases_arrive_once_each_in_order(Upstream::Gitea).await;
}

#[tokio::test]
async fn many_releases_from_sentry() {
    many_releases_arrive_once_each_in_order(Upstream::Sentry).await;
}

// ------------------------------------------------------------ what DoltHub is sent

#[tokio::test]
async fn a_dolthub_upstream_is_sent_spec_paths_and_both_documents_create_bodies() {
    let release = json!({
        "release_tag": "v1", "release_title": "my-release-v1",
        "release_description": "First version of the database",
        "release_commit_sha": "1234567890",
        "release_created_at": "2023-03-31T18:00:00Z",
        "release_updated_at": "2023-03-31T18:00:00Z"
    });
    let mut created = release.clone();
    created["status"] = json!("Success");
    created["database_owner"] = json!("demo");
    created["database_name"] = json!("hello");
    let list = json!({
        "status": "Success", "database_owner": "demo", "database_name": "hello",
        "releases": [release]
    });
    valid("fake list", schema::dolthub_release_list(&list), &list);
    valid(
        "fake create",
        schema::dolthub_created_release(&created),
        &created,
    );
    let fake = FakeUpstream::builder()
        .route("GET", DOLTHUB_LIST, Reply::json(200, &list))
        .route("POST", DOLTHUB_LIST, Reply::json(200, &created))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "dolthub", &fake.url(), "").await;
    let token = [("Authorization", "token ghp-demo")];
    let base = format!("{}/repos/demo/hello/releases", gw.url);
    let r = call("GET", &format!("{base}?per_page=1"), &token, "").await;
    assert_eq!(r.status, 200, "{}", show(&r));
    valid(
        "github list",
        schema::github_release_list(&r.json()),
        &r.json(),
    );
    let r = call("GET", &format!("{base}/tags/v1"), &token, "").await;
    assert_eq!(r.status, 200, "{}", show(&r));
    let r = call(
        "POST",
        &base,
        &token,
        r#"{"tag_name":"v1","name":"my-release-v1","body":"First version of the database"}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", show(&r));
    valid(
        "github create",
        schema::github_release(&r.json()),
        &r.json(),
    );
    assert_eq!(r.json()["tag_name"], "v1");

    let seen = fake.requests_checked(
        schema::dolthub_path,
        "authorization",
        &["token ghp-demo"],
        &["private-token"],
    );
    let asked = calls(&seen);
    assert_eq!(
        asked,
        [
            ("GET", DOLTHUB_LIST),
            ("GET", DOLTHUB_LIST),
            ("POST", DOLTHUB_LIST)
        ]
    );
    let body = seen[2].json();
    valid(
        "the create sent",
        schema::dolthub_create_request(&body),
        &body,
    );
    assert_eq!(
        (&body["tag"], &body["tagName"], &body["title"]),
        (&json!("v1"), &json!("v1"), &json!("my-release-v1"))
    );
    assert_eq!(
        (&body["description"], &body["tagMessage"]),
        (
            &json!("First version of the database"),
            &json!("First version of the database")
        )
    );
}
