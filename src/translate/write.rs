//! Canonical records → JSON, written straight into one buffer from a shape's
//! compiled member tree. Values that arrived as JSON text are copied verbatim.

use super::record::{escape_into, json_text, same_scalar, Record};
use super::url::{is_plain_segment, is_plain_segment_bytes, push_segment, segment_pieces};
use crate::canonical::Kind;
use crate::mapping::model::{
    CountOf, Dialect, Element, EnvelopeValue, FieldOut, ShapeId, Spelling, TPart, TVar, Template,
    Ty, WMember, WStep, WValue,
};
use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

/// Values a template may name besides the record's own fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx<'c> {
    /// Base URL of the API as this dialect's clients see it (no trailing '/').
    pub api: &'c str,
    /// Base URL of the upstream as configured.
    pub upstream: &'c str,
    pub owner: &'c str,
    pub repo: &'c str,
    pub project: &'c str,
}

pub fn write_record(out: &mut Vec<u8>, d: &Dialect, shape: ShapeId, rec: &Record, ctx: &Ctx) {
    write_rec(out, d, shape, rec, &Prep::new(ctx, d));
}

fn write_rec(out: &mut Vec<u8>, d: &Dialect, shape: ShapeId, rec: &Record, p: &Prep) {
    let Some(steps) = &d.shape(shape).program else {
        write_object(out, d, &d.shape(shape).write, rec, p);
        return;
    };
    match p.joined(shape) {
        Some(prog) => {
            for step in &prog.steps {
                match step {
                    PStep::Bytes(a, b) => out.extend_from_slice(&prog.bytes[*a..*b]),
                    PStep::Step(step) => run_step(out, d, step, rec, p),
                }
            }
        }
        None => {
            for step in steps {
                run_step(out, d, step, rec, p);
            }
        }
    }
}

/// Runs one step of a shape's write program.
#[inline(always)]
fn run_step(out: &mut Vec<u8>, d: &Dialect, step: &WStep, rec: &Record, p: &Prep) {
    match step {
        WStep::Bytes(b) => out.extend_from_slice(b),
        WStep::Field(f) => {
            write_field(out, rec, f, false);
        }
        WStep::Var {
            var,
            segment,
            default,
        } => write_var(out, *var, *segment, default.as_deref(), rec, p),
        WStep::List { list, shape } => match &rec.lists[*list] {
            Some(items) => write_array(out, d, *shape, items, p),
            None => out.extend_from_slice(b"[]"),
        },
        WStep::Rec(shape) => write_rec(out, d, *shape, rec, p),
        WStep::Count(of) => write_count(out, of, rec),
        WStep::Elements(els) => write_elements(out, els, rec),
    }
}

/// Records a response writes through programs (nested ones counted, such as
/// a release's assets) before the programs are joined with its context:
/// joining costs about as much as writing a few records, so a response of
/// one release with a couple of assets does without.
const JOIN_AFTER: u32 = 4;

/// A shape's lowered program for one response: its context variables
/// written in and joined with the constant bytes around them.
struct Program<'c> {
    bytes: Vec<u8>,
    steps: Vec<PStep<'c>>,
}

enum PStep<'c> {
    /// `bytes[a..b]`.
    Bytes(usize, usize),
    /// A step that depends on the record.
    Step(&'c WStep),
}

