//! `forgebridge translate`: what the gateway would send upstream for one
//! client request, shown offline. Each test runs the binary and checks its
//! exact output and exit code: 0 shown, 1 refused (the client's error answer
//! is shown), 2 a usage or config error. Nothing is listening anywhere: the
//! upstream URLs name hosts that are never reached.

mod support;

use std::path::Path;
use support::gateway::mappings_dir;
use support::tmp::TempDir;

const GITLAB: &str = "gitlab=https://gitlab.example.com";
const GITHUB: &str = "github=https://api.github.com";
const UA: &str = concat!("User-Agent: forgebridge/", env!("CARGO_PKG_VERSION"));

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs `forgebridge translate ARGS` in `cwd`, with the shipped mappings and
/// no FORGEBRIDGE_* variable.
fn translate_in(cwd: &Path, args: &[&str]) -> Run {
    let maps = mappings_dir().display().to_string();
    let mut all = vec!["translate", "--mappings", &maps];
    all.extend_from_slice(args);
    let out = support::run_forgebridge(cwd, &all);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// As `translate_in`, from a directory without a config file.
fn translate(args: &[&str]) -> Run {
    let dir = TempDir::new("translate");
    translate_in(dir.path(), args)
}

/// A shown translation: exit code 0, nothing on stderr.
fn shown(args: &[&str]) -> Run {
    let r = translate(args);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    r
}

/// A refused request: exit code 1, nothing on stderr.
fn refused(args: &[&str]) -> Run {
    let r = translate(args);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    r
}

#[test]
fn github_list_on_gitlab_pages_and_masks_the_token() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: token abc",
        "GET",
        "/repos/o/r/releases?per_page=5&page=2",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub list, project \"o/r\", page 2, 5 per page",
            "",
            "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases?page=2&per_page=5",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
    assert!(!r.stdout.contains("abc") && !r.stderr.contains("abc"));
}

#[test]
fn a_tag_with_a_slash_is_one_segment_upstream() {
    for path in [
        "/repos/o/r/releases/tags/release/1.0",
        "/repos/o/r/releases/tags/release%2F1.0",
        "/api/v3/repos/o/r/releases/tags/release/1.0",
    ] {
        let r = shown(&["--accept", "github", "--upstream", GITLAB, "GET", path]);
        let under = if path.starts_with("/api/v3") {
            ", under /api/v3"
        } else {
            ""
        };
        assert_eq!(
            r.lines(),
            [
                format!("client: GitHub get{under}, project \"o/r\", tag \"release/1.0\"").as_str(),
                "",
                "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases/release%2F1.0",
                "Accept: application/json",
                "X-Request-Id: {request id}",
                UA,
            ],
            "{path}"
        );
    }
}

