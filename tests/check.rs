//! `forgebridge check`: every problem of the config and the mapping files is
//! reported at once, each with file:line:column, the offending text and a hint,
//! and the command exits non-zero.
//!
//! Each fixture in `tests/invalid_mappings/` is a complete mapping file with
//! deliberate mistakes. Its header lists the exact diagnostics:
//!
//! ```text
//! # expect: {file}:12:9: error: unknown release field: `"tga"`
//! # expect:   hint: did you mean `tag`?
//! ```
//!
//! `{file}` is the path of the fixture's copy, `{dir}` the directory holding it.
//! `# copy-as: a.toml b.toml` copies the fixture under each of those names
//! instead of its own. The test runs `check` on a directory holding only the
//! fixture, from a working directory without a config file.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::gateway::mappings_dir;
use support::run_forgebridge as run;
use support::tmp::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/invalid_mappings");

fn stderr_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn count_line(n: usize) -> String {
    format!("{n} error{} found", if n == 1 { "" } else { "s" })
}

struct Fixture {
    text: String,
    copy_as: Vec<String>,
    expect: Vec<String>,
}

fn read_fixture(name: &str) -> Fixture {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let mut copy_as = Vec::new();
    let mut expect = Vec::new();
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("# expect: ") {
            expect.push(e.to_owned());
        } else if let Some(c) = line.strip_prefix("# copy-as: ") {
            copy_as = c.split_whitespace().map(str::to_owned).collect();
        }
    }
    assert!(
        !expect.is_empty(),
        "fixture {name} lists no `# expect:` lines"
    );
    if copy_as.is_empty() {
        copy_as.push(name.to_owned());
    }
    Fixture {
        text,
        copy_as,
        expect,
    }
}

/// Copies the fixture alone into a temp dir, runs `check --mappings DIR` and
/// compares stderr with the fixture's expected diagnostics, line by line.
fn check_fixture(name: &str) {
    let fx = read_fixture(name);
    let dir = TempDir::new(name.trim_end_matches(".toml"));
    let maps = TempDir::new("maps");
    let mut file = PathBuf::new();
    for n in &fx.copy_as {
        file = maps.write(n, &fx.text);
    }
    let maps_dir = maps.path().display().to_string();
    let out = run(dir.path(), &["check", "--mappings", &maps_dir]);

    let file = file.display().to_string();
    let mut want: Vec<String> = fx
        .expect
        .iter()
        .map(|l| l.replace("{file}", &file).replace("{dir}", &maps_dir))
        .collect();
    let errors = want.iter().filter(|l| l.contains(": error: ")).count();
    want.push(count_line(errors));
    let got = stderr_lines(&out);
    assert_eq!(
        got,
        want,
        "diagnostics of {name} differ\n--- got:\n{}\n--- want:\n{}",
        got.join("\n"),
        want.join("\n")
    );
    assert_eq!(out.status.code(), Some(2), "exit status for {name}");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

macro_rules! fixture_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_fixture($file);
            }
        )*
        const ALL_FIXTURES: &[&str] = &[$($file),*];
    };
}

fixture_tests! {
    toml_syntax_error => "toml_syntax.toml",
    unknown_key_in_a_table => "unknown_key.toml",
    unknown_key_in_an_inline_field_table => "unknown_key_inline.toml",
    several_unknown_keys_reported_at_once => "several_unknown_keys.toml",
    unknown_canonical_field => "unknown_field.toml",
    unknown_operation => "unknown_op.toml",
    bad_http_method => "bad_method.toml",
    unknown_path_variable => "unknown_path_variable.toml",
    unknown_shape_reference => "unknown_shape.toml",
    shape_of_the_wrong_kind => "shape_wrong_kind.toml",
    bad_jsonpath => "bad_jsonpath.toml",
    unknown_template_variable => "unknown_template_variable.toml",
    unclosed_template_brace => "unclosed_template.toml",
    unknown_error_kind => "unknown_error_kind.toml",
    unknown_paging_style => "unknown_paging_style.toml",
    several_errors_reported_at_once_in_file_order => "several_errors.toml",
    duplicate_route => "duplicate_route.toml",
    two_files_define_the_same_dialect => "duplicate_dialect.toml",
    missing_errors_section => "missing_section.toml",
    required_on_a_template => "required_not_a_field.toml",
    write_on_a_template => "write_not_a_field.toml",
    count_of_an_unknown_field => "unknown_count.toml",
    refuse_rule_with_two_checks => "refuse_two_checks.toml",
    assets_route_of_the_wrong_shape => "assets_route.toml",
    asset_route_and_downloads => "asset_route.toml",
    exists_status_and_in_array_misused => "exists_and_in_array.toml",
    about_routes_and_their_answers => "about_route.toml",
    envelope_templates_and_errors_by_message => "envelope_and_by_message.toml",
    values_misused => "values.toml",
    graphql_endpoint_misdeclared => "graphql.toml",
    prefix_misused => "prefix.toml",
    upload_routes_misdeclared => "upload.toml",
    store_and_link_routes_misdeclared => "store_link.toml",
    route_roots_misdeclared => "route_roots.toml",
    project_by_id_and_served_misdeclared => "project_by_id.toml",
}

