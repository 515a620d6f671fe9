//! Percent-encoding of path segments and query strings, and URLs moved from
//! one base to another.
//!
//! Client input placed in an upstream path is always encoded as data, so no
//! value can add a segment, a query or a fragment to the upstream request.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::borrow::Cow;

/// Everything but RFC 3986 unreserved characters.
pub const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `s` encoded as one path segment ('/' becomes %2F).
pub fn push_segment(out: &mut String, s: &str) {
    out.extend(segment_pieces(s));
}

/// The pieces of `s` encoded as one path segment.
pub fn segment_pieces(s: &str) -> impl Iterator<Item = &str> {
    // Dot segments would be resolved away by servers; keep them data.
    let dots = match s {
        "." => Some("%2E"),
        ".." => Some("%2E%2E"),
        _ => None,
    };
    let rest = if dots.is_some() { "" } else { s };
    dots.into_iter().chain(utf8_percent_encode(rest, SEGMENT))
}

/// Whether `s` is its own encoding as one path segment (see `segment_pieces`).
pub fn is_plain_segment(s: &str) -> bool {
    is_plain_segment_bytes(s.as_bytes())
}

/// `is_plain_segment` for bytes: only bytes `SEGMENT` leaves as they are,
/// and not a dot segment.
pub fn is_plain_segment_bytes(s: &[u8]) -> bool {
    s.iter().all(|&b| UNRESERVED[usize::from(b)]) && s != b"." && s != b".."
}

/// The bytes `SEGMENT` does not encode (RFC 3986 unreserved), by byte value:
/// one lookup per byte (a test checks the two agree).
static UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] =
            matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    t
};

/// Decodes a matched path segment. Invalid UTF-8 is refused.
pub fn decode(s: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(s).decode_utf8().ok()
}

/// Decodes `application/x-www-form-urlencoded` query pairs.
pub fn query_pairs(q: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        let replaced = s.replace('+', " ");
        Cow::Owned(
            percent_decode_str(&replaced)
                .decode_utf8_lossy()
                .into_owned(),
        )
    } else {
        percent_decode_str(s).decode_utf8_lossy()
    }
}

/// Appends `k=v` to a query string being built.
pub fn push_query(out: &mut String, k: &str, v: &str) {
    out.push(if out.contains('?') { '&' } else { '?' });
    out.extend(utf8_percent_encode(k, SEGMENT));
    out.push('=');
    push_query_value(out, v);
}

/// Appends a query parameter's value, encoded as `push_query` encodes it.
pub fn push_query_value(out: &mut String, v: &str) {
    out.extend(utf8_percent_encode(v, SEGMENT));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_segments_are_what_segment_pieces_leaves_alone() {
        for b in 0u8..128 {
            let s = char::from(b).to_string();
            let encoded: String = segment_pieces(&s).collect();
            assert_eq!(is_plain_segment(&s), encoded == s, "byte {b:#04x}");
        }
        assert!(!is_plain_segment_bytes(&[0xc3, 0xa9]));
        for s in [".", "..", "a/b", "a b"] {
            assert!(!is_plain_segment(s), "{s}");
            assert_ne!(segment_pieces(s).collect::<String>(), s);
        }
        assert!(is_plain_segment("v1.0.0-rc_1~x"));
    }

    #[test]
    fn segments_cannot_escape() {
        let cases = [
            ("release/1.0", "release%2F1.0"),
            ("v1.0+build", "v1.0%2Bbuild"),
            ("../../admin", "..%2F..%2Fadmin"),
            ("..", "%2E%2E"),
            ("a?b#c", "a%3Fb%23c"),
            ("ünï", "%C3%BCn%C3%AF"),
        ];
        for (input, want) in cases {
            let mut s = String::new();
            push_segment(&mut s, input);
            assert_eq!(s, want, "{input}");
            assert_eq!(decode(&s).as_deref(), Some(input));
        }
    }

    #[test]
    fn query_pairs_decode() {
        let q = query_pairs("page=2&per_page=30&q=a+b%26c&flag");
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        assert_eq!(
            q,
            [
                ("page", "2"),
                ("per_page", "30"),
                ("q", "a b&c"),
                ("flag", "")
            ]
        );
    }
}

