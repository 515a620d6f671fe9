//! One project (a repository), as clients read it before they address its releases
//! (PyGithub's `get_repo`, python-gitlab's `projects.get`, goreleaser's default branch):
//! the `project` route of each mapping, across dialects, against fake forges. The
//! upstream answers are built with the members each forge documents for its project
//! (GitHub's "Get a repository", GitLab's "Get a single project", Gitea's
//! `Repository`); the seeds hold no project example.

mod support;
use serde_json::{json, Value};
use support::fake::{calls, FakeBuilder, FakeUpstream, Recorded, Reply};
use support::gateway::{call, mappings_edited, Resp, TestGateway};

/// GitLab's answer for project `diaspora/diaspora-project-site`, with `visibility` and
/// the namespace's `kind` as given.
fn gitlab_project(visibility: &str, kind: &str) -> Value {
    json!({
        "id": 3,
        "description": "Lorem ipsum dolor sit amet",
        "name": "Diaspora Project Site",
        "name_with_namespace": "Diaspora / Diaspora Project Site",
        "path": "diaspora-project-site",
        "path_with_namespace": "diaspora/diaspora-project-site",
        "created_at": "2013-09-30T13:46:02Z",
        "default_branch": "develop",
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": "git@example.com:diaspora/diaspora-project-site.git",
        "http_url_to_repo": "http://example.com/diaspora/diaspora-project-site.git",
        "web_url": "http://example.com/diaspora/diaspora-project-site",
        "readme_url": "http://example.com/diaspora/diaspora-project-site/blob/main/README.md",
        "avatar_url": null,
        "forks_count": 0,
        "star_count": 0,
        "last_activity_at": "2013-09-30T13:46:02Z",
        "namespace": {
            "id": 3,
            "name": "Diaspora",
            "path": "diaspora",
            "kind": kind,
            "full_path": "diaspora",
            "avatar_url": "http://localhost:3000/uploads/group/avatar/3/foo.jpg",
            "web_url": "http://localhost:3000/groups/diaspora"
        },
        "visibility": visibility,
        "archived": false,
        "empty_repo": false,
        "_links": {
            "self": "http://example.com/api/v4/projects",
            "releases": "http://example.com/api/v4/projects/3/releases"
        },
        "permissions": {
            "project_access": { "access_level": 10, "notification_level": 3 },
            "group_access": { "access_level": 50, "notification_level": 3 }
        }
    })
}

/// GitHub's answer for `octocat/Hello-World`, with `private`, `visibility` and the
/// owner's `type` as given.
fn github_repository(private: bool, visibility: &str, owner_type: &str) -> Value {
    json!({
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": "Hello-World",
        "full_name": "octocat/Hello-World",
        "owner": {
            "login": "octocat",
            "id": 1,
            "node_id": "MDQ6VXNlcjE=",
            "avatar_url": "https://github.com/images/error/octocat_happy.gif",
            "gravatar_id": "",
            "url": "https://api.github.com/users/octocat",
            "html_url": "https://github.com/octocat",
            "type": owner_type,
            "site_admin": false
        },
        "private": private,
        "html_url": "https://github.com/octocat/Hello-World",
        "description": "This your first repo!",
        "fork": false,
        "url": "https://api.github.com/repos/octocat/Hello-World",
        "releases_url": "https://api.github.com/repos/octocat/Hello-World/releases{/id}",
        "clone_url": "https://github.com/octocat/Hello-World.git",
        "ssh_url": "git@github.com:octocat/Hello-World.git",
        "default_branch": "master",
        "visibility": visibility,
        "archived": false,
        "disabled": false,
        "pushed_at": "2011-01-26T19:06:43Z",
        "created_at": "2011-01-26T19:01:12Z",
        "updated_at": "2011-01-26T19:14:43Z",
        "permissions": { "admin": false, "push": false, "pull": true }
    })
}

/// The one request the upstream saw, with the client's token in `header` (and no
/// other credential header).
fn one_request(fake: &FakeUpstream, header: &str, token: &str) -> Recorded {
    let seen = fake.requests();
    assert_eq!(seen.len(), 1, "{:?}", calls(&seen));
    let r = seen.into_iter().next().expect("one request");
    assert_eq!(r.method, "GET");
    assert_eq!(r.header_all(header), [token], "{header}");
    for other in ["private-token", "authorization"] {
        if other != header {
            assert_eq!(r.header(other), None, "{other}");
        }
    }
    r
}

