//! The `forgebridge` command: serve, check, demo, translate.

use clap::{Args, Parser, Subcommand};
use forgebridge::config::{self, Config, Flags};
use forgebridge::mapping::{Diagnostic, Mappings};
use forgebridge::proxy::handler::SetupError;
use forgebridge::proxy::{server, Gateway};
use forgebridge::sim::{self, Sim};
use forgebridge::translate::preview;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "forgebridge",
    version,
    about = "A gateway between forge release APIs, driven by mapping files"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the gateway.
    Serve(ServeArgs),
    /// Validate the config and the mapping files; report every error.
    Check(CommonArgs),
    /// Run a simulated upstream forge and the gateway in front of it, on loopback.
    Demo(DemoArgs),
    /// Show what the gateway would send upstream for one client request
    /// (offline: nothing is sent, credentials are masked).
    Translate(TranslateArgs),
}

#[derive(Args, Clone)]
struct CommonArgs {
    /// Directory of mapping files [default: mappings]
    #[arg(long, value_name = "DIR")]
    mappings: Option<PathBuf>,
    /// Config file [default: config/forgebridge.toml when it exists]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080
    #[arg(long)]
    listen: Option<String>,
    /// Client dialects to accept (mapping names), comma-separated
    #[arg(long)]
    accept: Option<String>,
    /// Upstream as DIALECT=URL: a mapping name and the forge's base URL
    #[arg(long)]
    upstream: Option<String>,
    /// Base URL clients use to reach the gateway (for URLs in bodies and headers)
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// PEM certificate chain; enables TLS together with --tls-key
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct DemoArgs {
    /// Address for the gateway
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct TranslateArgs {
    /// The client's dialect (one mapping name) [default: the config's first accepted dialect]
    #[arg(long, value_name = "DIALECT")]
    accept: Option<String>,
    /// Upstream as DIALECT=URL: a mapping name and the forge's base URL
    #[arg(long, value_name = "DIALECT=URL")]
    upstream: Option<String>,
    /// Base URL clients use to reach the gateway (for URLs in error bodies)
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A request header, as 'Name: value' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The request body: JSON text, or @FILE to read it from FILE
    #[arg(long, value_name = "JSON|@FILE")]
    body: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
    /// The request method, e.g. GET
    method: String,
    /// The path and query as the client sends them, e.g. '/repos/o/r/releases?per_page=5'
    path_and_query: String,
}

const DEFAULT_CONFIG: &str = "config/forgebridge.toml";

/// Called once the gateway listens, with the final config (actual address).
type OnReady = Box<dyn FnOnce(&Config) + Send>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour only on a terminal: log files and journald get plain `key=value` text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.cmd {
        Cmd::Check(c) => check(&c),
        Cmd::Serve(s) => rt.block_on(serve(s)),
        Cmd::Demo(d) => rt.block_on(demo(d)),
        Cmd::Translate(t) => translate(&t),
    }
}

fn report(diags: &[Diagnostic]) -> ExitCode {
    for d in diags {
        eprintln!("{d}");
    }
    eprintln!(
        "{} error{} found",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    );
    ExitCode::from(2)
}

fn load_config(common: &CommonArgs, flags: &Flags) -> Result<Config, Vec<Diagnostic>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let path = env("FORGEBRIDGE_CONFIG")
        .map(PathBuf::from)
        .or_else(|| common.config.clone())
        .or_else(|| {
            Path::new(DEFAULT_CONFIG)
                .exists()
                .then(|| PathBuf::from(DEFAULT_CONFIG))
        });
    let file = match &path {
        Some(p) => Some(config::read_file(p)?),
        None => None,
    };
    let mut flags = flags.clone();
    if flags.mappings.is_none() {
        flags.mappings = common.mappings.clone();
    }
    config::resolve(
        file.as_ref().map(|(n, s)| (n.as_str(), s.as_str())),
        &flags,
        &env,
    )
}

