//! Making stored text safe for the places exports put it: HTML for feed readers (scripts,
//! event handlers, `javascript:` URLs, frames and styles removed), XML (characters XML 1.0
//! forbids removed) and titles (bidi overrides removed, so a title cannot disguise itself).
//!
//! The HTML sanitizer's work is bounded: html5ever (under ammonia) slows down faster than
//! quadratically with nesting depth (100,000 nested `<div>`s took 40 s, 1 MB over 460 s), so
//! markup nested deeper than [`MAX_DEPTH`] or longer than [`MAX_HTML_BYTES`] is exported as its
//! plain text in one paragraph, the way `html_to_text` reads it flat.

use std::borrow::Cow;

use ammonia::{Builder, UrlRelative};

/// Sanitizes feed HTML for a reader: ammonia's allow-list (no `<script>`, `<style>`, `<iframe>`,
/// `<object>`, `<form>`, no `on*` handlers, no `style` attributes, only safe URL schemes), links
/// marked `noopener noreferrer`, and relative URLs made absolute against `base` (the item's
/// link) so they still work away from the original site.
pub fn sanitize_html(html: &str, base: Option<&str>) -> String {
    if html.len() > MAX_HTML_BYTES || nesting_depth(html) > MAX_DEPTH {
        return flat_html(html);
    }
    let mut builder = Builder::default();
    match base.and_then(|b| url::Url::parse(b).ok()) {
        Some(url) if matches!(url.scheme(), "http" | "https") => {
            builder.url_relative(UrlRelative::RewriteWithBase(url));
        }
        // Without a usable base a relative URL cannot be resolved; dropping it is safer than
        // letting the reader resolve it against the export's own address.
        _ => {
            builder.url_relative(UrlRelative::Deny);
        }
    }
    builder.clean(html).to_string()
}

/// Nesting beyond this is not real article markup (the same bound as `html_to_text`).
pub const MAX_DEPTH: usize = 256;

/// HTML longer than this is not sanitized as markup: real articles are far shorter, and the
/// bound keeps one item's export work small whatever its shape.
pub const MAX_HTML_BYTES: usize = 512 * 1024;

/// Hostile or absurd markup as one escaped paragraph of its text: linear work, nothing live.
fn flat_html(html: &str) -> String {
    let text = crate::feed::html_to_text(html);
    let mut end = text.len().min(MAX_HTML_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "<p>{}</p>",
        escape_html(text.get(..end).unwrap_or_default())
    )
}

