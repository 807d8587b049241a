//! Making stored text safe for the places exports put it: HTML for feed readers (scripts,
//! event handlers, `javascript:` URLs, frames and styles removed), XML (characters XML 1.0
//! forbids removed) and titles (bidi overrides removed, so a title cannot disguise itself).

use std::borrow::Cow;

use ammonia::{Builder, UrlRelative};

/// Sanitizes feed HTML for a reader: ammonia's allow-list (no `<script>`, `<style>`, `<iframe>`,
/// `<object>`, `<form>`, no `on*` handlers, no `style` attributes, only safe URL schemes), links
/// marked `noopener noreferrer`, and relative URLs made absolute against `base` (the item's
/// link) so they still work away from the original site.
pub fn sanitize_html(html: &str, base: Option<&str>) -> String {
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
