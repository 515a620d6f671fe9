//! JSON → canonical records, driven by a shape's compiled key trie.
//!
//! One walk of the document with the scanner: keys the shape does not read are
//! skipped (and checked) without building anything, and the values it does
//! read are kept as borrowed JSON text.

use super::record::{same_scalar, Record};
use super::scan::{Scan, SyntaxError};
use crate::mapping::model::{Capture, Dialect, ReadHow, ReadNode, ShapeId, Spelling, Ty};
use std::borrow::Cow;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("body is not valid JSON: {0}")]
    Syntax(#[from] SyntaxError),
    #[error("expected {expected} at `{at}`")]
    Shape { expected: &'static str, at: String },
    /// A member whose value is none of the words its mapping names.
    #[error("`{at}` is {value}, not one of {known}")]
    Value {
        at: String,
        value: String,
        known: String,
    },
    /// A member that is not a string with the prefix its mapping names.
    #[error("`{at}` is {value}, not a string starting \"{prefix}\"")]
    Prefix {
        at: String,
        value: String,
        prefix: String,
    },
}

fn shape_error(expected: &'static str, at: &str) -> ReadError {
    ReadError::Shape {
        expected,
        at: if at.is_empty() {
            "$".into()
        } else {
            at.to_owned()
        },
    }
}

/// Reads one object with `shape`.
pub fn read_record<'a>(
    d: &Dialect,
    shape: ShapeId,
    json: &'a str,
) -> Result<Record<'a>, ReadError> {
    let s = d.shape(shape);
    let mut rec = Record::new(s.kind);
    let mut sc = Scan::new(json);
    if sc.peek() != Some(b'{') {
        return Err(shape_error("an object", &s.read.key));
    }
    read_node(&mut sc, d, &s.read, &mut rec, &mut Vec::new())?;
    sc.end()?;
    Ok(rec)
}

/// Reads the array found at `path` (empty: the document is the array).
pub fn read_list<'a>(
    d: &Dialect,
    shape: ShapeId,
    path: &[String],
    json: &'a str,
) -> Result<Vec<Record<'a>>, ReadError> {
    // Named in errors only; written out once here (no allocation for the
    // common empty path).
    let at_path = display_path(path);
    let at = find(json, path)?.ok_or_else(|| shape_error("an array", &at_path))?;
    let mut sc = Scan::new(at);
    if sc.peek() != Some(b'[') {
        return Err(shape_error("an array", &at_path));
    }
    let mut out = Vec::new();
    read_items(&mut sc, d, shape, &at_path, &mut out, &mut Vec::new())?;
    sc.end()?;
    Ok(out)
}

/// The JSON text at a plain member path, if present.
pub fn find<'a>(json: &'a str, path: &[String]) -> Result<Option<&'a str>, ReadError> {
    let mut cur = json;
    for key in path {
        match member(cur, key)? {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// The JSON text of one member of an object (`None` if absent or not an
/// object); the whole text is checked.
pub fn member<'a>(json: &'a str, key: &str) -> Result<Option<&'a str>, ReadError> {
    let mut sc = Scan::new(json);
    let mut found = None;
    if sc.peek() == Some(b'{') {
        sc.open_object()?;
        let mut first = true;
        while let Some(k) = sc.next_key(&mut first)? {
            let v = sc.raw_value()?;
            if found.is_none() && k == key {
                found = Some(v);
            }
        }
    } else {
        sc.skip_value()?;
    }
    sc.end()?;
    Ok(found)
}

fn display_path(path: &[String]) -> Cow<'static, str> {
    if path.is_empty() {
        Cow::Borrowed("$")
    } else {
        Cow::Owned(format!("$.{}", path.join(".")))
    }
}

/// Members of one array element kept by `select_items`: reused from element
/// to element and from record to record, so that it is allocated once per read.
type Members<'a> = Vec<(Cow<'a, str>, &'a str)>;

/// Reads the object at the cursor, descending into the members the trie names
/// in the same pass. A value that is not an object is passed over: it reads as
/// absent.
fn read_node<'a>(
    sc: &mut Scan<'a>,
    d: &Dialect,
    node: &ReadNode,
    rec: &mut Record<'a>,
    members: &mut Members<'a>,
) -> Result<(), ReadError> {
    if sc.peek() != Some(b'{') {
        return Ok(sc.skip_value()?);
    }
    sc.open_object()?;
    let mut first = true;
    while let Some(key) = sc.next_key(&mut first)? {
        // By length first: most keys are not read at all.
        let Some(child) = node.child(key.as_bytes()) else {
            sc.skip_value()?;
            continue;
        };
        match child.how {
            ReadHow::Descend => read_node(sc, d, child, rec, members)?,
            ReadHow::Select => select_items(sc, &child.captures, rec, members)?,
            ReadHow::List { list, shape } => {
                read_list_value(sc, d, shape, &child.key, &mut rec.lists[list], members)?
            }
            ReadHow::Field(i) => rec.vals[i] = Some(Cow::Borrowed(sc.raw_value()?)),
            ReadHow::Apply => {
                let raw = sc.raw_value()?;
                apply(d, child, raw, rec, members)?;
            }
        }
    }
    Ok(())
}

