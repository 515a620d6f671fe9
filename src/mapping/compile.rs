//! Mapping file → compiled dialect. Checks meaning, collects every problem with
//! its location, and lowers JSON paths and templates once, at load.

use super::diag::{did_you_mean, one_of, Diagnostic, Diags};
use super::model::*;
use super::raw::{self, FieldSpec, FieldTable, MappingFile, S};
use crate::canonical::{ErrorKind, Kind, Op, CONTEXT_VARS, HEADER_NAMES};
use http::{HeaderName, Method};
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use std::collections::HashMap;

/// Parses and compiles one mapping file. `file` is the name used in diagnostics.
pub fn compile_source(file: &str, src: &str) -> Result<Dialect, Vec<Diagnostic>> {
    let pre = super::keys::check(file, src, &super::keys::MAPPING);
    if !pre.is_empty() {
        return Err(pre);
    }
    let mut d = Diags::new(file, src);
    let raw: MappingFile = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            match super::diag::unknown_key(&msg) {
                Some((msg, hint)) => d.error(span, msg, Some(hint)),
                None => {
                    let hint = structure_hint(&msg);
                    d.error(span, msg, hint);
                }
            }
            return Err(d.out);
        }
    };
    let dialect = Compiler { d: &mut d }.dialect(raw);
    if d.out.is_empty() {
        dialect.ok_or(d.out)
    } else {
        // Sections are checked in dependency order (shapes before routes); report in file order.
        d.out.sort_by_key(|x| (x.line, x.column));
        Err(d.out)
    }
}

fn structure_hint(msg: &str) -> Option<String> {
    if msg.contains("missing field") {
        Some("every mapping needs [dialect] (name, roots) and [errors] (shape)".into())
    } else {
        None
    }
}

struct Compiler<'a, 's> {
    d: &'a mut Diags<'s>,
}

impl Compiler<'_, '_> {
    fn err(&mut self, span: std::ops::Range<usize>, msg: impl Into<String>, hint: Option<String>) {
        self.d.error(span, msg, hint);
    }

    /// A field's `prefix`: plain text a string member starts with.
    fn prefix(&mut self, p: &S<String>, t: &FieldTable, query: bool) -> Option<String> {
        let text = p.get_ref();
        let problem = if query {
            Some("`prefix` applies to a plain key, not to a JSONPath")
        } else if t.ty.is_some() {
            Some("a field with `prefix` takes no `type`: its JSON values are strings")
        } else if text.is_empty() {
            Some("`prefix` is empty")
        } else if text
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
        {
            Some("a `prefix` is plain text: no quote, backslash or control character")
        } else {
            None
        };
        match problem {
            Some(problem) => {
                self.err(p.span(), problem, None);
                None
            }
            None => Some(text.clone()),
        }
    }

    /// A field's `values`: (this dialect's JSON, canonical JSON) pairs, in
    /// the file's order. The dialect's words are strings (TOML keys); the
    /// canonical values are scalars, and the field's type is theirs.
    fn values(
        &mut self,
        v: &S<indexmap::IndexMap<String, toml::Value>>,
        t: &FieldTable,
        query: bool,
    ) -> Option<Box<[(String, String)]>> {
        let problem = if query {
            Some("`values` applies to a plain key, not to a JSONPath")
        } else if t.ty.is_some() {
            Some("a field with `values` takes no `type`: its JSON values are the strings named")
        } else if v.get_ref().is_empty() {
            Some("`values` names no value")
        } else if v
            .get_ref()
            .values()
            .any(|c| matches!(c, toml::Value::Array(_) | toml::Value::Table(_)))
        {
            Some("the canonical values in `values` are strings, numbers or booleans")
        } else {
            None
        };
        if let Some(p) = problem {
            self.err(v.span(), p, None);
            return None;
        }
        Some(
            v.get_ref()
                .iter()
                .map(|(word, c)| {
                    (
                        toml_to_json(&toml::Value::String(word.clone())),
                        toml_to_json(c),
                    )
                })
                .collect(),
        )
    }