/// The context variables, escaped once per response rather than once per use:
/// as JSON string content, and percent-encoded as a path segment.
struct Prep<'c> {
    ctx: &'c Ctx<'c>,
    d: &'c Dialect,
    raw: [&'c str; 5],
    plain: [Cow<'c, str>; 5],
    /// Filled on first use: most responses never encode most of these.
    segment: [OnceCell<Cow<'c, str>>; 5],
    /// Records written through programs so far, counted up to `JOIN_AFTER`.
    written: Cell<u32>,
    /// Each shape's joined program, made on first use after `JOIN_AFTER`.
    programs: OnceCell<Vec<OnceCell<Program<'c>>>>,
}

impl<'c> Prep<'c> {
    fn new(ctx: &'c Ctx<'c>, d: &'c Dialect) -> Self {
        let vals = [ctx.api, ctx.upstream, ctx.owner, ctx.repo, ctx.project];
        Prep {
            ctx,
            d,
            raw: vals,
            // Borrowed unless escaping or encoding changes the text.
            plain: vals.map(|v| {
                if needs_escape(v) {
                    let mut out = Vec::with_capacity(v.len() + 8);
                    push_escaped(&mut out, v);
                    Cow::Owned(String::from_utf8(out).unwrap_or_default())
                } else {
                    Cow::Borrowed(v)
                }
            }),
            segment: Default::default(),
            written: Cell::new(0),
            programs: OnceCell::new(),
        }
    }

    /// The text of context variable `i` inside a JSON string, as is or
    /// encoded as a path segment.
    fn ctx_text(&self, i: usize, segment: bool) -> &str {
        if segment {
            self.segment[i].get_or_init(|| {
                let text = self.raw[i];
                if is_plain_segment(text) {
                    Cow::Borrowed(text)
                } else {
                    Cow::Owned(segment_pieces(text).collect())
                }
            })
        } else {
            &self.plain[i]
        }
    }

    /// The shape's program joined with this response's context, once enough
    /// records have been written for that to pay.
    fn joined(&self, shape: ShapeId) -> Option<&Program<'c>> {
        let n = self.written.get();
        if n < JOIN_AFTER {
            self.written.set(n + 1);
            return None;
        }
        let steps = self.d.shape(shape).program.as_deref()?;
        let programs = self
            .programs
            .get_or_init(|| self.d.shapes.iter().map(|_| OnceCell::new()).collect());
        Some(programs[shape].get_or_init(|| self.resolve(steps)))
    }

    /// The bytes a step writes whatever the record.
    fn const_text<'s>(&'s self, step: &'s WStep) -> Option<&'s [u8]> {
        match step {
            WStep::Bytes(b) => Some(b),
            WStep::Var { var, segment, .. } => {
                Prep::slot(*var).map(|i| self.ctx_text(i, *segment).as_bytes())
            }
            _ => None,
        }
    }

    fn resolve(&self, steps: &'c [WStep]) -> Program<'c> {
        let text = |step| self.const_text(step);
        let len = steps.iter().filter_map(text).map(<[u8]>::len).sum();
        let mut bytes = Vec::with_capacity(len);
        let mut out = Vec::with_capacity(steps.len());
        let mut start = 0;
        for step in steps {
            match text(step) {
                Some(t) => bytes.extend_from_slice(t),
                None => {
                    if bytes.len() > start {
                        out.push(PStep::Bytes(start, bytes.len()));
                        start = bytes.len();
                    }
                    out.push(PStep::Step(step));
                }
            }
        }
        if bytes.len() > start {
            out.push(PStep::Bytes(start, bytes.len()));
        }
        Program { bytes, steps: out }
    }

    fn slot(var: TVar) -> Option<usize> {
        match var {
            TVar::Api => Some(0),
            TVar::Upstream => Some(1),
            TVar::Owner => Some(2),
            TVar::Repo => Some(3),
            TVar::Project => Some(4),
            TVar::Field(_) => None,
        }
    }
}

/// Writes `recs` as an array, nested at `path` inside an object carrying
/// `envelope` members when the path is not empty. A dialect whose next page
/// is a token in the body (`next_token_path`, one key) gets `next` there,
/// `""` on the last page.
#[allow(clippy::too_many_arguments)]
pub fn write_list(
    out: &mut Vec<u8>,
    d: &Dialect,
    shape: ShapeId,
    recs: &[Record],
    ctx: &Ctx,
    path: &[String],
    envelope: &[(String, EnvelopeValue)],
    next: Option<&str>,
) {
    let token = d
        .paging
        .as_ref()
        .and_then(|p| p.next_token_path.as_deref())
        .and_then(|t| match t {
            [key] => Some((key.as_str(), next.unwrap_or(""))),
            _ => None,
        });
    write_list_at(
        out,
        d,
        shape,
        recs,
        &Prep::new(ctx, d),
        path,
        envelope,
        token,
    );
}

#[allow(clippy::too_many_arguments)]
fn write_list_at(
    out: &mut Vec<u8>,
    d: &Dialect,
    shape: ShapeId,
    recs: &[Record],
    p: &Prep,
    path: &[String],
    envelope: &[(String, EnvelopeValue)],
    token: Option<(&str, &str)>,
) {
    let Some((head, tail)) = path.split_first() else {
        write_array(out, d, shape, recs, p);
        return;
    };
    out.push(b'{');
    for (k, v) in envelope {
        out.extend_from_slice(k.as_bytes());
        out.push(b':');
        match v {
            EnvelopeValue::Json(j) => out.extend_from_slice(j.as_bytes()),
            EnvelopeValue::Template(t) => write_template(out, t, &Record::new(Kind::Release), p),
        }
        out.push(b',');
    }
    if let Some((key, value)) = token {
        escape_into(out, key);
        out.push(b':');
        escape_into(out, value);
        out.push(b',');
    }
    escape_into(out, head);
    out.push(b':');
    write_list_at(out, d, shape, recs, p, tail, &[], None);
    out.push(b'}');
}

fn write_array(out: &mut Vec<u8>, d: &Dialect, shape: ShapeId, recs: &[Record], p: &Prep) {
    out.push(b'[');
    for (i, r) in recs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_rec(out, d, shape, r, p);
    }
    out.push(b']');
}

/// Returns whether any member was written.
fn write_object(
    out: &mut Vec<u8>,
    d: &Dialect,
    members: &[WMember],
    rec: &Record,
    p: &Prep,
) -> bool {
    out.push(b'{');
    let mut first = true;
    for m in members {
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(m.key.as_bytes());
        if write_value(out, d, &m.value, rec, p) {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b'}');
    !first
}

/// Writes one value; returns false (having written nothing useful) when it is omitted.
fn write_value(out: &mut Vec<u8>, d: &Dialect, v: &WValue, rec: &Record, p: &Prep) -> bool {
    match v {
        WValue::Object(members) => {
            let mark = out.len();
            let any = write_object(out, d, members, rec, p);
            if !any && members.iter().any(omittable) {
                out.truncate(mark);
                return false;
            }
            true
        }
        WValue::Field { out: f, omit } => write_field(out, rec, f, *omit),
        WValue::Template { t, in_array } => {
            if *in_array {
                out.push(b'[');
            }
            write_template(out, t, rec, p);
            if *in_array {
                out.push(b']');
            }
            true
        }
        WValue::Const(j) => {
            out.extend_from_slice(j.as_bytes());
            true
        }
        WValue::List { list, shape, omit } => match &rec.lists[*list] {
            Some(items) => {
                write_array(out, d, *shape, items, p);
                true
            }
            None if *omit => false,
            None => {
                out.extend_from_slice(b"[]");
                true
            }
        },
        WValue::Array(shape) => {
            out.push(b'[');
            write_rec(out, d, *shape, rec, p);
            out.push(b']');
            true
        }
        WValue::Count(of) => {
            write_count(out, of, rec);
            true
        }
        WValue::Elements(els) => {
            write_elements(out, els, rec);
            true
        }
    }
}

/// Writes how many records the lists of `of` hold plus how many of its
/// fields are present and not `null`.
fn write_count(out: &mut Vec<u8>, of: &[CountOf], rec: &Record) {
    let n: usize = of
        .iter()
        .map(|c| match *c {
            CountOf::List(l) => rec.lists[l].as_ref().map_or(0, Vec::len),
            CountOf::Field(f) => usize::from(rec.vals[f].as_deref().is_some_and(|v| v != "null")),
        })
        .sum();
    out.extend_from_slice(n.to_string().as_bytes());
}

/// Writes an array of the elements whose field has a value that is not `null`.
fn write_elements(out: &mut Vec<u8>, els: &[Element], rec: &Record) {
    out.push(b'[');
    let mut first = true;
    for el in els {
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(el.open.as_bytes());
        let at = out.len();
        if write_field(out, rec, &el.out, true) && out[at..] != *b"null" {
            out.extend_from_slice(el.close.as_bytes());
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b']');
}

fn omittable(m: &WMember) -> bool {
    match &m.value {
        WValue::Field { out, omit } => *omit && out.default.is_none(),
        WValue::List { omit, .. } => *omit,
        WValue::Object(ms) => ms.iter().all(omittable),
        _ => false,
    }
}

/// Writes a field's value; returns false (having written nothing) when it is
/// missing and omitted. In line: it is the most common step, and small.
#[inline(always)]
fn write_field(out: &mut Vec<u8>, rec: &Record, f: &FieldOut, omit: bool) -> bool {
    let FieldOut {
        field,
        fallback,
        ref default,
        ty,
        nullable,
        ref spelling,
    } = *f;
    let typed_non_null = ty != Ty::Any && !nullable;
    let present = |i: usize| {
        rec.vals[i]
            .as_deref()
            .filter(|v| !(typed_non_null && *v == "null"))
    };
    let val = present(field).or_else(|| fallback.and_then(present));
    match val {
        Some(j) => {
            // A spelled field is never of a type `write_typed` writes.
            let written =
                write_typed(out, j, ty) || (ty == Ty::Spelled && write_spelled(out, j, spelling));
            if !written {
                out.extend_from_slice(default.as_deref().unwrap_or("null").as_bytes());
            }
            true
        }
        None => match default {
            Some(dv) => {
                out.extend_from_slice(dv.as_bytes());
                true
            }
            None if omit => false,
            None => {
                out.extend_from_slice(b"null");
                true
            }
        },
    }
}

/// Writes canonical value `j` as this dialect spells it: the first of a
/// field's words that names it, or a string after its prefix; false (nothing
/// written) when the spelling cannot write it.
#[inline(never)]
fn write_spelled(out: &mut Vec<u8>, j: &str, spelling: &Option<Box<Spelling>>) -> bool {
    match spelling.as_deref() {
        Some(Spelling::Words(words)) => {
            match words
                .iter()
                .find(|(_, canonical)| same_scalar(canonical, j))
            {
                Some((w, _)) => {
                    out.extend_from_slice(w.as_bytes());
                    true
                }
                None => false,
            }
        }
        // The prefix is plain text: it goes inside the string as it is.
        Some(Spelling::Prefix(prefix)) => match j.strip_prefix('"') {
            Some(rest) => {
                out.push(b'"');
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(rest.as_bytes());
                true
            }
            None => false,
        },
        None => false,
    }
}

/// Writes `j` converted to `ty`; false when it cannot be converted. In line
/// for the common case, a value already of its type.
#[inline(always)]
fn write_typed(out: &mut Vec<u8>, j: &str, ty: Ty) -> bool {
    let first = j.as_bytes().first().copied().unwrap_or(b'n');
    match (ty, first) {
        (Ty::Any, _)
        | (_, b'n')
        | (Ty::String, b'"')
        | (Ty::Bool, b't' | b'f')
        | (Ty::Int, b'-' | b'0'..=b'9') => {
            out.extend_from_slice(j.as_bytes());
            true
        }
        _ => convert(out, j, ty),
    }
}

/// `write_typed` for a value of another type than `ty`.
#[inline(never)]
fn convert(out: &mut Vec<u8>, j: &str, ty: Ty) -> bool {
    let first = j.as_bytes().first().copied().unwrap_or(b'n');
    match (ty, first) {
        (Ty::String, _) => escape_into(out, j),
        (Ty::Int, b'"') => match json_text(j).and_then(|t| t.parse::<i64>().ok()) {
            Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
            None => return false,
        },
        (Ty::Bool, b'"') => match json_text(j).as_deref() {
            Some("true") => out.extend_from_slice(b"true"),
            Some("false") => out.extend_from_slice(b"false"),
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// The text a template variable stands for; a missing field is empty text.
fn var_text<'a>(var: TVar, rec: &'a Record, ctx: &Ctx<'a>) -> Cow<'a, str> {
    match var {
        TVar::Api => Cow::Borrowed(ctx.api),
        TVar::Upstream => Cow::Borrowed(ctx.upstream),
        TVar::Owner => Cow::Borrowed(ctx.owner),
        TVar::Repo => Cow::Borrowed(ctx.repo),
        TVar::Project => Cow::Borrowed(ctx.project),
        TVar::Field(i) => rec.vals[i]
            .as_deref()
            .and_then(json_text)
            .unwrap_or(Cow::Borrowed("")),
    }
}

/// Writes a template as a JSON string, straight into the output.
fn write_template(out: &mut Vec<u8>, t: &Template, rec: &Record, p: &Prep) {
    out.push(b'"');
    for part in &t.parts {
        match part {
            TPart::Lit(_, escaped) => out.extend_from_slice(escaped.as_bytes()),
            TPart::Var {
                var,
                segment,
                default,
            } => write_var(out, *var, *segment, default.as_deref(), rec, p),
        }
    }
    out.push(b'"');
}

/// Writes one template variable as the inside of a JSON string.
#[inline(always)]
fn write_var(
    out: &mut Vec<u8>,
    var: TVar,
    segment: bool,
    default: Option<&str>,
    rec: &Record,
    p: &Prep,
) {
    if let Some(i) = Prep::slot(var) {
        out.extend_from_slice(p.ctx_text(i, segment).as_bytes());
        return;
    }
    if let TVar::Field(i) = var {
        let json = rec.vals[i].as_deref().map(str::as_bytes);
        if let (None | Some(b"null"), Some(d)) = (json, default) {
            let mut text = String::new();
            if segment {
                push_segment(&mut text, d);
            } else {
                text.push_str(d);
            }
            push_escaped(out, &text);
            return;
        }
        if !segment {
            // JSON text is already escaped for the inside of a
            // string: copy it without unescaping and re-escaping.
            match json {
                Some([b'"', inner @ .., b'"']) => out.extend_from_slice(inner),
                Some(j @ [b'-' | b'0'..=b'9' | b't' | b'f', ..]) => out.extend_from_slice(j),
                _ => {}
            }
            return;
        }
        // A string of unreserved bytes only (so no escapes) is its own
        // encoding as a segment.
        if let Some([b'"', inner @ .., b'"']) = json {
            if is_plain_segment_bytes(inner) {
                out.extend_from_slice(inner);
                return;
            }
        }
    }
    let text = var_text(var, rec, p.ctx);
    let text: &str = &text;
    if !segment {
        push_escaped(out, text);
    } else if is_plain_segment(text) {
        out.extend_from_slice(text.as_bytes());
    } else {
        // Percent-encoded output is plain ASCII: nothing to escape.
        for piece in segment_pieces(text) {
            out.extend_from_slice(piece.as_bytes());
        }
    }
}

fn needs_escape(s: &str) -> bool {
    !s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Appends `s` escaped as the inside of a JSON string.
fn push_escaped(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s) {
        out.extend_from_slice(s.as_bytes());
    } else {
        let start = out.len();
        escape_into(out, s);
        // Drop the quotes the escaper added around the text.
        out.remove(start);
        out.pop();
    }
}

/// Renders a template to text. Missing fields render as empty text.
pub fn render(t: &Template, rec: &Record, ctx: &Ctx) -> String {
    let mut s = String::new();
    for p in &t.parts {
        match p {
            TPart::Lit(l, _) => s.push_str(l),
            TPart::Var {
                var,
                segment,
                default,
            } => {
                let mut text = var_text(*var, rec, ctx);
                if let (true, Some(d)) = (text.is_empty(), default) {
                    text = Cow::Borrowed(d);
                }
                let text: &str = &text;
                if *segment {
                    push_segment(&mut s, text);
                } else {
                    s.push_str(text);
                }
            }
        }
    }
    s
}
