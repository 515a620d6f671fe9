//! A validating JSON scanner over borrowed, already UTF-8-checked text.
//!
//! The reader walks a document once with it: keys are compared where they lie,
//! values that are kept are returned as slices of the input, and everything
//! else is skipped — but every byte is still checked against the JSON grammar
//! (RFC 8259), so a body that is not JSON is refused, never half-read.

use std::borrow::Cow;
use std::fmt;

/// Nesting deeper than this is refused (the same bound as `serde_json`), so a
/// hostile body cannot exhaust the stack.
const MAX_DEPTH: u32 = 128;

/// Where and why a text is not JSON. Boxed, so that the scanner's results
/// stay two words wide on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(Box<(String, bool)>);

impl SyntaxError {
    pub fn new(message: String, eof: bool) -> Self {
        SyntaxError(Box::new((message, eof)))
    }

    /// The text ended where more was required: a truncated body.
    pub fn is_eof(&self) -> bool {
        self.0 .1
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0 .0)
    }
}

impl std::error::Error for SyntaxError {}

impl From<serde_json::Error> for SyntaxError {
    fn from(e: serde_json::Error) -> Self {
        SyntaxError::new(e.to_string(), e.is_eof())
    }
}

pub type Result<T> = std::result::Result<T, SyntaxError>;

