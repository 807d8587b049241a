//! Exports: stored items written as Atom, RSS 2.0, JSON Lines or CSV, for feed readers,
//! pipelines and spreadsheets; OPML for feed lists; and the live export files the daemon
//! rewrites after each cycle.
//!
//! Every writer takes rows the store already read ([`ExportItem`]) and writes to any
//! [`std::io::Write`]; files are replaced atomically ([`atomic::write_atomic`]) so a web server
//! or a reader never sees half a file. Titles lose bidi override characters and HTML is
//! sanitized (see [`sanitize`]) before it reaches a reader.

mod atom;
pub mod atomic;
mod csv;
mod jsonl;
pub mod opml;
mod rss;
pub mod sanitize;
mod stories;
mod xlsx;
mod xml;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::config::{Config, ExportConfig, LiveExport};
use crate::store::{ExportItem, ItemFilter, Store, StoreError};

pub use self::csv::CSV_HEADER;
pub use atomic::write_atomic;
pub use stories::story_entries;

/// The feed title when neither the command line nor the config gives one.
pub const DEFAULT_TITLE: &str = "مرصاد: البنية التحتية للذكاء الاصطناعي";

/// Entries in a live Atom or RSS file when its `[[exports]]` entry sets no `limit`: feed
/// readers fetch the whole file every time.
pub const DEFAULT_LIVE_FEED_LIMIT: usize = 200;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Atom,
    Rss,
    Jsonl,
    Csv,
    /// An Excel/LibreOffice workbook: right to left, real dates, links, a column per tag.
    Xlsx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// Atom and RSS are read by feed readers; the others by programs.
    pub fn is_feed(self) -> bool {
        matches!(self, Format::Atom | Format::Rss)
    }
}

impl FromStr for Format {
    type Err = ExportError;

