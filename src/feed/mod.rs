//! The feed parsing stage: the raw bytes of one fetched document (RSS 0.9x/1.0/2.0, Atom or JSON
//! Feed) in, mirsad's [`ParsedFeed`] out, or one [`FeedError`] that says what the document is and
//! how to fix it.
//!
//! feed-rs does the format work; this module makes it safe on what real servers send:
//!
//! 1. [`detect`] refuses what is not a feed (empty, HTML, a Cloudflare challenge, binary, text).
//! 2. [`encoding`] decodes to UTF-8 itself (BOM, XML declaration, HTTP charset, UTF-8) and
//!    refuses invalid bytes rather than storing mojibake; `prolog` then makes the XML
//!    declaration say UTF-8.
//! 3. `recover` removes characters XML forbids, accepts odd RSS versions and, when feed-rs
//!    rejects the document, escapes stray `&` and tries once more.
//! 4. feed-rs runs under `catch_unwind` (it can panic on hostile input), with our id generator
//!    (documents without ids keep none) and our tolerant [`date`] parser.
//! 5. `convert` maps the result; `locate` (on `xml_tokens`) names the line of broken XML
//!    for error messages.

mod convert;
pub mod date;
pub mod detect;
pub mod encoding;
mod error;
mod locate;
mod prolog;
mod recover;
#[cfg(test)]
mod tests;
pub mod text;
mod xml_tokens;

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use feed_rs::parser::{ParseErrorKind, ParseFeedError};

pub use date::parse_date;
pub use detect::{DocumentKind, looks_like};
pub use error::FeedError;
pub use text::html_to_text;

/// One parsed feed document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The site the feed belongs to (the channel's `<link>` / Atom alternate link).
    pub site_link: Option<String>,
    /// The feed's own URL as it states it (`atom:link rel="self"`).
    pub self_link: Option<String>,
    pub language: Option<String>,
    pub ttl_minutes: Option<u32>,
    pub entries: Vec<Entry>,
}

/// One item of a feed, as the document gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// The document's guid/id; `None` when it gave none (never an id made up by the parser).
    pub guid: Option<String>,
    /// The alternate (else first) page link. feed-rs resolves it with the `url` crate; raw
    /// Arabic stays readable when the URL is unchanged by it (see `convert::readable_link`).
    pub link: Option<String>,
    /// Plain text: HTML stripped, entities decoded, whitespace collapsed; `""` if none.
    pub title: String,
    /// The original title when it contained markup or entities.
    pub title_html: Option<String>,
    /// Plain text of the summary/description.
    pub summary: String,
    /// The original summary (RSS `description` is always HTML).
    pub summary_html: Option<String>,
    /// The original content HTML (`content:encoded`, Atom `content`, JSON `content_html`).
    pub content_html: Option<String>,
    /// Plain text of the content.
    pub content_text: String,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// When the item was published; `None` when absent or unreadable (see [`parse_date`]).
    pub published: Option<DateTime<Utc>>,
    /// When the item was last changed. For RSS items without their own update time feed-rs
    /// copies `published` here.
    pub updated: Option<DateTime<Utc>>,
    /// The entry's own language (Atom `xml:lang`), if stated.
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
}

/// A file attached to an entry (image, audio, video).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    pub url: String,
    pub mime: Option<String>,
    /// Size in bytes; `None` when unknown (RSS writes `length="0"` for that).
    pub length: Option<u64>,
}

/// Parses one feed document. `http_charset` is the `charset` of the HTTP Content-Type, if any.
pub fn parse(bytes: &[u8], http_charset: Option<&str>) -> Result<ParsedFeed, FeedError> {
    if let Some(what) = detect::binary_kind(bytes) {
        return Err(FeedError::Binary { what });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let decoded = encoding::decode(bytes, http_charset)?;
    let text = decoded.text;
    match detect::classify(&text) {
        DocumentKind::Empty => Err(FeedError::Empty),
        DocumentKind::Html => Err(FeedError::HtmlPage {
            title: detect::html_title(&text),
        }),
        DocumentKind::CloudflareChallenge => Err(FeedError::CloudflareChallenge),
        DocumentKind::Binary => Err(FeedError::Binary {
            what: "binary data",
        }),
        DocumentKind::PlainText => {
            let start = text.trim_start().chars().take(40).collect();
            Err(FeedError::PlainText { start })
        }
        DocumentKind::Json => parse_json(&text),
        DocumentKind::Xml => parse_xml(text),
    }
}

/// Guids that occur more than once among `entries`: not real ids, so the dedup stage should not
/// trust them as identity.
pub fn repeated_guids(entries: &[Entry]) -> HashSet<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for guid in entries.iter().filter_map(|e| e.guid.as_deref()) {
        *counts.entry(guid).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(guid, _)| guid.to_string())
        .collect()
}

