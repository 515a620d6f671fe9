//! Pagination: the client's page request in canonical form, the upstream's page
//! metadata in canonical form, and `Link` / total headers rebuilt for the client.

use super::url;
use crate::mapping::model::{Paging, PagingStyle};
use http::{HeaderMap, HeaderName, HeaderValue};

/// What page the client asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageReq {
    pub page: u64,
    pub per_page: Option<u64>,
    pub cursor: Option<String>,
}

/// What the upstream said about neighbouring pages: page numbers, or cursors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageInfo {
    pub next: Option<String>,
    pub prev: Option<String>,
    pub last: Option<String>,
    pub total: Option<String>,
}

/// Reads the client's paging parameters; per_page is clamped to the dialect's
/// maximum, as the dialect itself would.
pub fn decode_request(p: &Paging, query: &str) -> PageReq {
    let mut r = PageReq {
        page: 1,
        per_page: p.default_per_page,
        cursor: None,
    };
    // Per page as the older parameter gives it, used only without the current one.
    let mut fallback = None;
    let mut given = false;
    for (k, v) in url::query_pairs(query) {
        if p.page_param.as_deref() == Some(&*k) {
            r.page = v.parse().ok().filter(|n| *n > 0).unwrap_or(1);
        } else if p.per_page_param.as_deref() == Some(&*k) {
            given = true;
            if let Ok(n) = v.parse::<u64>() {
                r.per_page = Some(n.max(1));
            }
        } else if p.per_page_fallback.as_deref() == Some(&*k) {
            fallback = v.parse::<u64>().ok().map(|n| n.max(1));
        } else if p.cursor_param.as_deref() == Some(&*k) {
            r.cursor = Some(v.into_owned());
        }
    }
    if !given && fallback.is_some() {
        r.per_page = fallback;
    }
    if let (Some(n), Some(max)) = (r.per_page, p.max_per_page) {
        r.per_page = Some(n.min(max));
    }
    r
}

/// Appends the upstream's paging parameters to a path being built.
pub fn encode_query(p: &Paging, r: &PageReq, path: &mut String) {
    match p.style {
        PagingStyle::Page => {
            if let Some(k) = &p.page_param {
                url::push_query(path, k, &r.page.to_string());
            }
        }
        PagingStyle::Cursor | PagingStyle::Token => {
            if let (Some(k), Some(c)) = (&p.cursor_param, &r.cursor) {
                url::push_query(path, k, c);
            }
        }
    }
    if let (Some(k), Some(n)) = (&p.per_page_param, r.per_page) {
        let n = p.max_per_page.map_or(n, |m| n.min(m));
        url::push_query(path, k, &n.to_string());
    }
}