pub struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Scan<'a> {
    pub fn new(text: &'a str) -> Self {
        Scan {
            text,
            b: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    #[cold]
    fn error(&self, what: &str) -> SyntaxError {
        let at = self.pos.min(self.b.len());
        let eof = self.pos >= self.b.len();
        let before = &self.b[..at];
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let column = at
            - before
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        let what = if eof { "unexpected end of input" } else { what };
        SyntaxError::new(format!("{what} at line {line} column {column}"), eof)
    }

    #[inline]
    fn ws(&mut self) {
        // Compact JSON: the next byte is most often a token.
        if self.b.get(self.pos).is_some_and(|&c| c > b' ') {
            return;
        }
        self.ws_slow();
    }

    #[inline(never)]
    fn ws_slow(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The first byte of the next token, after whitespace.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.pos).copied()
    }

    /// Only whitespace may follow.
    pub fn end(&mut self) -> Result<()> {
        self.ws();
        if self.pos == self.b.len() {
            Ok(())
        } else {
            Err(self.error("trailing characters"))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        self.pos += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        Ok(())
    }

    /// Consumes the `{` the cursor is on (the caller has peeked it).
    #[inline]
    pub fn open_object(&mut self) -> Result<()> {
        debug_assert_eq!(self.b.get(self.pos), Some(&b'{'));
        self.enter()
    }

    /// Consumes the `[` the cursor is on (the caller has peeked it).
    #[inline]
    pub fn open_array(&mut self) -> Result<()> {
        debug_assert_eq!(self.b.get(self.pos), Some(&b'['));
        self.enter()
    }

    /// The next key of an open object (cursor then on its value), or `None`
    /// once its `}` is consumed. `first` starts `true` for each object.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') if *first => *first = false,
            Some(b'}') => {
                self.close();
                return Ok(None);
            }
            Some(b',') if !*first => {
                self.pos += 1;
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a key"));
                }
            }
            _ => return Err(self.key_error(*first)),
        }
        let start = self.pos + 1;
        let (end, escaped) = self.member_key()?;
        Ok(Some(if escaped {
            unescape_key(&self.text[start - 1..=end])?
        } else {
            Cow::Borrowed(&self.text[start..end])
        }))
    }

    /// Passes over a member's key (cursor on its opening quote) and the `:`
    /// after it; yields the index of the key's closing quote and whether the
    /// key has escapes.
    #[inline(always)]
    fn member_key(&mut self) -> Result<(usize, bool)> {
        let escaped = self.string()?;
        let end = self.pos - 1;
        if self.peek() != Some(b':') {
            return Err(self.error("expected `:`"));
        }
        self.pos += 1;
        Ok((end, escaped))
    }

    #[cold]
    fn key_error(&self, first: bool) -> SyntaxError {
        self.error(if first {
            "expected a key or `}`"
        } else {
            "expected `,` or `}`"
        })
    }

    /// Whether an open array has another element (cursor then on it); `false`
    /// once its `]` is consumed. `first` starts `true` for each array.
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool> {
        match self.peek() {
            Some(b']') => {
                self.close();
                Ok(false)
            }
            _ if *first => {
                *first = false;
                Ok(true)
            }
            Some(b',') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    return Err(self.error("trailing comma"));
                }
                Ok(true)
            }
            _ => Err(self.error("expected `,` or `]`")),
        }
    }

    /// Consumes the `}` or `]` that ends the innermost open container.
    fn close(&mut self) {
        self.pos += 1;
        self.depth -= 1;
    }

    /// The JSON text of the value at the cursor, checked.
    #[inline(always)]
    pub fn raw_value(&mut self) -> Result<&'a str> {
        self.ws();
        let start = self.pos;
        self.skip_value()?;
        Ok(&self.text[start..self.pos])
    }

    /// Checks and passes over the value at the cursor.
    #[inline(always)]
    pub fn skip_value(&mut self) -> Result<()> {
        // Strings first, in line: most values are.
        if self.peek() == Some(b'"') {
            return self.string().map(drop);
        }
        self.skip_other()
    }

    /// `skip_value` for anything but a string at the cursor.
    fn skip_other(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => {
                self.enter()?;
                if self.peek() == Some(b'}') {
                    self.close();
                    return Ok(());
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a key"));
                    }
                    self.member_key()?;
                    self.skip_value()?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.close();
                            return Ok(());
                        }
                        _ => return Err(self.error("expected `,` or `}`")),
                    }
                }
            }
            Some(b'[') => {
                self.enter()?;
                if self.peek() == Some(b']') {
                    self.close();
                    return Ok(());
                }
                loop {
                    self.skip_value()?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.close();
                            return Ok(());
                        }
                        _ => return Err(self.error("expected `,` or `]`")),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        let end = self.pos + word.len();
        match self.b.get(self.pos..end) {
            Some(w) if w == word => {
                self.pos = end;
                Ok(())
            }
            _ => {
                // Point at the first byte that differs (or the end).
                let same = word
                    .iter()
                    .zip(&self.b[self.pos..])
                    .take_while(|(a, b)| a == b)
                    .count();
                self.pos += same;
                Err(self.error("expected a value"))
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.b.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<()> {
        if self.b[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.b.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(())
    }

    /// Passes over the string whose opening quote is at the cursor; yields
    /// whether it has escapes. The common case, no escapes, stays small.
    #[inline]
    fn string(&mut self) -> Result<bool> {
        let i = next_special(self.b, self.pos + 1);
        if self.b.get(i) == Some(&b'"') {
            self.pos = i + 1;
            return Ok(false);
        }
        self.string_rest(i)
    }

    /// The rest of a string from its first special byte at `i`.
    #[inline(never)]
    fn string_rest(&mut self, mut i: usize) -> Result<bool> {
        let b = self.b;
        let mut escaped = false;
        loop {
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    match b.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                        Some(b'u') => {
                            let mut j = i + 2;
                            while j < i + 6 && b.get(j).is_some_and(u8::is_ascii_hexdigit) {
                                j += 1;
                            }
                            if j < i + 6 {
                                self.pos = j;
                                return Err(self.error("invalid \\u escape"));
                            }
                            i = j;
                        }
                        _ => {
                            self.pos = i + 1;
                            return Err(self.error("invalid escape"));
                        }
                    }
                }
                Some(_) => {
                    self.pos = i;
                    return Err(self.error("control character in a string"));
                }
                None => {
                    self.pos = i;
                    return Err(self.error("unterminated string"));
                }
            }
            i = next_special(b, i);
        }
    }
}

/// A key with escapes, given as its quoted JSON text.
#[cold]
fn unescape_key(quoted: &str) -> Result<Cow<'_, str>> {
    Ok(Cow::Owned(
        serde_json::from_str::<String>(quoted).map_err(SyntaxError::from)?,
    ))
}