/// Reads the array at the cursor (on its `[`): every element an object, read
/// into a record as it is met.
fn read_items<'a>(
    sc: &mut Scan<'a>,
    d: &Dialect,
    shape: ShapeId,
    at: &str,
    out: &mut Vec<Record<'a>>,
    members: &mut Members<'a>,
) -> Result<(), ReadError> {
    let s = d.shape(shape);
    sc.open_array()?;
    let mut first = true;
    while sc.next_element(&mut first)? {
        if sc.peek() != Some(b'{') {
            return Err(shape_error("an array of objects", at));
        }
        let mut rec = Record::new(s.kind);
        read_node(sc, d, &s.read, &mut rec, members)?;
        out.push(rec);
    }
    Ok(())
}

/// Reads the list value at the cursor into `slot`: an array of objects, or
/// `null` (the slot stays empty); anything else is an error naming `at`.
fn read_list_value<'a>(
    sc: &mut Scan<'a>,
    d: &Dialect,
    shape: ShapeId,
    at: &str,
    slot: &mut Option<Vec<Record<'a>>>,
    members: &mut Members<'a>,
) -> Result<(), ReadError> {
    match sc.peek() {
        Some(b'[') => {
            let mut items = Vec::new();
            read_items(sc, d, shape, at, &mut items, members)?;
            *slot = Some(items);
            Ok(())
        }
        Some(b'n') => Ok(sc.skip_value()?),
        _ => Err(shape_error("an array", at)),
    }
}

/// Evaluates `Select` captures over the array at the cursor in one pass: each
/// element's members that any capture needs are collected, then the captures
/// matched. Anything but an array is passed over.
fn select_items<'a>(
    sc: &mut Scan<'a>,
    caps: &[Capture],
    rec: &mut Record<'a>,
    members: &mut Members<'a>,
) -> Result<(), ReadError> {
    if sc.peek() != Some(b'[') {
        return Ok(sc.skip_value()?);
    }
    sc.open_array()?;
    let mut first = true;
    while sc.next_element(&mut first)? {
        members.clear();
        // Once every capture has its field, the rest are only checked.
        if sc.peek() != Some(b'{') || !pending(caps, rec) {
            sc.skip_value()?;
            continue;
        }
        sc.open_object()?;
        let mut first_key = true;
        while let Some(k) = sc.next_key(&mut first_key)? {
            let wanted = caps.iter().any(|c| match c {
                Capture::Select { key, path, .. } => {
                    *key == k || path.first().is_some_and(|p| *p == k)
                }
                _ => false,
            });
            if wanted {
                let v = sc.raw_value()?;
                members.push((k, v));
            } else {
                sc.skip_value()?;
            }
        }
        for cap in caps {
            let Capture::Select {
                key,
                equals,
                path,
                field,
            } = cap
            else {
                continue;
            };
            if rec.vals[*field].is_some() {
                continue;
            }
            let get = |k: &str| members.iter().find(|(mk, _)| mk == k).map(|(_, v)| *v);
            let Some(v) = get(key) else { continue };
            if !same_scalar(v, equals) {
                continue;
            }
            let found = match path.split_first() {
                None => Some(v),
                Some((head, tail)) => get(head).and_then(|h| find(h, tail).ok().flatten()),
            };
            if let Some(found) = found {
                rec.vals[*field] = Some(Cow::Borrowed(found));
            }
        }
    }
    Ok(())
}

/// Whether some `Select` capture has no value yet.
fn pending(caps: &[Capture], rec: &Record) -> bool {
    caps.iter()
        .any(|c| matches!(c, Capture::Select { field, .. } if rec.vals[*field].is_none()))
}

