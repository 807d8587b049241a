//! Maps feed-rs's model onto mirsad's [`ParsedFeed`] and [`Entry`]: plain text beside the
//! original markup, only ids the document gave, the page link rather than comment or enclosure
//! links, and enclosures from RSS, Atom, Media RSS and JSON Feed alike.

use feed_rs::model;

use super::text::{clean_link, clean_markup, clean_text, html_to_text, text_and_markup};
use super::{Enclosure, Entry, ParsedFeed};

pub(crate) fn feed(feed: model::Feed) -> ParsedFeed {
    let title = feed
        .title
        .as_ref()
        .map(|t| text_of(t).0)
        .filter(|t| !t.is_empty());
    let site_link = page_link(&feed.links);
    let self_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .map(|l| l.href.clone());
    ParsedFeed {
        title,
        site_link,
        self_link,
        language: non_empty(feed.language.as_deref()),
        ttl_minutes: feed.ttl,
        entries: feed.entries.into_iter().map(entry).collect(),
    }
}

fn entry(entry: model::Entry) -> Entry {
    let (title, title_html) = entry.title.as_ref().map(text_of).unwrap_or_default();
    let (summary, summary_html) = entry.summary.as_ref().map(text_of).unwrap_or_default();
    let (content_text, content_html) = entry.content.as_ref().map(content_of).unwrap_or_default();
    Entry {
        // The id generator returns "", so an empty id means the document gave none.
        guid: non_empty(Some(&entry.id)),
        link: page_link(&entry.links),
        title,
        title_html,
        summary,
        summary_html,
        content_html,
        content_text,
        authors: unique(entry.authors.iter().filter_map(|p| p.name.as_deref())),
        categories: unique(entry.categories.iter().map(|c| {
            if c.term.trim().is_empty() {
                c.label.as_deref().unwrap_or("")
            } else {
                &c.term
            }
        })),
        published: entry.published,
        updated: entry.updated,
        language: non_empty(entry.language.as_deref()),
        enclosures: enclosures(&entry),
    }
}

/// Plain text of a feed-rs text, and its markup when it had any.
fn text_of(text: &model::Text) -> (String, Option<String>) {
    text_and_markup(&text.content, is_markup(text.content_type.as_ref()))
}

/// Plain text of a content body, and the body itself when it is HTML.
fn content_of(content: &model::Content) -> (String, Option<String>) {
    let Some(body) = content.body.as_deref().filter(|b| !b.trim().is_empty()) else {
        return (String::new(), None);
    };
    if content.content_type.as_ref().starts_with("text/plain") {
        (clean_text(body), None)
    } else {
        (html_to_text(body), Some(clean_markup(body.trim())))
    }
}

fn is_markup(media_type: &str) -> bool {
    media_type.starts_with("text/html") || media_type.contains("xhtml")
}

/// The page an entry or feed points to: its alternate link, else its first plain link.
fn page_link(links: &[model::Link]) -> Option<String> {
    let plain = |l: &&model::Link| {
        l.target.is_none() && !is_enclosure(l) && l.rel.as_deref() != Some("self")
    };
    let alternate = links
        .iter()
        .filter(plain)
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")));
    alternate
        .or_else(|| links.iter().find(plain))
        .map(|l| readable_link(&clean_link(&l.href)))
        .filter(|l| !l.is_empty())
}

/// Atom enclosure links, and JSON Feed attachments (links with a media type and no rel).
fn is_enclosure(link: &model::Link) -> bool {
    link.rel.as_deref() == Some("enclosure") || (link.rel.is_none() && link.media_type.is_some())
}

fn enclosures(entry: &model::Entry) -> Vec<Enclosure> {
    let media = entry.media.iter().flat_map(|m| &m.content).filter_map(|c| {
        Some(Enclosure {
            url: clean_link(c.url.as_ref()?.as_str()),
            mime: c.content_type.as_ref().map(ToString::to_string),
            length: c.size,
        })
    });
    let links = entry
        .links
        .iter()
        .filter(|l| is_enclosure(l))
        .map(|l| Enclosure {
            url: clean_link(&l.href),
            mime: l.media_type.clone(),
            length: l.length,
        });
    let mut all: Vec<Enclosure> = Vec::new();
    for mut enclosure in media.chain(links) {
        // RSS writers put length="0" when they do not know it.
        enclosure.length = enclosure.length.filter(|&n| n > 0);
        if !enclosure.url.is_empty() && !all.iter().any(|e| e.url == enclosure.url) {
            all.push(enclosure);
        }
    }
    all
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Cleaned, non-empty, first-seen-order unique strings.
fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let cleaned = clean_text(item);
        if !cleaned.is_empty() && !out.contains(&cleaned) {
            out.push(cleaned);
        }
    }
    out
}

/// feed-rs passes links through the `url` crate, which percent-encodes raw Arabic in paths.
/// This shows such characters again (`/news/الاقتصادي/`), as feeds usually write them, but only
/// when the `url` crate would encode the result back to exactly the same URL, so the link is
/// the same link; escapes of ASCII, controls and invisible characters are never undone.
pub(crate) fn readable_link(href: &str) -> String {
    if !href.contains('%') {
        return href.to_string();
    }
    let bytes = href.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // Collect a run of %XX escapes of non-ASCII bytes.
        let mut run = Vec::new();
        let mut j = i;
        while let Some(byte) = escaped_high_byte(bytes, j) {
            run.push(byte);
            j += 3;
        }
        let shown = std::str::from_utf8(&run)
            .ok()
            .filter(|s| s.chars().all(is_visible));
        match shown {
            Some(s) if !run.is_empty() => {
                out.extend_from_slice(s.as_bytes());
                i = j;
            }
            _ if !run.is_empty() => {
                out.extend_from_slice(bytes.get(i..j).unwrap_or_default());
                i = j;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    let Ok(readable) = String::from_utf8(out) else {
        return href.to_string();
    };
    match url::Url::parse(&readable) {
        Ok(parsed) if parsed.as_str() == href => readable,
        _ => href.to_string(),
    }
}

/// The byte of a `%XX` escape at `at` when it is 0x80 or above.
fn escaped_high_byte(bytes: &[u8], at: usize) -> Option<u8> {
    let [b'%', hi, lo] = *bytes.get(at..at + 3)? else {
        return None;
    };
    let hex = |c: u8| char::from(c).to_digit(16);
    let value = u8::try_from(hex(hi)? * 16 + hex(lo)?).ok()?;
    (value >= 0x80).then_some(value)
}

fn is_visible(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && !crate::arabic::is_deleted(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_arabic_is_shown_when_the_url_is_unchanged() {
        let encoded = "https://www.aletihad.ae/news/%D8%A7%D9%84%D8%A7%D9%82%D8%AA%D8%B5%D8%A7%D8%AF%D9%8A/4642608";
        assert_eq!(
            readable_link(encoded),
            "https://www.aletihad.ae/news/الاقتصادي/4642608"
        );
    }

    #[test]
    fn links_that_would_change_stay_as_feed_rs_gave_them() {
        // Lower-case escapes would come back upper-case, so they are kept as written.
        let lower = "https://aitnews.com/2025/12/09/%d8%ac%d8%a7/";
        assert_eq!(readable_link(lower), lower);
        // ASCII escapes, invisible characters and broken UTF-8 are never undone.
        for href in [
            "https://e.com/a%20b%2Fc",
            "https://e.com/%E2%80%AEx",
            "https://e.com/%D8x",
            "https://e.com/%C2%A0",
        ] {
            assert_eq!(readable_link(href), href);
        }
    }
}