/// Reads the upstream's page metadata from headers, `Link`, or the body.
pub fn decode_info(d: &crate::mapping::Dialect, headers: &HeaderMap, body: &str) -> PageInfo {
    let Some(p) = &d.paging else {
        return PageInfo::default();
    };
    let get = |h: &Option<HeaderName>| {
        h.as_ref()
            .and_then(|h| headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut info = PageInfo {
        next: get(&p.next_header),
        prev: get(&p.prev_header),
        last: get(&p.last_header),
        total: get(&p.total_header),
    };
    if p.link {
        let param = match p.style {
            PagingStyle::Page => p.page_param.as_deref(),
            _ => p.cursor_param.as_deref(),
        };
        if let Some(param) = param {
            for v in headers.get_all(http::header::LINK) {
                let Ok(v) = v.to_str() else { continue };
                for (target, rel) in parse_link(v) {
                    let q = target.split_once('?').map_or("", |(_, q)| q);
                    let Some(val) = url::query_pairs(q)
                        .into_iter()
                        .find(|(k, _)| k == param)
                        .map(|(_, v)| v.into_owned())
                    else {
                        continue;
                    };
                    let slot = match rel {
                        "next" => &mut info.next,
                        "prev" | "previous" => &mut info.prev,
                        "last" => &mut info.last,
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = Some(val);
                    }
                }
            }
        }
    }
    if let Some(path) = &p.next_token_path {
        if let Ok(Some(j)) = super::read::find(body, path) {
            if let Some(t) = super::record::json_text(j).filter(|t| !t.is_empty()) {
                info.next = Some(t.into_owned());
            }
        }
    }
    if p.style == PagingStyle::Page {
        // Page numbers count from 1; anything else names no page.
        for slot in [&mut info.next, &mut info.prev, &mut info.last] {
            if slot
                .as_deref()
                .is_some_and(|v| !v.parse::<u64>().is_ok_and(|n| n > 0))
            {
                *slot = None;
            }
        }
        if info
            .total
            .as_deref()
            .is_some_and(|v| v.parse::<u64>().is_err())
        {
            info.total = None;
        }
    }
    info
}

/// `<url>; rel="next", <url>; rel="last"` → [(url, rel)]. A target marked
/// `results="false"` (a page known to be empty) is left out.
pub fn parse_link(v: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let end = rest.find('<').unwrap_or(rest.len());
        let params = &rest[..end];
        let empty = params.split(';').any(|p| {
            p.trim()
                .strip_prefix("results")
                .and_then(|r| r.trim_start().strip_prefix('='))
                .is_some_and(|v| v.trim().trim_end_matches(',').trim().trim_matches('"') == "false")
        });
        if empty {
            continue;
        }
        for p in params.split(';') {
            let p = p.trim().trim_end_matches(',').trim();
            if let Some(r) = p.strip_prefix("rel=") {
                for rel in r.trim_matches('"').split_whitespace() {
                    out.push((target, rel));
                }
            }
        }
    }
    out
}

/// Writes the client's paging headers: `Link` rebuilt on the gateway's URL with
/// the client's parameter names, and totals where the client dialect has them.
/// `carry`: for a client that pages by number in front of an upstream that
/// pages by cursor, the parameter under which the upstream's cursors travel in
/// the links (the upstream's own name; `page_request` reads it back).
#[allow(clippy::too_many_arguments)]
pub fn encode_headers<'a>(
    p: &Paging,
    info: &'a PageInfo,
    req: &PageReq,
    carry: Option<&str>,
    public_base: &str,
    raw_path: &str,
    raw_query: &str,
    out: &mut Vec<(HeaderName, HeaderValue)>,
) {
    let numbered = p.style == PagingStyle::Page;
    let carry = carry.filter(|_| numbered);
    // A client that pages by number reads page numbers only from headers;
    // an upstream's cursors are none, however they look.
    let counts = carry.is_none();
    let number = |v: Option<&'a str>| -> Option<&'a str> {
        v.filter(|v| !numbered || (counts && v.parse::<u64>().is_ok()))
    };
    let mut put = |h: &Option<HeaderName>, v: Option<&str>| {
        if let (Some(h), Some(v)) = (h, v) {
            if let Ok(v) = HeaderValue::from_str(v) {
                out.push((h.clone(), v));
            }
        }
    };
    put(
        &p.next_header,
        Some(number(info.next.as_deref()).unwrap_or("")),
    );
    put(
        &p.prev_header,
        Some(number(info.prev.as_deref()).unwrap_or("")),
    );
    put(&p.total_header, info.total.as_deref());
    // An upstream that counts but names no last page (one page, say): the
    // last page follows from the count.
    let counted;
    let last = match (number(info.last.as_deref()), &info.total, req.per_page) {
        (Some(l), _, _) => Some(l),
        (None, Some(t), Some(n)) if numbered && n > 0 => {
            counted = t
                .parse::<u64>()
                .ok()
                .map(|t| t.div_ceil(n).max(1).to_string());
            counted.as_deref()
        }
        _ => None,
    };
    put(&p.last_header, last);
    if numbered {
        if let Some(h) = &p.page_header {
            out.push((h.clone(), HeaderValue::from(req.page)));
        }
        if let (Some(h), Some(n)) = (&p.per_page_header, req.per_page) {
            out.push((h.clone(), HeaderValue::from(n)));
        }
    }
    // A single page has no Link header, as on the forges themselves (a
    // dialect whose links always name both neighbours aside).
    if !p.link || (!p.link_results && info.next.is_none() && info.prev.is_none() && req.page <= 1) {
        return;
    }
    let param = match p.style {
        PagingStyle::Page => p.page_param.as_deref(),
        _ => p.cursor_param.as_deref(),
    };
    let Some(param) = param else { return };
    // The links differ only in the paging parameter: the address and the
    // client's other parameters are written once.
    let mut base = String::with_capacity(public_base.len() + raw_path.len() + raw_query.len() + 16);
    base.push_str(public_base);
    base.push_str(raw_path);
    let mut has_per_page = false;
    for (k, v) in url::query_pairs(raw_query) {
        if k == param || carry == Some(&*k) {
            continue;
        }
        if p.per_page_param.as_deref() == Some(&*k) {
            has_per_page = true;
        }
        url::push_query(&mut base, &k, &v);
    }
    if !has_per_page {
        if let (Some(k), Some(n)) = (&p.per_page_param, req.per_page) {
            if Some(n) != p.default_per_page {
                url::push_query(&mut base, k, &n.to_string());
            }
        }
    }
    let with_query = base.contains('?');
    let here;
    let rels: [(Option<&str>, &str); 4] = if p.link_results {
        // Both neighbours always; one that does not exist points at this page.
        here = req.cursor.clone().unwrap_or_else(|| req.page.to_string());
        [
            (Some(info.prev.as_deref().unwrap_or(&here)), "previous"),
            (Some(info.next.as_deref().unwrap_or(&here)), "next"),
            (None, ""),
            (None, ""),
        ]
    } else {
        [
            (info.prev.as_deref(), "prev"),
            (info.next.as_deref(), "next"),
            (info.last.as_deref(), "last"),
            ((numbered && req.page > 1).then_some("1"), "first"),
        ]
    };
    let mut link = String::with_capacity(4 * (base.len() + 32));
    for (value, rel) in rels {
        let Some(value) = value else { continue };
        // The upstream's cursors, for a client that pages by number,
        // travel under `carry`.
        let name = match carry {
            Some(c) if rel != "first" => c,
            _ => param,
        };
        if !link.is_empty() {
            link.push_str(", ");
        }
        link.push('<');
        link.push_str(&base);
        link.push(if with_query { '&' } else { '?' });
        url::push_query_value(&mut link, name);
        link.push('=');
        url::push_query_value(&mut link, value);
        link.push_str(">; rel=\"");
        link.push_str(rel);
        link.push('"');
        if p.link_results {
            let exists = if rel == "previous" {
                info.prev.is_some()
            } else {
                info.next.is_some()
            };
            link.push_str("; results=\"");
            link.push_str(if exists { "true" } else { "false" });
            link.push_str("\"; cursor=\"");
            url::push_query_value(&mut link, value);
            link.push('"');
        }
    }
    if !link.is_empty() {
        if let Ok(v) = HeaderValue::from_maybe_shared(bytes::Bytes::from(link)) {
            out.push((http::header::LINK, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_link_headers() {
        let v = "<https://gl.example/api/v4/projects/1/releases?page=2&per_page=20>; rel=\"next\", <https://gl.example/api/v4/projects/1/releases?page=5&per_page=20>; rel=\"last\"";
        let l = parse_link(v);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].1, "next");
        assert!(l[0].0.ends_with("page=2&per_page=20"));
        assert_eq!(l[1].1, "last");
    }

    #[test]
    fn a_link_target_without_results_is_no_page() {
        let v = "<https://s.example/api/0/x/?&cursor=100:-1:1>; rel=\"previous\"; results=\"false\"; cursor=\"100:-1:1\", \
                 <https://s.example/api/0/x/?&cursor=100:1:0>; rel=\"next\"; results=\"true\"; cursor=\"100:1:0\"";
        assert_eq!(
            parse_link(v),
            [("https://s.example/api/0/x/?&cursor=100:1:0", "next")]
        );
        let v = "<https://s.example/a?cursor=1>; rel=\"next\"; results = \"false\"";
        assert!(parse_link(v).is_empty());
    }
}