/// Applies a member's captures to its (already checked) JSON text, then reads
/// the members below it.
fn apply<'a>(
    d: &Dialect,
    node: &ReadNode,
    json: &'a str,
    rec: &mut Record<'a>,
    members: &mut Members<'a>,
) -> Result<(), ReadError> {
    for cap in &node.captures {
        match cap {
            Capture::Field(i) => rec.vals[*i] = Some(Cow::Borrowed(json)),
            Capture::Spelled { field, spelling } => {
                if json == "null" {
                    continue;
                }
                let values = match &**spelling {
                    Spelling::Words(values) => values,
                    Spelling::Prefix(prefix) => {
                        // Plain text: it is the string's first characters as they
                        // are, escapes apart.
                        let rest = json
                            .strip_prefix('"')
                            .and_then(|j| j.strip_prefix(prefix.as_str()));
                        match rest {
                            Some(rest) => {
                                rec.vals[*field] = Some(Cow::Owned(["\"", rest].concat()))
                            }
                            None => {
                                return Err(ReadError::Prefix {
                                    at: node.key.clone(),
                                    value: json.to_owned(),
                                    prefix: prefix.clone(),
                                })
                            }
                        }
                        continue;
                    }
                };
                match values.iter().find(|(word, _)| same_scalar(word, json)) {
                    Some((_, canonical)) => rec.vals[*field] = Some(Cow::Owned(canonical.clone())),
                    None => {
                        return Err(ReadError::Value {
                            at: node.key.clone(),
                            value: json.to_owned(),
                            known: values
                                .iter()
                                .map(|(w, _)| w.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
                    }
                }
            }
            Capture::Query { query, field } => {
                let v: serde_json::Value = serde_json::from_str(json).map_err(SyntaxError::from)?;
                if let Ok(found) = jsonpath_rust::query::js_path_process(query, &v) {
                    if let Some(first) = found.into_iter().next() {
                        rec.vals[*field] = Some(Cow::Owned(first.val().to_string()));
                    }
                }
            }
            Capture::Select { .. } => {
                select_items(
                    &mut Scan::new(json),
                    std::slice::from_ref(cap),
                    rec,
                    members,
                )?;
            }
            Capture::List { list, shape } => read_list_value(
                &mut Scan::new(json),
                d,
                *shape,
                &node.key,
                &mut rec.lists[*list],
                members,
            )?,
        }
    }
    if !node.children.is_empty() {
        read_node(&mut Scan::new(json), d, node, rec, members)?;
    }
    Ok(())
}

/// A field whose JSON type is not the declared one, or a required field that
/// is missing or `null`.
#[derive(Debug, PartialEq, Eq)]
pub struct TypeMismatch {
    pub field: usize,
    pub expected: Ty,
    pub missing: bool,
}

/// Checks the declared types and required fields of a shape against a record
/// read with it (not the records of its lists: see `check_all`). With
/// `null_is_missing`, a `null` in a field that is neither nullable nor
/// required passes: it counts as missing, as it does when written.
pub fn check_types(
    d: &Dialect,
    shape: ShapeId,
    rec: &Record,
    null_is_missing: bool,
) -> Result<(), TypeMismatch> {
    for c in &d.shape(shape).checks {
        let mismatch = |missing| TypeMismatch {
            field: c.field,
            expected: c.ty,
            missing,
        };
        let Some(v) = rec.vals[c.field].as_deref() else {
            if c.required {
                return Err(mismatch(true));
            }
            continue;
        };
        let first = v.as_bytes().first().copied().unwrap_or(b' ');
        if first == b'n' && c.required {
            return Err(mismatch(true));
        }
        let ok = match first {
            _ if c.ty == Ty::Any => true,
            b'n' => c.nullable || null_is_missing,
            b'"' => c.ty == Ty::String,
            b't' | b'f' => c.ty == Ty::Bool,
            // An integer: no fraction, no exponent.
            b'-' | b'0'..=b'9' => {
                c.ty == Ty::Int && v.bytes().all(|b| b == b'-' || b.is_ascii_digit())
            }
            _ => false,
        };
        if !ok {
            return Err(mismatch(false));
        }
    }
    Ok(())
}

/// `check_types` on an upstream's record and, with their own shapes, on the
/// records of its lists; a `null` that breaks no `required` counts as missing.
/// Returns the record the failing check is about with it.
pub fn check_all<'r, 'a>(
    d: &Dialect,
    shape: ShapeId,
    rec: &'r Record<'a>,
) -> Result<(), (TypeMismatch, ShapeId, &'r Record<'a>)> {
    check_types(d, shape, rec, true).map_err(|m| (m, shape, rec))?;
    for &(list, element) in &d.shape(shape).lists {
        for r in rec.lists[list].iter().flatten() {
            check_all(d, element, r)?;
        }
    }
    Ok(())
}
