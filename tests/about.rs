//! `about` routes: what a forge says of itself (its version, GitHub's rate limit), which clients ask
//! before anything else. In front of another forge the gateway answers from the
//! client dialect's mapping and asks the upstream nothing; between two sides of
//! one dialect the upstream's own answer passes through.

mod support;
use serde_json::json;
use support::fake::{FakeUpstream, Reply};
use support::gateway::{call, TestGateway};

/// GitHub's default limits with nothing used (GitHub's `GET /rate_limit` answer).
fn github_rate_limit() -> serde_json::Value {
    let full = json!({"limit": 5000, "used": 0, "remaining": 5000, "reset": 0});
    json!({
        "resources": {
            "core": full,
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": 0},
            "graphql": full
        },
        "rate": full
    })
}

#[tokio::test]
async fn the_version_in_front_of_another_forge_is_the_mappings() {
    let fake = FakeUpstream::builder().start().await;
    for (client, upstream, path, want) in [
        (
            "gitea",
            "gitlab",
            "/api/v1/version",
            json!({"version": "1.22.0"}),
        ),
        (
            "gitea",
            "github",
            "/api/v1/version",
            json!({"version": "1.22.0"}),
        ),
        (
            "gitlab",
            "github",
            "/api/v4/version",
            json!({"version": "15.11.0", "revision": "forgebridge"}),
        ),
        (
            "gitlab",
            "sentry",
            "/api/v4/version",
            json!({"version": "15.11.0", "revision": "forgebridge"}),
        ),
        // GitHub's rate limit, under both of its API roots.
        ("github", "gitlab", "/rate_limit", github_rate_limit()),
        (
            "github",
            "dolthub",
            "/api/v3/rate_limit",
            github_rate_limit(),
        ),
    ] {
        let gw = TestGateway::start_pair(client, upstream, &fake.url(), "").await;
        let r = call("GET", &format!("{}{path}", gw.url), &[], "").await;
        assert_eq!(r.status, 200, "{client} → {upstream}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(r.json(), want, "{client} → {upstream}");
        // A HEAD gets the head alone; another method is a 405 naming GET.
        let r = call("HEAD", &format!("{}{path}", gw.url), &[], "").await;
        assert_eq!((r.status, r.body.len()), (200, 0));
        let r = call("POST", &format!("{}{path}", gw.url), &[], "{}").await;
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    assert_eq!(fake.request_count(), 0, "the upstream is asked nothing");
}

#[tokio::test]
async fn the_version_between_two_sides_of_one_dialect_is_the_upstreams() {
    let fake = FakeUpstream::builder()
        .route(
            "GET",
            "/api/v1/version",
            Reply::json(200, &json!({"version": "1.21.11"})),
        )
        .start()
        .await;
    let gw = TestGateway::start_pair("gitea", "gitea", &fake.url(), "").await;
    let r = call(
        "GET",
        &format!("{}/api/v1/version", gw.url),
        &[("Authorization", "token gta")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"version": "1.21.11"}));
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/api/v1/version");
    assert_eq!(seen[0].header("authorization"), Some("token gta"));
}