/// `body` with every URL that starts with `from` starting with `to` instead;
/// `None` where there is none. `from` must end where the URL's path goes on
/// (a `/`, `?`, `#`, `{`, the closing `"` of a JSON string or `>` of a `Link`
/// target follows, or the text ends), so that `http://host:80` is not found
/// in `http://host:8080`. Used for bodies and for `Link` and `Location`.
pub fn rebase(body: &[u8], from: &str, to: &str) -> Option<Vec<u8>> {
    if from.is_empty() {
        return None;
    }
    let mut out: Option<Vec<u8>> = None;
    let mut last = 0;
    for at in memchr::memmem::find_iter(body, from.as_bytes()) {
        let end = at + from.len();
        let whole = body
            .get(end)
            .is_none_or(|b| matches!(b, b'/' | b'?' | b'#' | b'{' | b'"' | b'>'));
        if !whole {
            continue;
        }
        let o = out.get_or_insert_with(|| Vec::with_capacity(body.len() + body.len() / 8));
        o.extend_from_slice(&body[last..at]);
        o.extend_from_slice(to.as_bytes());
        last = end;
    }
    let mut o = out?;
    o.extend_from_slice(&body[last..]);
    Some(o)
}

/// The path and query of `url` below `base` (a URL without a trailing
/// `/`), where `url` is under it: `base` then `/`, so the same scheme and
/// authority and a path below the base's, with no dot segment (written or
/// percent-encoded) nor backslash that a server could resolve out of it, and
/// no fragment. `None` for any other URL.
pub fn below<'u>(base: &str, url: &'u str) -> Option<&'u str> {
    let rest = url.strip_prefix(base)?;
    if !rest.starts_with('/') || rest.contains('#') {
        return None;
    }
    let path = rest.split('?').next().unwrap_or(rest);
    let unsafe_segment = |seg: &str| {
        let s = seg.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".." || s.contains('\\') || s.contains("%5c")
    };
    if path.split('/').any(unsafe_segment) {
        return None;
    }
    Some(rest)
}

#[cfg(test)]
mod rebase_tests {
    use super::{below, rebase};

    #[test]
    fn below_takes_only_urls_under_the_base() {
        let base = "https://forge.example.com/api/v4";
        let file = "https://forge.example.com/api/v4/projects/3/packages/generic/app/1.0/app.tgz";
        assert_eq!(
            below(base, file),
            Some("/projects/3/packages/generic/app/1.0/app.tgz")
        );
        assert_eq!(below(base, &format!("{base}/x?a=1")), Some("/x?a=1"));
        for other in [
            "https://forge.example.com/group/proj/uploads/s/app.tgz",
            "https://forge.example.com/api/v4x/y",
            "https://forge.example.com.evil.test/api/v4/y",
            "https://forge.example.com@evil.test/api/v4/y",
            "http://forge.example.com/api/v4/y",
            "https://forge.example.com/api/v4",
            "https://forge.example.com/api/v4/../../group/proj/y",
            "https://forge.example.com/api/v4/%2e%2E/user",
            "https://forge.example.com/api/v4/./y",
            "https://forge.example.com/api/v4/a\\..\\b",
            "https://forge.example.com/api/v4/a%5C..%5Cb",
            "https://forge.example.com/api/v4/y#frag",
        ] {
            assert_eq!(below(base, other), None, "{other}");
        }
    }

    #[test]
    fn moves_whole_bases_only() {
        let body = br#"{"url":"http://up:80/api/v1/repos/o/r/releases/1","other":"http://up:8080/api/v1/x","end":"http://up:80/api/v1","html":"http://up:80/o/r"}"#;
        let got = rebase(body, "http://up:80/api/v1", "https://gw.example/api/v1").expect("found");
        assert_eq!(
            String::from_utf8(got).expect("utf-8"),
            r#"{"url":"https://gw.example/api/v1/repos/o/r/releases/1","other":"http://up:8080/api/v1/x","end":"https://gw.example/api/v1","html":"http://up:80/o/r"}"#
        );
        assert_eq!(rebase(b"[]", "http://up:80", "http://gw"), None);
        assert_eq!(
            rebase(
                b"<http://up:80>; rel=\"next\", <http://up:8080/x>; rel=\"help\"",
                "http://up:80",
                "http://gw"
            )
            .as_deref(),
            Some(&b"<http://gw>; rel=\"next\", <http://up:8080/x>; rel=\"help\""[..])
        );
        assert_eq!(rebase(b"http://up:8000", "http://up:80", "http://gw"), None);
        assert_eq!(
            rebase(b"http://up:80", "http://up:80", "http://gw").as_deref(),
            Some(&b"http://gw"[..])
        );
    }
}
