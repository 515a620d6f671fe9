//! Located diagnostics for mapping and config files: every problem, with
//! file:line:column, the offending text and a hint, rendered the same way everywhere.

use std::fmt;
use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The offending text, as written in the file.
    pub text: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:col: error: message: `text``, then the hint on its own line.
    /// Line 0 means "no position" (a flag, an environment variable, a whole file):
    /// then only the name is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: error: {}", self.file, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: error: {}",
                self.file, self.line, self.column, self.message
            )?;
        }
        if !self.text.is_empty() {
            write!(f, ": `{}`", self.text)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics for one source file.
pub struct Diags<'s> {
    pub file: String,
    pub src: &'s str,
    pub out: Vec<Diagnostic>,
}

impl<'s> Diags<'s> {
    pub fn new(file: impl Into<String>, src: &'s str) -> Self {
        Diags {
            file: file.into(),
            src,
            out: Vec::new(),
        }
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>, hint: Option<String>) {
        let d = locate(&self.file, self.src, span, message.into(), hint);
        self.out.push(d);
    }
}

/// Builds a diagnostic for a byte span of `src`.
pub fn locate(
    file: &str,
    src: &str,
    span: Range<usize>,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    let start = span.start.min(src.len());
    let end = span.end.clamp(start, src.len());
    let before = &src[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = src[line_start..start].chars().count() + 1;
    let mut text = src[start..end].to_owned();
    if let Some(nl) = text.find('\n') {
        text.truncate(nl);
    }
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        text,
        message,
        hint,
    }
}

/// The closest candidate by edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if d <= word.len().max(3).div_ceil(2) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Serde's "unknown field `x`, expected one of `a`, `b`" as a short message and a
/// did-you-mean hint (the offending key is already the diagnostic's text).
pub fn unknown_key(msg: &str) -> Option<(String, String)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (word, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let hint = did_you_mean(word, expected.iter().copied()).unwrap_or_else(|| {
        if expected.is_empty() {
            "this table takes no keys".to_owned()
        } else {
            one_of(expected.iter().copied())
        }
    });
    Some(("unknown key".to_owned(), hint))
}

/// "one of: a, b, c" for hints.
pub fn one_of<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.into_iter().collect();
    format!("one of: {}", v.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_line_and_column() {
        let src = "a = 1\nbb = \"x\"\n";
        let d = locate("f.toml", src, 11..14, "bad".into(), None);
        assert_eq!((d.line, d.column, d.text.as_str()), (2, 6, "\"x\""));
        assert_eq!(d.to_string(), "f.toml:2:6: error: bad: `\"x\"`");
    }

    #[test]
    fn suggests_near_names() {
        assert_eq!(
            did_you_mean("tga", ["tag", "name", "body"]),
            Some("did you mean `tag`?".into())
        );
        assert_eq!(did_you_mean("zzzzzz", ["tag", "name"]), None);
    }
}
