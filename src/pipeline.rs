//! The one pipeline every document goes through: parse → normalize → dedup → tag → stories →
//! store.
//!
//! `mirsad ingest` hands it a file's bytes, the daemon hands it a response body with the HTTP
//! charset; everything after the bytes is the same. Parsing is separate from storing so the
//! daemon can parse on a worker thread and keep the single writer's transactions short.

use crate::metrics::DaemonMetrics;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::arabic;
use crate::config::StoriesConfig;
use crate::dedup::{self, IdentityInput};
use crate::feed::{self, Entry, FeedError, ParsedFeed};
use crate::store::{ItemRecord, Store, StoreError, StoredTag, UpsertOutcome, Writer};
use crate::stories::{Features, SettleSummary, Stories, StoriesParams};
use crate::tagger::Tagger;

/// The feed a document belongs to.
#[derive(Debug, Clone, Copy)]
pub struct FeedRef<'a> {
    /// The configured URL: the feed's identity.
    pub url: &'a str,
    pub name: Option<&'a str>,
}

/// What one document did to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub entries: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl IngestReport {
    pub fn add(&mut self, other: &IngestReport) {
        self.entries += other.entries;
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs documents into a store, tagging new and changed items and putting them into stories on
/// the way.
pub struct Pipeline {
    tagger: Tagger,
    stories: Option<Stories>,
    /// The daemon's counters (tags given), under `mirsad run`.
    metrics: Option<DaemonMetrics>,
}

impl Pipeline {
    /// A pipeline with stories on, at their default settings.
    pub fn new(tagger: Tagger) -> Pipeline {
        Pipeline {
            tagger,
            stories: Some(Stories::new(StoriesParams::default())),
            metrics: None,
        }
    }

    /// The same pipeline, counting the tags it gives into `metrics`.
    pub fn with_metrics(mut self, metrics: DaemonMetrics) -> Pipeline {
        self.metrics = Some(metrics);
        self
    }

    /// The same pipeline with the `[stories]` settings (off when not `enabled`).
    pub fn with_stories(mut self, config: &StoriesConfig) -> Pipeline {
        self.stories = config.enabled.then(|| {
            Stories::new(StoriesParams {
                window: config.window,
                threshold: config.threshold,
            })
        });
        self
    }

    pub fn tagger(&self) -> &Tagger {
        &self.tagger
    }

    /// Call after rolling back a write this pipeline made: story features kept for its items
    /// are dropped (their ids may come back for other items).
    pub fn forget_unsaved(&self) {
        if let Some(stories) = &self.stories {
            stories.forget_pending();
        }
    }

    /// Puts the items written without a story into stories (after a daemon cycle, or an
    /// `ingest` call's documents); see crate::stories::Stories::settle. `store` is called each
    /// time the store is needed. Nothing to do with stories off.
    pub fn settle_stories<G: std::ops::DerefMut<Target = Store>>(
        &self,
        store: impl FnMut() -> G,
    ) -> Result<SettleSummary, StoreError> {
        match &self.stories {
            Some(stories) => stories.settle(store),
            None => Ok(SettleSummary::default()),
        }
    }

    /// Parses and stores one document in one transaction.
    pub fn ingest(
        &self,
        store: &mut Store,
        feed: FeedRef<'_>,
        bytes: &[u8],
        http_charset: Option<&str>,
    ) -> Result<IngestReport, PipelineError> {
        let parsed = feed::parse(bytes, http_charset)?;
        Ok(self.store_parsed(store, feed, &parsed, Utc::now())?)
    }

    /// Stores an already parsed document in one transaction: all of it, or nothing.
    pub fn store_parsed(
        &self,
        store: &mut Store,
        feed: FeedRef<'_>,
        parsed: &ParsedFeed,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let mut prepared = self.prepare(parsed, feed.url, now);
        let known = store.content_hashes(prepared.identities())?;
        self.tag_changed(&mut prepared, &known);
        let writer = store.writer()?;
        let report = self.write_prepared(&writer, feed, prepared, now)?;
        writer.commit()?;
        Ok(report)
    }

    /// Builds every entry's record (identity, normalized search words, display fields). Needs
    /// no store, so the daemon runs it on a worker thread, outside the store's lock.
    pub fn prepare(
        &self,
        parsed: &ParsedFeed,
        feed_url: &str,
        now: DateTime<Utc>,
    ) -> PreparedDocument {
        let repeated = feed::repeated_guids(&parsed.entries);
        // One record per identity, the first the document lists: several entries with one
        // identity and different content would otherwise each overwrite the last, and report
        // "updated" on every fetch of an unchanged document.
        let mut seen = HashSet::new();
        let items = parsed
            .entries
            .iter()
            .map(|entry| item_record(entry, parsed, feed_url, &repeated, now))
            .filter(|record| seen.insert(record.identity.clone()))
            .map(|record| PreparedItem {
                record,
                tags: None,
                story_features: None,
            })
            .collect();
        PreparedDocument {
            title: parsed.title.clone(),
            site_link: parsed.site_link.clone(),
            language: parsed.language.clone(),
            ttl_minutes: parsed.ttl_minutes,
            items,
        }
    }

    /// Tags the items that are new or changed, given the stored content hash of each known
    /// identity, and reads their story features. Unchanged items are left alone. Needs no
    /// store lock: the daemon runs it on a worker thread.
    pub fn tag_changed(&self, prepared: &mut PreparedDocument, known: &HashMap<String, String>) {
        for item in &mut prepared.items {
            let record = &item.record;
            if known.get(&record.identity) != Some(&record.content_hash) {
                item.tags = Some(stored_tags(&self.tagger, &record.title, &record.body_text));
                if self.stories.is_some() {
                    item.story_features = Some(Features::of(&record.title, &record.summary));
                }
            }
        }
    }

    /// Writes a prepared document through an open writer (the daemon also saves feed state in
    /// the same transaction). An item found new or changed without tags is tagged here.
    pub fn write_prepared(
        &self,
        writer: &Writer<'_>,
        feed: FeedRef<'_>,
        prepared: PreparedDocument,
        now: DateTime<Utc>,
    ) -> Result<IngestReport, StoreError> {
        let now_text = crate::time::format(now);
        let feed_id = writer.ensure_feed(feed.url, feed.name)?;
        writer.update_feed_metadata(
            feed_id,
            prepared.title.as_deref(),
            prepared.site_link.as_deref(),
            prepared.language.as_deref(),
            prepared.ttl_minutes,
        )?;
        let version = self.tagger.version();
        let mut report = IngestReport::default();
        for item in prepared.items {
            let record = &item.record;
            // A new item is written without a story: settling places it (see `settle_stories`).
            let (item_id, outcome) = writer.upsert_item(record, feed_id, &now_text)?;
            report.entries += 1;
            match outcome {
                UpsertOutcome::New => report.new += 1,
                UpsertOutcome::Updated => report.updated += 1,
                UpsertOutcome::Unchanged => {
                    report.unchanged += 1;
                    continue;
                }
            }
            let tags = match item.tags {
                Some(tags) => tags,
                None => stored_tags(&self.tagger, &record.title, &record.body_text),
            };
            writer.replace_tags(item_id, &tags, version, &now_text)?;
            if let Some(metrics) = &self.metrics {
                tags.iter().for_each(|t| metrics.tagged(&t.tag));
            }
            if let Some(stories) = &self.stories {
                // A changed item keeps its story; only the story's facts follow the change.
                let story = match outcome {
                    UpsertOutcome::Updated => writer.item_story(item_id)?,
                    _ => None,
                };
                match story {
                    Some(story) => writer.refresh_story(story, &now_text)?,
                    None => {
                        let features = item
                            .story_features
                            .unwrap_or_else(|| Features::of(&record.title, &record.summary));
                        stories.written(item_id, &record.title, &record.summary, features);
                    }
                }
            }
        }
        Ok(report)
    }
}

/// A document ready to be written: what the feed says about itself and its items' records.
#[derive(Debug, Clone)]
pub struct PreparedDocument {
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub language: Option<String>,
    pub ttl_minutes: Option<u32>,
    items: Vec<PreparedItem>,
}

impl PreparedDocument {
    /// The identity keys of the document's items.
    pub fn identities(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|i| i.record.identity.as_str())
    }
}

