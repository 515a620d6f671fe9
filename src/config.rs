//! Gateway configuration: a TOML file, command-line flags and `FORGEBRIDGE_*`
//! environment variables. Precedence: environment over flags over the file over
//! built-in defaults. The environment is read through a function so that tests
//! never touch the process environment.

use crate::mapping::diag::{locate, Diagnostic};
use indexmap::IndexMap;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    upstream: UpstreamSection,
    #[serde(default)]
    mappings: MappingsSection,
    #[serde(default)]
    limits: LimitsSection,
    /// Client project path → upstream project path.
    #[serde(default)]
    projects: IndexMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    listen: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    accept: Option<Vec<Spanned<String>>>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamSection {
    dialect: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    ca_file: Option<String>,
    /// Other hosts of the upstream forge that its mapping's routes name
    /// (`host = "NAME"`): NAME → base URL.
    #[serde(default)]
    hosts: indexmap::IndexMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingsSection {
    dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    max_body_bytes: Option<u64>,
    max_response_bytes: Option<u64>,
    upstream_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    shutdown_grace_ms: Option<u64>,
    id_cache_entries: Option<u64>,
    max_id_scan_pages: Option<u64>,
    max_concurrent_translations: Option<u64>,
    io_buffer_bytes: Option<u64>,
    max_bulk_streams: Option<u64>,
    held_file_bytes: Option<u64>,
    held_file_seconds: Option<u64>,
}

/// Settings given on the command line (all optional).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub listen: Option<String>,
    pub accept: Option<String>,
    pub upstream: Option<String>,
    pub public_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub mappings: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// Base URL clients use to reach the gateway (scheme://host[:port]); derived
    /// from `listen` when not set.
    pub public_url: Option<String>,
    pub accept: Vec<String>,
    pub upstream_dialect: String,
    /// Upstream base URL without a trailing '/'.
    pub upstream_url: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM certificates trusted for an `https://` upstream besides the
    /// public roots (a self-hosted forge's private CA).
    pub upstream_ca_file: Option<PathBuf>,
    /// Other hosts of the upstream forge (`[upstream.hosts]`), by the name
    /// routes give them: the gateway sends credentials to these besides
    /// `upstream_url`, and to no other.
    pub upstream_hosts: Vec<(String, String)>,
    pub mappings_dir: PathBuf,
    pub max_body_bytes: usize,
    pub max_response_bytes: usize,
    pub upstream_timeout: Duration,
    pub connect_timeout: Duration,
    pub shutdown_grace: Duration,
    pub id_cache_entries: usize,
    pub max_id_scan_pages: u64,
    /// Upstream answers held in memory for translation at once; others wait
    /// (their bodies stay unread upstream), which bounds memory.
    pub max_concurrent_translations: usize,
    /// Per-connection HTTP/1 buffer limit on the client side (and towards a
    /// TLS upstream); the most read at once while a plain-HTTP upstream's
    /// answer streams through.
    pub io_buffer_bytes: usize,
    /// Pass-through list answers streamed at once with large (400 KiB) reads;
    /// others wait briefly for a turn, then stream with ordinary ones. Bounds
    /// the memory large buffers take.
    pub max_bulk_streams: usize,
    /// Files a client kept in a project, for an upstream that keeps files
    /// only in releases: held by the gateway until a link names them, at
    /// most this many bytes in all…
    pub held_file_bytes: usize,
    /// …and for at most this long.
    pub held_file_time: Duration,
    pub projects: Vec<(String, String)>,
}

impl Config {
    /// The path of the upstream's URL ("" or "/api/v3", say).
    pub fn upstream_path(&self) -> String {
        self.upstream_url
            .parse::<http::Uri>()
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    /// The upstream project path for a client project path.
    pub fn upstream_project<'a>(&'a self, client: &'a str) -> &'a str {
        self.projects
            .iter()
            .find(|(c, _)| c == client)
            .map_or(client, |(_, u)| u.as_str())
    }

    /// The client project path `[projects]` maps to an upstream path (the
    /// first entry that does, a number aside), else the upstream's own.
    pub fn client_project<'a>(&'a self, upstream: &'a str) -> &'a str {
        self.projects
            .iter()
            .find(|(c, u)| u == upstream && !c.bytes().all(|b| b.is_ascii_digit()))
            .map_or(upstream, |(c, _)| c.as_str())
    }

    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{}", self.listen)
            }
        }
    }
}

