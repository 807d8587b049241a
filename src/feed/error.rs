//! Why a fetched document could not be turned into feed entries, in words an operator can act
//! on. Every message says what the document is or where it breaks, and who can fix it how.

use super::encoding::EncodingSource;

/// One document could not be parsed; the other feeds and the next fetch are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error(
        "not a feed: the document is empty or only whitespace (the server sent no content; check the feed URL and whether the site is up)"
    )]
    Empty,

    #[error("not a feed: the document is an HTML page{} (check the feed URL; the site may serve its feed at /feed or /rss)", titled(.title))]
    HtmlPage { title: Option<String> },

    #[error(
        "not a feed: the document is a Cloudflare challenge page (\"Just a moment...\"), so the site blocks bots; ask the site to let feed readers through, or remove the feed"
    )]
    CloudflareChallenge,

    #[error("not a feed: the document is JSON but not a JSON Feed ({detail}); check the feed URL")]
    JsonNotFeed { detail: String },

    #[error("not a feed: the JSON document is broken at line {line}, column {column} ({detail})")]
    BrokenJson {
        line: usize,
        column: usize,
        detail: String,
    },

    #[error(
        "not a feed: the document is {what}, not XML or JSON; {}",
        binary_advice(what)
    )]
    Binary { what: &'static str },

    #[error(
        "not a feed: the document is plain text, not XML or JSON (it starts with {start:?}); check the feed URL"
    )]
    PlainText { start: String },

    #[error(
        "not a feed: the XML root element is <{root}>, not <rss>, <feed> or <rdf:RDF>; check the feed URL"
    )]
    UnknownRoot { root: String },

    #[error("invalid {encoding} at byte {offset} (line {line}): {}", .declared_by.explain(encoding))]
    InvalidEncoding {
        encoding: &'static str,
        offset: usize,
        line: usize,
        declared_by: EncodingSource,
    },

    #[error(
        "malformed XML at line {line}: {problem}; the feed's publisher has to fix the document"
    )]
    MalformedXml { line: usize, problem: String },

    #[error("malformed feed document: {detail}; the feed's publisher has to fix the document")]
    Malformed { detail: String },

    #[error(
        "malformed feed document: the feed parser crashed on it ({detail}); mirsad skipped the document, and the feed's publisher has to fix it"
    )]
    ParserCrashed { detail: String },
}

fn titled(title: &Option<String>) -> String {
    title
        .as_ref()
        .map(|t| format!(" titled {t:?}"))
        .unwrap_or_default()
}

fn binary_advice(what: &str) -> &'static str {
    if what.contains("compressed") {
        "the server compressed the body without saying so in Content-Encoding, which the site must fix"
    } else {
        "check the feed URL"
    }
}

impl FeedError {
    /// A short stable name for the kind of failure, for logs and the feed health table.
    pub fn kind(&self) -> &'static str {
        match self {
            FeedError::Empty => "empty",
            FeedError::HtmlPage { .. } => "html",
            FeedError::CloudflareChallenge => "cloudflare",
            FeedError::JsonNotFeed { .. } | FeedError::BrokenJson { .. } => "json",
            FeedError::Binary { .. } => "binary",
            FeedError::PlainText { .. } => "text",
            FeedError::UnknownRoot { .. } => "unknown-root",
            FeedError::InvalidEncoding { .. } => "encoding",
            FeedError::MalformedXml { .. } | FeedError::Malformed { .. } => "malformed",
            FeedError::ParserCrashed { .. } => "crash",
        }
    }
}
