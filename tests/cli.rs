//! The `forgebridge` command line: `serve` from flags, a config file and
//! `FORGEBRIDGE_*` variables (environment over flags over the file), clear
//! errors for bad values, and `demo`.

mod support;

use serde_json::Value;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake::{closed_port_url, FakeUpstream, Reply};
use support::gateway::{call, get, mappings_dir};
use support::tmp::TempDir;
use support::{fixtures, schema};

const LIST_PATH: &str = "/repos/octocat/hello/releases";
const UPSTREAM_LIST: &str = "/api/v4/projects/octocat%2Fhello/releases";

// ---------------------------------------------------------------- helpers

/// A `forgebridge` command run from `cwd` with no inherited FORGEBRIDGE_* variable.
fn forgebridge(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = support::forgebridge_command(cwd, args);
    cmd.env("RUST_LOG", "info");
    cmd
}

fn drain(mut r: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let h = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().expect("lock").extend_from_slice(&chunk[..n]);
        }
    });
    (buf, h)
}

/// A running `forgebridge`; killed on drop. stdout and stderr are collected.
struct Proc {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn forgebridge");
        let (stdout, h1) = drain(child.stdout.take().expect("stdout"));
        let (stderr, h2) = drain(child.stderr.take().expect("stderr"));
        Proc {
            child,
            stdout,
            stderr,
            readers: vec![h1, h2],
        }
    }

    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().expect("lock")).into_owned()
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("lock")).into_owned()
    }

    /// Waits until this process listens on `addr` (a socket of its own, not
    /// whatever else may have taken the port), failing early if it exits.
    async fn wait_listening(&mut self, addr: SocketAddr) {
        match support::until_listening(&mut self.child, addr.port()).await {
            Ok(()) => {}
            Err(support::NotListening::Exited(st)) => panic!(
                "forgebridge exited ({st}) before listening on {addr}:\n{}",
                self.stderr_text()
            ),
            Err(support::NotListening::TimedOut) => panic!(
                "forgebridge does not listen on {addr}:\n{}",
                self.stderr_text()
            ),
        }
    }

    /// Waits for the process to exit (at most `limit`) and for its output.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "forgebridge still running after {limit:?}:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn terminate(&mut self) -> ExitStatus {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success());
        self.wait_exit(Duration::from_secs(5))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command that is expected to stop on its own; returns (status, stderr lines).
fn run_to_exit(cmd: Command) -> (ExitStatus, Vec<String>) {
    let mut p = Proc::spawn(cmd);
    let st = p.wait_exit(Duration::from_secs(5));
    (st, p.stderr_text().lines().map(str::to_owned).collect())
}

/// A loopback address whose port was free a moment ago.
fn free_addr() -> SocketAddr {
    free_addrs::<1>()[0]
}

/// `N` distinct loopback addresses whose ports were free a moment ago.
fn free_addrs<const N: usize>() -> [SocketAddr; N] {
    let held: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("addr"))
}

fn seed_list() -> Value {
    fixtures::gitlab_list()
}

async fn list_upstream(raw_path: &str) -> FakeUpstream {
    FakeUpstream::builder()
        .route("GET", raw_path, Reply::json(200, &seed_list()))
        .start()
        .await
}