async fn get_with(gw: &TestGateway, path: &str, header: (&str, &str)) -> Resp {
    call("GET", &format!("{}{path}", gw.url), &[header], "").await
}

/// A fake `upstream` answering GET `upstream_path` with `answer`, a gateway
/// between it and `client` (with `config`), and the client's GET of `path` with
/// its credential `header`.
async fn ask(
    (client, upstream, config): (&str, &str, &str),
    upstream_path: &str,
    answer: &Value,
    path: &str,
    header: (&str, &str),
) -> (FakeUpstream, TestGateway, Resp) {
    let fake = FakeUpstream::builder()
        .route("GET", upstream_path, Reply::json(200, answer))
        .start()
        .await;
    let gw = TestGateway::start_pair(client, upstream, &fake.url(), config).await;
    let r = get_with(&gw, path, header).await;
    (fake, gw, r)
}

fn assert_members(v: &Value, want: &[(&str, Value)]) {
    for (pointer, value) in want {
        assert_eq!(v.pointer(pointer), Some(value), "{pointer} in {v:#}");
    }
}

// ------------------------------------------------------------- GitHub client

#[tokio::test]
async fn github_client_reads_a_gitlab_project_as_a_repository() {
    let (fake, gw, r) = ask(
        ("github", "gitlab", ""),
        "/api/v4/projects/diaspora%2Fdiaspora-project-site",
        &gitlab_project("internal", "group"),
        "/repos/diaspora/diaspora-project-site",
        ("Authorization", "token glpat-secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let api = &gw.url;
    assert_members(
        &v,
        &[
            ("/id", json!(3)),
            ("/node_id", json!("R_3")),
            ("/name", json!("diaspora-project-site")),
            ("/full_name", json!("diaspora/diaspora-project-site")),
            ("/owner/login", json!("diaspora")),
            ("/owner/id", json!(3)),
            ("/owner/type", json!("Organization")),
            ("/owner/url", json!(format!("{api}/users/diaspora"))),
            (
                "/owner/avatar_url",
                json!("http://localhost:3000/uploads/group/avatar/3/foo.jpg"),
            ),
            // GitLab's "internal" is not public.
            ("/private", json!(true)),
            ("/visibility", json!("private")),
            (
                "/html_url",
                json!("http://example.com/diaspora/diaspora-project-site"),
            ),
            ("/description", json!("Lorem ipsum dolor sit amet")),
            (
                "/url",
                json!(format!("{api}/repos/diaspora/diaspora-project-site")),
            ),
            (
                "/clone_url",
                json!("http://example.com/diaspora/diaspora-project-site.git"),
            ),
            (
                "/ssh_url",
                json!("git@example.com:diaspora/diaspora-project-site.git"),
            ),
            ("/default_branch", json!("develop")),
            ("/archived", json!(false)),
            ("/created_at", json!("2013-09-30T13:46:02Z")),
            ("/updated_at", json!("2013-09-30T13:46:02Z")),
        ],
    );
    // GitLab's permissions and counts are not GitHub's: not written.
    assert_eq!(v.get("permissions"), None);
    let seen = one_request(&fake, "private-token", "glpat-secret");
    assert_eq!(
        seen.path_and_query,
        "/api/v4/projects/diaspora%2Fdiaspora-project-site"
    );
}

#[tokio::test]
async fn github_client_reads_public_projects_and_user_namespaces() {
    let (_fake, _gw, r) = ask(
        ("github", "gitlab", ""),
        "/api/v4/projects/diaspora%2Fdiaspora-project-site",
        &gitlab_project("public", "user"),
        "/repos/diaspora/diaspora-project-site",
        ("Authorization", "token glpat-secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/private", json!(false)),
            ("/visibility", json!("public")),
            ("/owner/type", json!("User")),
        ],
    );
}

/// The client's names are the client's: a project `[projects]` maps to a nested
/// GitLab path is asked for by that path (one encoded segment), and answered with
/// the names the client used.
#[tokio::test]
async fn github_client_names_stay_its_own_through_projects_config() {
    let config = "[projects]\n\"acme/site\" = \"group/sub/site\"\n";
    let (fake, gw, r) = ask(
        ("github", "gitlab", config),
        "/api/v4/projects/group%2Fsub%2Fsite",
        &gitlab_project("private", "group"),
        "/repos/acme/site",
        ("Authorization", "token glpat-secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let api = &gw.url;
    assert_members(
        &r.json(),
        &[
            ("/name", json!("site")),
            ("/full_name", json!("acme/site")),
            ("/owner/login", json!("acme")),
            ("/url", json!(format!("{api}/repos/acme/site"))),
            ("/private", json!(true)),
        ],
    );
    let seen = one_request(&fake, "private-token", "glpat-secret");
    assert_eq!(seen.path_and_query, "/api/v4/projects/group%2Fsub%2Fsite");
}

#[tokio::test]
async fn a_visibility_the_mapping_does_not_name_is_a_bad_upstream_answer() {
    let (_fake, _gw, r) = ask(
        ("github", "gitlab", ""),
        "/api/v4/projects/diaspora%2Fsite",
        &gitlab_project("secret", "group"),
        "/repos/diaspora/site",
        ("Authorization", "token t"),
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(
        r.json()["message"],
        "the upstream (GitLab) answered project with `visibility` = \"secret\", which its \
         mapping does not name (it names \"public\", \"private\", \"internal\")"
    );
}

#[tokio::test]
async fn a_project_without_its_id_is_a_bad_upstream_answer() {
    let mut p = gitlab_project("public", "user");
    p.as_object_mut().map(|o| o.remove("id"));
    let (_fake, _gw, r) = ask(
        ("github", "gitlab", ""),
        "/api/v4/projects/diaspora%2Fsite",
        &p,
        "/repos/diaspora/site",
        ("Authorization", "token t"),
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(
        r.json()["message"],
        "the upstream (GitLab) answered project with project `?`, whose `id` is missing"
    );
}

#[tokio::test]
async fn an_unknown_project_is_the_clients_404() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/diaspora%2Fnone",
            Reply::json(404, &json!({"message": "404 Project Not Found"})),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitlab", &fake.url(), "").await;
    let r = get_with(&gw, "/repos/diaspora/none", ("Authorization", "token t")).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["message"], "Not Found");
}

/// Forges without a project to describe refuse, in the client's dialect, and are
/// asked nothing.
#[tokio::test]
async fn forges_without_a_project_refuse_before_asking() {
    for (upstream, why) in [
        ("sentry", "a Sentry project tracks an application's errors"),
        (
            "dolthub",
            "DoltHub's API documents no read of a database's description",
        ),
    ] {
        let fake = FakeUpstream::builder().start().await;
        let gw = TestGateway::start_pair("github,gitlab", upstream, &fake.url(), "").await;
        let r = get_with(&gw, "/repos/acme/site", ("Authorization", "token t")).await;
        assert_eq!(r.status, 501, "{upstream}: {}", r.text());
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            msg.contains("has no `project` operation") && msg.contains(why),
            "{upstream}: {msg}"
        );
        let r = get_with(&gw, "/api/v4/projects/acme%2Fsite", ("PRIVATE-TOKEN", "t")).await;
        assert_eq!(r.status, 501, "{upstream}: {}", r.text());
        assert!(r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains(why)));
        // A repository by its number: nothing to find it by.
        let r = get_with(&gw, "/repositories/3", ("Authorization", "token t")).await;
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert_eq!(r.status, 501, "{upstream}: {msg}");
        assert!(
            msg.contains("has no `project_by_id` operation"),
            "{upstream}: {msg}"
        );
        // A GitLab client's project by number: the number names nothing
        // there, and `[projects]` may map it.
        let r = get_with(&gw, "/api/v4/projects/3/releases", ("PRIVATE-TOKEN", "t")).await;
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert_eq!(r.status, 404, "{upstream}: {msg}");
        assert!(
            msg.contains("map it to one in the gateway's [projects]"),
            "{upstream}: {msg}"
        );
        assert_eq!(fake.request_count(), 0, "{upstream}");
    }
}

// ------------------------------------------------------------- GitLab client

#[tokio::test]
async fn gitlab_client_reads_a_github_repository_as_a_project() {
    let (fake, gw, r) = ask(
        ("gitlab", "github", ""),
        "/repos/octocat/Hello-World",
        &github_repository(true, "internal", "Organization"),
        "/api/v4/projects/octocat%2FHello-World",
        ("PRIVATE-TOKEN", "ghp_secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_members(
        &v,
        &[
            ("/id", json!(1296269)),
            ("/name", json!("Hello-World")),
            ("/path", json!("Hello-World")),
            ("/path_with_namespace", json!("octocat/Hello-World")),
            ("/description", json!("This your first repo!")),
            ("/default_branch", json!("master")),
            ("/web_url", json!("https://github.com/octocat/Hello-World")),
            (
                "/http_url_to_repo",
                json!("https://github.com/octocat/Hello-World.git"),
            ),
            (
                "/ssh_url_to_repo",
                json!("git@github.com:octocat/Hello-World.git"),
            ),
            // The first of GitLab's words for a project that is not public.
            ("/visibility", json!("private")),
            ("/archived", json!(false)),
            ("/created_at", json!("2011-01-26T19:01:12Z")),
            ("/last_activity_at", json!("2011-01-26T19:14:43Z")),
            ("/namespace/id", json!(1)),
            ("/namespace/full_path", json!("octocat")),
            ("/namespace/kind", json!("group")),
            ("/namespace/web_url", json!("https://github.com/octocat")),
            (
                "/_links/self",
                json!(format!("{}/api/v4/projects/octocat%2FHello-World", gw.url)),
            ),
        ],
    );
    let seen = one_request(&fake, "authorization", "Bearer ghp_secret");
    assert_eq!(seen.path_and_query, "/repos/octocat/Hello-World");
}

/// A GitHub fake serving `octocat/Hello-World` (public, a user's) by its path and
/// by its number, and its releases (none).
fn hello_world() -> FakeBuilder {
    let repo = github_repository(false, "public", "User");
    FakeUpstream::builder()
        .route("GET", "/repositories/1296269", Reply::json(200, &repo))
        .route("GET", "/repos/octocat/Hello-World", Reply::json(200, &repo))
        .route(
            "GET",
            "/repos/octocat/Hello-World/releases",
            Reply::json(200, &json!([])),
        )
}

/// python-gitlab's default: `projects.get` reads the project, and its releases are
/// then asked by the project's numeric id. In front of a forge that addresses
/// projects by path, that id is the one the gateway gave when the project was read:
/// nothing more is asked.
#[tokio::test]
async fn gitlab_client_addresses_a_project_read_by_path_by_its_id() {
    let fake = hello_world().start().await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let token = ("PRIVATE-TOKEN", "ghp_secret");
    let r = get_with(&gw, "/api/v4/projects/octocat%2FHello-World", token).await;
    assert_eq!(r.json()["id"], json!(1296269));
    let r = get_with(&gw, "/api/v4/projects/1296269/releases", token).await;
    assert_eq!((r.status, r.json()), (200, json!([])), "{}", r.text());
    assert_eq!(
        calls(&fake.requests()),
        [
            ("GET", "/repos/octocat/Hello-World"),
            (
                "GET",
                "/repos/octocat/Hello-World/releases?page=1&per_page=20"
            ),
        ]
    );
}

/// A number the gateway did not give (it restarted, or another replica gave it:
/// CI scripts keep a project's number) is asked of the upstream once, as GitHub
/// serves a repository by its number (`GET /repositories/{id}`, with the client's
/// credential); the path in its answer addresses the request, and the number is
/// known from then on.
#[tokio::test]
async fn gitlab_client_addresses_a_project_by_a_number_the_gateway_never_gave() {
    let fake = hello_world().start().await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let token = ("PRIVATE-TOKEN", "ghp_secret");
    for _ in 0..2 {
        let r = get_with(&gw, "/api/v4/projects/1296269/releases", token).await;
        assert_eq!((r.status, r.json()), (200, json!([])), "{}", r.text());
    }
    let seen = fake.requests();
    assert_eq!(
        calls(&seen),
        [
            ("GET", "/repositories/1296269"),
            (
                "GET",
                "/repos/octocat/Hello-World/releases?page=1&per_page=20"
            ),
            (
                "GET",
                "/repos/octocat/Hello-World/releases?page=1&per_page=20"
            ),
        ]
    );
    assert_eq!(seen[0].header("authorization"), Some("Bearer ghp_secret"));
    // The project itself, by that number: its path is the one GitHub gave.
    let r = get_with(&gw, "/api/v4/projects/1296269", token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/id", json!(1296269)),
            ("/path_with_namespace", json!("octocat/Hello-World")),
            ("/namespace/full_path", json!("octocat")),
            (
                "/_links/self",
                json!(format!("{}/api/v4/projects/octocat%2FHello-World", gw.url)),
            ),
        ],
    );
    assert_eq!(
        fake.requests()[3].path_and_query,
        "/repos/octocat/Hello-World"
    );
    // Read first by that number (another replica): the lookup's answer is the
    // project, nothing more is asked.
    let fresh = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let r = get_with(&fresh, "/api/v4/projects/1296269", token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["path_with_namespace"],
        json!("octocat/Hello-World")
    );
    assert_eq!(fake.requests()[4].path_and_query, "/repositories/1296269");
    assert_eq!(fake.request_count(), 5);
}

/// A number the upstream does not know is its 404, as GitLab answers one, and
/// nothing else is asked; an answer that names no path is the upstream's fault.
#[tokio::test]
async fn a_project_number_the_upstream_does_not_know_is_the_clients_404() {
    let mut nameless = github_repository(false, "public", "User");
    nameless.as_object_mut().unwrap().remove("full_name");
    let fake = FakeUpstream::builder()
        .route("GET", "/repositories/7", Reply::json(200, &nameless))
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "github", &fake.url(), "").await;
    let token = ("PRIVATE-TOKEN", "ghp_secret");
    let r = get_with(&gw, "/api/v4/projects/1296270/releases", token).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.json()["message"].is_string(), "{}", r.text());
    assert_eq!(calls(&fake.requests()), [("GET", "/repositories/1296270")]);
    let r = get_with(&gw, "/api/v4/projects/7/releases", token).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.text()
            .contains("answered the lookup of project 7 with a project without its path"),
        "{}",
        r.text()
    );
    assert_eq!(fake.request_count(), 2);
}

