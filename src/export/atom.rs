//! Atom (RFC 4287): the format feed readers handle best, and the one the daemon publishes.
//!
//! The document is `xml:lang="ar"`; each entry has a stable id ([`super::entry_id`]), its
//! title, link, dates, author, plain-text summary, sanitized HTML content, one category per tag
//! and a `source` naming the feed it came from.

use std::io::Write;

use super::sanitize::{clean_title, safe_links, sanitize_html};
use super::xml::{self, XmlWriter};
use super::{ExportError, FeedMeta, entry_id, entry_updated};
use crate::store::ExportItem;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

pub(super) fn write(
    items: &[ExportItem],
    meta: &FeedMeta,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let mut w = xml::start_document(out)?;
    xml::open(&mut w, "feed", &[("xmlns", ATOM_NS), ("xml:lang", "ar")])?;
    xml::text(&mut w, "id", &[], &meta.id)?;
    xml::text(&mut w, "title", &[("type", "text")], &meta.title)?;
    let updated = items
        .iter()
        .map(entry_updated)
        .max()
        .unwrap_or(&meta.generated_at);
    xml::text(&mut w, "updated", &[], updated)?;
    if let Some(url) = &meta.self_url {
        xml::empty(
            &mut w,
            "link",
            &[
                ("rel", "self"),
                ("type", "application/atom+xml"),
                ("href", url),
            ],
        )?;
    }
    xml::text(
        &mut w,
        "generator",
        &[
            ("uri", env!("CARGO_PKG_REPOSITORY")),
            ("version", env!("CARGO_PKG_VERSION")),
        ],
        "mirsad",
    )?;
    for item in items {
        entry(&mut w, &safe_links(item))?;
    }
    xml::close(&mut w, "feed")?;
    xml::end_document(w)?;
    Ok(())
}

fn entry(w: &mut XmlWriter<'_>, item: &ExportItem) -> Result<(), ExportError> {
    match entry_language(item) {
        Some(lang) => xml::open(w, "entry", &[("xml:lang", lang)])?,
        None => xml::open(w, "entry", &[])?,
    }
    xml::text(w, "id", &[], &entry_id(&item.identity))?;
    xml::text(w, "title", &[("type", "text")], &clean_title(&item.title))?;
    let link = item.url.as_deref().or(item.canonical_url.as_deref());
    if let Some(href) = link {
        xml::empty(
            w,
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", href)],
        )?;
    }
    xml::text(w, "published", &[], &item.published_at)?;
    xml::text(w, "updated", &[], entry_updated(item))?;
    xml::open(w, "author", &[])?;
    xml::text(w, "name", &[], &author_name(item))?;
    xml::close(w, "author")?;
    for tag in &item.tags {
        xml::empty(w, "category", &[("term", &tag.tag)])?;
    }
    if !item.summary.trim().is_empty() {
        xml::text(w, "summary", &[("type", "text")], &item.summary)?;
    }
    let html = item
        .content_html
        .as_deref()
        .or(item.summary_html.as_deref())
        .filter(|h| !h.trim().is_empty());
    match html {
        Some(html) => {
            let clean = sanitize_html(html, link);
            xml::text(w, "content", &[("type", "html")], &clean)?;
        }
        // RFC 4287 §4.1.2: an entry without an alternate link must carry content.
        None if link.is_none() => {
            xml::text(w, "content", &[("type", "text")], &item.summary)?;
        }
        None => {}
    }
    // `safe_links` empties a feed URL that is not http(s); the source's id and self link need one.
    if let Some(feed) = item.feeds.first().filter(|f| !f.url.is_empty()) {
        xml::open(w, "source", &[])?;
        xml::text(w, "id", &[], &feed.url)?;
        xml::text(w, "title", &[], &clean_title(feed.display_name()))?;
        xml::empty(w, "link", &[("rel", "self"), ("href", &feed.url)])?;
        if let Some(site) = feed.site_link.as_deref().filter(|s| !s.trim().is_empty()) {
            xml::empty(w, "link", &[("rel", "alternate"), ("href", site)])?;
        }
        xml::close(w, "source")?;
    }
    xml::close(w, "entry")?;
    Ok(())
}