/// GETs the release list through the gateway at `addr` and checks the answer and
/// what the upstream received (`upstream_path`, exactly once).
async fn assert_lists_through(addr: SocketAddr, fake: &FakeUpstream, upstream_path: &str) {
    let r = get(&format!("http://{addr}{LIST_PATH}")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    schema::github_release_list(&v).expect("GitHub release list");
    assert_eq!(
        v.as_array().expect("array").len(),
        seed_list().as_array().expect("array").len()
    );
    let url = v[0]["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("http://{addr}{LIST_PATH}/")),
        "{url}"
    );
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    schema::gitlab_path(&reqs[0].method, &reqs[0].path_and_query).expect("upstream path");
    assert_eq!(reqs[0].path(), upstream_path);
}

async fn refused(addr: SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

fn maps() -> String {
    mappings_dir().display().to_string()
}

// ---------------------------------------------------------------- serve: where settings come from

#[tokio::test]
async fn serve_from_flags_without_a_config_file() {
    let fake = list_upstream(UPSTREAM_LIST).await;
    let cwd = TempDir::new("flags");
    let addr = free_addr();
    let up = format!("gitlab={}", fake.url());
    let mut p = Proc::spawn(forgebridge(
        cwd.path(),
        &[
            "serve",
            "--listen",
            &addr.to_string(),
            "--accept",
            "github",
            "--upstream",
            &up,
            "--mappings",
            &maps(),
        ],
    ));
    p.wait_listening(addr).await;
    assert_lists_through(addr, &fake, UPSTREAM_LIST).await;
    assert!(p.terminate().success());
    let log = p.stderr_text();
    assert!(log.contains(&format!("listen={addr}")), "{log}");
    assert!(
        log.contains(&format!("upstream=gitlab={}", fake.url())),
        "{log}"
    );
}

#[tokio::test]
async fn config_file_settings_apply() {
    let fake = list_upstream("/api/v4/projects/group%2Fsub%2Fhello/releases").await;
    let cwd = TempDir::new("file");
    let addr = free_addr();
    let cfg = cwd.write(
        "gw.toml",
        &format!(
            "[server]\nlisten = \"{addr}\"\naccept = [\"github\"]\n\n[upstream]\ndialect = \"gitlab\"\nurl = \"{}\"\n\n\
             [mappings]\ndir = {:?}\n\n[projects]\n\"octocat/hello\" = \"group/sub/hello\"\n",
            fake.url(),
            maps()
        ),
    );
    let mut p = Proc::spawn(forgebridge(
        cwd.path(),
        &["serve", "--config", &cfg.display().to_string()],
    ));
    p.wait_listening(addr).await;
    // The [projects] table of the file maps the client's project to the upstream's.
    assert_lists_through(addr, &fake, "/api/v4/projects/group%2Fsub%2Fhello/releases").await;
    assert!(p.terminate().success());
}

#[tokio::test]
async fn default_config_file_in_the_working_directory_is_used() {
    let fake = list_upstream(UPSTREAM_LIST).await;
    let cwd = TempDir::new("default-file");
    let addr = free_addr();
    cwd.write(
        "config/forgebridge.toml",
        &format!(
            "[server]\nlisten = \"{addr}\"\naccept = [\"github\"]\n[upstream]\ndialect = \"gitlab\"\nurl = \"{}\"\n[mappings]\ndir = {:?}\n",
            fake.url(),
            maps()
        ),
    );
    let mut p = Proc::spawn(forgebridge(cwd.path(), &["serve"]));
    p.wait_listening(addr).await;
    assert_lists_through(addr, &fake, UPSTREAM_LIST).await;
    assert!(p.terminate().success());
}

#[tokio::test]
async fn flags_win_over_the_file() {
    let fake = list_upstream(UPSTREAM_LIST).await;
    let cwd = TempDir::new("flag-over-file");
    let [file_addr, flag_addr] = free_addrs();
    let cfg = cwd.write(
        "gw.toml",
        &format!(
            "[server]\nlisten = \"{file_addr}\"\naccept = [\"github\"]\n[upstream]\ndialect = \"gitlab\"\nurl = \"{}\"\n",
            closed_port_url()
        ),
    );
    let up = format!("gitlab={}", fake.url());
    let mut p = Proc::spawn(forgebridge(
        cwd.path(),
        &[
            "serve",
            "--config",
            &cfg.display().to_string(),
            "--listen",
            &flag_addr.to_string(),
            "--upstream",
            &up,
            "--mappings",
            &maps(),
        ],
    ));
    p.wait_listening(flag_addr).await;
    assert!(
        refused(file_addr).await,
        "the file's listen address is in use although --listen was given"
    );
    // The upstream of the file is a closed port: a 200 shows the flag's upstream is used.
    assert_lists_through(flag_addr, &fake, UPSTREAM_LIST).await;
    assert!(p.terminate().success());
}

#[tokio::test]
async fn environment_wins_over_flags_and_file() {
    let fake = list_upstream(UPSTREAM_LIST).await;
    let cwd = TempDir::new("env-over-all");
    let [file_addr, flag_addr, env_addr] = free_addrs();
    let cfg = cwd.write(
        "gw.toml",
        &format!(
            "[server]\nlisten = \"{file_addr}\"\naccept = [\"github\"]\n[upstream]\ndialect = \"gitlab\"\nurl = \"{}\"\n",
            closed_port_url()
        ),
    );
    let flag_up = format!("gitlab={}", closed_port_url());
    let mut cmd = forgebridge(
        cwd.path(),
        &[
            "serve",
            "--config",
            &cfg.display().to_string(),
            "--listen",
            &flag_addr.to_string(),
            "--upstream",
            &flag_up,
            "--mappings",
            &maps(),
        ],
    );
    cmd.env("FORGEBRIDGE_LISTEN", env_addr.to_string())
        .env("FORGEBRIDGE_UPSTREAM", format!("gitlab={}", fake.url()));
    let mut p = Proc::spawn(cmd);
    p.wait_listening(env_addr).await;
    assert!(refused(file_addr).await, "file address in use");
    assert!(refused(flag_addr).await, "flag address in use");
    assert_lists_through(env_addr, &fake, UPSTREAM_LIST).await;
    assert!(p.terminate().success());
}

#[tokio::test]
async fn forgebridge_config_variable_wins_over_the_config_flag() {
    let fake = list_upstream(UPSTREAM_LIST).await;
    let cwd = TempDir::new("env-config");
    let addr = free_addr();
    // The --config file is invalid; it must not even be read.
    let bad = cwd.write("bad.toml", "[server]\nlisten = \"nowhere\"\n");
    let good = cwd.write(
        "good.toml",
        &format!(
            "[server]\nlisten = \"{addr}\"\naccept = [\"github\"]\n[upstream]\ndialect = \"gitlab\"\nurl = \"{}\"\n",
            fake.url()
        ),
    );
    let mut cmd = forgebridge(
        cwd.path(),
        &[
            "serve",
            "--config",
            &bad.display().to_string(),
            "--mappings",
            &maps(),
        ],
    );
    cmd.env("FORGEBRIDGE_CONFIG", &good);
    let mut p = Proc::spawn(cmd);
    p.wait_listening(addr).await;
    assert_lists_through(addr, &fake, UPSTREAM_LIST).await;
    assert!(p.terminate().success());
}

// ---------------------------------------------------------------- serve: clear errors

/// `serve` from an empty directory with `args` (plus --mappings); must fail.
fn serve_fails(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, Vec<String>) {
    let cwd = TempDir::new("fail");
    let mut all = vec!["serve", "--mappings"];
    let m = maps();
    all.push(&m);
    all.extend_from_slice(args);
    let mut cmd = forgebridge(cwd.path(), &all);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_to_exit(cmd)
}

#[test]
fn bad_upstream_flag_is_a_clear_error() {
    let (st, lines) = serve_fails(&["--accept", "github", "--upstream", "nonsense"], &[]);
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        [
            "--upstream: error: expected DIALECT=URL: `nonsense`",
            "  hint: DIALECT=URL, DIALECT a mapping name, e.g. NAME=http://127.0.0.1:9090",
            "1 error found"
        ]
    );
}

#[test]
fn upstream_flag_with_a_bad_url_is_a_clear_error() {
    let (st, lines) = serve_fails(
        &[
            "--accept",
            "github",
            "--upstream",
            "gitlab=ftp://example.com",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        [
            "--upstream: error: not an http:// or https:// URL: `ftp://example.com`",
            "  hint: DIALECT=URL, DIALECT a mapping name, e.g. NAME=http://127.0.0.1:9090",
            "1 error found"
        ]
    );
}

#[test]
fn bad_listen_flag_is_a_clear_error() {
    let (st, lines) = serve_fails(
        &[
            "--listen",
            "nowhere",
            "--accept",
            "github",
            "--upstream",
            "gitlab=http://127.0.0.1:9",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        [
            "--listen: error: invalid listen address: `nowhere`",
            "  hint: an address and port, e.g. 127.0.0.1:8080 or [::1]:8080",
            "1 error found"
        ]
    );
}

#[test]
fn bad_environment_values_name_the_variable_and_are_all_reported() {
    let (st, lines) = serve_fails(
        &["--accept", "github"],
        &[
            ("FORGEBRIDGE_LISTEN", "nowhere"),
            ("FORGEBRIDGE_UPSTREAM", "gitlab"),
        ],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        [
            "FORGEBRIDGE_LISTEN: error: invalid listen address: `nowhere`",
            "  hint: an address and port, e.g. 127.0.0.1:8080 or [::1]:8080",
            "FORGEBRIDGE_UPSTREAM: error: expected DIALECT=URL: `gitlab`",
            "  hint: DIALECT=URL, DIALECT a mapping name, e.g. NAME=http://127.0.0.1:9090",
            "2 errors found"
        ]
    );
}

#[test]
fn serve_without_an_upstream_is_a_clear_error() {
    // Port 0: the configuration is refused, whatever listens on 8080.
    let (st, lines) = serve_fails(&["--listen", "127.0.0.1:0", "--accept", "github"], &[]);
    assert_eq!(st.code(), Some(2));
    assert_eq!(lines, ["error: no upstream: give --upstream DIALECT=URL"]);
}

#[test]
fn serve_without_a_client_dialect_is_a_clear_error() {
    // The address is held by another listener: the configuration error must
    // still be the one reported, not "cannot listen".
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let (st, lines) = serve_fails(
        &["--listen", &addr, "--upstream", "gitlab=http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        ["error: no client dialect accepted: give --accept DIALECT (known: dolthub, gitea, github, gitlab, sentry)"]
    );
}

#[test]
fn unknown_dialect_is_a_clear_error() {
    let (st, lines) = serve_fails(
        &[
            "--listen",
            "127.0.0.1:0",
            "--accept",
            "sourcehut",
            "--upstream",
            "gitlab=http://127.0.0.1:9",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        ["error: unknown dialect `sourcehut` (known: dolthub, gitea, github, gitlab, sentry)"]
    );
}

#[test]
fn tls_certificate_without_key_is_a_clear_error() {
    let (st, lines) = serve_fails(
        &[
            "--accept",
            "github",
            "--upstream",
            "gitlab=http://127.0.0.1:9",
            "--tls-cert",
            "cert.pem",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(2));
    assert_eq!(
        lines,
        [
            "tls: error: TLS needs both a certificate and a key",
            "  hint: give --tls-cert and --tls-key together",
            "1 error found"
        ]
    );
}

#[test]
fn unreadable_tls_files_are_a_clear_error() {
    let (st, lines) = serve_fails(
        &[
            "--accept",
            "github",
            "--upstream",
            "gitlab=http://127.0.0.1:9",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(1));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("error: TLS: cannot read cert.pem: "),
        "{lines:?}"
    );
}

#[test]
fn listen_address_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (st, lines) = serve_fails(
        &[
            "--listen",
            &addr,
            "--accept",
            "github",
            "--upstream",
            "gitlab=http://127.0.0.1:9",
        ],
        &[],
    );
    assert_eq!(st.code(), Some(1));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("error: cannot listen on {addr}: ")),
        "{lines:?}"
    );
}

// ---------------------------------------------------------------- demo

/// Starts `forgebridge demo` with config file `cfg` and returns it with the
/// URL of the curl line it prints.
async fn demo(cwd: &TempDir, addr: SocketAddr, cfg: &str) -> (Proc, String) {
    let mut p = Proc::spawn(forgebridge(
        cwd.path(),
        &[
            "demo",
            "--listen",
            &addr.to_string(),
            "--config",
            cfg,
            "--mappings",
            &maps(),
        ],
    ));
    // Read stdout until the curl line appears.
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = loop {
        let out = p.stdout_text();
        if let Some(u) = out.lines().find_map(|l| l.trim().strip_prefix("curl -s ")) {
            break u.trim().to_owned();
        }
        if let Some(st) = p.child.try_wait().expect("try_wait") {
            panic!("demo exited ({st}):\n{out}\n{}", p.stderr_text());
        }
        assert!(Instant::now() < deadline, "no curl line on stdout:\n{out}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    (p, url)
}

#[tokio::test]
async fn demo_prints_a_curl_line_that_works() {
    let cwd = TempDir::new("demo");
    let addr = free_addr();
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/config/forgebridge.toml");
    let (mut p, url) = demo(&cwd, addr, cfg).await;
    assert!(url.starts_with(&format!("http://{addr}/repos/")), "{url}");
    let r = call("GET", &url, &[("X-Request-Id", "demo-1")], "").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("x-request-id"), Some("demo-1"));
    let v = r.json();
    schema::github_release_list(&v).expect("GitHub release list");
    assert!(
        !v.as_array().expect("array").is_empty(),
        "the demo upstream has releases"
    );
    assert!(p.terminate().success());
}

/// The demo the other way round: GitLab clients, a simulated GitHub. The curl
/// line carries GitLab's API root, and a release is updated and deleted by
/// tag although GitHub addresses it by id.
#[tokio::test]
async fn demo_with_gitlab_clients_and_a_github_upstream() {
    let cwd = TempDir::new("demo-reverse");
    let addr = free_addr();
    let cfg = cwd.path().join("reverse.toml");
    std::fs::write(
        &cfg,
        "[server]\naccept = [\"gitlab\"]\n[upstream]\ndialect = \"github\"\nurl = \"http://127.0.0.1:9\"\n",
    )
    .expect("write config");
    let (mut p, url) = demo(&cwd, addr, cfg.to_str().expect("utf-8 path")).await;
    assert_eq!(
        url,
        format!("http://{addr}/api/v4/projects/demo%2Fhello/releases")
    );
    let list = call("GET", &url, &[], "").await;
    assert_eq!(list.status, 200, "{}", String::from_utf8_lossy(&list.body));
    let v = list.json();
    schema::gitlab_release_list(&v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    let tags: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["tag_name"].as_str())
        .collect();
    assert!(tags.contains(&"release/2.0"), "{tags:?}");

    let token = [("PRIVATE-TOKEN", "glpat-demo")];
    let one = format!("{url}/release%2F2.0");
    // The update answers the updated release, the delete the deleted one.
    for (method, body) in [("PUT", r#"{"name":"Renamed"}"#), ("DELETE", "")] {
        let r = call(method, &one, &token, body).await;
        assert_eq!(
            r.status,
            200,
            "{method}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let v = r.json();
        schema::gitlab_release(&v).unwrap_or_else(|e| panic!("{method}: {e}\n{v:#}"));
        assert_eq!(
            (v["tag_name"].as_str(), v["name"].as_str()),
            (Some("release/2.0"), Some("Renamed")),
            "{method}"
        );
    }

    let r = call("GET", &one, &[], "").await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), serde_json::json!({"message": "404 Not found"}));
    assert!(p.terminate().success());
}