/// PyGithub's `get_repo(1296269)` and octokit's `GET /repositories/{id}`: a GitHub
/// client reads a repository by its number. In front of GitLab, that is GitLab's
/// project by number (`/projects/{id}`, asked once); the repository is written
/// with the path GitLab gives, and its API URLs address it by that path.
#[tokio::test]
async fn github_client_reads_a_repository_by_its_number_in_front_of_gitlab() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/3",
            Reply::json(200, &gitlab_project("private", "group")),
        )
        .route(
            "GET",
            "/api/v4/projects/diaspora%2Fdiaspora-project-site/releases",
            Reply::json(200, &json!([])),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "gitlab", &fake.url(), "").await;
    let token = ("Authorization", "token glpat-secret");
    let r = get_with(&gw, "/repositories/3", token).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/id", json!(3)),
            ("/name", json!("diaspora-project-site")),
            ("/full_name", json!("diaspora/diaspora-project-site")),
            ("/owner/login", json!("diaspora")),
            ("/private", json!(true)),
            (
                "/url",
                json!(format!("{}/repos/diaspora/diaspora-project-site", gw.url)),
            ),
        ],
    );
    let seen = one_request(&fake, "private-token", "glpat-secret");
    assert_eq!(seen.path_and_query, "/api/v4/projects/3");
    // The repository's URL is what PyGithub follows next.
    let r = get_with(&gw, "/repos/diaspora/diaspora-project-site/releases", token).await;
    assert_eq!((r.status, r.json()), (200, json!([])), "{}", r.text());
    // Asked again by number, the path is known: the project is read by it.
    let r = get_with(&gw, "/repositories/3", token).await;
    assert_eq!(
        r.json()["full_name"],
        json!("diaspora/diaspora-project-site")
    );
    assert_eq!(fake.request_count(), 3);
    let last = fake.requests().pop().unwrap();
    assert_eq!(last.path_and_query, "/api/v4/projects/3");
    // A number GitLab does not know: GitHub's 404.
    let r = get_with(&gw, "/repositories/4", token).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["message"], json!("Not Found"));
}