    fn dialect(&mut self, raw: MappingFile) -> Option<Dialect> {
        let ds = raw.dialect.into_inner();
        let name = ds.name.get_ref().clone();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.err(
                ds.name.span(),
                "dialect name must be a non-empty word",
                Some(
                    "letters, digits, '-' and '_' only; it is what --accept and --upstream name"
                        .into(),
                ),
            );
        }
        let mut roots = Vec::new();
        for r in &ds.roots {
            let v = r.get_ref();
            if !(v.is_empty() || (v.starts_with('/') && !v.ends_with('/'))) {
                self.err(
                    r.span(),
                    "an API root is \"\" or starts with '/' and does not end with '/'",
                    None,
                );
            }
            roots.push(v.clone());
        }
        if roots.is_empty() {
            roots.push(String::new());
        }
        let synthesized_ids = match ds.ids.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("native") => false,
            Some("synthesized") => true,
            Some(_) => {
                let s = ds.ids.as_ref().map(|s| s.span()).unwrap_or(0..0);
                self.err(
                    s,
                    "unknown id policy",
                    Some(one_of(["native", "synthesized"])),
                );
                false
            }
        };
        let request_id_header = self.opt_header(&ds.request_id_header);

        let (auth_in, auth_out) = match raw.auth {
            Some(a) => {
                let a = a.into_inner();
                let ins = a.inbound.iter().filter_map(|s| self.cred(s)).collect();
                let out = a.outbound.as_ref().and_then(|s| self.cred(s));
                (ins, out)
            }
            None => (Vec::new(), None),
        };
        let paging = raw.paging.map(|p| self.paging(p));

        let mut headers = Vec::new();
        for (h, c) in &raw.headers {
            let hn = self.header_name(h);
            match HEADER_NAMES.iter().position(|n| n == c.get_ref()) {
                Some(i) => {
                    if let Some(hn) = hn {
                        headers.push((hn, i));
                    }
                }
                None => self.err(
                    c.span(),
                    "unknown canonical header",
                    did_you_mean(c.get_ref(), HEADER_NAMES.iter().copied())
                        .or_else(|| Some(one_of(HEADER_NAMES.iter().copied()))),
                ),
            }
        }

        // Shapes first: routes and errors refer to them by name.
        let names: HashMap<String, (ShapeId, Kind)> = raw
            .shapes
            .iter()
            .enumerate()
            .filter_map(|(i, (n, s))| {
                Kind::parse(s.get_ref().kind.get_ref()).map(|k| (n.get_ref().clone(), (i, k)))
            })
            .collect();
        let mut shapes = Vec::new();
        for (n, s) in &raw.shapes {
            shapes.push(self.shape(n.get_ref(), s, &names));
        }

        let mut routes = Vec::new();
        for r in &raw.routes {
            if let Some(route) = self.route(r, &names, &roots) {
                // A project found by its number is asked for its path.
                let path = Kind::Project.field_index("path");
                let reads_path = |s: ShapeId| {
                    shapes[s]
                        .as_ref()
                        .is_none_or(|s: &Shape| path.is_some_and(|p| s.field_keys[p].is_some()))
                };
                if route.op == Op::ProjectById && !route.response.is_none_or(reads_path) {
                    self.err(
                        r.get_ref().response.as_ref().map_or(0..0, |s| s.span()),
                        "the answer of a `project_by_id` route says the project's path: its `response` shape reads `path`",
                        Some("the member that holds owner/repo, read only: \"$.full_name\" = { field = \"path\", write = false }".into()),
                    );
                }
                routes.push(route);
            }
        }
        let router = self.router(&routes, &roots, &raw.routes);
        // A forge that lists its releases but cannot read one by tag: the
        // gateway finds it in the list (after the router is built, so that
        // no request matches it).
        let by_tag = |r: &Route| r.op == Op::Get && r.key == ReleaseKeyVar::Tag;
        if !routes.iter().any(by_tag) {
            if let Some(list) = routes
                .iter()
                .find(|r| r.op == Op::List && r.response.is_some())
            {
                routes.push(Route::list_lookup(list));
            }
        }
        let errors = self.errors(&raw.errors, &names);
        let mut unsupported = Vec::new();
        for (op, why) in &raw.unsupported {
            let Some(o) = self.op_name(op) else {
                continue;
            };
            // A route asked under its own roots is asked only where the
            // upstream's URL ends with one of them: elsewhere, the reason.
            let always = |r: &Route| {
                r.op == o
                    && r.upstream
                    && r.host.is_none()
                    && roots
                        .iter()
                        .all(|a| r.roots.is_empty() || r.roots.iter().any(|(k, _)| k == a))
            };
            if routes.iter().any(always) {
                self.err(
                    op.span(),
                    "this dialect has a route for this operation: it is not unsupported",
                    Some("a route only clients use says `upstream = false`; a route with `roots` leaves out the API roots where the reason applies".into()),
                );
            }
            unsupported.push((o, why.get_ref().clone()));
        }

        let graphql = raw
            .graphql
            .as_ref()
            .and_then(|g| self.graphql(g, &routes, &roots, paging.as_ref()));

        let shapes: Vec<Shape> = shapes.into_iter().flatten().collect();
        if shapes.len() != raw.shapes.len() {
            return None;
        }
        Some(Dialect {
            title: ds.title.clone().unwrap_or_else(|| name.clone()),
            name,
            roots,
            synthesized_ids,
            request_id_header,
            urls_in_bodies: ds.urls_in_bodies,
            auth_in,
            auth_out,
            paging,
            headers,
            routes,
            router,
            shapes,
            errors: errors?,
            unsupported,
            graphql,
        })
    }

    /// `[graphql]`: every name a GraphQL name, every field bound to one of
    /// this dialect's routes that its arguments (and the project's) address.
    fn graphql(
        &mut self,
        g: &S<raw::GraphqlSection>,
        routes: &[Route],
        roots: &[String],
        paging: Option<&Paging>,
    ) -> Option<Graphql> {
        let g = g.get_ref();
        let before = self.d.out.len();
        let mut paths = Vec::new();
        for p in &g.paths {
            if !p.get_ref().starts_with('/') {
                self.err(p.span(), "a GraphQL path starts with '/'", None);
            }
            paths.push(p.get_ref().clone());
        }
        if paths.is_empty() {
            self.err(
                g.project.span(),
                "`paths` names no path to serve GraphQL at",
                None,
            );
        }
        let proj = g.project.get_ref();
        self.gql_name(&proj.field);
        self.gql_name(&proj.ty);
        let pargs = self.gql_args(&proj.args);
        let pvars: Vec<PathVar> = pargs.iter().map(|(_, v)| *v).collect();
        let names_project = pvars.contains(&PathVar::Project)
            || (pvars.contains(&PathVar::Owner) && pvars.contains(&PathVar::Repo));
        if !names_project || pvars.iter().any(|v| !is_project_var(*v)) {
            self.err(
                g.project.span(),
                "the project's arguments name it: `project`, or `owner` and `repo`",
                None,
            );
        }
        let types: Vec<&str> = g.types.keys().map(|k| k.get_ref().as_str()).collect();
        let route_for = |op: Op, vars: &[PathVar]| {
            routes.iter().position(|r| {
                r.op == op
                    && r.method == Method::GET
                    && !r.found_in_list
                    && r.path.parts.iter().all(|p| match p {
                        PathPart::Lit(_) => true,
                        PathPart::Var(v) | PathPart::CatchAll(v) => {
                            is_project_var(*v) || vars.contains(v)
                        }
                    })
                    && vars.iter().all(|v| r.path.names(*v))
            })
        };
        let mut fields = Vec::new();
        for (name, f) in &g.fields {
            self.gql_name(name);
            let fr = f.get_ref();
            let args = self.gql_args(&fr.args);
            if args.iter().any(|(_, v)| is_project_var(*v)) {
                self.err(
                    f.span(),
                    "the project is named by its own field's arguments",
                    None,
                );
            }
            let vars: Vec<PathVar> = args.iter().map(|(_, v)| *v).collect();
            let Some(op) = self.op_name(&fr.op) else {
                continue;
            };
            let Some(route) = route_for(op, &vars) else {
                self.err(
                    fr.op.span(),
                    "no GET route of this operation is addressed by the project and these arguments",
                    None,
                );
                continue;
            };
            let record = types.iter().position(|t| *t == fr.ty.get_ref());
            if record.is_none() {
                self.err(
                    fr.ty.span(),
                    "no such type in [graphql.types]",
                    did_you_mean(fr.ty.get_ref(), types.iter().copied())
                        .or_else(|| Some(one_of(types.iter().copied()))),
                );
            }
            if let Some(c) = &fr.connection {
                self.gql_name(c);
                if !paging.is_some_and(|p| {
                    p.style == PagingStyle::Page
                        && p.page_param.is_some()
                        && p.per_page_param.is_some()
                }) {
                    self.err(
                        c.span(),
                        "a connection reads its pages by number: this dialect's [paging] needs style \"page\", page_param and per_page_param",
                        None,
                    );
                }
                if !op.lists() {
                    self.err(c.span(), "a connection reads a list operation", None);
                }
            }
            let mut only = Vec::new();
            for (arg, lit) in &fr.only {
                self.gql_name(arg);
                match crate::translate::graphql::parse_value(lit.get_ref()) {
                    Ok(v) => only.push((arg.get_ref().clone(), v)),
                    Err(e) => self.err(lit.span(), format!("not a GraphQL value: {e}"), None),
                }
            }
            let mut reversed = Vec::new();
            for (arg, lit) in &fr.reversed {
                self.gql_name(arg);
                if fr.connection.is_none() {
                    self.err(
                        arg.span(),
                        "only a connection's list is read reversed",
                        None,
                    );
                }
                match crate::translate::graphql::parse_value(lit.get_ref()) {
                    Ok(v) => reversed.push((arg.get_ref().clone(), v)),
                    Err(e) => self.err(lit.span(), format!("not a GraphQL value: {e}"), None),
                }
            }
            let mut prefix = Vec::new();
            for (arg, text) in &fr.prefix {
                if !args.iter().any(|(a, _)| a == arg.get_ref()) {
                    let names = args.iter().map(|(a, _)| a.as_str());
                    self.err(
                        arg.span(),
                        "`prefix` names an argument of `args`",
                        did_you_mean(arg.get_ref(), names.clone()).or_else(|| Some(one_of(names))),
                    );
                } else if text.get_ref().is_empty() {
                    self.err(text.span(), "`prefix` is empty", None);
                }
                prefix.push((arg.get_ref().clone(), text.get_ref().clone()));
            }
            fields.push(GqlField {
                name: name.get_ref().clone(),
                route,
                args,
                connection: fr.connection.as_ref().map(|c| c.get_ref().clone()),
                record: record.unwrap_or(0),
                only,
                prefix,
                reversed,
            });
        }
        let mut out_types = Vec::new();
        for (tname, members) in &g.types {
            self.gql_name(tname);
            let mut fields = Vec::new();
            for (fname, spec) in members.get_ref() {
                self.gql_name(fname);
                let out = match spec.get_ref() {
                    raw::StrOr::Str(m) => {
                        let m = S::new(spec.span(), m.clone());
                        self.simple_path(&m).map(GqlOut::Member)
                    }
                    raw::StrOr::Table(t) => {
                        let member = self.simple_path(&t.member);
                        let route = self.op_name(&t.same_as).and_then(|op| {
                            let r = route_for(op, &[]);
                            if r.is_none() {
                                self.err(
                                    t.same_as.span(),
                                    "no GET route of this operation is addressed by the project alone",
                                    None,
                                );
                            }
                            r
                        });
                        member
                            .zip(route)
                            .map(|(member, route)| GqlOut::SameAs { member, route })
                    }
                };
                if let Some(out) = out {
                    fields.push((fname.get_ref().clone(), out));
                }
            }
            out_types.push(GqlType {
                name: tname.get_ref().clone(),
                fields,
            });
        }
        let mut upstream = Vec::new();
        for (root, path) in &g.upstream {
            self.api_root(root, roots);
            if !path.get_ref().starts_with('/') {
                self.err(path.span(), "a GraphQL path starts with '/'", None);
            }
            upstream.push((root.get_ref().clone(), path.get_ref().clone()));
        }
        (self.d.out.len() == before).then(|| Graphql {
            upstream,
            paths,
            project: (
                proj.field.get_ref().clone(),
                proj.ty.get_ref().clone(),
                pargs,
            ),
            fields,
            types: out_types,
            not_found_type: g.not_found_type.as_ref().map(|t| t.get_ref().clone()),
        })
    }

    /// A GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`, not one of the reserved `__…`.
    fn gql_name(&mut self, n: &S<String>) {
        let s = n.get_ref();
        let ok = s.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
            && s.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            && !s.starts_with("__");
        if !ok {
            self.err(
                n.span(),
                "not a GraphQL name",
                Some("letters, digits and '_', not first a digit, not first \"__\"".into()),
            );
        }
    }

    /// GraphQL arguments, each bound to a path variable.
    fn gql_args(
        &mut self,
        args: &indexmap::IndexMap<S<String>, S<String>>,
    ) -> Vec<(String, PathVar)> {
        let mut out = Vec::new();
        for (a, v) in args {
            self.gql_name(a);
            match PathVar::parse(v.get_ref()) {
                Some(pv) => out.push((a.get_ref().clone(), pv)),
                None => self.err(
                    v.span(),
                    "unknown path variable",
                    did_you_mean(v.get_ref(), PathVar::NAMES)
                        .or_else(|| Some(one_of(PathVar::NAMES))),
                ),
            }
        }
        out
    }

    fn op_name(&mut self, op: &S<String>) -> Option<Op> {
        let o = Op::parse(op.get_ref());
        if o.is_none() {
            let hint = did_you_mean(op.get_ref(), Op::ALL.iter().map(|o| o.name()))
                .unwrap_or_else(|| one_of(Op::ALL.iter().map(|o| o.name())));
            self.err(op.span(), "unknown operation", Some(hint));
        }
        o
    }

    fn header_name(&mut self, h: &S<String>) -> Option<HeaderName> {
        match HeaderName::from_bytes(h.get_ref().as_bytes()) {
            Ok(n) => Some(n),
            Err(_) => {
                self.err(h.span(), "not a valid HTTP header name", None);
                None
            }
        }
    }

    fn opt_header(&mut self, h: &Option<S<String>>) -> Option<HeaderName> {
        h.as_ref().and_then(|h| self.header_name(h))
    }

    fn cred(&mut self, s: &S<raw::CredentialSlot>) -> Option<CredentialSlot> {
        let c = s.get_ref();
        match (&c.header, &c.query) {
            (Some(_), Some(_)) | (None, None) => {
                self.err(
                    s.span(),
                    "a credential slot names exactly one of `header` or `query`",
                    None,
                );
                None
            }
            _ => Some(CredentialSlot {
                header: self.opt_header(&c.header),
                header_spelling: c.header.as_ref().map(|h| h.get_ref().clone()),
                scheme: c.scheme.as_ref().map(|s| s.get_ref().clone()),
                query: c.query.as_ref().map(|q| q.get_ref().clone()),
            }),
        }
    }

    fn paging(&mut self, p: S<raw::PagingSection>) -> Paging {
        let span = p.span();
        let p = p.into_inner();
        let style = match p.style.get_ref().as_str() {
            "page" => PagingStyle::Page,
            "cursor" => PagingStyle::Cursor,
            "token" => PagingStyle::Token,
            _ => {
                let styles = ["page", "cursor", "token"];
                let hint =
                    did_you_mean(p.style.get_ref(), styles).unwrap_or_else(|| one_of(styles));
                self.err(p.style.span(), "unknown paging style", Some(hint));
                PagingStyle::Page
            }
        };
        if style == PagingStyle::Page && p.page_param.is_none() {
            self.err(span.clone(), "page paging needs `page_param`", None);
        }
        if style == PagingStyle::Cursor && p.cursor_param.is_none() {
            self.err(span.clone(), "cursor paging needs `cursor_param`", None);
        }
        let next_token_path = p.next_token_path.as_ref().and_then(|s| self.simple_path(s));
        if style == PagingStyle::Token && (p.cursor_param.is_none() || next_token_path.is_none()) {
            self.err(
                span,
                "token paging needs `cursor_param` and `next_token_path`",
                None,
            );
        }
        Paging {
            style,
            page_param: p.page_param.map(|s| s.into_inner()),
            per_page_param: p.per_page_param.map(|s| s.into_inner()),
            per_page_fallback: p.per_page_fallback.map(|s| s.into_inner()),
            cursor_param: p.cursor_param.map(|s| s.into_inner()),
            default_per_page: p.default_per_page.map(|s| s.into_inner()),
            max_per_page: p.max_per_page.map(|s| s.into_inner()),
            page_header: self.opt_header(&p.page_header),
            per_page_header: self.opt_header(&p.per_page_header),
            next_header: self.opt_header(&p.next_header),
            prev_header: self.opt_header(&p.prev_header),
            total_header: self.opt_header(&p.total_header),
            last_header: self.opt_header(&p.last_header),
            next_token_path,
            link: p.link || p.link_results,
            link_results: p.link_results,
        }
    }

    /// A path of plain member names (`a.b`, `$.a.b`); anything else is reported.
    fn simple_path(&mut self, s: &S<String>) -> Option<Vec<String>> {
        let (simple, rest) = self.json_path(s)?;
        if rest.is_some() {
            self.err(
                s.span(),
                "only plain member paths are allowed here",
                Some("write it as `a.b.c`".into()),
            );
            return None;
        }
        Some(simple)
    }

    /// Parses a JSONPath (a leading `$.` is implied) and splits it into the plain
    /// member prefix, walked directly, and the remainder run by the JSONPath engine.
    fn json_path(&mut self, s: &S<String>) -> Option<(Vec<String>, Option<JpQuery>)> {
        let text = s.get_ref();
        if text == "$" {
            return Some((Vec::new(), None));
        }
        let full = if text.starts_with('$') {
            text.clone()
        } else {
            format!("$.{text}")
        };
        let q = match parse_json_path(&full) {
            Ok(q) => q,
            Err(e) => {
                let (col, msg) = jsonpath_error(&e.to_string());
                // The column counts in `full`, which may have a `$.` the file does not.
                let lead = full.len() - text.len();
                let span = match col.and_then(|c| full.char_indices().nth(c.saturating_sub(1))) {
                    Some((at, _)) if at >= lead => self.inner(s, at - lead..text.len()),
                    _ => s.span(),
                };
                self.err(
                    span,
                    format!("invalid JSONPath: {msg}"),
                    Some("see RFC 9535; a plain path is `a.b.c`".into()),
                );
                return None;
            }
        };
        let mut simple = Vec::new();
        let mut segs = q.segments.into_iter().peekable();
        while let Some(Segment::Selector(Selector::Name(n))) = segs.peek() {
            simple.push(n.clone());
            segs.next();
        }
        let rest: Vec<Segment> = segs.collect();
        if rest.is_empty() {
            Some((simple, None))
        } else if simple.is_empty() {
            self.err(s.span(), "a JSONPath must start with a member name", None);
            None
        } else {
            Some((simple, Some(JpQuery::new(rest))))
        }
    }

    /// The span of bytes `range` of a string value's text when the value is written
    /// without escapes (so text offsets are source offsets); else the whole value.
    fn inner(&self, s: &S<String>, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let span = s.span();
        let text = s.get_ref();
        let raw = self.d.src.get(span.clone()).unwrap_or("");
        let start = if raw == text {
            span.start
        } else if raw.len() == text.len() + 2 && raw.get(1..raw.len() - 1) == Some(text.as_str()) {
            span.start + 1
        } else {
            return span;
        };
        start + range.start..start + range.end
    }

    fn field_index(&mut self, kind: Kind, s: &S<String>) -> Option<usize> {
        let r = kind.field_index(s.get_ref());
        if r.is_none() {
            let hint = did_you_mean(s.get_ref(), kind.fields().iter().copied())
                .unwrap_or_else(|| one_of(kind.fields().iter().copied()));
            self.err(
                s.span(),
                format!("unknown {} field", kind.name()),
                Some(hint),
            );
        }
        r
    }

    fn shape(
        &mut self,
        name: &str,
        s: &S<raw::ShapeSection>,
        names: &HashMap<String, (ShapeId, Kind)>,
    ) -> Option<Shape> {
        let sec = s.get_ref();
        let Some(kind) = Kind::parse(sec.kind.get_ref()) else {
            self.err(
                sec.kind.span(),
                "unknown kind",
                Some(one_of(Kind::ALL.iter().map(|k| k.name()))),
            );
            return None;
        };
        let missing = match sec.missing.as_ref().map(|m| m.get_ref().as_str()) {
            None | Some("null") => Missing::Null,
            Some("omit") => Missing::Omit,
            Some(_) => {
                let span = sec.missing.as_ref().map(|m| m.span()).unwrap_or(0..0);
                self.err(
                    span,
                    "unknown `missing` policy",
                    Some(one_of(["null", "omit"])),
                );
                Missing::Null
            }
        };
        let mut read = ReadNode::default();
        let mut write: Vec<WMember> = Vec::new();
        let mut field_keys = vec![None; kind.fields().len()];
        let mut checks = Vec::new();
        let mut lists = Vec::new();
        let mut derive = Vec::new();
        let mut bases = Vec::new();
        for (key, spec) in &sec.fields {
            let Some((simple, rest)) = self.json_path(key) else {
                continue;
            };
            let table;
            let t: &FieldTable = match spec.get_ref() {
                FieldSpec::Str(f) => {
                    table = FieldTable {
                        field: Some(S::new(spec.span(), f.clone())),
                        ..FieldTable::default()
                    };
                    &table
                }
                FieldSpec::Table(t) => t,
            };
            let sources = [
                t.field.is_some(),
                t.template.is_some(),
                t.value.is_some(),
                t.null,
                t.list.is_some(),
                t.array.is_some(),
                t.count.is_some(),
            ];
            if sources.iter().filter(|b| **b).count() != 1 {
                self.err(
                    spec.span(),
                    "a field takes exactly one of `field`, `template`, `value`, `null`, `list`, `array`, `count`",
                    None,
                );
                continue;
            }
            if t.required && t.field.is_none() {
                self.err(
                    spec.span(),
                    "`required` applies to `field` entries only",
                    Some("a template, value or list is always written".into()),
                );
                continue;
            }
            let read_only = match &t.write {
                Some(_) if t.field.is_none() => {
                    self.err(
                        spec.span(),
                        "`write` applies to `field` entries only",
                        Some("a template, value, list or count is only ever written".into()),
                    );
                    continue;
                }
                Some(w) => !*w.get_ref(),
                None => false,
            };
            if let (Some(v), None) = (&t.values, &t.field) {
                self.err(
                    v.span(),
                    "`values` applies to `field` entries only",
                    Some("a template or value is written as it is".into()),
                );
                continue;
            }
            if let (Some(p), None) = (&t.prefix, &t.field) {
                self.err(
                    p.span(),
                    "`prefix` applies to `field` entries only",
                    Some("a template or value is written as it is".into()),
                );
                continue;
            }
            if let Some(b) = &t.base {
                let why = if t.field.is_none() {
                    Some("`base` applies to `field` entries only")
                } else if t.prefix.is_some() || t.values.is_some() {
                    Some("a field takes one of `base`, `prefix` and `values`")
                } else if t.ty.as_ref().is_some_and(|ty| ty.get_ref() != "string") {
                    Some("a field with `base` is a string")
                } else {
                    None
                };
                if let Some(why) = why {
                    self.err(b.span(), why, None);
                    continue;
                }
            }
            if t.in_array && t.template.is_none() {
                self.err(
                    spec.span(),
                    "`in_array` applies to `template` entries only",
                    Some("a constant array is a `value`".into()),
                );
                continue;
            }
            let omit = t.omit.unwrap_or(missing == Missing::Omit);
            let mut element = None;
            let writable = rest.is_none();
            let value = if let Some(f) = &t.field {
                let Some(idx) = self.field_index(kind, f) else {
                    continue;
                };
                let fallback = t
                    .fallback
                    .as_ref()
                    .and_then(|fb| self.field_index(kind, fb));
                let declared = self.ty(&t.ty);
                let default = t.default.as_ref().map(|v| toml_to_json(v.get_ref()));
                let spelling = match (&t.values, &t.prefix) {
                    (Some(v), None) => match self.values(v, t, rest.is_some()) {
                        Some(pairs) => Some(Box::new(Spelling::Words(pairs))),
                        None => continue,
                    },
                    (None, Some(p)) => match self.prefix(p, t, rest.is_some()) {
                        Some(p) => Some(Box::new(Spelling::Prefix(p))),
                        None => continue,
                    },
                    (Some(_), Some(p)) => {
                        self.err(
                            p.span(),
                            "a field takes `values` or `prefix`, not both",
                            None,
                        );
                        continue;
                    }
                    (None, None) => None,
                };
                let ty = if spelling.is_some() {
                    Ty::Spelled
                } else {
                    declared
                };
                let out = FieldOut {
                    field: idx,
                    fallback,
                    default,
                    ty,
                    nullable: t.nullable,
                    spelling: spelling.clone(),
                };
                let cap = match rest {
                    Some(q) => match lower_select(&q) {
                        Some((key, equals, path)) => {
                            if !path.is_empty() && !read_only {
                                element = Some(Element {
                                    open: element_open(&key, &equals, &path),
                                    close: "}".repeat(path.len()),
                                    out: out.clone(),
                                });
                            }
                            Capture::Select {
                                key,
                                equals,
                                path,
                                field: idx,
                            }
                        }
                        None => Capture::Query {
                            query: Box::new(q),
                            field: idx,
                        },
                    },
                    None => match spelling {
                        Some(spelling) => Capture::Spelled {
                            field: idx,
                            spelling,
                        },
                        None => Capture::Field(idx),
                    },
                };
                insert_capture(&mut read, &simple, cap);
                if field_keys[idx].is_none() {
                    field_keys[idx] = Some(simple.join("."));
                }
                if declared != Ty::Any || t.required {
                    checks.push(FieldCheck {
                        field: idx,
                        ty: declared,
                        nullable: t.nullable,
                        required: t.required,
                    });
                }
                if let Some(tpl) = t.derive.as_ref().and_then(|d| self.template(d, kind)) {
                    derive.push((idx, tpl));
                }
                if let Some(tpl) = t.base.as_ref().and_then(|b| self.template(b, kind)) {
                    bases.push((idx, tpl));
                }
                WValue::Field { out, omit }
            } else if let Some(tpl) = &t.template {
                match self.template(tpl, kind) {
                    Some(tp) => WValue::Template {
                        t: tp,
                        in_array: t.in_array,
                    },
                    None => continue,
                }
            } else if let Some(v) = &t.value {
                WValue::Const(toml_to_json(v.get_ref()))
            } else if t.null {
                WValue::Const("null".into())
            } else if let Some(l) = &t.list {
                let Some(li) = kind.list_index(l.get_ref()) else {
                    let names: Vec<&str> = kind.lists().iter().map(|(n, _)| *n).collect();
                    self.err(
                        l.span(),
                        format!("unknown {} list", kind.name()),
                        Some(one_of(names)),
                    );
                    continue;
                };
                let Some(sh) = &t.shape else {
                    self.err(spec.span(), "a `list` field needs `shape`", None);
                    continue;
                };
                let want = kind.lists()[li].1;
                let Some(sid) = self.shape_ref(sh, names, want) else {
                    continue;
                };
                if rest.is_some() {
                    self.err(key.span(), "a list must sit at a plain member path", None);
                    continue;
                }
                insert_capture(
                    &mut read,
                    &simple,
                    Capture::List {
                        list: li,
                        shape: sid,
                    },
                );
                lists.push((li, sid));
                WValue::List {
                    list: li,
                    shape: sid,
                    omit,
                }
            } else if let Some(a) = &t.array {
                let Some(sid) = self.shape_ref(a, names, kind) else {
                    continue;
                };
                WValue::Array(sid)
            } else if let Some(c) = &t.count {
                let mut of = Vec::new();
                for name in c.get_ref() {
                    let n = name.get_ref();
                    if let Some(li) = kind.list_index(n) {
                        of.push(CountOf::List(li));
                    } else if let Some(fi) = kind.field_index(n) {
                        of.push(CountOf::Field(fi));
                    } else {
                        let lists = kind.lists().iter().map(|(l, _)| *l);
                        let names = kind.fields().iter().copied().chain(lists);
                        let hint = did_you_mean(n, names.clone()).unwrap_or_else(|| one_of(names));
                        self.err(
                            name.span(),
                            format!("unknown {} field or list", kind.name()),
                            Some(hint),
                        );
                    }
                }
                WValue::Count(of.into_boxed_slice())
            } else {
                continue;
            };
            if !writable {
                if !matches!(value, WValue::Field { .. }) {
                    self.err(
                        key.span(),
                        "only `field` entries may use a JSONPath with selectors",
                        None,
                    );
                    continue;
                }
                // `[?(@.k == lit)].path` is written as an array element;
                // any other JSONPath is read-only.
                if let Some(el) = element.take() {
                    insert_element(&mut write, &simple, el);
                }
                continue;
            }
            if simple.is_empty() {
                self.err(key.span(), "a field needs a member name", None);
                continue;
            }
            if !read_only {
                insert_member(&mut write, &simple, value);
            }
        }
        read.index();
        // A template naming a field the record lacks writes the field's
        // default, as the shape writes the field itself.
        let mut defaults: Vec<Option<Box<str>>> = vec![None; kind.fields().len()];
        collect_defaults(&write, &mut defaults);
        fill_template_defaults(&mut write, &defaults);
        let program = lower_write(&write);
        Some(Shape {
            name: name.to_owned(),
            kind,
            read,
            write,
            program,
            field_keys,
            checks,
            lists,
            derive,
            bases,
        })
    }

    fn shape_ref(
        &mut self,
        s: &S<String>,
        names: &HashMap<String, (ShapeId, Kind)>,
        want: Kind,
    ) -> Option<ShapeId> {
        match names.get(s.get_ref()) {
            Some((id, k)) if *k == want => Some(*id),
            Some((_, k)) => {
                self.err(
                    s.span(),
                    format!(
                        "shape is of kind {} where {} is needed",
                        k.name(),
                        want.name()
                    ),
                    None,
                );
                None
            }
            None => {
                let hint = did_you_mean(s.get_ref(), names.keys().map(|k| k.as_str()));
                self.err(
                    s.span(),
                    "unknown shape",
                    hint.or_else(|| Some("define it under [shapes.NAME]".into())),
                );
                None
            }
        }
    }

    fn ty(&mut self, t: &Option<S<String>>) -> Ty {
        match t.as_ref().map(|t| t.get_ref().as_str()) {
            None => Ty::Any,
            Some("string") => Ty::String,
            Some("int") => Ty::Int,
            Some("bool") => Ty::Bool,
            Some(_) => {
                let span = t.as_ref().map(|t| t.span()).unwrap_or(0..0);
                self.err(
                    span,
                    "unknown type",
                    Some(one_of(["string", "int", "bool"])),
                );
                Ty::Any
            }
        }
    }

    /// `{var}` or `{var|segment}`; `{{` and `}}` are literal braces.
    fn template(&mut self, s: &S<String>, kind: Kind) -> Option<Template> {
        let text = s.get_ref();
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        let mut ok = true;
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = None;
                    for (j, c) in chars.by_ref() {
                        if c == '}' {
                            closed = Some(j);
                            break;
                        }
                        name.push(c);
                    }
                    let Some(close) = closed else {
                        let span = self.inner(s, at..text.len());
                        self.err(
                            span,
                            "unclosed `{` in template",
                            Some("write `{{` for a literal brace".into()),
                        );
                        return None;
                    };
                    let var_span = self.inner(s, at..close + 1);
                    let (var, filter) = match name.split_once('|') {
                        Some((v, f)) => (v, Some(f)),
                        None => (name.as_str(), None),
                    };
                    let segment = match filter {
                        None => false,
                        Some("segment") => true,
                        Some(f) => {
                            self.err(
                                var_span.clone(),
                                "unknown template filter",
                                Some(
                                    did_you_mean(f, ["segment"])
                                        .unwrap_or_else(|| one_of(["segment"])),
                                ),
                            );
                            ok = false;
                            false
                        }
                    };
                    let tv = match var {
                        "api" => Some(TVar::Api),
                        "upstream" => Some(TVar::Upstream),
                        "owner" => Some(TVar::Owner),
                        "repo" => Some(TVar::Repo),
                        "project" => Some(TVar::Project),
                        other => kind.field_index(other).map(TVar::Field),
                    };
                    match tv {
                        Some(v) => {
                            if !lit.is_empty() {
                                parts.push(lit_part(std::mem::take(&mut lit)));
                            }
                            parts.push(TPart::Var {
                                var: v,
                                segment,
                                default: None,
                            });
                        }
                        None => {
                            let cands = CONTEXT_VARS
                                .iter()
                                .copied()
                                .chain(kind.fields().iter().copied());
                            let hint = did_you_mean(var, cands).unwrap_or_else(|| {
                                format!(
                                    "use {} or a {} field",
                                    CONTEXT_VARS.join(", "),
                                    kind.name()
                                )
                            });
                            self.err(var_span, "unknown template variable", Some(hint));
                            ok = false;
                        }
                    }
                }
                '}' => {
                    let span = self.inner(s, at..at + 1);
                    self.err(
                        span,
                        "stray `}` in template",
                        Some("write `}}` for a literal brace".into()),
                    );
                    return None;
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(lit_part(lit));
        }
        ok.then_some(Template { parts })
    }

    fn route(
        &mut self,
        r: &S<raw::RouteSection>,
        names: &HashMap<String, (ShapeId, Kind)>,
        api_roots: &[String],
    ) -> Option<Route> {
        let rs = r.get_ref();
        let op = self.op_name(&rs.op);
        let method = match Method::from_bytes(rs.method.get_ref().as_bytes()) {
            Ok(m) if rs.method.get_ref().chars().all(|c| c.is_ascii_uppercase()) => Some(m),
            _ => {
                self.err(
                    rs.method.span(),
                    "not an HTTP method",
                    Some("GET, POST, PUT, PATCH or DELETE, in capitals".into()),
                );
                None
            }
        };
        let path = self.path_template(&rs.path);
        let request = rs
            .request
            .as_ref()
            .and_then(|s| self.shape_ref(s, names, op.map_or(Kind::Release, Op::asks)));
        let answers = op.map_or(Kind::Release, Op::answers);
        let response = rs
            .response
            .as_ref()
            .and_then(|s| self.shape_ref(s, names, answers));
        let list = rs.list.as_ref().and_then(|s| self.simple_path(s));
        if op.is_some_and(Op::lists) && rs.list.is_none() {
            self.err(
                rs.op.span(),
                "a list route needs `list` (\"$\" when the body is the array)",
                None,
            );
        }
        if matches!(op, Some(Op::Create | Op::Update)) && rs.request.is_none() {
            self.err(
                rs.op.span(),
                "a create or update route needs a `request` shape",
                None,
            );
        }
        let status = rs.status.as_ref().map_or(200, |s| *s.get_ref());
        if !(200..300).contains(&status) {
            let span = rs.status.as_ref().map(|s| s.span()).unwrap_or(0..0);
            self.err(span, "a route's success status is 2xx", None);
        }
        let location = rs
            .location
            .as_ref()
            .and_then(|l| self.template(l, Kind::Release));
        let required = rs
            .required
            .iter()
            .filter_map(|f| self.field_index(Kind::Release, f))
            .collect();
        let mut refuse = Vec::new();
        for rr in &rs.refuse {
            let rr = rr.get_ref();
            // `present` may name a child list too: refused when it has elements.
            let asks = op.map_or(Kind::Release, Op::asks);
            let list = asks.list_index(rr.field.get_ref()).filter(|_| rr.present);
            let (field, name) = match list {
                Some(l) => (l, asks.lists()[l].0),
                None => match self.field_index(asks, &rr.field) {
                    Some(f) => (f, asks.fields()[f]),
                    None => continue,
                },
            };
            if rr.changed && asks != Kind::Release {
                self.err(
                    rr.field.span(),
                    "`changed` compares with the addressed release's tag: only a rule of a release request has it",
                    None,
                );
                continue;
            }
            let check = match (&rr.equals, rr.changed, rr.present) {
                (Some(v), false, false) => RefuseCheck::Equals(field, toml_to_json(v.get_ref())),
                (None, true, false) => RefuseCheck::Changed(field),
                (None, false, true) if list.is_some() => RefuseCheck::Listed(field),
                (None, false, true) => RefuseCheck::Present(field),
                _ => {
                    self.err(
                        rr.field.span(),
                        "a refuse rule takes exactly one of `equals`, `changed = true` or `present = true`",
                        None,
                    );
                    continue;
                }
            };
            refuse.push(Refuse {
                name,
                check,
                reason: rr.reason.get_ref().clone(),
            });
        }
        let mut envelope = Vec::with_capacity(rs.envelope.len());
        for (k, v) in &rs.envelope {
            let member = match v.get_ref() {
                toml::Value::Table(t) if t.len() == 1 && t.contains_key("template") => {
                    match t.get("template") {
                        Some(toml::Value::String(text)) => {
                            let s = S::new(v.span(), text.clone());
                            match self.template(&s, Kind::Release) {
                                Some(tpl)
                                    if tpl.parts.iter().any(|p| {
                                        matches!(
                                            p,
                                            TPart::Var {
                                                var: TVar::Field(_),
                                                ..
                                            }
                                        )
                                    }) =>
                                {
                                    self.err(
                                        v.span(),
                                        "an envelope template names a release field",
                                        Some("an envelope is written once around the list: use `{api}`, `{upstream}`, `{owner}`, `{repo}` or `{project}`".into()),
                                    );
                                    continue;
                                }
                                Some(tpl) => EnvelopeValue::Template(tpl),
                                None => continue,
                            }
                        }
                        _ => {
                            self.err(v.span(), "`template` must be a string", None);
                            continue;
                        }
                    }
                }
                other => EnvelopeValue::Json(toml_to_json(other)),
            };
            envelope.push((json_string(k.get_ref()), member));
        }
        let path = path?;
        let key = if path.names(PathVar::Id) {
            ReleaseKeyVar::Id
        } else if path.names(PathVar::Tag) {
            ReleaseKeyVar::Tag
        } else {
            ReleaseKeyVar::None
        };
        if op.is_some_and(Op::addresses_one) && key == ReleaseKeyVar::None {
            self.err(
                rs.path.span(),
                "this operation addresses one release: the path needs {id} or {tag}",
                None,
            );
        }
        let names_asset = path.names(PathVar::Asset);
        if op.is_some_and(Op::addresses_asset) && !names_asset {
            self.err(
                rs.path.span(),
                "this operation addresses one asset: the path needs {asset}",
                None,
            );
        } else if op.is_some_and(|o| !o.addresses_asset()) && names_asset {
            self.err(
                rs.path.span(),
                "{asset} names an asset: only the path of an `asset`, `delete_asset` or `update_asset` route has it",
                None,
            );
        }
        let exists_status = rs.exists_status.as_ref().map(|s| {
            if op.is_some_and(|o| o != Op::Create) {
                self.err(s.span(), "only a `create` route has `exists_status`", None);
            }
            let v = *s.get_ref();
            if !(200..300).contains(&v) || Some(v) == rs.status.as_ref().map(|s| *s.get_ref()) {
                self.err(
                    s.span(),
                    "`exists_status` is a success status other than the route's `status`",
                    Some("e.g. 208".into()),
                );
            }
            v
        });
        let answer = match (&rs.answer, op) {
            (Some(a), Some(Op::About)) => {
                match serde_json::from_str::<serde::de::IgnoredAny>(a.get_ref()) {
                    Ok(_) => Some(bytes::Bytes::from(a.get_ref().clone())),
                    Err(e) => {
                        self.err(a.span(), format!("`answer` is not JSON: {e}"), None);
                        None
                    }
                }
            }
            (Some(a), Some(_)) => {
                self.err(a.span(), "only an `about` route has `answer`", None);
                None
            }
            (None, Some(Op::About)) => {
                self.err(
                    rs.op.span(),
                    "an `about` route needs `answer`, the JSON the gateway answers with",
                    None,
                );
                None
            }
            _ => None,
        };
        let download = rs.download.as_ref().and_then(|d| {
            let span = d.span();
            let d = d.get_ref();
            if op.is_some_and(|o| o != Op::Asset) {
                self.err(
                    span.clone(),
                    "only an `asset` route answers a request for a file",
                    None,
                );
            }
            let status = *d.status.get_ref();
            if !(300..400).contains(&status) {
                self.err(
                    d.status.span(),
                    "a download is answered with a redirect (3xx)",
                    None,
                );
            }
            let accept = d.accept.get_ref().trim().to_ascii_lowercase();
            if accept.is_empty() || accept.contains([',', ';', ' ']) {
                self.err(
                    d.accept.span(),
                    "`accept` is one media type",
                    Some("e.g. \"application/octet-stream\"".into()),
                );
            }
            let field = self.field_index(Kind::Asset, &d.location)?;
            Some(Download {
                accept,
                status,
                field,
            })
        });
        let takes_file = |o: Op| matches!(o, Op::Upload | Op::Store);
        let file_query = rs.file_query.as_ref().map(|q| {
            if op.is_some_and(|o| !takes_file(o)) {
                self.err(
                    q.span(),
                    "only an `upload` or `store` route takes its file's name in the query",
                    None,
                );
            }
            if q.get_ref().is_empty() || q.get_ref().contains(['&', '=', '?', '#', ' ']) {
                self.err(q.span(), "not a query parameter name", None);
            }
            q.get_ref().clone()
        });
        let file_form = rs.file_form.as_ref().map(|f| {
            if op.is_some_and(|o| !takes_file(o)) {
                self.err(
                    f.span(),
                    "only an `upload` or `store` route takes a file in a form",
                    None,
                );
            }
            let name = f.get_ref();
            if name.is_empty() || name.contains(['"', '\\', '\r', '\n']) {
                self.err(
                    f.span(),
                    "not a form field name",
                    Some("a name without quotes, backslashes or line breaks, e.g. \"file\"".into()),
                );
            }
            name.clone()
        });
        if op == Some(Op::Store) {
            if file_query.is_none() && file_form.is_none() {
                self.err(
                    rs.op.span(),
                    "a `store` route says how it takes the file: `file_form` or `file_query`",
                    None,
                );
            }
            if rs.response.is_none() {
                self.err(
                    rs.op.span(),
                    "a `store` route needs `response`: its answer says where the file is kept (the asset's `url`)",
                    None,
                );
            }
        }
        if op == Some(Op::ProjectById) {
            let other = [
                PathVar::Project,
                PathVar::Owner,
                PathVar::Repo,
                PathVar::Tag,
            ];
            if !path.names(PathVar::Id) || other.iter().any(|v| path.names(*v)) {
                self.err(
                    rs.path.span(),
                    "a `project_by_id` route names a project by its number alone: the path has {id} and no {project}, {owner}, {repo} or {tag}",
                    None,
                );
            }
            if rs.response.is_none() {
                self.err(
                    rs.op.span(),
                    "a `project_by_id` route needs `response`: its answer says the project's path",
                    None,
                );
            }
        }
        if op == Some(Op::Link) && rs.request.is_none() {
            self.err(
                rs.op.span(),
                "a `link` route needs `request`, the shape of the link it sends",
                None,
            );
        }
        let upstream = rs.upstream.as_ref().is_none_or(|u| *u.get_ref());
        let served = rs.served.as_ref().is_none_or(|u| *u.get_ref());
        if let (Some(s), false, false) = (&rs.served, served, upstream) {
            self.err(
                s.span(),
                "a route neither served (`served = false`) nor asked (`upstream = false`) does nothing",
                Some("leave one of them out".into()),
            );
        }
        let roots = self.route_roots(rs, api_roots, upstream);
        let host = rs.host.as_ref().and_then(|h| {
            let name = h.get_ref();
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                self.err(
                    h.span(),
                    "a host's name is lowercase letters, digits and '_'",
                    Some("the name the config's [upstream.hosts] gives the host's URL, e.g. \"uploads\"".into()),
                );
            }
            if !upstream {
                self.err(h.span(), "a route the gateway never asks (`upstream = false`) has no host", None);
            }
            ok.then(|| name.clone())
        });
        let held_url = rs.held_url.as_ref().and_then(|h| {
            if op != Some(Op::Store) {
                self.err(
                    h.span(),
                    "only a `store` route says where a held file is",
                    None,
                );
            }
            self.template(h, Kind::Asset)
        });
        Some(Route {
            roots,
            host_root: None,
            host,
            at_host: None,
            held_url,
            file_query,
            file_form,
            upstream,
            served,
            op: op?,
            method: method?,
            path,
            request,
            response,
            list,
            status,
            location,
            required,
            refuse,
            envelope,
            key,
            download,
            exists_status,
            answer,
            found_in_list: false,
        })
    }

    /// Reports `root` where it is not one of the dialect's API roots.
    fn api_root(&mut self, root: &S<String>, api_roots: &[String]) {
        if api_roots.contains(root.get_ref()) {
            return;
        }
        let listed: Vec<String> = api_roots.iter().map(|r| format!("\"{r}\"")).collect();
        self.err(
            root.span(),
            "not one of this dialect's API roots",
            Some(format!("one of: {}", listed.join(", "))),
        );
    }

    /// A route's `roots`: each an API root of the dialect, each standing in
    /// for it a path of its own.
    fn route_roots(
        &mut self,
        rs: &raw::RouteSection,
        api_roots: &[String],
        upstream: bool,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (root, path) in &rs.roots {
            self.api_root(root, api_roots);
            let p = path.get_ref();
            if !p.starts_with('/') || p.ends_with('/') || api_roots.contains(p) {
                self.err(
                    path.span(),
                    "a root of its own starts with '/', does not end with one, and is not one of the dialect's API roots",
                    None,
                );
            }
            out.push((root.get_ref().clone(), p.clone()));
        }
        if let (Some(u), false) = (&rs.upstream, out.is_empty() || upstream) {
            self.err(
                u.span(),
                "a route with `roots` is asked where the upstream's URL ends with one of them, and only there",
                Some("drop `upstream = false`, or `roots`".into()),
            );
        }
        out
    }

    fn path_template(&mut self, s: &S<String>) -> Option<PathTemplate> {
        let text = s.get_ref();
        if !text.starts_with('/') {
            self.err(s.span(), "a route path starts with '/'", None);
            return None;
        }
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            let base = text.len() - rest.len();
            if open > 0 {
                parts.push(PathPart::Lit(rest[..open].to_owned()));
            }
            let Some(close) = rest[open..].find('}') else {
                let span = self.inner(s, base + open..text.len());
                self.err(span, "unclosed `{` in path", None);
                return None;
            };
            let var_span = self.inner(s, base + open..base + open + close + 1);
            let name = &rest[open + 1..open + close];
            let (catch_all, name) = match name.strip_prefix('*') {
                Some(n) => (true, n),
                None => (false, name),
            };
            let Some(v) = PathVar::parse(name) else {
                let hint =
                    did_you_mean(name, PathVar::NAMES).unwrap_or_else(|| one_of(PathVar::NAMES));
                self.err(var_span, "unknown path variable", Some(hint));
                return None;
            };
            parts.push(if catch_all {
                PathPart::CatchAll(v)
            } else {
                PathPart::Var(v)
            });
            rest = &rest[open + close + 1..];
            if catch_all && !rest.is_empty() {
                self.err(var_span, "a catch-all `{*name}` must end the path", None);
                return None;
            }
        }
        if !rest.is_empty() {
            parts.push(PathPart::Lit(rest.to_owned()));
        }
        Some(PathTemplate {
            raw: text.clone(),
            parts,
        })
    }

    fn router(
        &mut self,
        routes: &[Route],
        roots: &[String],
        raw: &[S<raw::RouteSection>],
    ) -> matchit::Router<Vec<usize>> {
        // Group by path so that one path may serve several methods.
        let mut by_path: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, r) in routes.iter().enumerate().filter(|(_, r)| r.served) {
            match by_path.iter_mut().find(|(p, _)| *p == r.path.raw) {
                Some((_, v)) => {
                    let before = v.iter().filter(|j| routes[**j].method == r.method).count();
                    if before > 0 {
                        // Point at this route (the `before`-th repeat in the file), naming the first.
                        let mut same = raw.iter().filter(|x| {
                            x.get_ref().path.get_ref() == &r.path.raw
                                && x.get_ref().method.get_ref() == r.method.as_str()
                        });
                        let first = same.next().map(|x| x.get_ref().path.span());
                        if let (Some(first), Some(this)) = (first, same.nth(before - 1)) {
                            let line = super::diag::locate(
                                &self.d.file,
                                self.d.src,
                                first,
                                String::new(),
                                None,
                            )
                            .line;
                            let hint = format!("the first {} route for this path is at line {line}; remove or merge one", r.method);
                            self.err(
                                this.get_ref().path.span(),
                                format!("two routes for {} on the same path", r.method),
                                Some(hint),
                            );
                        }
                    }
                    v.push(i)
                }
                None => by_path.push((r.path.raw.clone(), vec![i])),
            }
        }
        // A route that stands under roots of its own is served there too,
        // alone with the other routes of its path that do.
        let mut own: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, r) in routes.iter().enumerate().filter(|(_, r)| r.served) {
            for (_, root) in &r.roots {
                let full = format!("{root}{}", r.path.raw);
                match own.iter_mut().find(|(p, _)| *p == full) {
                    Some((_, v)) => v.push(i),
                    None => own.push((full, vec![i])),
                }
            }
        }
        let mut router = matchit::Router::new();
        for (full, ids) in own {
            if let Err(e) = router.insert(full, ids) {
                self.err(
                    0..0,
                    format!("route path conflicts with another: {e}"),
                    None,
                );
            }
        }
        for root in roots {
            for (p, ids) in &by_path {
                if let Err(e) = router.insert(format!("{root}{p}"), ids.clone()) {
                    let span = raw
                        .iter()
                        .find(|x| x.get_ref().path.get_ref() == p)
                        .map(|x| x.get_ref().path.span())
                        .unwrap_or(0..0);
                    self.err(
                        span,
                        format!("route path conflicts with another: {e}"),
                        None,
                    );
                }
            }
        }
        router
    }

    fn errors(
        &mut self,
        e: &S<raw::ErrorsSection>,
        names: &HashMap<String, (ShapeId, Kind)>,
    ) -> Option<Errors> {
        let es = e.get_ref();
        let shape = self.shape_ref(&es.shape, names, Kind::Error);
        let n = ErrorKind::ALL.len();
        let mut status: Vec<u16> = ErrorKind::ALL.iter().map(|k| k.default_status()).collect();
        let mut decode = Vec::new();
        for (k, v) in &es.status {
            if let Some(kind) = self.error_kind(k) {
                status[kind as usize] = *v.get_ref();
                if !decode.iter().any(|(s, _)| s == v.get_ref()) {
                    decode.push((*v.get_ref(), kind));
                }
            }
        }
        let mut shapes = vec![shape.unwrap_or(0); n];
        for (k, v) in &es.shapes {
            if let (Some(kind), Some(sid)) =
                (self.error_kind(k), self.shape_ref(v, names, Kind::Error))
            {
                shapes[kind as usize] = sid;
            }
        }
        let mut messages = vec![None; n];
        for (k, v) in &es.messages {
            if let Some(kind) = self.error_kind(k) {
                messages[kind as usize] = Some(v.get_ref().clone());
            }
        }
        let message_paths = es
            .message_paths
            .iter()
            .filter_map(|p| self.simple_path(p))
            .collect();
        let mut envelope = Vec::with_capacity(es.envelope.len());
        for (k, v) in &es.envelope {
            if matches!(v.get_ref(), toml::Value::Table(t) if t.contains_key("template")) {
                self.err(
                    v.span(),
                    "an error's envelope holds constants only",
                    Some(
                        "errors carry the message; a route's list envelope may use templates"
                            .into(),
                    ),
                );
                continue;
            }
            envelope.push((json_string(k.get_ref()), toml_to_json(v.get_ref())));
        }
        let mut by_message = Vec::new();
        for m in &es.by_message {
            let m = m.get_ref();
            let text = m.contains.get_ref().trim().to_lowercase();
            if text.is_empty() {
                self.err(m.contains.span(), "`contains` is empty", None);
            }
            if let Some(kind) = self.error_kind(&m.kind) {
                by_message.push((*m.status.get_ref(), text, kind));
            }
        }
        Some(Errors {
            by_message,
            shape: shape?,
            status,
            shapes,
            messages,
            message_paths,
            decode,
            envelope,
        })
    }

    fn error_kind(&mut self, k: &S<String>) -> Option<ErrorKind> {
        let r = ErrorKind::parse(k.get_ref());
        if r.is_none() {
            let names = ErrorKind::ALL.iter().map(|k| k.name());
            let hint = did_you_mean(k.get_ref(), names.clone()).unwrap_or_else(|| one_of(names));
            self.err(k.span(), "unknown error kind", Some(hint));
        }
        r
    }
}

