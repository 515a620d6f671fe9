mod support;
use support::fake::Reply;
use support::fixtures;
use support::gateway::{get, one_route};

#[tokio::test]
async fn lists_seed_releases_in_github_shape() {
    let list = fixtures::load("gitlab/list_releases.json");
    let (fake, gw) = one_route(
        "GET",
        "/api/v4/projects/octocat%2Fhello/releases",
        Reply::json(200, &list),
    )
    .await;
    let r = get(&format!("{}/repos/octocat/hello/releases", gw.url)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v[0]["tag_name"], "v0.2");
    assert_eq!(v[1]["body"], list[1]["description"]);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].path_and_query,
        "/api/v4/projects/octocat%2Fhello/releases?page=1&per_page=30"
    );
}