#[test]
fn every_fixture_has_a_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(FIXTURES)
        .expect("fixtures dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = ALL_FIXTURES.iter().map(|s| (*s).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn several_errors_are_in_file_order() {
    // The fixture's own expectations are compared exactly; this guards the
    // property itself, so that a reordering cannot be "fixed" by editing them.
    let fx = read_fixture("several_errors.toml");
    let positions: Vec<(usize, usize)> = fx
        .expect
        .iter()
        .filter(|l| l.contains(": error: "))
        .map(|l| {
            let mut it = l
                .split(':')
                .skip(1)
                .map(|n| n.parse::<usize>().expect("line:col"));
            (it.next().expect("line"), it.next().expect("column"))
        })
        .collect();
    assert!(positions.len() >= 5, "{positions:?}");
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn shipped_mappings_pass() {
    let cwd = TempDir::new("shipped");
    let dir = mappings_dir().display().to_string();
    let out = run(cwd.path(), &["check", "--mappings", &dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(
        stdout.contains("github") && stdout.contains("gitlab"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(&dir), "{stdout}");
}

#[test]
fn shipped_config_and_mappings_pass_from_the_repository() {
    // No flags: config/forgebridge.toml and mappings/ of the working directory.
    let out = run(Path::new(env!("CARGO_MANIFEST_DIR")), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert_eq!(
        stdout.trim(),
        "ok: 5 dialects (dolthub, gitea, github, gitlab, sentry) from mappings"
    );
}

#[test]
fn config_error_is_located() {
    let dir = TempDir::new("cfg-listen");
    let cfg = dir.write(
        "fb.toml",
        "[server]\nlisten = \"nowhere\"\naccept = [\"github\"]\n",
    );
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            &cfg.display().to_string(),
            "--mappings",
            &mappings_dir().display().to_string(),
        ],
    );
    let f = cfg.display();
    assert_eq!(
        stderr_lines(&out),
        [
            format!("{f}:2:10: error: invalid listen address: `\"nowhere\"`"),
            "  hint: an address and port, e.g. 127.0.0.1:8080 or [::1]:8080".to_owned(),
            count_line(1),
        ]
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_config_key_is_located_with_a_suggestion() {
    let dir = TempDir::new("cfg-key");
    let cfg = dir.write(
        "fb.toml",
        "[server]\nlisten = \"nowhere\"\n\n[upstream]\ndialect = \"gitlab\"\nurll = \"http://127.0.0.1:9090\"\n",
    );
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            &cfg.display().to_string(),
            "--mappings",
            &mappings_dir().display().to_string(),
        ],
    );
    // An unknown key stops reading the file (the listen address is not looked at).
    let f = cfg.display();
    assert_eq!(
        stderr_lines(&out),
        [
            format!("{f}:6:1: error: unknown key: `urll`"),
            "  hint: did you mean `url`?".to_owned(),
            count_line(1)
        ]
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_and_mapping_errors_are_reported_together() {
    let dir = TempDir::new("cfg-and-maps");
    let cfg = dir.write(
        "fb.toml",
        "[server]\nlisten = \"nowhere\"\naccept = [\"github\"]\n\n[upstream]\ndialect = \"gitlab\"\nurl = \"ftp://example.com\"\n",
    );
    let maps = TempDir::new("cfg-and-maps-m");
    let fx = read_fixture("unknown_op.toml");
    let m = maps.write("mini.toml", &fx.text);
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            &cfg.display().to_string(),
            "--mappings",
            &maps.path().display().to_string(),
        ],
    );
    let (f, m) = (cfg.display().to_string(), m.display().to_string());
    let mut want = vec![
        format!("{f}:2:10: error: invalid listen address: `\"nowhere\"`"),
        "  hint: an address and port, e.g. 127.0.0.1:8080 or [::1]:8080".to_owned(),
        format!("{f}:7:7: error: not an http:// or https:// URL: `\"ftp://example.com\"`"),
    ];
    want.extend(fx.expect.iter().map(|l| l.replace("{file}", &m)));
    want.push(count_line(3));
    assert_eq!(stderr_lines(&out), want);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_naming_an_undefined_dialect_fails() {
    let dir = TempDir::new("cfg-dialect");
    let cfg = dir.write("fb.toml", "[server]\naccept = [\"sourcehut\"]\n");
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            &cfg.display().to_string(),
            "--mappings",
            &mappings_dir().display().to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`sourcehut`"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn unreadable_mappings_dir_is_an_error() {
    let cwd = TempDir::new("nodir");
    let missing = cwd.path().join("no-such-dir").display().to_string();
    let out = run(cwd.path(), &["check", "--mappings", &missing]);
    let lines = stderr_lines(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "{missing}: error: cannot read the mappings directory"
        )),
        "{lines:?}"
    );
    assert_eq!(lines[1], count_line(1));
}