#[derive(Debug, Clone)]
struct PreparedItem {
    record: ItemRecord,
    /// Computed before the write for items the store did not hold unchanged.
    tags: Option<Vec<StoredTag>>,
    /// Likewise, what the story clusterer reads of the item.
    story_features: Option<Features>,
}

/// Tags a title and body and turns the result into rows for `item_tags`.
pub fn stored_tags(tagger: &Tagger, title: &str, body: &str) -> Vec<StoredTag> {
    tagger
        .tag_given(title, body)
        .tags
        .into_iter()
        .map(|t| StoredTag {
            evidence: serde_json::to_string(&t.evidence).unwrap_or_else(|_| "[]".into()),
            tag: t.tag,
            score: t.score,
        })
        .collect()
}

/// Summary and content as one body text. Many feeds' summaries are the first lines of the
/// content; repeating them would count their words twice.
fn join_text(summary: &str, content: &str) -> String {
    let lead: String = summary.chars().take(60).collect();
    if content.is_empty() {
        summary.to_owned()
    } else if summary.is_empty() || content.starts_with(&lead) {
        content.to_owned()
    } else {
        format!("{summary}\n{content}")
    }
}

/// Turns a parsed entry into the row the store keeps: identity, display fields, search words.
fn item_record(
    entry: &Entry,
    parsed: &ParsedFeed,
    feed_url: &str,
    repeated: &HashSet<String>,
    now: DateTime<Utc>,
) -> ItemRecord {
    let link = entry
        .link
        .as_deref()
        .map(|link| absolute_link(link, feed_url, parsed.site_link.as_deref()));
    let given_date = entry.published.or(entry.updated);
    let feed_date = given_date.map(crate::time::format);
    // A date far in the future would sit at the top of every export and match every --since;
    // one before the web is a placeholder (0001-01-01). Neither is trusted as the published
    // date: the first-seen time stands in, and the raw value is kept.
    let trusted_date = given_date
        .filter(|at| is_plausible_date(*at, now))
        .map(crate::time::format);
    let published_raw = match (&feed_date, &trusted_date) {
        (Some(raw), None) => Some(raw.clone()),
        _ => None,
    };
    let guid_is_unique = entry.guid.as_ref().is_some_and(|g| !repeated.contains(g));
    let identity = dedup::identity_key(&IdentityInput {
        link: link.as_deref(),
        guid: entry.guid.as_deref(),
        guid_is_unique,
        feed_url,
        title: &entry.title,
        date: feed_date.as_deref(),
        summary: &entry.summary,
    });
    let published_estimated = trusted_date.is_none();
    if published_estimated {
        tracing::debug!(
            feed = feed_url,
            title = %entry.title,
            raw = published_raw.as_deref(),
            "entry has no usable date; using the first-seen time"
        );
    }
    let body = join_text(&entry.summary, &entry.content_text);
    let mut record = ItemRecord {
        identity: identity.key,
        identity_kind: identity.kind.as_str().to_owned(),
        url: link,
        canonical_url: identity.canonical_url,
        guid: entry.guid.clone(),
        title: entry.title.clone(),
        title_html: entry.title_html.clone(),
        summary: entry.summary.clone(),
        summary_html: entry.summary_html.clone(),
        content_html: entry.content_html.clone(),
        author: (!entry.authors.is_empty()).then(|| entry.authors.join(", ")),
        categories: serde_json::to_string(&entry.categories).unwrap_or_else(|_| "[]".into()),
        enclosures: enclosures_json(entry),
        published_at: trusted_date.unwrap_or_else(|| crate::time::format(now)),
        published_estimated,
        published_raw,
        upstream_updated_at: entry.updated.map(crate::time::format),
        language: entry.language.clone().or_else(|| parsed.language.clone()),
        direction: arabic::direction(&format!("{} {}", entry.title, entry.summary)).to_owned(),
        content_hash: String::new(),
        search_title: arabic::stemmed_tokens(&entry.title).join(" "),
        search_body: arabic::stemmed_tokens(&body).join(" "),
        body_text: body,
    };
    record.content_hash = content_hash(&record, published_estimated);
    record
}