/// Gitea serves a repository by its number too (`/api/v1/repositories/{id}`, the
/// SDK's `GetRepoByID`): a GitLab client's number is found there.
#[tokio::test]
async fn gitlab_client_addresses_a_gitea_repository_by_its_number() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/repositories/1296269",
            Reply::json(200, &github_repository(false, "public", "User")),
        )
        .route(
            "GET",
            "/api/v1/repos/octocat/Hello-World/releases",
            Reply::json(200, &json!([])),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitlab", "gitea", &fake.url(), "").await;
    let r = get_with(
        &gw,
        "/api/v4/projects/1296269/releases",
        ("PRIVATE-TOKEN", "gt"),
    )
    .await;
    assert_eq!((r.status, r.json()), (200, json!([])), "{}", r.text());
    let seen = fake.requests();
    assert_eq!(seen[0].path_and_query, "/api/v1/repositories/1296269");
    assert_eq!(seen[0].header("authorization"), Some("token gt"));
    assert!(
        seen[1]
            .path_and_query
            .starts_with("/api/v1/repos/octocat/Hello-World/releases?"),
        "{}",
        seen[1].path_and_query
    );
}

#[tokio::test]
async fn gitlab_client_reads_a_public_user_repository() {
    let (_fake, _gw, r) = ask(
        ("gitlab", "github", ""),
        "/repos/octocat/Hello-World",
        &github_repository(false, "public", "User"),
        "/api/v4/projects/octocat%2FHello-World",
        ("PRIVATE-TOKEN", "ghp_secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/visibility", json!("public")),
            ("/namespace/kind", json!("user")),
        ],
    );
}