/// Lowers `[?(@.key == literal)]` followed by plain members to a direct walk;
/// anything else stays a JSONPath query.
/// A path variable that names (part of) the project.
fn is_project_var(v: PathVar) -> bool {
    matches!(v, PathVar::Project | PathVar::Owner | PathVar::Repo)
}

fn lower_select(q: &JpQuery) -> Option<(String, String, Vec<String>)> {
    use jsonpath_rust::parser::model::{
        Comparable, Comparison, Filter, FilterAtom, Literal, SingularQuery, SingularQuerySegment,
    };
    let (first, rest) = q.segments.split_first()?;
    let filter = match first {
        Segment::Selector(Selector::Filter(f)) => f,
        Segment::Selectors(v) if v.len() == 1 => match &v[0] {
            Selector::Filter(f) => f,
            _ => return None,
        },
        _ => return None,
    };
    // `[?(…)]` parses as nested groups; see through them.
    let mut filter = filter;
    loop {
        filter = match filter {
            Filter::Atom(FilterAtom::Filter { expr, not: false }) => expr,
            Filter::Or(v) | Filter::And(v) if v.len() == 1 => &v[0],
            _ => break,
        };
    }
    let Filter::Atom(FilterAtom::Comparison(cmp)) = filter else {
        return None;
    };
    let Comparison::Eq(a, b) = cmp.as_ref() else {
        return None;
    };
    let (member, lit) = match (a, b) {
        (Comparable::SingularQuery(SingularQuery::Current(m)), Comparable::Literal(l))
        | (Comparable::Literal(l), Comparable::SingularQuery(SingularQuery::Current(m))) => (m, l),
        _ => return None,
    };
    let [SingularQuerySegment::Name(key)] = member.as_slice() else {
        return None;
    };
    let equals = match lit {
        Literal::String(s) => json_string(s),
        Literal::Int(i) => i.to_string(),
        Literal::Bool(b) => b.to_string(),
        _ => return None,
    };
    let mut path = Vec::new();
    for s in rest {
        match s {
            Segment::Selector(Selector::Name(n)) => path.push(n.clone()),
            _ => return None,
        }
    }
    Some((key.clone(), equals, path))
}