#[test]
fn create_shows_the_body_gitlab_gets() {
    let body = r#"{"tag_name":"v1.2.0","target_commitish":"main","name":"v1.2.0","body":"Notes","prerelease":true}"#;
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: Bearer abc",
        "--body",
        body,
        "POST",
        "/repos/group/project/releases",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub create, project \"group/project\"",
            "",
            "POST https://gitlab.example.com/api/v4/projects/group%2Fproject/releases",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "Content-Type: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            r#"{"tag_name":"v1.2.0","name":"v1.2.0","description":"Notes","ref":"main"}"#,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn the_body_may_come_from_a_file() {
    let dir = TempDir::new("translate-body");
    let file = dir.write("release.json", r#"{"tag_name":"v2","body":"From a file"}"#);
    let at = format!("@{}", file.display());
    let r = translate_in(
        dir.path(),
        &[
            "--accept",
            "github",
            "--upstream",
            GITLAB,
            "--body",
            &at,
            "POST",
            "/repos/o/r/releases",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines().last().copied(),
        Some(r#"{"tag_name":"v2","description":"From a file"}"#)
    );
    let missing = translate(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "--body",
        "@/nonexistent/release.json",
        "POST",
        "/repos/o/r/releases",
    ]);
    assert_eq!(missing.code, Some(2));
    assert!(
        missing
            .stderr
            .starts_with("error: --body @/nonexistent/release.json: "),
        "{}",
        missing.stderr
    );
}

#[test]
fn patch_by_id_on_gitlab_first_finds_the_tag() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: token abc",
        "--body",
        r#"{"name":"Renamed","tag_name":"v1"}"#,
        "PATCH",
        "/repos/o/r/releases/123",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub update, project \"o/r\", id 123",
            "",
            "# first, to find the tag of release 123:",
            "# the gateway's cache, else this list, walked page by page until release 123 shows up (at most 100 pages)",
            "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases?page=1&per_page=100",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "X-Request-Id: {request id}",
            UA,
            "",
            "# refused with 501 instead unless `tag_name` is the tag of release 123: GitLab cannot move a release to another tag; delete it and create a new one",
            "PUT https://gitlab.example.com/api/v4/projects/o%2Fr/releases/{tag of release 123}",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "Content-Type: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            r#"{"name":"Renamed"}"#,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn gitlab_delete_by_tag_on_github_first_finds_the_id() {
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        GITHUB,
        "-H",
        "PRIVATE-TOKEN: abc",
        "DELETE",
        "/api/v4/projects/o%2Fr/releases/v1.0",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab delete, project \"o/r\", tag \"v1.0\"",
            "",
            "# first, to find the id of tag v1.0:",
            "# its answer is also the release the client gets back",
            "GET https://api.github.com/repos/o/r/releases/tags/v1.0",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
            "",
            "DELETE https://api.github.com/repos/o/r/releases/{id of tag v1.0}",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn gitlab_delete_on_gitea_reads_the_release_it_answers_with() {
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        "gitea=https://gitea.example.com",
        "DELETE",
        "/api/v4/projects/o%2Fr/releases/v1",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab delete, project \"o/r\", tag \"v1\"",
            "",
            "# first, to read the release the client gets back (Gitea answers `delete` without it):",
            "GET https://gitea.example.com/api/v1/repos/o/r/releases/tags/v1",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            "DELETE https://gitea.example.com/api/v1/repos/o/r/releases/tags/v1",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}

#[test]
fn gitea_list_on_gitlab_reads_limit() {
    let r = shown(&[
        "--accept",
        "gitea",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: token abc",
        "GET",
        "/api/v1/repos/o/r/releases?limit=10&page=3",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: Gitea list, project \"o/r\", page 3, 10 per page",
            "",
            "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases?page=3&per_page=10",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn an_asset_of_a_release_named_by_id_is_read_from_that_release() {
    let r = shown(&[
        "--accept",
        "gitea",
        "--upstream",
        GITLAB,
        "DELETE",
        "/api/v1/repos/o/r/releases/12/assets/7",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: Gitea delete_asset, project \"o/r\", id 12, asset 7",
            "",
            "# first, to find the tag of release 12:",
            "# the gateway's cache, else this list, walked page by page until release 12 shows up (at most 100 pages)",
            "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases?page=1&per_page=100",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            "# then, to find asset 7 in its release:",
            "GET https://gitlab.example.com/api/v4/projects/o%2Fr/releases/{tag of release 12}",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            "DELETE https://gitlab.example.com/api/v4/projects/o%2Fr/releases/{tag of release 12}/assets/links/7",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}

#[test]
fn latest_on_a_forge_without_one_is_found_in_its_list() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        "sentry=https://sentry.example",
        "-H",
        "Authorization: Bearer abc",
        "GET",
        "/repos/octo/app/releases/latest",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub latest, project \"octo/app\"",
            "",
            "# as Sentry has no latest release of its own: this list, walked page by page until a page holds a release that is neither a draft nor a prerelease (at most 100 pages); the latest is the one of them published last, answered as that page gives it",
            "GET https://sentry.example/api/0/projects/octo/app/releases/?per_page=100",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn a_forge_that_only_lists_is_walked_for_one_release() {
    let args = |path: &'static str| {
        [
            "--accept",
            "github",
            "--upstream",
            "dolthub=https://dolthub.example",
            "-H",
            "Authorization: token abc",
            "GET",
            path,
        ]
    };
    let walk = |what: &str| {
        format!("# DoltHub reads no release by tag: this list, walked page by page until the release with {what} shows up (at most 100 pages)")
    };
    let list = [
        "GET https://dolthub.example/api/v1alpha1/octo/app/releases",
        "Accept: application/json",
        // As DoltHub's docs spell it.
        "authorization: token ***",
        "X-Request-Id: {request id}",
        UA,
    ];
    // The client line, the note on the walk, then the list request.
    let expect = |path: &'static str, client: &str, note: String| {
        let r = shown(&args(path));
        let mut want = vec![client.to_owned(), String::new(), note];
        want.extend(list.map(str::to_owned));
        assert_eq!(r.lines(), want, "{path}");
        assert!(!r.stdout.contains("abc"), "{path}");
    };
    expect(
        "/repos/octo/app/releases/tags/v1",
        "client: GitHub get, project \"octo/app\", tag \"v1\"",
        walk("tag v1"),
    );
    // By id: the same walk, for the release whose synthesized id it is.
    expect(
        "/repos/octo/app/releases/5",
        "client: GitHub get, project \"octo/app\", id 5",
        walk("id 5"),
    );
    // Latest: one walk, the release answered as that page gives it.
    expect(
        "/repos/octo/app/releases/latest",
        "client: GitHub latest, project \"octo/app\"",
        "# as DoltHub has no latest release of its own: this list, walked page by page until a page holds a release that is neither a draft nor a prerelease (at most 100 pages); the latest is the one of them published last, answered as that page gives it".to_owned(),
    );
}

#[test]
fn a_page_by_number_on_a_cursor_forge_follows_its_cursors() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        "sentry=https://sentry.example",
        "GET",
        "/repos/o/r/releases?page=3&per_page=5",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub list, project \"o/r\", page 3, 5 per page",
            "",
            "# first, as Sentry pages by cursor: this list, followed from its first page through its next cursors 2 times (a 400 beyond 100; no releases where it ends sooner)",
            "GET https://sentry.example/api/0/projects/o/r/releases/?per_page=5",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
            "",
            "GET https://sentry.example/api/0/projects/o/r/releases/?cursor={cursor of page 3}&per_page=5",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}

#[test]
fn the_version_is_answered_by_the_gateway() {
    let r = shown(&[
        "--accept",
        "gitea",
        "--upstream",
        GITLAB,
        "GET",
        "/api/v1/version",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: Gitea about",
            "",
            "# answered by the gateway itself, nothing is sent: 200 {\"version\":\"1.22.0\"}",
        ]
    );
}

#[test]
fn same_dialect_is_passed_through_with_credentials_masked() {
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        "gitlab=https://gitlab.example.com/",
        "-H",
        "PRIVATE-TOKEN: abc",
        "-H",
        "Accept: application/json",
        "-H",
        "X-Other: dropped",
        "GET",
        "/api/v4/projects/group%2Fproject/releases/v1?include_html_description=true",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab get, project \"group/project\", tag \"v1\"",
            "",
            "# passed through (the same dialect on both sides): the path rebuilt from the route, the query as sent",
            "GET https://gitlab.example.com/api/v4/projects/group%2Fproject/releases/v1?include_html_description=true",
            "PRIVATE-TOKEN: ***",
            "Accept: application/json",
            "X-Request-Id: {request id}",
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

#[test]
fn a_draft_on_gitlab_is_refused_with_githubs_501() {
    let r = refused(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: token abc",
        "--body",
        r#"{"tag_name":"v1","draft":true}"#,
        "POST",
        "/repos/o/r/releases",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub create, project \"o/r\"",
            "",
            "refused: 501 Not Implemented",
            "",
            r#"{"message":"the upstream (GitLab) cannot create this release: GitLab has no draft releases; create it published or keep the draft elsewhere (to add files, as gh release create does through a draft: create the release, then upload them to it)","documentation_url":"https://docs.github.com/rest/releases/releases","status":"501"}"#,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

/// The arguments of a GitHub client's upload of `notes v1.txt` (labelled) to
/// release 5, in front of `upstream` (DIALECT=URL).
fn upload_to(upstream: &str) -> [&str; 12] {
    [
        "--accept",
        "github",
        "--upstream",
        upstream,
        "-H",
        "Authorization: token abc",
        "-H",
        "Content-Type: text/plain",
        "--body",
        "the file",
        "POST",
        "/repos/o/r/releases/5/assets?name=notes%20v1.txt&label=Notes",
    ]
}

/// A GitHub client's upload in front of GitLab: the file kept in the project
/// (GitLab's form field `file`, under a boundary that is not in the file),
/// then linked to the release at the URL GitLab's answer gives; the label is
/// not sent (a GitLab link has none).
#[test]
fn an_upload_to_gitlab_is_kept_in_the_project_then_linked() {
    let r = shown(&upload_to(GITLAB));
    let lines = r.lines();
    let boundary = lines[14]
        .strip_prefix("Content-Type: multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(!"the file".contains(boundary));
    let (open, close) = (format!("--{boundary}"), format!("--{boundary}--"));
    assert_eq!(
        lines[9..],
        [
            "",
            "# GitLab keeps a release's file in the project, then links it to the release: first the file, sent once",
            "POST https://gitlab.example.com/api/v4/projects/o%2Fr/uploads",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            lines[14],
            "X-Request-Id: {request id}",
            "User-Agent: forgebridge/0.1.0",
            "",
            &open,
            "Content-Disposition: form-data; name=\"file\"; filename=\"notes v1.txt\"",
            "Content-Type: text/plain",
            "",
            "the file",
            &close,
            "",
            "",
            "# then the link to it, at the URL that answer gives (a 502 where it gives none); the file is not sent again if the link fails",
            "POST https://gitlab.example.com/api/v4/projects/o%2Fr/releases/{tag of release 5}/assets/links",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "Content-Type: application/json",
            "X-Request-Id: {request id}",
            "User-Agent: forgebridge/0.1.0",
            "",
            r#"{"name":"notes v1.txt","url":"{URL of the kept file}"}"#,
        ]
    );
    // The form's lines end with CRLF, as multipart/form-data's do.
    assert!(r.stdout.contains(&format!("{open}\r\nContent-Disposition")));
}

/// A GitHub client's upload in front of Gitea: the file as the body, named in
/// Gitea's query; GitHub's label is not sent (Gitea has none).
#[test]
fn an_upload_to_gitea_is_the_body_named_in_the_query() {
    let r = shown(&upload_to("gitea=https://gitea.example.com"));
    assert_eq!(
        r.lines(),
        [
            "client: GitHub upload, project \"o/r\", id 5",
            "",
            "POST https://gitea.example.com/api/v1/repos/o/r/releases/5/assets?name=notes%20v1.txt",
            "Accept: application/json",
            "Authorization: token ***",
            "Content-Type: text/plain",
            "X-Request-Id: {request id}",
            "User-Agent: forgebridge/0.1.0",
            "",
            "the file",
        ]
    );
}

/// A Gitea client's upload in front of GitHub Enterprise: beside its API
/// (`/api/uploads` in place of `/api/v3`), the file as the body; in front of
/// api.github.com, refused with the reason.
#[test]
fn an_upload_to_github_enterprise_goes_beside_its_api() {
    let args = |up| {
        [
            "--accept",
            "gitea",
            "--upstream",
            up,
            "-H",
            "Authorization: token abc",
            "--body",
            "the file",
            "POST",
            "/api/v1/repos/o/r/releases/5/assets?name=notes.txt",
        ]
    };
    let r = shown(&args("github=https://ghe.example.com/api/v3"));
    assert_eq!(
        r.lines()[2],
        "POST https://ghe.example.com/api/uploads/repos/o/r/releases/5/assets?name=notes.txt"
    );
    let r = refused(&args("github=https://api.github.com"));
    assert!(
        r.stdout
            .contains("api.github.com takes a release's files at another host"),
        "{}",
        r.stdout
    );
}

/// A GitLab client's file kept in the project, in front of GitHub Enterprise
/// (which keeps files only in releases): held, nothing sent; the link that
/// names it uploads it to the release.
#[test]
fn a_kept_file_is_held_and_its_link_uploads_it() {
    let dir = TempDir::new("translate-held");
    let form = dir.path().join("form");
    std::fs::write(
        &form,
        "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nhi\r\n--b0--\r\n",
    )
    .unwrap();
    let body = format!("@{}", form.display());
    let up = "github=https://ghe.example.com/api/v3";
    let r = translate_in(
        dir.path(),
        &[
            "--accept",
            "gitlab",
            "--upstream",
            up,
            "-H",
            "PRIVATE-TOKEN: abc",
            "-H",
            "Content-Type: multipart/form-data; boundary=b0",
            "--body",
            &body,
            "POST",
            "/api/v4/projects/o%2Fr/uploads",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab store, project \"o/r\"",
            "",
            "# held by the gateway, nothing is sent: answered 201 with the file's URL on the gateway (/o/r/uploads/{secret}/a%20b.txt); a link of this project that names it within 3600 s uploads it to the release (2 bytes of 67108864 held at most)",
        ]
    );
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        up,
        "-H",
        "PRIVATE-TOKEN: abc",
        "--body",
        r#"{"name":"a.txt","url":"https://gl.example/o/r/uploads/0123456789abcdef0123456789abcdef/a.txt"}"#,
        "POST",
        "/api/v4/projects/o%2Fr/releases/v1/assets/links",
    ]);
    let lines = r.lines();
    assert!(
        lines[2].starts_with("# the file this link's URL names, held by the gateway"),
        "{}",
        r.stdout
    );
    assert!(
        lines.contains(&"POST https://ghe.example.com/api/uploads/repos/o/r/releases/{id of tag v1}/assets?name=a.txt"),
        "{}",
        r.stdout
    );
    assert_eq!(lines.last(), Some(&"{the held file}"));

    // A release created with links: made without them where each names a
    // held file, else refused as GitHub refuses links on a create.
    let r = refused(&[
        "--accept",
        "gitlab",
        "--upstream",
        up,
        "--body",
        r#"{"tag_name":"v2","assets":{"links":[{"name":"a.txt","url":"https://gl.example/o/r/uploads/0123456789abcdef0123456789abcdef/a.txt"}]}}"#,
        "POST",
        "/api/v4/projects/o%2Fr/releases",
    ]);
    assert_eq!(
        r.lines()[2],
        "# where every link's URL names a file the gateway holds (kept in the project through it), the release is made without the links, each file is then uploaded to it once (GitHub's `upload`), and the release read back; otherwise as follows"
    );
    assert!(r.stdout.contains("refused: 501"), "{}", r.stdout);
}

/// A GraphQL request: between two GitHub sides, passed on to the upstream's own
/// endpoint in place of its URL's API root; in front of another forge, answered by
/// the gateway through GitHub's routes (nothing of its own is sent).
#[test]
fn a_graphql_request_is_passed_on_between_github_sides_and_answered_otherwise() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        "github=https://ghe.example.com/api/v3",
        "-H",
        "Authorization: token abc",
        "--body",
        r#"{"query":"{ viewer { login } }"}"#,
        "POST",
        "/api/graphql",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub GraphQL",
            "",
            "# passed on to the upstream's own GraphQL endpoint (the same dialect on both sides), the body as sent; never sent twice",
            "POST https://ghe.example.com/api/graphql",
            "Authorization: token ***",
            "X-Request-Id: {request id}",
            "",
            r#"{"query":"{ viewer { login } }"}"#,
        ]
    );
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "--body",
        r#"{"query":"{ __typename }"}"#,
        "POST",
        "/graphql",
    ]);
    assert_eq!(r.lines()[0], "client: GitHub GraphQL");
    assert!(
        r.lines()[2].starts_with("# answered by the gateway itself: each field of the query is read through GitHub's own routes"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_unknown_route_is_404() {
    let r = refused(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "GET",
        "/repos/o/r/tags",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub",
            "",
            "refused: 404 Not Found",
            "",
            r#"{"message":"no GitHub route matches GET /repos/o/r/tags","documentation_url":"https://docs.github.com/rest/releases/releases","status":"404"}"#,
        ]
    );
}

#[test]
fn another_method_is_405_with_allow() {
    let r = refused(&[
        "--accept",
        "gitea",
        "--upstream",
        GITLAB,
        "PUT",
        "/api/v1/repos/o/r/releases",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: Gitea",
            "",
            "refused: 405 Method Not Allowed",
            "Allow: GET, HEAD, POST",
            "",
            r#"{"message":"PUT is not allowed on /api/v1/repos/o/r/releases; allowed: GET, HEAD, POST","url":"https://gitea.com/api/swagger"}"#,
        ]
    );
}

#[test]
fn malformed_json_is_400() {
    let r = refused(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "--body",
        r#"{"tag_name":"#,
        "POST",
        "/repos/o/r/releases",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub create, project \"o/r\"",
            "",
            "refused: 400 Bad Request",
            "",
            r#"{"message":"Problems parsing JSON: unexpected end of input at line 1 column 13","documentation_url":"https://docs.github.com/rest/releases/releases","status":"400"}"#,
        ]
    );
}

#[test]
fn a_missing_tag_is_422() {
    let r = refused(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "--body",
        r#"{"name":"no tag"}"#,
        "POST",
        "/repos/o/r/releases",
    ]);
    assert_eq!(r.lines()[2], "refused: 422 Unprocessable Entity");
    assert_eq!(
        r.lines()[4],
        r#"{"message":"Validation Failed","errors":[{"resource":"Release","code":"missing_field","field":"tag_name","message":"`tag_name` is required"}],"documentation_url":"https://docs.github.com/rest/releases/releases","status":"422"}"#
    );
}

/// A directory whose config accepts `client` in front of GitLab, with
/// request bodies limited to 16 bytes.
fn limited_to_16_bytes(client: &str) -> TempDir {
    let dir = TempDir::new("translate-limit");
    dir.write(
        "config/forgebridge.toml",
        &format!(
            "[server]\naccept = [\"{client}\"]\n[upstream]\ndialect = \"gitlab\"\nurl = \"https://gitlab.example.com\"\n[limits]\nmax_body_bytes = 16\n"
        ),
    );
    dir
}

#[test]
fn a_body_over_the_limit_is_413() {
    let dir = limited_to_16_bytes("github");
    let r = translate_in(
        dir.path(),
        &[
            "--body",
            r#"{"tag_name":"v1","name":"longer than sixteen bytes"}"#,
            "POST",
            "/repos/o/r/releases",
        ],
    );
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub create, project \"o/r\"",
            "",
            "refused: 413 Payload Too Large",
            "",
            r#"{"message":"request body is larger than the limit of 16 bytes","documentation_url":"https://docs.github.com/rest/releases/releases","status":"413"}"#,
        ]
    );
}