    fn from_str(text: &str) -> Result<Format, ExportError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "atom" => Ok(Format::Atom),
            "rss" => Ok(Format::Rss),
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(ExportError::UnknownFormat(text.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the CSV export: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("cannot write the JSON export: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(#[source] rust_xlsxwriter::XlsxError),
    #[error(
        "{items} items do not fit one spreadsheet (at most {max} rows): narrow the export with \
         --since, --tag or --limit"
    )]
    TooManyRows { items: usize, max: usize },
    #[error("cannot read the items to export: {0}")]
    Store(#[from] StoreError),
    #[error("unknown export format `{0}`: use atom, rss, jsonl, csv or xlsx")]
    UnknownFormat(String),
    #[error("cannot write {path}: {source} (check that its directory exists and is writable)")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an Atom or RSS document says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    /// A stable id for this export (`urn:mirsad:feed:…`), derived from its filters.
    pub id: String,
    pub title: String,
    /// Where the document is published, for `rel="self"`.
    pub self_url: Option<String>,
    /// When the document was written; the feed's `updated` when it has no entries.
    pub generated_at: String,
}

impl FeedMeta {
    /// Metadata for an export of the items `filter` selects. The id depends only on the tag
    /// and feed filters, so the same export keeps its id while its dates and limits change.
    pub fn new(title: &str, self_url: Option<String>, filter: &ItemFilter) -> FeedMeta {
        let key = format!(
            "mirsad-export\ntag={:?}\nfeed={:?}",
            filter.tag, filter.feed
        );
        FeedMeta {
            id: format!("urn:mirsad:feed:{}", short_hash(&key)),
            title: sanitize::clean_title(title),
            self_url,
            generated_at: crate::time::now(),
        }
    }
}

/// The id every export gives an item: the same item gets the same id in every export, in
/// every format, for as long as the store keeps it.
pub fn entry_id(identity: &str) -> String {
    format!("urn:mirsad:item:{}", short_hash(identity))
}

/// 128 bits of SHA-256, hex: unique enough for ids, short enough to read.
fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The latest of an item's dates: when it last changed, for Atom's `updated`.
pub(crate) fn entry_updated(item: &ExportItem) -> &str {
    // Stored timestamps share one format, so text order is time order.
    [
        item.upstream_updated_at.as_deref(),
        item.updated_at.as_deref(),
    ]
    .into_iter()
    .flatten()
    .fold(item.published_at.as_str(), |latest, t| latest.max(t))
}

/// The public URL of an export file: `public_url` itself, or, when it ends with `/` (a
/// directory), that directory plus the file's name.
pub fn self_url(public_url: Option<&str>, file: Option<&Path>) -> Option<String> {
    let base = public_url?.trim();
    if base.is_empty() {
        return None;
    }
    if !base.ends_with('/') {
        return Some(base.to_owned());
    }
    let name = file?.file_name()?.to_str()?;
    Some(format!(
        "{base}{}",
        percent_encoding::utf8_percent_encode(name, PATH_SEGMENT)
    ))
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Writes `items` in `format`. `bom` puts a UTF-8 byte-order mark first (CSV only, for Excel).
pub fn write(
    format: Format,
    items: &[ExportItem],
    meta: &FeedMeta,
    bom: bool,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    match format {
        Format::Atom => atom::write(items, meta, out),
        Format::Rss => rss::write(items, meta, out),
        Format::Jsonl => jsonl::write(items, out),
        Format::Csv => csv::write(items, bom, out),
        Format::Xlsx => xlsx::write(items, out),
    }
}

/// Rewrites every `[[exports]]` file of `config` from the store, each atomically. One failing
/// file does not stop the others; each outcome is logged and returned. A relative path is
/// relative to the config file's directory.
pub fn write_live_exports(
    store: &Store,
    config: &Config,
) -> Vec<(PathBuf, Result<(), ExportError>)> {
    write_live_exports_until(store, config, &AtomicBool::new(false))
}

/// [`write_live_exports`], giving up as soon as `cancel` turns true (the daemon is stopping):
/// the file being written is abandoned, its old version kept, and the remaining files skipped.
pub fn write_live_exports_until(
    store: &Store,
    config: &Config,
    cancel: &AtomicBool,
) -> Vec<(PathBuf, Result<(), ExportError>)> {
    write_live_export_files_until(
        store,
        &config.exports,
        &config.export,
        config.source.parent(),
        cancel,
    )
}

/// [`write_live_exports`] on its parts: the `[[exports]]` entries, the `[export]` settings and
/// the directory relative paths start from.
pub fn write_live_export_files(
    store: &Store,
    exports: &[LiveExport],
    settings: &ExportConfig,
    base_dir: Option<&Path>,
) -> Vec<(PathBuf, Result<(), ExportError>)> {
    write_live_export_files_until(store, exports, settings, base_dir, &AtomicBool::new(false))
}

fn write_live_export_files_until(
    store: &Store,
    exports: &[LiveExport],
    settings: &ExportConfig,
    base_dir: Option<&Path>,
    cancel: &AtomicBool,
) -> Vec<(PathBuf, Result<(), ExportError>)> {
    exports
        .iter()
        .take_while(|_| !cancel.load(Ordering::Relaxed))
        .map(|live| {
            let path = match base_dir {
                Some(dir) if live.path.is_relative() => dir.join(&live.path),
                _ => live.path.clone(),
            };
            let outcome = write_live_export(store, settings, live, &path, cancel);
            match &outcome {
                Ok(count) => {
                    tracing::debug!(path = %path.display(), items = count, "rewrote live export");
                }
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "live export failed");
                }
            }
            (path, outcome.map(|_| ()))
        })
        .collect()
}

fn write_live_export(
    store: &Store,
    settings: &ExportConfig,
    live: &LiveExport,
    path: &Path,
    cancel: &AtomicBool,
) -> Result<usize, ExportError> {
    let format: Format = live.format.parse()?;
    let default_limit = format.is_feed().then_some(DEFAULT_LIVE_FEED_LIMIT);
    let filter = ItemFilter {
        tag: live.tag.clone(),
        limit: live.limit.or(default_limit),
        ..ItemFilter::default()
    };
    let items = store.export_items(&filter, None)?;
    let title = live
        .title
        .as_deref()
        .or(settings.title.as_deref())
        .unwrap_or(DEFAULT_TITLE);
    let meta = FeedMeta::new(
        title,
        self_url(settings.public_url.as_deref(), Some(path)),
        &filter,
    );
    // Published files are meant to be read by a web server running as another user, whatever
    // the daemon's umask.
    write_atomic(path, Some(0o644), |out| {
        let mut out = Cancellable { out, cancel };
        write(format, &items, &meta, false, &mut out)
    })?;
    Ok(items.len())
}

/// A writer that fails once `cancel` is set, so a stop interrupts a long export between two
/// writes (every format writes item by item) instead of waiting for its end.
struct Cancellable<'a> {
    out: &'a mut dyn Write,
    cancel: &'a AtomicBool,
}