/// Whether a feed's date can be the published date: not more than a day ahead of the fetch
/// (clocks and zones are often off by hours) and not before 1990.
fn is_plausible_date(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let earliest = DateTime::from_timestamp(631_152_000, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    at >= earliest && at <= crate::time::after(now, std::time::Duration::from_secs(86_400))
}

/// A link as written, made absolute against the feed's URL (or its site link when the feed is a
/// local file), since some feeds give paths like `/2026/11/article`.
fn absolute_link(link: &str, feed_url: &str, site_link: Option<&str>) -> String {
    if url::Url::parse(link).is_ok() {
        return link.to_owned();
    }
    let base = [Some(feed_url), site_link]
        .into_iter()
        .flatten()
        .filter_map(|b| url::Url::parse(b).ok())
        .find(|b| matches!(b.scheme(), "http" | "https"));
    base.and_then(|b| b.join(link).ok())
        .map(String::from)
        .unwrap_or_else(|| link.to_owned())
}

fn enclosures_json(entry: &Entry) -> String {
    let list: Vec<serde_json::Value> = entry
        .enclosures
        .iter()
        .map(|e| serde_json::json!({"url": e.url, "mime": e.mime, "length": e.length}))
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// Hash of the fields an upstream edit can change. An estimated date is left out: it is the
/// time of this run, not something the feed said.
fn content_hash(r: &ItemRecord, published_estimated: bool) -> String {
    let mut hasher = Sha256::new();
    let fields = [
        r.url.as_deref(),
        r.guid.as_deref(),
        Some(r.title.as_str()),
        r.title_html.as_deref(),
        Some(r.summary.as_str()),
        r.summary_html.as_deref(),
        r.content_html.as_deref(),
        r.author.as_deref(),
        Some(r.categories.as_str()),
        Some(r.enclosures.as_str()),
        (!published_estimated).then_some(r.published_at.as_str()),
        r.published_raw.as_deref(),
        r.upstream_updated_at.as_deref(),
        r.language.as_deref(),
    ];
    for field in fields {
        hasher.update(field.unwrap_or("\u{0}").as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15, point 19: fifty entries with one guid and different content once reported
    /// "50 updated" on every fetch of an unchanged document.
    #[test]
    fn entries_sharing_an_identity_are_stored_once_and_an_unchanged_document_updates_nothing() {
        let mut xml = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>"#,
        );
        for i in 0..50 {
            xml.push_str(&format!(
                "<item><title>نسخة {i}</title><link>https://x.example/same</link><guid>same</guid><description>نص {i}</description></item>"
            ));
        }
        xml.push_str("</channel></rss>");
        let parsed = feed::parse(xml.as_bytes(), None).unwrap();
        let pipeline = Pipeline::new(Tagger::new(crate::tagger::Taxonomy::builtin()));
        let mut store = Store::in_memory().unwrap();
        let feed = FeedRef {
            url: "https://x.example/feed",
            name: None,
        };
        let now = Utc::now();
        let first = pipeline
            .store_parsed(&mut store, feed, &parsed, now)
            .unwrap();
        let second = pipeline
            .store_parsed(&mut store, feed, &parsed, now)
            .unwrap();
        assert_eq!((first.new, first.updated), (1, 0), "{first:?}");
        assert_eq!((second.new, second.updated), (0, 0), "{second:?}");
    }
}
