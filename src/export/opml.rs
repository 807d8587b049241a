//! OPML 2.0, the format feed readers exchange subscription lists in: writing the configured
//! feeds, reading another reader's list, and adding its new feeds to the config file without
//! disturbing the file's comments or layout (`toml_edit` edits the document in place).

use std::collections::HashSet;
use std::io::Write;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::ExportError;
use super::sanitize::clean_title;
use super::xml;

/// One feed in an OPML list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub title: Option<String>,
    pub xml_url: String,
    pub html_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("the OPML file is not well-formed XML near byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("this is not an OPML file: its root element is <{0}>, not <opml>")]
    NotOpml(String),
    #[error("the config file is not valid TOML: {0}")]
    Config(#[from] toml_edit::TomlError),
    #[error("the config's `feeds` is not a list of [[feeds]] tables; fix it by hand first")]
    FeedsNotTables,
    #[error(
        "the import would make {0} feeds, more than mirsad follows (at most {max}); split the list",
        max = crate::config::limits::FEEDS
    )]
    TooMany(usize),
}

/// Why an OPML feed was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The config already has this feed.
    AlreadyConfigured,
    /// The OPML lists it twice; the first one counts.
    Duplicate,
    /// Not an http(s) URL.
    NotHttp,
    /// The URL holds a newline or another control character (the URL parser would silently
    /// drop some of them, so what is fetched would not be what the list says).
    ControlCharacters,
    /// A loopback, private or link-local host: a list from elsewhere must not point the daemon
    /// at this machine's network. The operator can still add such a feed by hand.
    Private,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::AlreadyConfigured => "already in the config",
            SkipReason::Duplicate => "listed twice in the OPML",
            SkipReason::NotHttp => "not an http(s) URL",
            SkipReason::ControlCharacters => "the URL holds control characters",
            SkipReason::Private => {
                "a loopback or private address; add it to the config by hand if you mean it"
            }
        }
    }
}

/// What an import would do, and the config text after it.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub added: Vec<OpmlFeed>,
    pub skipped: Vec<(OpmlFeed, SkipReason)>,
    /// The edited config; equal to the input when nothing is added.
    pub config_text: String,
}

/// Writes `feeds` as an OPML 2.0 subscription list.
pub fn write_opml(feeds: &[OpmlFeed], title: &str, out: &mut dyn Write) -> Result<(), ExportError> {
    let mut w = xml::start_document(out)?;
    xml::open(&mut w, "opml", &[("version", "2.0")])?;
    xml::open(&mut w, "head", &[])?;
    xml::text(&mut w, "title", &[], &clean_title(title))?;
    xml::text(&mut w, "dateCreated", &[], &chrono::Utc::now().to_rfc2822())?;
    xml::close(&mut w, "head")?;
    xml::open(&mut w, "body", &[])?;
    for feed in feeds {
        let title = clean_title(feed.title.as_deref().unwrap_or(&feed.xml_url));
        let mut attrs = vec![
            ("type", "rss"),
            ("text", title.as_str()),
            ("title", title.as_str()),
            ("xmlUrl", feed.xml_url.as_str()),
        ];
        if let Some(html) = feed
            .html_url
            .as_deref()
            .and_then(super::sanitize::http_link)
        {
            attrs.push(("htmlUrl", html));
        }
        xml::empty(&mut w, "outline", &attrs)?;
    }
    xml::close(&mut w, "body")?;
    xml::close(&mut w, "opml")?;
    xml::end_document(w)?;
    Ok(())
}

/// Every outline with an `xmlUrl`, at any depth (readers nest feeds in folders), in order.
/// Entities beyond XML's five are never expanded, so hostile DTDs do nothing.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut feeds = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|e| OpmlError::Xml {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => break,
            _ => continue,
        };
        let name = element.local_name().as_ref().to_owned();
        if !seen_root {
            if !name.eq_ignore_ascii_case("opml") {
                return Err(OpmlError::NotOpml(name));
            }
            seen_root = true;
            continue;
        }
        if name != "outline" {
            continue;
        }
        let mut feed = OpmlFeed {
            title: None,
            xml_url: String::new(),
            html_url: None,
        };
        let mut text_attr = None;
        for attr in element.attributes().flatten() {
            let key = attr.key.local_name().as_ref().to_lowercase();
            let Ok(value) = attr.normalized_value(XmlVersion::Implicit1_0) else {
                continue;
            };
            let value = value.trim().to_owned();
            match key.as_str() {
                "xmlurl" => feed.xml_url = value,
                "htmlurl" if !value.is_empty() => feed.html_url = Some(value),
                "title" if !value.is_empty() => feed.title = Some(value),
                "text" if !value.is_empty() => text_attr = Some(value),
                _ => {}
            }
        }
        if !feed.xml_url.is_empty() {
            feed.title = feed.title.or(text_attr);
            feeds.push(feed);
        }
    }
    if !seen_root {
        return Err(OpmlError::NotOpml("nothing".into()));
    }
    Ok(feeds)
}