// ------------------------------------------------------------- Gitea, and one dialect

#[tokio::test]
async fn gitea_client_reads_a_gitlab_project_as_a_repository() {
    let (_fake, gw, r) = ask(
        ("gitea", "gitlab", ""),
        "/api/v4/projects/diaspora%2Fdiaspora-project-site",
        &gitlab_project("private", "group"),
        "/api/v1/repos/diaspora/diaspora-project-site",
        ("Authorization", "token t"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/id", json!(3)),
            ("/name", json!("diaspora-project-site")),
            ("/full_name", json!("diaspora/diaspora-project-site")),
            ("/owner/login", json!("diaspora")),
            ("/owner/id", json!(3)),
            ("/private", json!(true)),
            ("/internal", json!(false)),
            ("/default_branch", json!("develop")),
            (
                "/url",
                json!(format!(
                    "{}/api/v1/repos/diaspora/diaspora-project-site",
                    gw.url
                )),
            ),
        ],
    );
}

#[tokio::test]
async fn one_dialect_passes_the_project_through() {
    let body = github_repository(false, "public", "User");
    let fake = FakeUpstream::builder()
        .route("GET", "/repos/octocat/Hello-World", Reply::json(200, &body))
        .start()
        .await;
    let gw = TestGateway::start_pair("github", "github", &fake.url(), "").await;
    let r = get_with(
        &gw,
        "/repos/octocat/Hello-World",
        ("Authorization", "token ghp_secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // GitHub's own members, permissions included, as GitHub gave them.
    assert_eq!(r.json()["permissions"], body["permissions"]);
    assert_eq!(r.json()["default_branch"], "master");
    one_request(&fake, "authorization", "token ghp_secret");
}

/// A mapping may name a field's values in words of its own (`values`): written from
/// the canonical value, the first word that names it; a value no word names is
/// written as the field's default.
#[tokio::test]
async fn words_are_written_from_canonical_values() {
    let dir = mappings_edited("project-words", |file, text| {
        if file == "github.toml" {
            *text = text.replace(
                "visibility = { field = \"private\", values = { public = false, private = true, internal = true } }",
                "visibility = { field = \"private\", values = { internal = true, public = false }, default = \"unknown\" }\nsecrecy = { field = \"archived\", values = { kept = true } , default = \"none\" }",
            );
        }
    });
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v4/projects/diaspora%2Fsite",
            Reply::json(200, &gitlab_project("private", "group")),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair_in(dir.path(), "github", "gitlab", &fake.url(), "").await;
    let r = get_with(&gw, "/repos/diaspora/site", ("Authorization", "token t")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/visibility", json!("internal")),
            ("/secrecy", json!("none")),
        ],
    );
}

/// A repository found by its number whose path the config's `[projects]` maps is
/// named by its `[projects]` name, as when the client asks by that name.
#[tokio::test]
async fn a_repository_found_by_number_keeps_its_projects_name() {
    let config = "[projects]\n\"acme/site\" = \"diaspora/diaspora-project-site\"\n";
    let (fake, gw, r) = ask(
        ("github", "gitlab", config),
        "/api/v4/projects/3",
        &gitlab_project("public", "group"),
        "/repositories/3",
        ("Authorization", "token glpat-secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_members(
        &r.json(),
        &[
            ("/full_name", json!("acme/site")),
            ("/url", json!(format!("{}/repos/acme/site", gw.url))),
        ],
    );
    assert_eq!(fake.request_count(), 1);
}