fn lit_part(text: String) -> TPart {
    let quoted = json_string(&text);
    let escaped = quoted[1..quoted.len() - 1].to_owned();
    TPart::Lit(text, escaped)
}

fn insert_capture(node: &mut ReadNode, path: &[String], cap: Capture) {
    match path.split_first() {
        None => node.captures.push(cap),
        Some((head, tail)) => {
            let i = match node.children.iter().position(|c| &c.key == head) {
                Some(i) => i,
                None => {
                    node.children.push(ReadNode {
                        key: head.clone(),
                        ..ReadNode::default()
                    });
                    node.children.len() - 1
                }
            };
            insert_capture(&mut node.children[i], tail, cap);
        }
    }
}

/// `{"key":literal,"a":{"b":` for an element selected by `key == literal`
/// whose field sits at `a.b`.
fn element_open(key: &str, equals: &str, path: &[String]) -> String {
    let mut open = format!("{{{}:{equals}", json_string(key));
    for (i, p) in path.iter().enumerate() {
        open.push(if i == 0 { ',' } else { '{' });
        open.push_str(&json_string(p));
        open.push(':');
    }
    open
}

/// Adds `el` to the array written at `path`, after the elements already there.
fn insert_element(members: &mut Vec<WMember>, path: &[String], el: Element) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let key = format!("{}:", json_string(last));
    let parent = find_object(members, parents);
    match parent
        .iter_mut()
        .find(|m| m.key == key && matches!(m.value, WValue::Elements(_)))
    {
        Some(WMember {
            value: WValue::Elements(els),
            ..
        }) => els.push(el),
        _ => parent.push(WMember {
            key,
            value: WValue::Elements(vec![el]),
        }),
    }
}

