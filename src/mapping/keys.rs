//! A first pass over a TOML document that reports every syntax error and every
//! unknown key at once, with its location and a did-you-mean hint. The typed
//! parse that follows stops at its first error; this pass is why `check`
//! reports all of them.

use super::diag::{did_you_mean, locate, one_of, Diagnostic};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The keys a table may hold.
pub enum Keys {
    /// Any value; not looked into.
    Leaf,
    /// A table with these keys (checked when the value is a table).
    Table(&'static [(&'static str, Keys)]),
    /// A table with keys of the user's choosing, each value checked by the inner schema.
    Any(&'static Keys),
    /// An array whose elements are checked by the inner schema.
    ArrayOf(&'static Keys),
}

use Keys::{Any, ArrayOf, Leaf, Table};

const CREDENTIAL: Keys = Table(&[("header", Leaf), ("scheme", Leaf), ("query", Leaf)]);
const FIELD: Keys = Table(&[
    ("field", Leaf),
    ("fallback", Leaf),
    ("derive", Leaf),
    ("default", Leaf),
    ("type", Leaf),
    ("nullable", Leaf),
    ("required", Leaf),
    ("template", Leaf),
    ("value", Leaf),
    ("null", Leaf),
    ("list", Leaf),
    ("shape", Leaf),
    ("array", Leaf),
    ("in_array", Leaf),
    ("omit", Leaf),
    ("count", Leaf),
    ("write", Leaf),
    ("values", Any(&Leaf)),
    ("prefix", Leaf),
    ("base", Leaf),
]);
const REFUSE: Keys = Table(&[
    ("field", Leaf),
    ("equals", Leaf),
    ("changed", Leaf),
    ("present", Leaf),
    ("reason", Leaf),
]);
const ROUTE: Keys = Table(&[
    ("op", Leaf),
    ("method", Leaf),
    ("path", Leaf),
    ("request", Leaf),
    ("response", Leaf),
    ("list", Leaf),
    ("status", Leaf),
    ("location", Leaf),
    ("required", Leaf),
    ("refuse", ArrayOf(&REFUSE)),
    ("envelope", Any(&Leaf)),
    (
        "download",
        Table(&[("accept", Leaf), ("status", Leaf), ("location", Leaf)]),
    ),
    ("exists_status", Leaf),
    ("answer", Leaf),
    ("file_query", Leaf),
    ("file_form", Leaf),
    ("upstream", Leaf),
    ("served", Leaf),
    ("roots", Any(&Leaf)),
    ("host", Leaf),
    ("held_url", Leaf),
]);
const GQL_MEMBER: Keys = Table(&[("member", Leaf), ("same_as", Leaf)]);
const GRAPHQL: Keys = Table(&[
    ("paths", Leaf),
    (
        "project",
        Table(&[("field", Leaf), ("type", Leaf), ("args", Any(&Leaf))]),
    ),
    (
        "fields",
        Any(&Table(&[
            ("op", Leaf),
            ("args", Any(&Leaf)),
            ("type", Leaf),
            ("connection", Leaf),
            ("only", Any(&Leaf)),
            ("prefix", Any(&Leaf)),
            ("reversed", Any(&Leaf)),
        ])),
    ),
    ("not_found_type", Leaf),
    ("types", Any(&Any(&GQL_MEMBER))),
    ("upstream", Any(&Leaf)),
]);
const SHAPE: Keys = Table(&[("kind", Leaf), ("missing", Leaf), ("fields", Any(&FIELD))]);

/// The keys of a mapping file.
pub const MAPPING: Keys = Table(&[
    (
        "dialect",
        Table(&[
            ("name", Leaf),
            ("title", Leaf),
            ("roots", Leaf),
            ("ids", Leaf),
            ("request_id_header", Leaf),
            ("urls_in_bodies", Leaf),
        ]),
    ),
    (
        "auth",
        Table(&[("inbound", ArrayOf(&CREDENTIAL)), ("outbound", CREDENTIAL)]),
    ),
    (
        "paging",
        Table(&[
            ("style", Leaf),
            ("page_param", Leaf),
            ("per_page_param", Leaf),
            ("per_page_fallback", Leaf),
            ("cursor_param", Leaf),
            ("default_per_page", Leaf),
            ("max_per_page", Leaf),
            ("page_header", Leaf),
            ("per_page_header", Leaf),
            ("next_header", Leaf),
            ("prev_header", Leaf),
            ("total_header", Leaf),
            ("last_header", Leaf),
            ("next_token_path", Leaf),
            ("link", Leaf),
            ("link_results", Leaf),
        ]),
    ),
    ("headers", Any(&Leaf)),
    ("route", ArrayOf(&ROUTE)),
    ("shapes", Any(&SHAPE)),
    ("unsupported", Any(&Leaf)),
    ("graphql", GRAPHQL),
    (
        "errors",
        Table(&[
            ("shape", Leaf),
            ("message_paths", Leaf),
            ("status", Any(&Leaf)),
            ("shapes", Any(&Leaf)),
            ("messages", Any(&Leaf)),
            ("envelope", Any(&Leaf)),
            ("by_message", Leaf),
        ]),
    ),
]);

/// The keys of the gateway config file.
pub const CONFIG: Keys = Table(&[
    (
        "server",
        Table(&[
            ("listen", Leaf),
            ("public_url", Leaf),
            ("accept", Leaf),
            ("tls_cert", Leaf),
            ("tls_key", Leaf),
        ]),
    ),
    (
        "upstream",
        Table(&[
            ("dialect", Leaf),
            ("url", Leaf),
            ("ca_file", Leaf),
            ("hosts", Any(&Leaf)),
        ]),
    ),
    ("mappings", Table(&[("dir", Leaf)])),
    (
        "limits",
        Table(&[
            ("max_body_bytes", Leaf),
            ("max_response_bytes", Leaf),
            ("upstream_timeout_ms", Leaf),
            ("connect_timeout_ms", Leaf),
            ("shutdown_grace_ms", Leaf),
            ("id_cache_entries", Leaf),
            ("max_id_scan_pages", Leaf),
            ("max_concurrent_translations", Leaf),
            ("io_buffer_bytes", Leaf),
            ("max_bulk_streams", Leaf),
            ("held_file_bytes", Leaf),
            ("held_file_seconds", Leaf),
        ]),
    ),
    ("projects", Any(&Leaf)),
]);

/// Every syntax error, else every unknown key, of `src` against `schema`.
pub fn check(file: &str, src: &str, schema: &Keys) -> Vec<Diagnostic> {
    let (doc, errors) = DeTable::parse_recoverable(src);
    if !errors.is_empty() {
        return errors
            .iter()
            .map(|e| {
                locate(
                    file,
                    src,
                    e.span().unwrap_or(0..0),
                    e.message().trim().to_owned(),
                    None,
                )
            })
            .collect();
    }
    let mut out = Vec::new();
    walk_table(file, src, doc.get_ref(), schema, &mut out);
    out.sort_by_key(|d| (d.line, d.column));
    out
}

fn walk_table(file: &str, src: &str, t: &DeTable, schema: &Keys, out: &mut Vec<Diagnostic>) {
    for (k, v) in t.iter() {
        match schema {
            Table(keys) => match keys.iter().find(|(name, _)| *name == k.get_ref().as_ref()) {
                Some((_, inner)) => walk_value(file, src, v, inner, out),
                None => {
                    let names = keys.iter().map(|(n, _)| *n);
                    let hint =
                        did_you_mean(k.get_ref(), names.clone()).unwrap_or_else(|| one_of(names));
                    out.push(locate(
                        file,
                        src,
                        k.span(),
                        "unknown key".into(),
                        Some(hint),
                    ));
                }
            },
            Any(inner) => walk_value(file, src, v, inner, out),
            Leaf | ArrayOf(_) => {}
        }
    }
}

fn walk_value(
    file: &str,
    src: &str,
    v: &Spanned<DeValue>,
    schema: &Keys,
    out: &mut Vec<Diagnostic>,
) {
    match (v.get_ref(), schema) {
        (DeValue::Table(t), Table(_) | Any(_)) => walk_table(file, src, t, schema, out),
        (DeValue::Array(a), ArrayOf(inner)) => {
            for item in a.iter() {
                walk_value(file, src, item, inner, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_unknown_key() {
        let src = "[dialect]\nnme = \"x\"\n[[route]]\nop = \"list\"\nmethd = \"GET\"\n[shapes.s.fields]\na = { feild = \"tag\" }\n";
        let d = check("m.toml", src, &MAPPING);
        let got: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "m.toml:2:1: error: unknown key: `nme`\n  hint: did you mean `name`?",
                "m.toml:5:1: error: unknown key: `methd`\n  hint: did you mean `method`?",
                "m.toml:7:7: error: unknown key: `feild`\n  hint: did you mean `field`?",
            ]
        );
    }

    #[test]
    fn reports_every_syntax_error() {
        // Two independent mistakes: both are reported.
        let d = check("m.toml", "a = 1 2\n[x\nb = 3\n", &MAPPING);
        let lines: Vec<usize> = d.iter().map(|d| d.line).collect();
        assert!(lines.contains(&1) && lines.contains(&2), "{d:?}");
    }
}
