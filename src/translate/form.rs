//! A file in a `multipart/form-data` body (RFC 7578): the one part a
//! route names (its `file_form`), read without copying it.

/// The file of one form field: its `filename` (`%22`, `%0D` and `%0A`
/// decoded, as browsers and HTTP libraries write them), its media type, and
/// where its bytes are in the body.
#[derive(Debug, PartialEq, Eq)]
pub struct FormFile {
    pub filename: Option<String>,
    pub media: Option<String>,
    pub bytes: std::ops::Range<usize>,
}

/// Whether `content_type` is a multipart form.
pub fn is_form(content_type: &str) -> bool {
    content_type
        .trim_start()
        .get(..19)
        .is_some_and(|t| t.eq_ignore_ascii_case("multipart/form-data"))
}

/// The boundary a multipart media type names.
pub fn boundary(content_type: &str) -> Option<&str> {
    if !is_form(content_type) {
        return None;
    }
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 70).then_some(v)
    })
}

/// The part of form `body` (of media type `content_type`) whose name is
/// `field`; an error saying what is wrong where there is none.
pub fn file_part(content_type: &str, body: &[u8], field: &str) -> Result<FormFile, String> {
    let boundary =
        boundary(content_type).ok_or_else(|| "a multipart form without its boundary".to_owned())?;
    let delim = format!("--{boundary}");
    let next = memchr::memmem::Finder::new(delim.as_bytes());
    let crlf_delim = format!("\r\n{delim}");
    let close = memchr::memmem::Finder::new(crlf_delim.as_bytes());
    let Some(first) = next.find(body) else {
        return Err("a multipart form without its boundary".into());
    };
    let mut at = first + delim.len();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(rest) = rest.strip_prefix(b"\r\n") else {
            return Err("a malformed multipart form".into());
        };
        let start = body.len() - rest.len();
        let Some(head_len) = memchr::memmem::find(rest, b"\r\n\r\n") else {
            return Err("a malformed multipart form".into());
        };
        let data = start + head_len + 4;
        // A part ends where CRLF and the next delimiter begin.
        let Some(end_of_data) = close.find(&body[data..]).map(|e| data + e) else {
            return Err("a multipart form cut short".into());
        };
        let end = end_of_data + 2;
        let head = String::from_utf8_lossy(&body[start..start + head_len]);
        let mut name = None;
        let mut filename = None;
        let mut media = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-type") {
                media = Some(v.trim().to_owned());
            } else if k.trim().eq_ignore_ascii_case("content-disposition") {
                for (pk, pv) in params(v) {
                    if pk.eq_ignore_ascii_case("name") {
                        name = Some(pv);
                    } else if pk.eq_ignore_ascii_case("filename") {
                        filename = Some(pv);
                    }
                }
            }
        }
        if name.as_deref() == Some(field) {
            return Ok(FormFile {
                filename: filename.filter(|f| !f.is_empty()),
                media,
                bytes: data..end_of_data,
            });
        }
        at = end + delim.len();
    }
    Err(format!("the form has no `{field}`"))
}

/// The parameters of a `Content-Disposition` value after its type:
/// `name="…"`, `filename="…"` (quoted or not).
fn params(v: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(semi) = rest.find(';') {
        rest = rest[semi + 1..].trim_start();
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().to_owned();
        let after = &rest[eq + 1..];
        let (value, tail) = match after.strip_prefix('"') {
            Some(q) => {
                let close = q.find('"').unwrap_or(q.len());
                (q[..close].to_owned(), q.get(close + 1..).unwrap_or(""))
            }
            None => {
                let stop = after.find(';').unwrap_or(after.len());
                (after[..stop].trim().to_owned(), &after[stop..])
            }
        };
        let value = value
            .replace("%22", "\"")
            .replace("%0D", "\r")
            .replace("%0A", "\n");
        out.push((key, value));
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=----b0";

    #[test]
    fn finds_the_named_part_among_others() {
        let body = b"------b0\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n\
            ------b0\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a %22b%22.txt\"\r\n\
            Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n------b0--\r\n";
        let f = file_part(CT, body, "attachment").expect("a part");
        assert_eq!(f.filename.as_deref(), Some("a \"b\".txt"));
        assert_eq!(f.media.as_deref(), Some("text/plain"));
        assert_eq!(&body[f.bytes], b"line one\r\nline two");
        assert_eq!(
            file_part(CT, body, "file"),
            Err("the form has no `file`".into())
        );
    }

    #[test]
    fn the_boundary_inside_a_line_of_the_file_is_data() {
        let body =
            b"------b0\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n\
            x------b0 y\r\n------b0--\r\n";
        let f = file_part(CT, body, "f").expect("a part");
        assert_eq!(&body[f.bytes], b"x------b0 y");
    }

    #[test]
    fn an_empty_file_and_a_quoted_boundary() {
        let ct = "multipart/form-data; boundary=\"x y\"";
        let body =
            b"--x y\r\nContent-Disposition: form-data; name=file; filename=e\r\n\r\n\r\n--x y--";
        let f = file_part(ct, body, "file").expect("a part");
        assert_eq!((f.filename.as_deref(), f.bytes.len()), (Some("e"), 0));
    }

    #[test]
    fn malformed_forms_are_errors() {
        for (ct, body) in [
            ("multipart/form-data", &b"--b\r\n"[..]),
            ("text/plain; boundary=b", b"--b\r\n"),
            (CT, b"no delimiter at all"),
            (
                CT,
                b"------b0\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ncut",
            ),
            (CT, b"------b0 garbage"),
        ] {
            assert!(file_part(ct, body, "f").is_err(), "{ct} {body:?}");
        }
    }
}