/// A URL's identity for "is this feed already configured?": scheme (http or https), a trailing
/// slash and letter case in the host do not make a different feed.
fn url_key(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut parsed) => {
            parsed.set_fragment(None);
            let host = parsed.host_str().unwrap_or_default().to_owned();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = parsed.path().trim_end_matches('/').to_owned();
            let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{host}{port}{path}{query}")
        }
        Err(_) => url.trim().to_owned(),
    }
}

fn is_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn is_private(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| crate::fetch::guard::configured_host_is_private(&u))
}

/// The `url` of every `[[feeds]]` table in a config document.
pub fn configured_feed_urls(config_text: &str) -> Result<Vec<String>, OpmlError> {
    let doc: DocumentMut = config_text.parse()?;
    feed_urls(&doc)
}

fn feed_urls(doc: &DocumentMut) -> Result<Vec<String>, OpmlError> {
    match doc.get("feeds") {
        None => Ok(Vec::new()),
        Some(Item::ArrayOfTables(tables)) => Ok(tables
            .iter()
            .filter_map(|t| t.get("url").and_then(Item::as_str).map(str::to_owned))
            .collect()),
        Some(_) => Err(OpmlError::FeedsNotTables),
    }
}

/// Plans adding `feeds` to the config in `config_text`: each new http(s) feed becomes a
/// `[[feeds]]` table (`name` from the OPML title, `url`) after the existing ones; everything
/// else in the file stays byte for byte.
pub fn import_feeds(config_text: &str, feeds: &[OpmlFeed]) -> Result<ImportPlan, OpmlError> {
    let mut doc: DocumentMut = config_text.parse()?;
    let known: HashSet<String> = feed_urls(&doc)?.iter().map(|u| url_key(u)).collect();
    let mut added = Vec::new();
    let mut skipped = Vec::new();
    let mut in_opml = HashSet::new();
    for feed in feeds {
        let key = url_key(&feed.xml_url);
        let reason = if feed.xml_url.trim().chars().any(char::is_control) {
            Some(SkipReason::ControlCharacters)
        } else if !is_http(feed.xml_url.trim()) {
            Some(SkipReason::NotHttp)
        } else if is_private(feed.xml_url.trim()) {
            Some(SkipReason::Private)
        } else if known.contains(&key) {
            Some(SkipReason::AlreadyConfigured)
        } else if !in_opml.insert(key.clone()) {
            Some(SkipReason::Duplicate)
        } else {
            None
        };
        match reason {
            Some(reason) => skipped.push((feed.clone(), reason)),
            None => added.push(feed.clone()),
        }
    }
    if known.len() + added.len() > crate::config::limits::FEEDS {
        return Err(OpmlError::TooMany(known.len() + added.len()));
    }
    if added.is_empty() {
        return Ok(ImportPlan {
            added,
            skipped,
            config_text: config_text.to_owned(),
        });
    }
    let tables = match doc
        .entry("feeds")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
    {
        Item::ArrayOfTables(tables) => tables,
        _ => return Err(OpmlError::FeedsNotTables),
    };
    for (index, feed) in added.iter().enumerate() {
        let mut table = Table::new();
        if let Some(title) = feed
            .title
            .as_deref()
            .map(clean_title)
            .filter(|t| !t.is_empty())
        {
            table["name"] = value(title);
        }
        table["url"] = value(feed.xml_url.trim());
        let prefix = if index == 0 {
            format!(
                "\n# Added by `mirsad opml import` on {}.\n",
                chrono::Utc::now().date_naive()
            )
        } else {
            "\n".to_owned()
        };
        table.decor_mut().set_prefix(prefix);
        tables.push(table);
    }
    let mut config_text = doc.to_string();
    if !config_text.ends_with('\n') {
        config_text.push('\n');
    }
    Ok(ImportPlan {
        added,
        skipped,
        config_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "# my feeds\n\n[fetch]\nconcurrency = 4 # keep it low\n\n\
        [[feeds]]\nname = \"A\"\nurl = \"https://a.example/feed/\"\n\n# the end\n";

    fn feed(url: &str, title: &str) -> OpmlFeed {
        OpmlFeed {
            title: Some(title.into()),
            xml_url: url.into(),
            html_url: None,
        }
    }

    #[test]
    fn nested_outlines_are_read_with_title_or_text() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
            <outline text="تقنية"><outline text="عالم &amp; التقنية" xmlUrl="https://t.example/rss"
              htmlUrl="https://t.example/"/></outline>
            <outline title="B" text="ignored" type="rss" xmlUrl="https://b.example/feed"/>
            <outline text="folder without url"/></body></opml>"#;
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[0].title.as_deref(), Some("عالم & التقنية"));
        assert_eq!(feeds[0].html_url.as_deref(), Some("https://t.example/"));
        assert_eq!(feeds[1].title.as_deref(), Some("B"));
    }

    #[test]
    fn non_opml_and_broken_xml_are_refused_with_a_reason() {
        let err = parse_opml("<rss version=\"2.0\"></rss>").unwrap_err();
        assert!(err.to_string().contains("<rss>"), "{err}");
        assert!(matches!(
            parse_opml("<opml><body><outline></body>"),
            Err(OpmlError::Xml { .. })
        ));
    }

    #[test]
    fn import_adds_new_feeds_skips_known_ones_and_keeps_comments() {
        let feeds = [
            feed("http://A.example/feed", "A again"),
            feed("https://new.example/rss", "جديد"),
            feed("https://new.example/rss/", "twice"),
            feed("ftp://x.example/feed", "ftp"),
        ];
        let plan = import_feeds(CONFIG, &feeds).unwrap();
        assert_eq!(plan.added, [feeds[1].clone()]);
        let reasons: Vec<SkipReason> = plan.skipped.iter().map(|(_, r)| *r).collect();
        assert_eq!(
            reasons,
            [
                SkipReason::AlreadyConfigured,
                SkipReason::Duplicate,
                SkipReason::NotHttp
            ]
        );
        let text = &plan.config_text;
        let head = "# my feeds\n\n[fetch]\nconcurrency = 4 # keep it low\n\n[[feeds]]\nname = \"A\"\nurl = \"https://a.example/feed/\"\n";
        assert!(text.starts_with(head), "{text}");
        assert!(text.contains("# the end"), "{text}");
        assert!(text.contains("[[feeds]]\nname = \"جديد\"\nurl = \"https://new.example/rss\"\n"));
        assert_eq!(
            configured_feed_urls(text).unwrap(),
            ["https://a.example/feed/", "https://new.example/rss"]
        );
    }

    #[test]
    fn import_refuses_private_urls_urls_with_newlines_and_absurd_counts() {
        let feeds = [
            feed("http://127.0.0.1:8080/admin", "loopback"),
            feed("http://169.254.169.254/latest/meta-data", "metadata"),
            feed("http://localhost/feed", "localhost"),
            feed("https://ok.example/\nfeed", "newline"),
            feed("https://ok.example/feed", "ok \u{1b}[31mname"),
        ];
        let plan = import_feeds("", &feeds).unwrap();
        let reasons: Vec<SkipReason> = plan.skipped.iter().map(|(_, r)| *r).collect();
        assert_eq!(
            reasons,
            [
                SkipReason::Private,
                SkipReason::Private,
                SkipReason::Private,
                SkipReason::ControlCharacters
            ]
        );
        assert_eq!(plan.added.len(), 1);
        assert!(
            plan.config_text.contains("name = \"ok [31mname\""),
            "{}",
            plan.config_text
        );
        let many: Vec<OpmlFeed> = (0..=crate::config::limits::FEEDS)
            .map(|i| feed(&format!("https://x.example/{i}"), "x"))
            .collect();
        let err = import_feeds("", &many).unwrap_err();
        assert!(matches!(err, OpmlError::TooMany(_)), "{err}");
    }

    #[test]
    fn importing_nothing_new_leaves_the_text_identical() {
        let plan = import_feeds(CONFIG, &[feed("https://a.example/feed", "A")]).unwrap();
        assert!(plan.added.is_empty());
        assert_eq!(plan.config_text, CONFIG);
    }

    #[test]
    fn a_feeds_key_that_is_not_tables_is_refused() {
        let err = import_feeds("feeds = 3\n", &[feed("https://n.example/", "n")]).unwrap_err();
        assert!(matches!(err, OpmlError::FeedsNotTables));
    }

    #[test]
    fn written_opml_parses_back_to_the_same_feeds() {
        let feeds = vec![
            OpmlFeed {
                title: Some("عالم <التقنية> & \"more\"".into()),
                xml_url: "https://t.example/rss?a=1&b=2".into(),
                html_url: Some("https://t.example/".into()),
            },
            feed("https://b.example/feed", "B"),
        ];
        let mut buf = Vec::new();
        write_opml(&feeds, "mirsad", &mut buf).unwrap();
        assert_eq!(parse_opml(&String::from_utf8(buf).unwrap()).unwrap(), feeds);
    }
}