/// The index of the first `"`, `\` or control character at or after `i`
/// (the length if none): sixteen bytes at a time with vector compares, then
/// one by one.
#[inline]
fn next_special(b: &[u8], mut i: usize) -> usize {
    use wide::u8x16;
    let quote = u8x16::splat(b'"');
    let slash = u8x16::splat(b'\\');
    let low = u8x16::splat(0x1f);
    while let Some(chunk) = b.get(i..i + 16).and_then(|c| <[u8; 16]>::try_from(c).ok()) {
        let x = u8x16::new(chunk);
        // x <= 0x1f exactly when max(x, 0x1f) == 0x1f.
        let hit = x.cmp_eq(quote) | x.cmp_eq(slash) | x.max(low).cmp_eq(low);
        let m = hit.move_mask();
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(s: &str) -> Result<()> {
        let mut sc = Scan::new(s);
        sc.skip_value()?;
        sc.end()
    }

    /// Accepts exactly what `serde_json` accepts, on hand-picked edge cases
    /// (tests/scan.rs does the same on damaged seed bodies).
    #[test]
    fn agrees_with_serde_json() {
        let cases = [
            "0",
            "-0",
            "1.5e+3",
            "1E9",
            "-",
            "01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "true",
            "tru",
            "nul",
            "null ",
            " false",
            "\"\"",
            "\"a\\u00e9\\n\"",
            "\"\\x\"",
            "\"\\u12G4\"",
            "\"\\u12\"   ",
            "\"a\tb\"",
            "\"abc",
            "\"abcdefghijklmnop\\",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,2",
            "{}",
            "{,}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1:2}",
            "{\"a\":1}x",
            "{\"a\":[{\"b\":null}],\"c\":{}}",
            "\"\\/\\b\\f\\r\\t\\\"\\\\\"",
            "[\"\u{7f}\", \"é\"]",
            "{\"k\\u0041\":1}",
            "",
            "   ",
            "[[[]]]",
            "{\"a\":1 \"b\":2}",
            "1 2",
            "[-]",
            "[-1.0e-5]",
        ];
        for c in cases {
            let ours = skip(c);
            let theirs = serde_json::from_str::<serde::de::IgnoredAny>(c);
            assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "{c:?}: {ours:?} vs {theirs:?}"
            );
            // A body serde_json calls truncated is truncated here too (here
            // also a number cut short, such as `-`, is).
            if let (Err(a), Err(b)) = (&ours, &theirs) {
                assert!(a.is_eof() || !b.is_eof(), "{c:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        let e = skip(&deep).unwrap_err();
        assert!(e.to_string().starts_with("recursion limit exceeded"), "{e}");
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert!(skip(&ok).is_ok());
    }

    #[test]
    fn keys_and_raw_values() {
        let mut sc = Scan::new(r#" { "a" : [1, {"x":"y"}] , "b\u0041":"\"q\"" } "#);
        assert_eq!(sc.peek(), Some(b'{'));
        sc.open_object().unwrap();
        let mut first = true;
        let mut got = Vec::new();
        while let Some(k) = sc.next_key(&mut first).unwrap() {
            got.push((k.into_owned(), sc.raw_value().unwrap()));
        }
        sc.end().unwrap();
        assert_eq!(
            got,
            [
                ("a".to_owned(), r#"[1, {"x":"y"}]"#),
                ("bA".to_owned(), r#""\"q\"""#)
            ]
        );
    }

    #[test]
    fn errors_say_where() {
        let e = skip("{\"a\":\n  tru}").unwrap_err();
        assert_eq!(e.to_string(), "expected a value at line 2 column 6");
        assert!(!e.is_eof());
        let e = skip("{\"a\":[1,2").unwrap_err();
        assert!(e.is_eof(), "{e}");
        assert!(e.to_string().starts_with("unexpected end of input"), "{e}");
    }

    #[test]
    fn special_bytes_found_at_every_offset() {
        for n in 0..40 {
            for c in [b'"', b'\\', 0x01, 0x1f] {
                let mut v = vec![b'a'; 40];
                v[n] = c;
                assert_eq!(next_special(&v, 0), n);
            }
            let v = vec![0xc3; n];
            assert_eq!(next_special(&v, 0), n);
        }
    }
}