/// The members of the object at `path`, made where missing.
fn find_object<'m>(members: &'m mut Vec<WMember>, path: &[String]) -> &'m mut Vec<WMember> {
    let Some((head, tail)) = path.split_first() else {
        return members;
    };
    let key = format!("{}:", json_string(head));
    let i = match members
        .iter()
        .position(|m| m.key == key && matches!(m.value, WValue::Object(_)))
    {
        Some(i) => i,
        None => {
            members.push(WMember {
                key,
                value: WValue::Object(Vec::new()),
            });
            members.len() - 1
        }
    };
    match &mut members[i].value {
        WValue::Object(children) => find_object(children, tail),
        _ => unreachable!("position found an object"),
    }
}

fn insert_member(members: &mut Vec<WMember>, path: &[String], value: WValue) {
    if let Some((last, parents)) = path.split_last() {
        find_object(members, parents).push(WMember {
            key: format!("{}:", json_string(last)),
            value,
        });
    }
}

pub fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// TOML has no null; everything else maps one to one.
pub fn toml_to_json(v: &toml::Value) -> String {
    fn conv(v: &toml::Value) -> serde_json::Value {
        match v {
            toml::Value::String(s) => serde_json::Value::String(s.clone()),
            toml::Value::Integer(i) => serde_json::Value::from(*i),
            toml::Value::Float(f) => serde_json::Value::from(*f),
            toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
            toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
            toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(conv).collect()),
            toml::Value::Table(t) => {
                serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
            }
        }
    }
    conv(v).to_string()
}