/// A form over the limit is refused for its size before it is read, as the
/// gateway refuses it.
#[test]
fn a_form_over_the_limit_is_413_before_it_is_read() {
    let dir = limited_to_16_bytes("gitea");
    let r = translate_in(
        dir.path(),
        &[
            "-H",
            "Content-Type: multipart/form-data; boundary=b0",
            "--body",
            "not a form at all, and longer than sixteen bytes",
            "POST",
            "/api/v1/repos/o/r/releases/5/assets",
        ],
    );
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines()[2],
        "refused: 413 Payload Too Large",
        "{}",
        r.stdout
    );
}

#[test]
fn the_config_file_gives_the_client_dialect_and_the_upstream() {
    let dir = TempDir::new("translate-config");
    dir.write(
        "config/forgebridge.toml",
        "[server]\naccept = [\"gitea\", \"github\"]\n[upstream]\ndialect = \"github\"\nurl = \"http://127.0.0.1:9\"\n[projects]\n\"o/r\" = \"elsewhere/repo\"\n",
    );
    let r = translate_in(dir.path(), &["GET", "/api/v1/repos/o/r/releases/tags/v1"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines(),
        [
            "client: Gitea get, project \"o/r\", tag \"v1\"",
            "",
            "GET http://127.0.0.1:9/repos/elsewhere/repo/releases/tags/v1",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}

/// The upstream's other host, named in the config: a file for api.github.com
/// goes to its upload host.
#[test]
fn an_upload_goes_to_the_upload_host_the_config_names() {
    let dir = TempDir::new("translate-hosts");
    dir.write(
        "config/forgebridge.toml",
        "[server]\naccept = [\"gitea\"]\n[upstream]\ndialect = \"github\"\nurl = \"https://api.github.com\"\n[upstream.hosts]\nuploads = \"https://uploads.github.com\"\n",
    );
    let r = translate_in(
        dir.path(),
        &[
            "--body",
            "hi",
            "POST",
            "/api/v1/repos/o/r/releases/5/assets?name=a.txt",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.lines()[2],
        "POST https://uploads.github.com/repos/o/r/releases/5/assets?name=a.txt"
    );
    // A GitHub client's upload, passed through, goes there too.
    let r = translate_in(
        dir.path(),
        &[
            "--accept",
            "github",
            "--body",
            "hi",
            "POST",
            "/repos/o/r/releases/5/assets?name=a.txt",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("\nPOST https://uploads.github.com/repos/o/r/releases/5/assets?name=a.txt\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_unknown_dialect_is_a_usage_error() {
    let r = translate(&[
        "--accept",
        "sourcehut",
        "--upstream",
        GITLAB,
        "GET",
        "/repos/o/r/releases",
    ]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "error: unknown dialect `sourcehut` (known: dolthub, gitea, github, gitlab, sentry)\n"
    );
}

#[test]
fn usage_errors_exit_2_without_echoing_headers() {
    for (args, message) in [
        (
            vec!["--accept", "github,gitea", "--upstream", GITLAB, "GET", "/"],
            "error: --accept names one client dialect\n",
        ),
        (
            vec!["--accept", "github", "GET", "/repos/o/r/releases"],
            "error: no upstream: give --upstream DIALECT=URL\n",
        ),
        (
            vec![
                "--accept",
                "github",
                "--upstream",
                GITLAB,
                "-H",
                "Authorization token abc",
                "GET",
                "/repos/o/r/releases",
            ],
            "error: -H takes a header as 'Name: value'\n",
        ),
        (
            vec!["--accept", "github", "--upstream", GITLAB, "GET", "releases"],
            "error: `releases` is not a path and query (or URL), e.g. /repos/o/r/releases?per_page=5\n",
        ),
    ] {
        let r = translate(&args);
        assert_eq!(r.code, Some(2), "{args:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(r.stderr, message, "{args:?}");
    }
}

/// A Gitea client's form upload in front of GitLab: only the file's part goes
/// on, in GitLab's field, named and typed as in the client's form.
#[test]
fn a_form_upload_to_gitlab_sends_the_files_part_alone() {
    let dir = TempDir::new("translate");
    let form = dir.path().join("form.bin");
    std::fs::write(
        &form,
        "--b0\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n\
         --b0\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nthe file\r\n--b0--\r\n",
    )
    .expect("form written");
    let body = format!("@{}", form.display());
    let r = translate_in(
        dir.path(),
        &[
            "--accept",
            "gitea",
            "--upstream",
            GITLAB,
            "-H",
            "Authorization: token abc",
            "-H",
            "Content-Type: multipart/form-data; boundary=b0",
            "--body",
            &body,
            "POST",
            "/api/v1/repos/o/r/releases/5/assets",
        ],
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let lines = r.lines();
    let at = lines
        .iter()
        .position(|l| l.starts_with("POST ") && l.ends_with("/uploads"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(
        lines[at + 7..at + 13],
        [
            lines[at + 7],
            "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"",
            "Content-Type: text/plain",
            "",
            "the file",
            &format!("{}--", lines[at + 7]),
        ]
    );
    assert!(!r.stdout.contains("not the file"));
    assert_eq!(
        lines.last().copied(),
        Some(r#"{"name":"a.txt","url":"{URL of the kept file}"}"#)
    );
}

/// An edit the upstream cannot make is refused before the asset is looked
/// for: nothing would be sent.
#[test]
fn an_asset_edit_github_cannot_make_is_refused_first() {
    let r = refused(&[
        "--accept",
        "gitlab",
        "--upstream",
        "github=https://api.github.com",
        "--body",
        r#"{"url":"https://example.com/a.tar.gz"}"#,
        "PUT",
        "/api/v4/projects/o%2Fr/releases/v1/assets/links/3",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab update_asset, project \"o/r\", tag \"v1\", asset 3",
            "",
            "refused: 501 Not Implemented",
            "",
            r#"{"message":"the upstream (GitHub) cannot take this asset: GitHub keeps the file of an asset, whose URL is its own; upload the file anew"}"#,
        ]
    );
}

/// A GitLab client's project named by a number, in front of GitHub: the
/// repository by that number first, then the request at the path its answer
/// gives (each lookup a step of its own).
#[test]
fn a_project_number_on_github_first_finds_the_path() {
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        GITHUB,
        "-H",
        "PRIVATE-TOKEN: abc",
        "DELETE",
        "/api/v4/projects/1296269/releases/v1.0",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab delete, project \"1296269\", tag \"v1.0\"",
            "",
            "# first, to find the path of project 1296269:",
            "# the gateway's cache (the numbers it gave reading projects), else:",
            "GET https://api.github.com/repositories/1296269",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
            "",
            "# then, to find the id of tag v1.0:",
            "# its answer is also the release the client gets back",
            "GET https://api.github.com/repos/{owner of project 1296269}/{repo of project 1296269}/releases/tags/v1.0",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
            "",
            "DELETE https://api.github.com/repos/{owner of project 1296269}/{repo of project 1296269}/releases/{id of tag v1.0}",
            "Accept: application/json",
            "Authorization: Bearer ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
    assert!(!r.stdout.contains("abc"));
}

/// A GitHub client's repository by its number, in front of GitLab: GitLab's
/// project by that number, one request.
#[test]
fn a_repository_by_number_on_gitlab_is_the_project_by_number() {
    let r = shown(&[
        "--accept",
        "github",
        "--upstream",
        GITLAB,
        "-H",
        "Authorization: token abc",
        "GET",
        "/repositories/3",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitHub project_by_id, id 3",
            "",
            "GET https://gitlab.example.com/api/v4/projects/3",
            "Accept: application/json",
            "PRIVATE-TOKEN: ***",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}

/// The project itself by a number, in front of GitHub: the repository by that
/// number is the answer, nothing else is asked.
#[test]
fn a_project_by_number_on_github_is_the_repository_by_number() {
    let r = shown(&[
        "--accept",
        "gitlab",
        "--upstream",
        GITHUB,
        "GET",
        "/api/v4/projects/1296269",
    ]);
    assert_eq!(
        r.lines(),
        [
            "client: GitLab project, project \"1296269\"",
            "",
            "# first, to find the path of project 1296269:",
            "# the gateway's cache (the numbers it gave reading projects), else this request, whose answer is then the project the client gets",
            "GET https://api.github.com/repositories/1296269",
            "Accept: application/json",
            "X-Request-Id: {request id}",
            UA,
        ]
    );
}