/// The deepest nesting the tags suggest: start tags minus end tags, not counting void elements
/// (`<br>`, `<img>`, …) or self-closed tags, which nest nothing. An upper bound, since HTML
/// closes some elements implicitly; linear in the length.
fn nesting_depth(html: &str) -> usize {
    const VOID: [&[u8]; 14] = [
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
        b"param", b"source", b"track", b"wbr",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for (i, _) in bytes.iter().enumerate().filter(|&(_, &b)| b == b'<') {
        let rest = bytes.get(i + 1..).unwrap_or_default();
        match rest.first() {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_len = rest
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                let name = rest.get(..name_len).unwrap_or_default();
                let is_void = VOID.iter().any(|v| v.eq_ignore_ascii_case(name));
                // A bounded look for the tag's end keeps "<a<a<a…" linear.
                let tag_end = rest.iter().take(1024).position(|&b| b == b'>');
                let self_closed =
                    tag_end.is_some_and(|end| end > 0 && rest.get(end - 1) == Some(&b'/'));
                if !is_void && !self_closed {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
            _ => {}
        }
    }
    deepest
}

/// `link` when it is an http(s) URL, else `None`: only web links leave mirsad. `javascript:`,
/// `data:`, `vbscript:` (in any case, behind any leading whitespace or controls) and every other
/// scheme are dropped, in every export.
pub fn http_link(link: &str) -> Option<&str> {
    let link = link.trim();
    url::Url::parse(link)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
        .then_some(link)
}

/// `item` with every link that is not http(s) removed (its own URL and canonical URL, its
/// feeds' site links and URLs); borrowed unchanged in the usual case where all are.
pub fn safe_links(item: &crate::store::ExportItem) -> Cow<'_, crate::store::ExportItem> {
    let unsafe_link =
        |link: &Option<String>| link.as_deref().is_some_and(|l| http_link(l).is_none());
    let all_safe = !unsafe_link(&item.url)
        && !unsafe_link(&item.canonical_url)
        && item
            .feeds
            .iter()
            .all(|f| !unsafe_link(&f.site_link) && http_link(&f.url).is_some());
    if all_safe {
        return Cow::Borrowed(item);
    }
    let keep = |link: &Option<String>| link.as_deref().and_then(http_link).map(str::to_owned);
    let mut safe = item.clone();
    safe.url = keep(&item.url);
    safe.canonical_url = keep(&item.canonical_url);
    for feed in &mut safe.feeds {
        feed.site_link = keep(&feed.site_link);
        if http_link(&feed.url).is_none() {
            feed.url = String::new();
        }
    }
    Cow::Owned(safe)
}

/// A title for display: bidi embedding/override/isolate controls removed, whitespace collapsed.
pub fn clean_title(title: &str) -> String {
    crate::arabic::strip_bidi_controls(title)
        .replace(|c: char| c.is_control() && !c.is_whitespace(), "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` without the characters XML 1.0 does not allow (C0 controls other than tab, newline
/// and carriage return; U+FFFE; U+FFFF), which would make a whole feed unreadable.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| is_xml_char(*c)).collect())
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Plain text as HTML: the characters HTML gives meaning to escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = r#"<p onclick="steal()">نص <b>عريض</b></p>
        <script>alert(1)</script><img src="x.png" onerror="alert(2)">
        <a href="javascript:alert(3)">رابط</a><iframe src="https://evil.example/"></iframe>
        <style>body{display:none}</style><link rel="stylesheet" href="https://evil.example/s.css">
        <span style="background:url(https://evil.example/t.png)">x</span>
        <a href="/relative/path">نسبي</a>"#;

    #[test]
    fn scripts_handlers_javascript_urls_frames_and_styles_are_removed() {
        let clean = sanitize_html(HOSTILE, Some("https://news.example/a/1")).to_lowercase();
        for banned in [
            "<script",
            "alert(1)",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "<style",
            "stylesheet",
            "style=",
            "evil.example",
        ] {
            assert!(!clean.contains(banned), "{banned} survived in {clean}");
        }
        assert!(clean.contains("<b>عريض</b>"), "{clean}");
        assert!(
            clean.contains("https://news.example/relative/path"),
            "{clean}"
        );
    }

    /// Runs `f` on a thread and fails the test if it takes longer than `limit`.
    fn within<T: Send + 'static>(
        limit: std::time::Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit).expect("sanitizing took too long")
    }

    #[test]
    fn deeply_nested_or_huge_html_is_sanitized_in_bounded_time_as_plain_text() {
        // Before the bound: 100,000 nested divs took 40 s and 1 MB over 460 s.
        let deep = "<div>".repeat(200_000) + "نص <script>alert(1)</script>" + &"</div>".repeat(10);
        assert!(deep.len() > 1_000_000);
        let started = std::time::Instant::now();
        let clean = within(std::time::Duration::from_secs(10), move || {
            sanitize_html(&deep, Some("https://news.example/a"))
        });
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(
            clean.starts_with("<p>") && clean.contains("نص"),
            "{}",
            &clean[..100.min(clean.len())]
        );
        assert!(
            !clean.contains("<script") && !clean.contains("<div"),
            "{clean}"
        );
        // Other shapes of hostile markup, each about 1 MB: unclosed formatting, misnested
        // formatting, unclosed tables, tags that never end.
        for pattern in [
            "<b><i>x",
            "<b><i></b></i>x",
            "<table><tr><td>x",
            "<a<b",
            "<p>x",
        ] {
            let html = pattern.repeat(1_000_000 / pattern.len());
            within(std::time::Duration::from_secs(10), move || {
                sanitize_html(&html, None)
            });
        }
    }

    #[test]
    fn ordinary_markup_with_many_line_breaks_and_images_stays_markup() {
        let html = "<p>سطر<br>سطر<img src=x></p>".repeat(MAX_DEPTH * 2)
            + "<img src=\"https://x.example/i.png\"/></p>";
        let clean = sanitize_html(&html, None);
        assert!(
            clean.contains("<br>") && clean.contains("<img"),
            "{}",
            clean.len()
        );
        assert_eq!(nesting_depth("<div><br><img src=x><hr/><span/></div>"), 1);
    }

    /// Issue 15, point 4: `javascript:`, `data:` and `vbscript:` links reached feed readers.
    #[test]
    fn only_http_links_leave_mirsad_in_any_export() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "/relative",
        ] {
            assert_eq!(http_link(bad), None, "{bad:?}");
        }
        assert_eq!(
            http_link(" https://x.example/a "),
            Some("https://x.example/a")
        );
        assert_eq!(http_link("HTTP://x.example/"), Some("HTTP://x.example/"));

        let mut item = crate::export::tests_support::item("a", &["ai-infra"]);
        item.url = Some("javascript:alert(1)".into());
        item.canonical_url = Some("data:text/html,x".into());
        item.feeds[0].site_link = Some("vbscript:msgbox(1)".into());
        let meta = crate::export::FeedMeta::new("t", None, &Default::default());
        for format in [
            crate::export::Format::Atom,
            crate::export::Format::Rss,
            crate::export::Format::Jsonl,
            crate::export::Format::Csv,
        ] {
            let mut out = Vec::new();
            crate::export::write(format, std::slice::from_ref(&item), &meta, false, &mut out)
                .unwrap();
            let text = String::from_utf8(out).unwrap().to_lowercase();
            for scheme in ["javascript:", "data:", "vbscript:"] {
                assert!(!text.contains(scheme), "{format:?} kept {scheme}: {text}");
            }
            assert!(
                text.contains("news.example/feed"),
                "{format:?} lost the feed: {text}"
            );
        }
        let feeds = [crate::export::opml::OpmlFeed {
            xml_url: "https://x.example/feed".into(),
            html_url: Some("javascript:alert(1)".into()),
            title: Some("x".into()),
        }];
        let mut out = Vec::new();
        crate::export::opml::write_opml(&feeds, "t", &mut out).unwrap();
        let opml = String::from_utf8(out).unwrap();
        assert!(
            !opml.contains("javascript:") && !opml.contains("htmlUrl"),
            "{opml}"
        );
    }

    #[test]
    fn relative_urls_without_a_base_are_dropped() {
        let clean = sanitize_html(r#"<a href="/x">t</a>"#, None);
        assert!(!clean.contains("/x"), "{clean}");
        assert!(clean.contains('t'));
    }

    #[test]
    fn titles_lose_bidi_controls_and_newlines() {
        assert_eq!(
            clean_title("\u{202E}مرحبا\u{2066}\n world \u{2069}"),
            "مرحبا world"
        );
    }

    #[test]
    fn xml_safe_drops_forbidden_controls_only() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\td\u{FFFF}"), "abc\td");
        assert!(matches!(xml_safe("عادي"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_html_escapes_markup() {
        assert_eq!(escape_html("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