fn parse_xml(text: String) -> Result<ParsedFeed, FeedError> {
    let text = recover::strip_forbidden_chars(text);
    // A second declaration makes quick-xml panic; refuse it with its line before that happens.
    if let Some(line) = locate::later_declaration(&text) {
        let problem = "a second XML declaration (<?xml …?>) inside the document; two documents were probably joined".into();
        return Err(FeedError::MalformedXml { line, problem });
    }
    let text = prolog::declare_utf8(text);
    let text = recover::fix_rss_version(&text).unwrap_or(text);
    match run_feed_rs(&text) {
        Ok(feed) => Ok(convert::feed(feed)),
        Err(Failure::Feed(ParseFeedError::XmlReader(first))) => {
            let Some(fixed) = recover::escape_stray_ampersands(&text) else {
                return Err(xml_error(&text, &first.to_string()));
            };
            match run_feed_rs(&fixed) {
                Ok(feed) => {
                    tracing::debug!("escaped bare `&` characters to read the document");
                    Ok(convert::feed(feed))
                }
                Err(Failure::Feed(ParseFeedError::XmlReader(e))) => {
                    Err(xml_error(&fixed, &e.to_string()))
                }
                Err(other) => Err(describe(&fixed, other)),
            }
        }
        Err(other) => Err(describe(&text, other)),
    }
}

fn parse_json(text: &str) -> Result<ParsedFeed, FeedError> {
    if text.trim_start().starts_with('[') {
        return Err(FeedError::JsonNotFeed {
            detail: "it is a JSON array, not an object".into(),
        });
    }
    match run_feed_rs(text) {
        Ok(feed) => Ok(convert::feed(feed)),
        Err(Failure::Feed(ParseFeedError::JsonSerde(e))) => Err(json_error(text, &e)),
        Err(Failure::Feed(ParseFeedError::JsonUnsupportedVersion(version))) => {
            Err(FeedError::JsonNotFeed {
                detail: format!(
                    "its \"version\" is {version:?}, not https://jsonfeed.org/version/1.x"
                ),
            })
        }
        Err(other) => Err(describe(text, other)),
    }
}

/// Why feed-rs gave no feed.
enum Failure {
    Feed(ParseFeedError),
    Panic(String),
}

/// Runs feed-rs on a UTF-8 document, turning a panic into an error.
fn run_feed_rs(text: &str) -> Result<feed_rs::model::Feed, Failure> {
    let run = || {
        feed_rs::parser::Builder::new()
            .id_generator(|_, _, _| String::new())
            .sanitize_content(false)
            .timestamp_parser(date::parse_date)
            .build()
            .parse(text.as_bytes())
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result.map_err(Failure::Feed),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            tracing::warn!(panic = %message, "feed-rs panicked; the document is refused");
            Err(Failure::Panic(message.chars().take(200).collect()))
        }
    }
}

/// Broken XML: the line our scanner finds, else feed-rs's own words.
fn xml_error(text: &str, detail: &str) -> FeedError {
    match locate::first_problem(text) {
        Some(problem) => FeedError::MalformedXml {
            line: problem.line,
            problem: problem.message,
        },
        None => FeedError::Malformed {
            detail: format!("the XML parser reports: {detail}"),
        },
    }
}

fn json_error(text: &str, error: &serde_json::Error) -> FeedError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let detail = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(map)) if !map.contains_key("version") => {
                    "it has no \"version\" field".to_string()
                }
                _ => format!("{error}"),
            };
            FeedError::JsonNotFeed { detail }
        }
        category => {
            // Say what serde_json found ("lone leading surrogate in hex escape", "number out of
            // range"); only a document that stops early may have been cut short.
            let detail = match category {
                Category::Eof => {
                    "it ends in the middle of a value; the server may have cut the response short"
                        .to_owned()
                }
                _ => {
                    let message = error.to_string();
                    let cut = message.rfind(" at line ").unwrap_or(message.len());
                    message.get(..cut).unwrap_or(&message).to_owned()
                }
            };
            FeedError::BrokenJson {
                line: error.line(),
                column: error.column(),
                detail,
            }
        }
    }
}

fn describe(text: &str, failure: Failure) -> FeedError {
    let error = match failure {
        Failure::Panic(detail) => return FeedError::ParserCrashed { detail },
        Failure::Feed(error) => error,
    };
    let at = |position: u64| locate::line_at(text, usize::try_from(position).unwrap_or(usize::MAX));
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => match locate::root_tag(text) {
            Some(("rss", _)) => FeedError::Malformed {
                detail: "the <rss> element has no <channel>".into(),
            },
            Some((root, _)) => FeedError::UnknownRoot {
                root: root.to_string(),
            },
            None => xml_error(text, "no root element"),
        },
        ParseFeedError::ParseError(ParseErrorKind::UnknownMimeType { position, mime }) => {
            FeedError::MalformedXml {
                line: at(position),
                problem: format!("the content type {mime:?} is not one feeds may use"),
            }
        }
        ParseFeedError::ParseError(ParseErrorKind::MissingContent {
            position,
            reference,
        }) => FeedError::MalformedXml {
            line: at(position),
            problem: format!("an element is missing its {reference}"),
        },
        ParseFeedError::ParseError(kind) => FeedError::Malformed {
            detail: kind.to_string(),
        },
        ParseFeedError::XmlReader(e) => xml_error(text, &e.to_string()),
        ParseFeedError::JsonSerde(e) => json_error(text, &e),
        other => FeedError::Malformed {
            detail: other.to_string(),
        },
    }
}
