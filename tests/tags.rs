//! One git tag, by its name (the `tag` operation): whether it exists and the
//! commit it names, as octokit's `git.getRef`, PyGithub's `get_git_ref`,
//! python-gitlab's `project.tags.get` and Gitea's `GetTag` read it, and as gh's
//! `release create --verify-tag` asks it (through GraphQL: `tests/graphql.rs`).
//! The upstream answers are the examples GitHub ("Get a reference"), GitLab
//! ("Get a single repository tag") and Gitea (`Tag`) document; the seeds and
//! specs hold no tag document.

mod support;
use serde_json::{json, Value};
use support::fake::{calls, FakeUpstream, Reply};
use support::gateway::{call, Resp, TestGateway};

const SHA: &str = "60a8ff033665e1207714d6670fcd7b65304ec02f";

/// The tag object of an annotated tag.
const TAG_OBJECT: &str = "2f0b2f83ad6d1f2cb7e68d1a1b1e6c2b2c6e1a4d";

/// GitLab's answer for tag `tag`; an annotated one (with a message) names its
/// tag object as `target`, a lightweight one its commit.
fn gitlab_tag(tag: &str, message: Option<&str>) -> Value {
    json!({
        "name": tag,
        "message": message,
        "target": if message.is_some() { TAG_OBJECT } else { SHA },
        "commit": {
            "id": SHA,
            "short_id": "60a8ff03",
            "title": "Initial commit",
            "created_at": "2017-07-26T11:08:53.000+02:00",
            "parent_ids": ["f61c062ff8bcbdb00e0a1b3317a91aed6ceee06b"],
            "message": "v5.0.0\n",
            "author_name": "Arthur Verschaeve",
            "author_email": "contact@arthurverschaeve.be",
            "authored_date": "2015-02-01T21:56:31.000+01:00",
            "committer_name": "Arthur Verschaeve",
            "committer_email": "contact@arthurverschaeve.be",
            "committed_date": "2015-02-01T21:56:31.000+01:00"
        },
        "release": null,
        "protected": false,
        "created_at": null
    })
}

/// GitHub's answer for the reference `git_ref` of `octocat/Hello-World`.
fn github_ref(git_ref: &str) -> Value {
    json!({
        "ref": git_ref,
        "node_id": "MDM6UmVmcmVmcy9oZWFkcy9mZWF0dXJlQQ==",
        "url": format!("https://api.github.com/repos/octocat/Hello-World/git/{git_ref}"),
        "object": {
            "type": "commit",
            "sha": SHA,
            "url": format!("https://api.github.com/repos/octocat/Hello-World/git/commits/{SHA}")
        }
    })
}

/// A fake `upstream` answering GET `upstream_path` with `status` and `answer`, a
/// gateway between it and `client`, and the client's GET of `path`.
async fn ask(
    (client, upstream): (&str, &str),
    upstream_path: &str,
    (status, answer): (u16, &Value),
    path: &str,
    header: (&str, &str),
) -> (FakeUpstream, TestGateway, Resp) {
    let fake = FakeUpstream::builder()
        .route("GET", upstream_path, Reply::json(status, answer))
        .start()
        .await;
    let gw = TestGateway::start_pair(client, upstream, &fake.url(), "").await;
    let r = call("GET", &format!("{}{path}", gw.url), &[header], "").await;
    (fake, gw, r)
}

/// The upstream was asked `path` once, and nothing else.
fn asked(fake: &FakeUpstream, path: &str) {
    let seen = fake.requests();
    assert_eq!(calls(&seen), [("GET", path)]);
}

#[tokio::test]
async fn github_client_reads_a_gitlab_tag_as_its_git_reference() {
    // A tag with a slash: one encoded segment upstream, raw in GitHub's path.
    for path in [
        "/repos/diaspora/site/git/ref/tags/release/5.0",
        "/repos/diaspora/site/git/refs/tags/release/5.0",
    ] {
        let (fake, gw, r) = ask(
            ("github", "gitlab"),
            "/api/v4/projects/diaspora%2Fsite/repository/tags/release%2F5.0",
            (200, &gitlab_tag("release/5.0", Some("Release 5.0"))),
            path,
            ("Authorization", "token glpat-secret"),
        )
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        // The commit, not the tag object GitLab's `target` names.
        let api = &gw.url;
        assert_eq!(
            r.json(),
            json!({
                "ref": "refs/tags/release/5.0",
                "node_id": format!("REF_{SHA}"),
                "url": format!("{api}/repos/diaspora/site/git/refs/tags/release/5.0"),
                "object": {
                    "sha": SHA,
                    "type": "commit",
                    "url": format!("{api}/repos/diaspora/site/git/commits/{SHA}")
                }
            }),
            "{path}"
        );
        asked(
            &fake,
            "/api/v4/projects/diaspora%2Fsite/repository/tags/release%2F5.0",
        );
        let seen = fake.requests();
        assert_eq!(seen[0].header_all("private-token"), ["glpat-secret"]);
    }
}