/// The item's author, else the feed it came from (Atom requires an author on every entry
/// when the feed has none).
fn author_name(item: &ExportItem) -> String {
    let author = item
        .author
        .as_deref()
        .map(clean_title)
        .filter(|a| !a.is_empty());
    author
        .or_else(|| item.feeds.first().map(|f| clean_title(f.display_name())))
        .unwrap_or_else(|| "mirsad".to_owned())
}

/// Languages written right to left, by primary subtag.
const RTL_LANGUAGES: [&str; 9] = ["ar", "fa", "ur", "ps", "he", "yi", "ckb", "sd", "ug"];

/// The entry's `xml:lang`: the declared language when it is well formed, except that an item
/// written mostly in Arabic script under a left-to-right language (many Arabic sites keep their
/// CMS's `<language>en</language>`) is `ar`: the script does not lie, the setting often does.
fn entry_language(item: &ExportItem) -> Option<&str> {
    let declared = item.language.as_deref().filter(|l| is_language_tag(l));
    let primary = declared
        .and_then(|l| l.split('-').next())
        .map(str::to_ascii_lowercase);
    let rtl_declared = primary.is_some_and(|p| RTL_LANGUAGES.contains(&p.as_str()));
    if item.direction == "rtl" && !rtl_declared {
        return Some("ar");
    }
    declared
}

/// Only well-formed language tags go into `xml:lang`; feeds declare odd things.
fn is_language_tag(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 35
        && text.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::item;
    use super::*;
    use crate::store::ItemFilter;

    fn render(items: &[ExportItem]) -> String {
        let meta = FeedMeta::new(
            "عنوان",
            Some("https://x.org/f.atom".into()),
            &ItemFilter::default(),
        );
        let mut buf = Vec::new();
        write(items, &meta, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn atom_document_has_the_required_elements() {
        let xml = render(&[item("a", &["ai-infra", "ai-infra/chips"])]);
        for needle in [
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">"#,
            r#"<link rel="self" type="application/atom+xml" href="https://x.org/f.atom"/>"#,
            r#"<category term="ai-infra/chips"/>"#,
            "<published>2026-01-02T03:04:05Z</published>",
            "<source>",
            "<content type=\"html\">",
        ] {
            assert!(xml.contains(needle), "missing {needle} in {xml}");
        }
        let parsed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].categories.len(), 2);
    }

    #[test]
    fn an_empty_export_is_still_a_valid_feed() {
        let xml = render(&[]);
        let parsed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert!(parsed.entries.is_empty());
        assert!(parsed.updated.is_some());
    }

    #[test]
    fn arabic_script_under_a_declared_english_is_exported_as_arabic() {
        let mut arabic = item("a", &["ai-infra"]);
        arabic.language = Some("en-US".into());
        arabic.direction = "rtl".into();
        let mut english = item("b", &["ai-infra"]);
        english.language = Some("en".into());
        english.direction = "ltr".into();
        let mut persian = item("c", &["ai-infra"]);
        persian.language = Some("fa".into());
        persian.direction = "rtl".into();
        assert_eq!(entry_language(&arabic), Some("ar"));
        assert_eq!(entry_language(&english), Some("en"));
        assert_eq!(entry_language(&persian), Some("fa"));
        let xml = render(&[arabic]);
        assert!(xml.contains(r#"<entry xml:lang="ar">"#), "{xml}");
    }

    #[test]
    fn odd_language_values_stay_out_of_xml_lang() {
        assert!(is_language_tag("en-US"));
        assert!(!is_language_tag("ar sa"));
        assert!(!is_language_tag(""));
        assert!(!is_language_tag("a\"b"));
    }
}