pub const ENV_VARS: &[&str] = &[
    "FORGEBRIDGE_LISTEN",
    "FORGEBRIDGE_ACCEPT",
    "FORGEBRIDGE_UPSTREAM",
    "FORGEBRIDGE_PUBLIC_URL",
    "FORGEBRIDGE_TLS_CERT",
    "FORGEBRIDGE_TLS_KEY",
    "FORGEBRIDGE_MAPPINGS",
];

/// Resolves the configuration. `file` is (name, contents) of the config file, if any.
pub fn resolve(
    file: Option<(&str, &str)>,
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let (fname, src) = file.unwrap_or(("<defaults>", ""));
    let pre = crate::mapping::keys::check(fname, src, &crate::mapping::keys::CONFIG);
    if !pre.is_empty() {
        return Err(pre);
    }
    let fc: FileConfig = match toml::from_str(src) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.message().trim();
            let (msg, hint) = crate::mapping::diag::unknown_key(msg).unwrap_or_else(|| {
                (
                    msg.to_owned(),
                    "see the configuration reference in README.md".into(),
                )
            });
            errs.push(locate(
                fname,
                src,
                e.span().unwrap_or(0..0),
                msg,
                Some(hint),
            ));
            return Err(errs);
        }
    };
    let at = |s: &Spanned<String>, msg: String, hint: Option<String>| {
        locate(fname, src, s.span(), msg, hint)
    };
    let flag_err = |name: &str, v: &str, msg: &str, hint: Option<String>| Diagnostic {
        file: name.to_owned(),
        line: 0,
        column: 0,
        text: v.to_owned(),
        message: msg.to_owned(),
        hint,
    };

    // listen
    let listen_src: Option<(String, Option<&Spanned<String>>, &str)> = env("FORGEBRIDGE_LISTEN")
        .map(|v| (v, None, "FORGEBRIDGE_LISTEN"))
        .or_else(|| flags.listen.clone().map(|v| (v, None, "--listen")))
        .or_else(|| {
            fc.server
                .listen
                .as_ref()
                .map(|s| (s.get_ref().clone(), Some(s), ""))
        });
    let listen = match listen_src {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some((v, span, origin)) => match v.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                let hint =
                    Some("an address and port, e.g. 127.0.0.1:8080 or [::1]:8080".to_owned());
                errs.push(match span {
                    Some(s) => at(s, "invalid listen address".into(), hint),
                    None => flag_err(origin, &v, "invalid listen address", hint),
                });
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }
        },
    };

    // accept
    let accept: Vec<String> = match env("FORGEBRIDGE_ACCEPT").or_else(|| flags.accept.clone()) {
        Some(v) => v
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => fc
            .server
            .accept
            .as_ref()
            .map(|v| v.iter().map(|s| s.get_ref().clone()).collect())
            .unwrap_or_default(),
    };

    // upstream
    let (mut dialect, mut url) = (
        fc.upstream.dialect.as_ref().map(|s| s.get_ref().clone()),
        fc.upstream.url.as_ref().map(|s| s.get_ref().clone()),
    );
    let mut url_origin = "[upstream] url";
    if let Some((v, origin)) = env("FORGEBRIDGE_UPSTREAM")
        .map(|v| (v, "FORGEBRIDGE_UPSTREAM"))
        .or_else(|| flags.upstream.clone().map(|v| (v, "--upstream")))
    {
        match v.split_once('=') {
            Some((d, u)) => {
                dialect = Some(d.trim().to_owned());
                url = Some(u.trim().to_owned());
                url_origin = origin;
            }
            None => errs.push(flag_err(
                origin,
                &v,
                "expected DIALECT=URL",
                Some("DIALECT=URL, DIALECT a mapping name, e.g. NAME=http://127.0.0.1:9090".into()),
            )),
        }
    }
    let url = url.unwrap_or_default();
    if !url.is_empty() {
        if let Err(m) = check_url(&url) {
            let e = match &fc.upstream.url {
                Some(s) if s.get_ref() == &url => at(s, m, None),
                _ => flag_err(
                    url_origin,
                    &url,
                    &m,
                    Some(
                        "DIALECT=URL, DIALECT a mapping name, e.g. NAME=http://127.0.0.1:9090"
                            .into(),
                    ),
                ),
            };
            errs.push(e);
        }
    }

    let public_url = env("FORGEBRIDGE_PUBLIC_URL")
        .or_else(|| flags.public_url.clone())
        .or_else(|| fc.server.public_url.as_ref().map(|s| s.get_ref().clone()))
        .filter(|s| !s.is_empty());
    if let Some(p) = &public_url {
        if let Err(m) = check_url(p) {
            errs.push(flag_err("public_url", p, &m, None));
        }
    }
    let path_setting = |env_name: &str, flag: &Option<PathBuf>, file: &Option<String>| {
        env(env_name)
            .map(PathBuf::from)
            .or_else(|| flag.clone())
            .or_else(|| file.as_ref().map(PathBuf::from))
    };
    let tls_cert = path_setting("FORGEBRIDGE_TLS_CERT", &flags.tls_cert, &fc.server.tls_cert);
    let tls_key = path_setting("FORGEBRIDGE_TLS_KEY", &flags.tls_key, &fc.server.tls_key);
    if tls_cert.is_some() != tls_key.is_some() {
        errs.push(flag_err(
            "tls",
            "",
            "TLS needs both a certificate and a key",
            Some("give --tls-cert and --tls-key together".into()),
        ));
    }
    let upstream_ca_file =
        path_setting("FORGEBRIDGE_UPSTREAM_CA_FILE", &None, &fc.upstream.ca_file);
    let mappings_dir = path_setting("FORGEBRIDGE_MAPPINGS", &flags.mappings, &fc.mappings.dir)
        .unwrap_or_else(|| PathBuf::from("mappings"));

    let mut upstream_hosts = Vec::new();
    for (name, u) in &fc.upstream.hosts {
        if let Err(m) = check_url(u.get_ref()) {
            errs.push(at(u, m, None));
        }
        upstream_hosts.push((name.clone(), u.get_ref().trim_end_matches('/').to_owned()));
    }
    let mut projects = Vec::new();
    for (k, v) in &fc.projects {
        if k.trim_matches('/').is_empty() || v.get_ref().trim_matches('/').is_empty() {
            errs.push(at(v, "project names must not be empty".into(), None));
        }
        projects.push((k.clone(), v.get_ref().clone()));
    }
    let l = &fc.limits;
    let ms = |v: Option<u64>, d: u64| Duration::from_millis(v.unwrap_or(d));
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Config {
        listen,
        public_url,
        accept,
        upstream_dialect: dialect.unwrap_or_default(),
        upstream_url: url.trim_end_matches('/').to_owned(),
        tls_cert,
        tls_key,
        upstream_ca_file,
        upstream_hosts,
        mappings_dir,
        max_body_bytes: l.max_body_bytes.unwrap_or(10 << 20) as usize,
        max_response_bytes: l.max_response_bytes.unwrap_or(64 << 20) as usize,
        upstream_timeout: ms(l.upstream_timeout_ms, 30_000),
        connect_timeout: ms(l.connect_timeout_ms, 5_000),
        shutdown_grace: ms(l.shutdown_grace_ms, 10_000),
        id_cache_entries: l.id_cache_entries.unwrap_or(100_000) as usize,
        max_id_scan_pages: l.max_id_scan_pages.unwrap_or(100),
        max_concurrent_translations: l.max_concurrent_translations.map_or_else(
            || 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            |n| n.max(1) as usize,
        ),
        // hyper's floor is 8 KiB. Large pass-through lists have bulk streams
        // (`max_bulk_streams`); these buffers serve everything else.
        io_buffer_bytes: l.io_buffer_bytes.unwrap_or(64 << 10).max(8 << 10) as usize,
        // Each bulk stream may hold two 400 KiB buffers (one being read, one
        // being written): four per CPU keep 64 megabyte streams under 32 MiB.
        max_bulk_streams: l.max_bulk_streams.map_or_else(
            || 4 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            |n| n.max(1) as usize,
        ),
        held_file_bytes: l.held_file_bytes.unwrap_or(64 << 20) as usize,
        held_file_time: Duration::from_secs(l.held_file_seconds.unwrap_or(3600)),
        projects,
    })
}