/// Loads config and mappings, reporting every problem of both.
fn load_all(common: &CommonArgs, flags: &Flags) -> Result<(Config, Mappings), Vec<Diagnostic>> {
    let cfg = load_config(common, flags);
    let dir = match &cfg {
        Ok(c) => c.mappings_dir.clone(),
        Err(_) => common
            .mappings
            .clone()
            .unwrap_or_else(|| PathBuf::from("mappings")),
    };
    let maps = Mappings::load_dir(&dir);
    match (cfg, maps) {
        (Ok(c), Ok(m)) => Ok((c, m)),
        (c, m) => {
            let mut all = c.err().unwrap_or_default();
            all.extend(m.err().unwrap_or_default());
            Err(all)
        }
    }
}

fn check(c: &CommonArgs) -> ExitCode {
    match load_all(c, &Flags::default()) {
        Ok((cfg, maps)) => {
            let mut problems = Vec::new();
            for a in cfg
                .accept
                .iter()
                .chain(std::iter::once(&cfg.upstream_dialect).filter(|d| !d.is_empty()))
            {
                if maps.get(a).is_none() {
                    problems.push(format!(
                        "config names dialect `{a}`, which no mapping file defines"
                    ));
                }
            }
            if !problems.is_empty() {
                for p in &problems {
                    eprintln!("error: {p}");
                }
                return ExitCode::from(2);
            }
            let names: Vec<&str> = maps.names().collect();
            println!(
                "ok: {} dialects ({}) from {}",
                names.len(),
                names.join(", "),
                cfg.mappings_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(d) => report(&d),
    }
}

/// `forgebridge translate`: 0 shown, 1 the gateway would refuse the request,
/// 2 a usage, config or mapping error.
fn translate(t: &TranslateArgs) -> ExitCode {
    let usage = |m: String| {
        eprintln!("error: {m}");
        ExitCode::from(2)
    };
    if t.accept.as_deref().is_some_and(|a| a.contains(',')) {
        return usage("--accept names one client dialect".into());
    }
    let method = match http::Method::from_bytes(t.method.to_ascii_uppercase().as_bytes()) {
        Ok(m) => m,
        Err(_) => return usage(format!("`{}` is not an HTTP method", t.method)),
    };
    let uri = match t.path_and_query.parse::<http::Uri>() {
        Ok(u) if u.path().starts_with('/') => u,
        _ => {
            return usage(format!(
                "`{}` is not a path and query (or URL), e.g. /repos/o/r/releases?per_page=5",
                t.path_and_query
            ))
        }
    };
    let mut headers = Vec::with_capacity(t.headers.len());
    for h in &t.headers {
        let parsed = h.split_once(':').filter(|(n, v)| {
            http::HeaderName::from_bytes(n.trim().as_bytes()).is_ok()
                && http::HeaderValue::from_str(v.trim()).is_ok()
        });
        match parsed {
            Some((n, v)) => headers.push((n.trim().to_owned(), v.trim().to_owned())),
            // The header is not echoed: it may hold a token.
            None => return usage("-H takes a header as 'Name: value'".into()),
        }
    }
    let body = match t.body.as_deref().map(|b| match b.strip_prefix('@') {
        Some(file) => std::fs::read(file).map_err(|e| format!("--body @{file}: {e}")),
        None => Ok(b.as_bytes().to_vec()),
    }) {
        Some(Ok(b)) => b,
        Some(Err(e)) => return usage(e),
        None => Vec::new(),
    };
    let flags = Flags {
        accept: t.accept.clone(),
        upstream: t.upstream.clone(),
        public_url: t.public_url.clone(),
        ..Flags::default()
    };
    let (cfg, maps) = match load_all(&t.common, &flags) {
        Ok(x) => x,
        Err(d) => return report(&d),
    };
    // What the gateway would refuse to start with.
    let known = || maps.names().collect::<Vec<_>>().join(", ");
    let Some(first) = cfg.accept.first() else {
        return usage(SetupError::NoAccept(known()).to_string());
    };
    for a in cfg.accept.iter().chain([&cfg.upstream_dialect]) {
        if !a.is_empty() && maps.get(a).is_none() {
            return usage(SetupError::UnknownDialect(a.clone(), known()).to_string());
        }
    }
    let (Some(client), Some(up)) = (maps.get(first), maps.get(&cfg.upstream_dialect)) else {
        return usage(SetupError::NoUpstream.to_string());
    };
    if cfg.upstream_url.is_empty() {
        return usage(SetupError::NoUpstream.to_string());
    }
    let request = preview::Request {
        method: &method,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    // Routes the upstream serves under roots of their own, as the gateway
    // resolves them.
    let at_base = up.at_base(&cfg.upstream_path(), &cfg.upstream_hosts);
    let shown = preview::preview(&cfg, client, at_base.as_ref().unwrap_or(up), &request);
    print!("{shown}");
    if shown.refused.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn serve(s: ServeArgs) -> ExitCode {
    let flags = Flags {
        listen: s.listen,
        accept: s.accept,
        upstream: s.upstream,
        public_url: s.public_url,
        tls_cert: s.tls_cert,
        tls_key: s.tls_key,
        mappings: None,
    };
    let (cfg, maps) = match load_all(&s.common, &flags) {
        Ok(x) => x,
        Err(d) => return report(&d),
    };
    run_gateway(cfg, &maps, None).await
}

async fn run_gateway(cfg: Config, maps: &Mappings, ready: Option<OnReady>) -> ExitCode {
    let tls = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(c), Some(k)) => match server::tls_acceptor(c, k) {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        },
        _ => None,
    };
    // The configuration is checked before the address is taken, so that its
    // errors show even while another process holds the port.
    let grace = cfg.shutdown_grace;
    let mut gw = match Gateway::new(cfg, maps) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match server::bind(gw.cfg.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if let Ok(a) = listener.local_addr() {
        gw.set_listen(a);
    }
    let gw = Arc::new(gw);
    tracing::info!(
        listen = %gw.cfg.listen,
        tls = tls.is_some(),
        accept = %gw.cfg.accept.join(","),
        upstream = %format!("{}={}", gw.cfg.upstream_dialect, gw.cfg.upstream_url),
        "forgebridge listening"
    );
    if let Some(f) = ready {
        f(&gw.cfg);
    }
    server::serve(listener, gw, tls, server::signal(), grace).await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn demo(d: DemoArgs) -> ExitCode {
    let flags = Flags {
        listen: Some(d.listen),
        ..Flags::default()
    };
    let (mut cfg, maps) = match load_all(&d.common, &flags) {
        Ok(x) => x,
        Err(e) => return report(&e),
    };
    let Some(up) = maps.get(&cfg.upstream_dialect).cloned() else {
        eprintln!(
            "error: the demo needs an upstream dialect in {DEFAULT_CONFIG} ([upstream] dialect)"
        );
        return ExitCode::from(2);
    };
    let (addr, _task) = match Sim::start(up.clone(), 0, sim::DEMO_PROJECT, &sim::demo_seed()).await
    {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: cannot start the simulated upstream: {e}");
            return ExitCode::from(1);
        }
    };
    // A dialect addressed at its URL's own path (its first API root is
    // empty) is given the URL of its other root, as a self-hosted forge's
    // is: the forge's web pages and files, outside it, stay its own.
    let root = match up.roots.as_slice() {
        [first, rest @ ..] if first.is_empty() => rest.first().map_or("", String::as_str),
        _ => "",
    };
    cfg.upstream_url = format!("http://{addr}{root}");
    let client = cfg.accept.first().cloned().unwrap_or_default();
    // The client dialect's list route under its first API root.
    let sample = maps
        .get(&client)
        .and_then(|c| {
            let list = c
                .routes
                .iter()
                .find(|r| r.op == forgebridge::canonical::Op::List)?;
            Some((c.roots.first().map_or("", String::as_str), list))
        })
        .map(|(root, r)| {
            let (owner, repo) = forgebridge::translate::split_project(sim::DEMO_PROJECT);
            let path = r
                .path
                .raw
                .replace("{owner}", owner)
                .replace("{repo}", repo)
                .replace("{project}", &sim::DEMO_PROJECT.replace('/', "%2F"));
            format!("{root}{path}")
        })
        .unwrap_or_default();
    let upstream_title = up.title.clone();
    let ready = Box::new(move |c: &Config| {
        println!("forgebridge demo: a simulated {upstream_title} upstream at http://{addr} (project {}),", sim::DEMO_PROJECT);
        println!(
            "and the gateway speaking {} at {}. Try:",
            c.accept.join(", "),
            c.public_base()
        );
        println!();
        println!("  curl -s {}{sample}", c.public_base());
        println!();
        println!("Press ctrl-c to stop.");
    });
    run_gateway(cfg, &maps, Some(ready)).await
}