#[tokio::test]
async fn gitlab_client_reads_a_github_reference_as_its_tag() {
    let (fake, _gw, r) = ask(
        ("gitlab", "github"),
        "/repos/octocat/Hello-World/git/ref/tags/v1.0.0",
        (200, &github_ref("refs/tags/v1.0.0")),
        "/api/v4/projects/octocat%2FHello-World/repository/tags/v1.0.0",
        ("PRIVATE-TOKEN", "ghp_secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        format!(
            r#"{{"name":"v1.0.0","message":null,"target":"{SHA}","commit":{{"id":"{SHA}"}},"release":null,"protected":false}}"#
        )
    );
    asked(&fake, "/repos/octocat/Hello-World/git/ref/tags/v1.0.0");
    assert_eq!(
        fake.requests()[0].header_all("authorization"),
        ["Bearer ghp_secret"]
    );
}

#[tokio::test]
async fn gitea_client_reads_a_gitlab_tag() {
    let (fake, gw, r) = ask(
        ("gitea", "gitlab"),
        "/api/v4/projects/diaspora%2Fsite/repository/tags/release%2F5.0",
        (200, &gitlab_tag("release/5.0", None)),
        "/api/v1/repos/diaspora/site/tags/release/5.0",
        ("Authorization", "token glpat-secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (api, up) = (format!("{}/api/v1", gw.url), fake.url());
    assert_eq!(
        r.json(),
        json!({
            "name": "release/5.0",
            // GitLab's lightweight tag has no message; Gitea says "".
            "message": "",
            "id": SHA,
            "commit": { "sha": SHA, "url": format!("{api}/repos/diaspora/site/git/commits/{SHA}") },
            "zipball_url": format!("{up}/diaspora/site/archive/release%2F5.0.zip"),
            "tarball_url": format!("{up}/diaspora/site/archive/release%2F5.0.tar.gz")
        })
    );
}

/// A reference the gateway did not ask for (a branch) is not a tag: GitHub's
/// `ref` must start with what the mapping's `prefix` names.
#[tokio::test]
async fn a_github_reference_that_is_no_tag_is_a_bad_upstream_answer() {
    let (_fake, _gw, r) = ask(
        ("gitlab", "github"),
        "/repos/octocat/Hello-World/git/ref/tags/v1.0.0",
        (200, &github_ref("refs/heads/featureA")),
        "/api/v4/projects/octocat%2FHello-World/repository/tags/v1.0.0",
        ("PRIVATE-TOKEN", "t"),
    )
    .await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(
        r.json()["message"],
        "the upstream (GitHub) answered tag with `ref` = \"refs/heads/featureA\", which does \
         not start \"refs/tags/\" as its mapping says"
    );
}

#[tokio::test]
async fn an_unknown_tag_is_the_clients_404() {
    let (_fake, _gw, r) = ask(
        ("github", "gitlab"),
        "/api/v4/projects/diaspora%2Fsite/repository/tags/v9",
        (404, &json!({"message": "404 Tag Not Found"})),
        "/repos/diaspora/site/git/ref/tags/v9",
        ("Authorization", "token t"),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["message"], "Not Found");
}

/// Forges without tags to read refuse, in the client's dialect, and are asked nothing.
#[tokio::test]
async fn forges_without_tags_refuse_before_asking() {
    for (upstream, why) in [
        (
            "sentry",
            "Sentry names a release by its version and keeps no git tags",
        ),
        (
            "dolthub",
            "DoltHub's API documents no read of a database's tags",
        ),
    ] {
        let fake = FakeUpstream::builder().start().await;
        let gw = TestGateway::start_pair("github", upstream, &fake.url(), "").await;
        let r = call(
            "GET",
            &format!("{}/repos/acme/site/git/ref/tags/v1", gw.url),
            &[("Authorization", "token t")],
            "",
        )
        .await;
        assert_eq!(r.status, 501, "{upstream}: {}", r.text());
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            msg.contains("has no `tag` operation") && msg.contains(why),
            "{upstream}: {msg}"
        );
        assert_eq!(fake.request_count(), 0, "{upstream}");
    }
}

#[tokio::test]
async fn one_dialect_passes_the_reference_through() {
    let body = github_ref("refs/tags/v1.0.0");
    let (fake, gw, r) = ask(
        ("github", "github"),
        "/repos/octocat/Hello-World/git/refs/tags/v1.0.0",
        (200, &body),
        "/repos/octocat/Hello-World/git/refs/tags/v1.0.0",
        ("Authorization", "token ghp_secret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // GitHub's own answer, as GitHub gave it (its URLs name another host than
    // the upstream's, so none is rewritten).
    assert_eq!(r.json(), body);
    let _ = gw;
    asked(&fake, "/repos/octocat/Hello-World/git/refs/tags/v1.0.0");
    assert_eq!(
        fake.requests()[0].header_all("authorization"),
        ["token ghp_secret"]
    );
}
