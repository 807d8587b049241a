//! Repairs for common, harmless breakage that would otherwise make feed-rs reject a whole feed:
//! control characters that XML forbids, a bare `&` (`AT&T`), and RSS versions feed-rs does not
//! recognise (`<rss>`, `<rss version="2.01">`). Each repair keeps every newline, so line numbers
//! in later error messages still match the document the publisher sees.

use super::locate;
use super::text::is_entity_reference;

/// Removes characters XML 1.0 forbids (C0 controls other than tab, newline and carriage return,
/// and U+FFFE/U+FFFF). They carry no text, and some parsers reject the document for them.
pub(crate) fn strip_forbidden_chars(text: String) -> String {
    let forbidden = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if !text.contains(forbidden) {
        return text;
    }
    text.chars().filter(|&c| !forbidden(c)).collect()
}

/// Escapes every `&` that does not start an entity or character reference, outside comments and
/// CDATA sections (where `&` is literal). Returns `None` when there was nothing to escape.
pub(crate) fn escape_stray_ampersands(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already copied into `out`
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let rest = bytes.get(i..).unwrap_or_default();
        let skip_to = if rest.starts_with(b"<![CDATA[") {
            Some(find(rest, b"]]>").map_or(bytes.len(), |end| i + end + 3))
        } else if rest.starts_with(b"<!--") {
            Some(find(rest, b"-->").map_or(bytes.len(), |end| i + end + 3))
        } else {
            None
        };
        if let Some(end) = skip_to {
            i = end;
            continue;
        }
        if b == b'&' && !is_entity_reference(bytes.get(i + 1..).unwrap_or_default()) {
            let fixed = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            fixed.push_str(text.get(copied..i).unwrap_or_default());
            fixed.push_str("&amp;");
            copied = i + 1;
        }
        i += 1;
    }
    let mut fixed = out?;
    fixed.push_str(text.get(copied..).unwrap_or_default());
    Some(fixed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// RSS versions feed-rs accepts as they are; 0.91 and 0.92 go to its RSS 0.9x reader.
const KNOWN_RSS_VERSIONS: &[&str] = &["2.0", "0.91", "0.92"];

/// Gives an `<rss>` root with a missing or unrecognised version `version="2.0"` (RSS 2.0 is a
/// superset of 0.9x, so its reader handles them all). Returns `None` when no change is needed.
pub(crate) fn fix_rss_version(text: &str) -> Option<String> {
    let (name, tag) = locate::root_tag(text)?;
    if name != "rss" {
        return None;
    }
    let tag_text = text.get(tag.clone())?;
    let (replace, with) = match version_value(tag_text) {
        Some(value) if KNOWN_RSS_VERSIONS.contains(&value.1) => return None,
        Some((range, value)) => {
            tracing::debug!(
                version = value,
                "reading an unrecognised RSS version as 2.0"
            );
            (tag.start + range.start..tag.start + range.end, "2.0")
        }
        // Right after `<rss`.
        None => (tag.start + 4..tag.start + 4, " version=\"2.0\""),
    };
    let mut fixed = String::with_capacity(text.len() + 16);
    fixed.push_str(text.get(..replace.start)?);
    fixed.push_str(with);
    fixed.push_str(text.get(replace.end..)?);
    Some(fixed)
}

/// The range and value of a `version` attribute inside one start tag.
fn version_value(tag: &str) -> Option<(std::ops::Range<usize>, &str)> {
    let bytes = tag.as_bytes();
    let mut search = 0;
    loop {
        let at = search + tag.get(search..)?.find("version")?;
        search = at + 7;
        // Must be a whole attribute name, not part of `xmlns:version` or `myversion`.
        if !bytes
            .get(at.wrapping_sub(1))
            .is_some_and(u8::is_ascii_whitespace)
        {
            continue;
        }
        let after = tag.get(search..)?.trim_start();
        let Some(after_eq) = after.strip_prefix('=') else {
            continue;
        };
        let value_part = after_eq.trim_start();
        let quote = value_part
            .chars()
            .next()
            .filter(|&q| q == '"' || q == '\'')?;
        let start = tag.len() - value_part.len() + 1;
        let len = tag.get(start..)?.find(quote)?;
        let value = tag.get(start..start + len)?;
        return Some((start..start + len, value.trim()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ampersands_are_escaped_and_entities_kept() {
        let text = "<t a=\"x?a=1&b=2\">AT&T &amp; &#1575; &nbsp; & co</t>";
        assert_eq!(
            escape_stray_ampersands(text).as_deref(),
            Some("<t a=\"x?a=1&amp;b=2\">AT&amp;T &amp; &#1575; &nbsp; &amp; co</t>")
        );
    }

    #[test]
    fn ampersands_in_cdata_and_comments_are_left_alone() {
        let text = "<t><![CDATA[a & b]]><!-- c & d --></t>";
        assert_eq!(escape_stray_ampersands(text), None);
        assert_eq!(escape_stray_ampersands("<t>a &amp; b</t>"), None);
    }

    #[test]
    fn odd_rss_versions_become_2_0() {
        assert_eq!(
            fix_rss_version("<rss><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\"><channel/></rss>")
        );
        assert_eq!(
            fix_rss_version(
                "<?xml version=\"1.0\"?>\n<rss xmlns:a=\"u\" version='2.01'><channel/></rss>"
            )
            .as_deref(),
            Some("<?xml version=\"1.0\"?>\n<rss xmlns:a=\"u\" version='2.0'><channel/></rss>")
        );
        assert_eq!(fix_rss_version("<rss version=\"0.91\"/>"), None);
        assert_eq!(fix_rss_version("<rss version=\"2.0\"/>"), None);
        assert_eq!(fix_rss_version("<feed version=\"x\"/>"), None);
    }

    #[test]
    fn forbidden_characters_are_removed_and_newlines_kept() {
        let text = "<t>A\u{1}\u{b}B\n\tC\u{0}</t>".to_string();
        assert_eq!(strip_forbidden_chars(text), "<t>AB\n\tC</t>");
    }
}