/// (column, message) of a JSONPath parser error, on one line.
fn jsonpath_error(e: &str) -> (Option<usize>, String) {
    let col = e
        .split_once("-->")
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|lc| lc.split(':').nth(1))
        .and_then(|c| c.parse().ok());
    let msg = e
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("= "))
        .map(str::to_owned)
        .unwrap_or_else(|| e.split_whitespace().collect::<Vec<_>>().join(" "));
    (col, msg)
}

/// The default of each field, as text, from the members that write it.
fn collect_defaults(members: &[WMember], out: &mut [Option<Box<str>>]) {
    for m in members {
        match &m.value {
            WValue::Object(ms) => collect_defaults(ms, out),
            WValue::Field { out: f, .. } => {
                if let (Some(d), None) = (&f.default, &out[f.field]) {
                    let text = match serde_json::from_str::<serde_json::Value>(d) {
                        Ok(serde_json::Value::String(t)) => t,
                        _ => d.clone(),
                    };
                    out[f.field] = Some(text.into());
                }
            }
            _ => {}
        }
    }
}

/// Gives every template variable naming a field that field's default.
fn fill_template_defaults(members: &mut [WMember], defaults: &[Option<Box<str>>]) {
    for m in members {
        match &mut m.value {
            WValue::Object(ms) => fill_template_defaults(ms, defaults),
            WValue::Template { t, .. } => {
                for part in &mut t.parts {
                    if let TPart::Var {
                        var: TVar::Field(i),
                        default,
                        ..
                    } = part
                    {
                        default.clone_from(&defaults[*i]);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_open_their_path_and_share_one_array() {
        let path = ["a".to_owned(), "b".to_owned()];
        assert_eq!(
            element_open("format", "\"zip\"", &path[..1]),
            r#"{"format":"zip","a":"#
        );
        assert_eq!(element_open("k", "1", &path), r#"{"k":1,"a":{"b":"#);
        let out = FieldOut {
            field: 0,
            fallback: None,
            default: None,
            ty: Ty::Any,
            nullable: false,
            spelling: None,
        };
        let el = |open: &str| Element {
            open: open.to_owned(),
            close: "}".into(),
            out: out.clone(),
        };
        let mut members = Vec::new();
        let at = ["assets".to_owned(), "sources".to_owned()];
        insert_element(&mut members, &at, el("first"));
        insert_element(&mut members, &at, el("second"));
        let [WMember {
            key,
            value: WValue::Object(inner),
        }] = members.as_slice()
        else {
            panic!("{members:?}");
        };
        assert_eq!(key, "\"assets\":");
        let [WMember {
            key,
            value: WValue::Elements(els),
        }] = inner.as_slice()
        else {
            panic!("{inner:?}");
        };
        assert_eq!(key, "\"sources\":");
        let opens: Vec<&str> = els.iter().map(|e| e.open.as_str()).collect();
        assert_eq!(opens, ["first", "second"]);
    }
}