fn check_url(u: &str) -> Result<(), String> {
    // The diagnostic shows the value itself; the message only says what is wrong.
    let uri: http::Uri = u.parse().map_err(|_| "not a URL".to_owned())?;
    match uri.scheme_str() {
        Some("http") | Some("https") if uri.host().is_some() => Ok(()),
        _ => Err("not an http:// or https:// URL".to_owned()),
    }
}

/// Reads the config file at `path`, returning (display name, contents).
pub fn read_file(path: &Path) -> Result<(String, String), Vec<Diagnostic>> {
    std::fs::read_to_string(path)
        .map(|s| (path.display().to_string(), s))
        .map_err(|e| {
            vec![Diagnostic {
                file: path.display().to_string(),
                line: 0,
                column: 0,
                text: String::new(),
                message: format!("cannot read the config file: {e}"),
                hint: None,
            }]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn precedence_env_over_flags_over_file() {
        let file = "[server]\nlisten = \"127.0.0.1:1000\"\naccept = [\"a\"]\n[upstream]\ndialect = \"x\"\nurl = \"http://file:1\"\n";
        let c = resolve(Some(("f.toml", file)), &Flags::default(), &no_env).expect("config");
        assert_eq!(c.listen.port(), 1000);
        assert_eq!(
            (c.upstream_dialect.as_str(), c.upstream_url.as_str()),
            ("x", "http://file:1")
        );
        let flags = Flags {
            listen: Some("127.0.0.1:2000".into()),
            upstream: Some("y=http://flag:2/".into()),
            ..Flags::default()
        };
        let c = resolve(Some(("f.toml", file)), &flags, &no_env).expect("config");
        assert_eq!(c.listen.port(), 2000);
        assert_eq!(c.upstream_url, "http://flag:2");
        let env = |k: &str| (k == "FORGEBRIDGE_LISTEN").then(|| "127.0.0.1:3000".to_owned());
        let c = resolve(Some(("f.toml", file)), &flags, &env).expect("config");
        assert_eq!(c.listen.port(), 3000);
        assert_eq!(c.accept, ["a"]);
    }

    #[test]
    fn reports_located_errors() {
        let file = "[server]\nlisten = \"nowhere\"\n";
        let e = resolve(Some(("f.toml", file)), &Flags::default(), &no_env).expect_err("bad");
        assert_eq!(e[0].to_string(), "f.toml:2:10: error: invalid listen address: `\"nowhere\"`\n  hint: an address and port, e.g. 127.0.0.1:8080 or [::1]:8080");
        let e = resolve(
            Some(("f.toml", "[server]\nlisen = 1\n")),
            &Flags::default(),
            &no_env,
        )
        .expect_err("bad");
        assert_eq!((e[0].line, e[0].column), (2, 1));
    }

    #[test]
    fn upstream_hosts_are_urls() {
        let file = "[upstream.hosts]\nuploads = \"https://uploads.example/\"\n";
        let c = resolve(Some(("f.toml", file)), &Flags::default(), &no_env).expect("config");
        assert_eq!(
            c.upstream_hosts,
            [("uploads".to_owned(), "https://uploads.example".to_owned())]
        );
        let file = "[upstream.hosts]\nuploads = \"uploads.example\"\n";
        let e = resolve(Some(("f.toml", file)), &Flags::default(), &no_env).expect_err("bad");
        assert_eq!(
            e[0].to_string(),
            "f.toml:2:11: error: not an http:// or https:// URL: `\"uploads.example\"`"
        );
    }
}