impl Write for Cancellable<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::other(
                "stopping: the export was abandoned and its old file kept",
            ));
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_are_stable_and_distinct() {
        assert_eq!(entry_id("url:https://a/1"), entry_id("url:https://a/1"));
        assert_ne!(entry_id("url:https://a/1"), entry_id("url:https://a/2"));
        assert!(entry_id("x").starts_with("urn:mirsad:item:"));
        assert_eq!(entry_id("x").len(), "urn:mirsad:item:".len() + 32);
    }

    #[test]
    fn feed_id_ignores_dates_and_limits_but_not_the_tag() {
        let base = ItemFilter {
            tag: Some("ai-infra".into()),
            ..ItemFilter::default()
        };
        let limited = ItemFilter {
            limit: Some(5),
            since: Some("2026-01-01T00:00:00Z".into()),
            ..base.clone()
        };
        let other = ItemFilter::default();
        let id = |f: &ItemFilter| FeedMeta::new("t", None, f).id;
        assert_eq!(id(&base), id(&limited));
        assert_ne!(id(&base), id(&other));
    }

    #[test]
    fn self_url_is_the_public_url_or_its_directory_plus_the_file_name() {
        let file = Path::new("/var/lib/mirsad/ai infra.atom");
        assert_eq!(
            self_url(Some("https://x.org/feed.atom"), Some(file)).as_deref(),
            Some("https://x.org/feed.atom")
        );
        assert_eq!(
            self_url(Some("https://x.org/m/"), Some(file)).as_deref(),
            Some("https://x.org/m/ai%20infra.atom")
        );
        assert_eq!(self_url(Some("https://x.org/m/"), None), None);
        assert_eq!(self_url(None, Some(file)), None);
    }

    #[test]
    fn a_cancelled_live_export_keeps_the_old_file_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::in_memory().unwrap();
        let live = |name: &str| LiveExport {
            path: dir.path().join(name),
            format: "atom".into(),
            tag: None,
            limit: None,
            title: None,
        };
        std::fs::write(dir.path().join("a.atom"), "old").unwrap();
        let exports = [live("a.atom"), live("b.atom")];
        let settings = ExportConfig::default();
        let cancel = AtomicBool::new(true);
        let results = write_live_export_files_until(&store, &exports, &settings, None, &cancel);
        assert!(results.is_empty(), "{results:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.atom")).unwrap(),
            "old"
        );
        assert!(!dir.path().join("b.atom").exists());

        // Cancelled in the middle of a file: the write fails, the old file stays, no temp left.
        let mut sink = Vec::new();
        let mut out = Cancellable {
            out: &mut sink,
            cancel: &cancel,
        };
        assert!(out.write_all(b"x").is_err());
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 1);
    }

    #[test]
    fn formats_parse_case_insensitively_and_unknown_ones_are_named() {
        assert_eq!("Atom".parse::<Format>().unwrap(), Format::Atom);
        let err = "xml".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("`xml`"), "{err}");
    }
}

/// Items for the format modules' unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::store::{ExportFeed, ExportItem, ExportTag};

    pub(crate) fn item(identity: &str, tags: &[&str]) -> ExportItem {
        ExportItem {
            id: 1,
            identity: identity.into(),
            identity_kind: "link".into(),
            url: Some(format!("https://news.example/{identity}")),
            canonical_url: None,
            guid: None,
            title: format!("\u{202E}إنفيديا {identity}"),
            title_html: None,
            summary: "ملخص قصير".into(),
            summary_html: None,
            content_html: Some("<p>نص <script>alert(1)</script></p>".into()),
            body_text: "ملخص قصير نص".into(),
            author: None,
            categories: serde_json::json!(["تقنية"]),
            enclosures: serde_json::json!([]),
            published_at: "2026-01-02T03:04:05Z".into(),
            published_estimated: false,
            upstream_updated_at: None,
            first_seen_at: "2026-01-02T04:00:00Z".into(),
            updated_at: None,
            language: Some("ar".into()),
            direction: "rtl".into(),
            content_hash: "h".into(),
            feeds: vec![ExportFeed {
                url: "https://news.example/feed".into(),
                name: Some("أخبار".into()),
                title: None,
                site_link: Some("https://news.example/".into()),
            }],
            tags: tags
                .iter()
                .map(|t| ExportTag {
                    tag: (*t).into(),
                    score: 2.5,
                    evidence: serde_json::json!([{"rule": "r", "matched": "رقاقات"}]),
                    taxonomy_version: "v1".into(),
                    tagged_at: "2026-01-02T04:00:00Z".into(),
                    origin: "tagger".into(),
                })
                .collect(),
        }
    }
}
