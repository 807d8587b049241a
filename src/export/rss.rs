//! RSS 2.0 with the same information as the Atom export, for readers and tools that only take
//! RSS: a stable `guid isPermaLink="false"`, `dc:creator`, one `category` per tag, sanitized
//! HTML in `description` and `content:encoded`, and `source` naming the feed.

use std::io::Write;

use super::sanitize::{clean_title, escape_html, safe_links, sanitize_html};
use super::xml::{self, XmlWriter};
use super::{ExportError, FeedMeta, entry_id, entry_updated};
use crate::store::ExportItem;

/// RFC 822 dates, as RSS 2.0 requires; `None` for a timestamp that does not parse.
fn rfc822(stored: &str) -> Option<String> {
    crate::time::parse(stored).map(|t| t.to_rfc2822())
}

pub(super) fn write(
    items: &[ExportItem],
    meta: &FeedMeta,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let mut w = xml::start_document(out)?;
    xml::open(
        &mut w,
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
        ],
    )?;
    xml::open(&mut w, "channel", &[])?;
    xml::text(&mut w, "title", &[], &meta.title)?;
    // RSS requires a channel link; without a public URL the project's page is the honest one.
    let link = meta
        .self_url
        .as_deref()
        .unwrap_or(env!("CARGO_PKG_REPOSITORY"));
    xml::text(&mut w, "link", &[], link)?;
    xml::text(&mut w, "description", &[], &meta.title)?;
    xml::text(&mut w, "language", &[], "ar")?;
    let updated = items
        .iter()
        .map(entry_updated)
        .max()
        .unwrap_or(&meta.generated_at);
    xml::optional_text(&mut w, "lastBuildDate", rfc822(updated).as_deref())?;
    xml::text(
        &mut w,
        "generator",
        &[],
        concat!("mirsad ", env!("CARGO_PKG_VERSION")),
    )?;
    if let Some(url) = &meta.self_url {
        xml::empty(
            &mut w,
            "atom:link",
            &[
                ("href", url),
                ("rel", "self"),
                ("type", "application/rss+xml"),
            ],
        )?;
    }
    for item in items {
        rss_item(&mut w, &safe_links(item))?;
    }
    xml::close(&mut w, "channel")?;
    xml::close(&mut w, "rss")?;
    xml::end_document(w)?;
    Ok(())
}

fn rss_item(w: &mut XmlWriter<'_>, item: &ExportItem) -> Result<(), ExportError> {
    xml::open(w, "item", &[])?;
    xml::text(w, "title", &[], &clean_title(&item.title))?;
    let link = item.url.as_deref().or(item.canonical_url.as_deref());
    xml::optional_text(w, "link", link)?;
    xml::text(
        w,
        "guid",
        &[("isPermaLink", "false")],
        &entry_id(&item.identity),
    )?;
    xml::optional_text(w, "pubDate", rfc822(&item.published_at).as_deref())?;
    let author = item.author.as_deref().map(clean_title);
    xml::optional_text(w, "dc:creator", author.as_deref())?;
    let description = match item
        .summary_html
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        Some(html) => sanitize_html(html, link),
        None => escape_html(&item.summary),
    };
    xml::optional_text(w, "description", Some(&description))?;
    if let Some(html) = item
        .content_html
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        xml::text(w, "content:encoded", &[], &sanitize_html(html, link))?;
    }
    for tag in &item.tags {
        xml::text(w, "category", &[], &tag.tag)?;
    }
    // `safe_links` empties a feed URL that is not http(s); RSS's <source> needs one.
    if let Some(feed) = item.feeds.first().filter(|f| !f.url.is_empty()) {
        xml::text(
            w,
            "source",
            &[("url", &feed.url)],
            &clean_title(feed.display_name()),
        )?;
    }
    xml::close(w, "item")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::item;
    use super::*;
    use crate::store::ItemFilter;

    #[test]
    fn rss_items_carry_guid_creator_categories_and_source() {
        let mut it = item("a", &["ai-infra", "ai-infra/energy"]);
        it.author = Some("كاتب".into());
        let meta = FeedMeta::new("عنوان", None, &ItemFilter::default());
        let mut buf = Vec::new();
        write(&[it], &meta, &mut buf).unwrap();
        let xml = String::from_utf8(buf).unwrap();
        for needle in [
            r#"<guid isPermaLink="false">urn:mirsad:item:"#,
            "<dc:creator>كاتب</dc:creator>",
            "<category>ai-infra/energy</category>",
            r#"<source url="https://news.example/feed">أخبار</source>"#,
            "<pubDate>Fri, 2 Jan 2026 03:04:05 +0000</pubDate>",
        ] {
            assert!(xml.contains(needle), "missing {needle} in {xml}");
        }
        assert!(
            !xml.contains("&lt;script") && !xml.contains("alert"),
            "{xml}"
        );
        assert!(!xml.contains('\u{202E}'));
        let parsed = feed_rs::parser::parse(xml.as_bytes()).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].categories.len(), 2);
    }

    #[test]
    fn unreadable_dates_are_left_out_rather_than_invented() {
        assert_eq!(rfc822("not a date"), None);
    }
}
