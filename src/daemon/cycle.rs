//! One polling cycle: fetch the due feeds concurrently (within the global and per-host limits),
//! parse each body on a worker thread, and store each feed's items and state in one short
//! transaction. A slow, failing or hostile feed only ever costs its own slot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio::sync::{Semaphore, watch};

use super::schedule::{self, Limits, Observation};
use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::pipeline::{FeedRef, IngestReport, Pipeline, PreparedDocument};
use crate::store::{FeedState, Store};

/// Everything a cycle shares between its feed tasks.
pub struct Shared {
    /// The writer's connection.
    pub store: Arc<Mutex<Store>>,
    /// A connection for reads during the cycle (may be the writer's).
    pub lookup: Arc<Mutex<Store>>,
    pub pipeline: Arc<Pipeline>,
    pub fetcher: Arc<Fetcher>,
}

/// One feed to fetch in this cycle, with its stored state.
#[derive(Debug, Clone)]
pub struct Plan {
    pub feed: FeedConfig,
    pub state: FeedState,
}

/// The cycle's totals, for the summary line, `STATUS=` and the live exports.
#[derive(Debug, Clone, Default)]
pub struct CycleSummary {
    pub feeds: usize,
    pub fetched: usize,
    pub not_modified: usize,
    pub failed: usize,
    pub skipped: usize,
    pub items: IngestReport,
    pub elapsed: Duration,
}

impl CycleSummary {
    pub fn line(&self) -> String {
        format!(
            "{} feeds: {} fetched, {} not modified, {} failed{}; items: {} new, {} updated; {:.1} s",
            self.feeds,
            self.fetched,
            self.not_modified,
            self.failed,
            if self.skipped > 0 {
                format!(", {} not started (stopping)", self.skipped)
            } else {
                String::new()
            },
            self.items.new,
            self.items.updated,
            self.elapsed.as_secs_f64()
        )
    }

    /// True when the cycle stored something new or changed.
    pub fn changed_anything(&self) -> bool {
        self.items.new + self.items.updated > 0
    }
}

/// The two connections a feed task uses.
struct Stores {
    store: Arc<Mutex<Store>>,
    lookup: Arc<Mutex<Store>>,
}

/// How one feed's fetch ended.
enum FeedResult {
    Fetched(IngestReport),
    NotModified,
    Failed,
    Skipped,
}

/// The feeds due at `now` (every enabled feed with `all`), with their stored state.
pub fn due_plans(
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
    all: bool,
) -> Result<Vec<Plan>, crate::store::StoreError> {
    let now_text = crate::time::format(now);
    let mut plans = Vec::new();
    for feed in config.feeds.iter().filter(|f| f.enabled) {
        let state = match store.feed_state(&feed.url)? {
            Some(state) => state,
            None => store.ensure_feed_state(&feed.url, feed.name.as_deref())?,
        };
        if state.disabled {
            continue;
        }
        let due = all
            || state
                .next_fetch_at
                .as_deref()
                .is_none_or(|next| *next <= *now_text);
        if due {
            plans.push(Plan {
                feed: feed.clone(),
                state,
            });
        }
    }
    Ok(plans)
}

/// Fetches, parses and stores every plan; stops starting new fetches once `stop` turns true.
pub async fn run_cycle(
    shared: &Shared,
    config: &Config,
    plans: Vec<Plan>,
    stop: watch::Receiver<bool>,
    progress: Option<ProgressBar>,
) -> CycleSummary {
    let started = Instant::now();
    let global = Arc::new(Semaphore::new(config.fetch.concurrency.max(1)));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let slots = Slots::new();
    let limits = limits(config);
    let mut tasks = tokio::task::JoinSet::new();
    let mut summary = CycleSummary {
        feeds: plans.len(),
        ..CycleSummary::default()
    };
    for plan in plans {
        let host = host_of(plan.state.fetch_url.as_deref().unwrap_or(&plan.feed.url));
        let host_limit = per_host
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(config.fetch.per_host.max(1))))
            .clone();
        let global = global.clone();
        let store = shared.store.clone();
        let lookup = shared.lookup.clone();
        let pipeline = shared.pipeline.clone();
        let fetcher = shared.fetcher.clone();
        let stop = stop.clone();
        let slots = slots.clone();
        tasks.spawn(async move {
            let Ok(_host_permit) = host_limit.acquire_owned().await else {
                return FeedResult::Skipped;
            };
            let Ok(_permit) = global.acquire_owned().await else {
                return FeedResult::Skipped;
            };
            if *stop.borrow() {
                return FeedResult::Skipped;
            }
            poll_feed(
                plan,
                &fetcher,
                Stores { store, lookup },
                pipeline,
                slots,
                limits,
            )
            .await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(FeedResult::Fetched(report)) => {
                summary.fetched += 1;
                summary.items.add(&report);
            }
            Ok(FeedResult::NotModified) => summary.not_modified += 1,
            Ok(FeedResult::Failed) => summary.failed += 1,
            Ok(FeedResult::Skipped) => summary.skipped += 1,
            Err(err) => {
                tracing::error!(error = %err, "a feed task failed unexpectedly");
                summary.failed += 1;
            }
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    settle_stories(shared).await;
    summary.elapsed = started.elapsed();
    summary
}

/// Puts the cycle's new items into stories, in report order, once every feed is written; the
/// store is locked only to read what to settle and to write the result.
async fn settle_stories(shared: &Shared) {
    let (store, pipeline) = (shared.store.clone(), shared.pipeline.clone());
    let settled =
        tokio::task::spawn_blocking(move || pipeline.settle_stories(|| lock(&store))).await;
    match settled {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            tracing::error!(error = %err, "settling stories failed; retried next cycle")
        }
        Err(err) => tracing::error!(error = %err, "settling stories failed unexpectedly"),
    }
}

pub fn limits(config: &Config) -> Limits {
    Limits {
        min_interval: config.fetch.min_interval,
        max_interval: config.fetch.max_interval,
        max_backoff: config.fetch.max_backoff,
    }
}

/// Far more fetches are in flight than there are cores. Preparing them all at once would only
/// interleave them, and every prepared document waiting for the writer is memory held.
#[derive(Clone)]
struct Slots {
    /// Documents being parsed and tagged: one core is left to the writer, which every document
    /// goes through.
    cpu: Arc<Semaphore>,
    /// Documents between parsing and written: enough that the writer never waits.
    in_flight: Arc<Semaphore>,
}

impl Slots {
    fn new() -> Slots {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let preparers = cores.saturating_sub(1).max(1);
        Slots {
            cpu: Arc::new(Semaphore::new(preparers)),
            in_flight: Arc::new(Semaphore::new(preparers + 2)),
        }
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Fetch → prepare (parse, normalize, tag: a CPU slot) → store (the writer's lock: one
/// transaction with the feed's new state).
async fn poll_feed(
    plan: Plan,
    fetcher: &Fetcher,
    Stores { store, lookup }: Stores,
    pipeline: Arc<Pipeline>,
    slots: Slots,
    limits: Limits,
) -> FeedResult {
    let request = fetch_request(&plan);
    let mut outcome = fetcher.fetch(&request).await;
    let feed_url = plan.feed.url.clone();
    let stored = async move {
        let mut prepared = None;
        // Held until the write: a document waiting for the writer is memory held. (The slots'
        // semaphores are never closed, so acquiring cannot fail.)
        let _in_flight = match outcome.body() {
            Some(_) => slots.in_flight.clone().acquire_owned().await.ok(),
            None => None,
        };
        if outcome.body().is_some() {
            let cpu = slots.cpu.clone().acquire_owned().await.ok();
            let pipeline = pipeline.clone();
            let feed = plan.feed.url.clone();
            let done;
            (outcome, done) = tokio::task::spawn_blocking(move || {
                let prepared = prepare(&lookup, &pipeline, &outcome, &feed);
                (outcome, prepared)
            })
            .await?;
            drop(cpu);
            prepared = match done {
                Ok(document) => document,
                Err(err) => return Ok(Err(err)),
            };
        }
        tokio::task::spawn_blocking(move || {
            let mut store = lock(&store);
            let stored = store_outcome(&mut store, &pipeline, &plan, &outcome, prepared, limits);
            if stored.is_err() {
                // The transaction rolled back; the story clusterer must not keep its items.
                pipeline.forget_unsaved();
            }
            stored
        })
        .await
    }
    .await;
    match stored {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => {
            tracing::error!(feed = %feed_url, error = %err, "could not store the feed's items; nothing from this fetch was kept, the next cycle retries");
            FeedResult::Failed
        }
        Err(err) => {
            tracing::error!(feed = %feed_url, error = %err, "the store task failed");
            FeedResult::Failed
        }
    }
}

/// The request for a plan: its stored validators, and the URL learned from a permanent
/// redirect if there is one. A learned URL is fetched but never trusted like the one the
/// operator wrote: it carries the configured URL, so the fetcher guards it every time.
fn fetch_request(plan: &Plan) -> FetchRequest {
    let learned = plan
        .state
        .fetch_url
        .clone()
        .filter(|learned| *learned != plan.feed.url);
    FetchRequest {
        configured_url: learned.is_some().then(|| plan.feed.url.clone()),
        url: learned.unwrap_or_else(|| plan.feed.url.clone()),
        etag: plan.state.etag.clone(),
        last_modified: plan.state.last_modified.clone(),
        user_agent: plan.feed.user_agent.clone(),
    }
}

/// Parses a fetched body and prepares its items, tagging those the store does not hold
/// unchanged. A stale answer only costs work: an item tagged needlessly is then found unchanged,
/// and one found changed without tags is tagged by the writer.
fn prepare(
    lookup: &Mutex<Store>,
    pipeline: &Pipeline,
    outcome: &FetchOutcome,
    feed_url: &str,
) -> Result<Option<Result<PreparedDocument, crate::feed::FeedError>>, crate::store::StoreError> {
    let Some(body) = outcome.body() else {
        return Ok(None);
    };
    let mut document = match crate::feed::parse(&body.body, body.charset.as_deref()) {
        Ok(parsed) => pipeline.prepare(&parsed, feed_url, Utc::now()),
        Err(err) => return Ok(Some(Err(err))),
    };
    let known = lock(lookup).content_hashes(document.identities())?;
    pipeline.tag_changed(&mut document, &known);
    Ok(Some(Ok(document)))
}

/// Writes the items (if any) and the feed's new state in one transaction, and logs the fetch.
fn store_outcome(
    store: &mut Store,
    pipeline: &Pipeline,
    plan: &Plan,
    outcome: &FetchOutcome,
    prepared: Option<Result<PreparedDocument, crate::feed::FeedError>>,
    limits: Limits,
) -> Result<FeedResult, crate::store::StoreError> {
    let now = Utc::now();
    let items_per_day = store.items_per_day(plan.state.id, now)?;
    let writer = store.writer()?;
    let mut report = IngestReport::default();
    let mut ttl = None;
    let error: Option<String> = match (&outcome.result, prepared) {
        (Err(err), _) => Some(err.to_string()),
        (Ok(_), Some(Err(err))) => Some(err.to_string()),
        (Ok(_), Some(Ok(prepared))) => {
            let feed = FeedRef {
                url: &plan.feed.url,
                name: plan.feed.name.as_deref(),
            };
            ttl = prepared
                .ttl_minutes
                .map(|m| Duration::from_secs(u64::from(m) * 60));
            report = pipeline.write_prepared(&writer, feed, prepared, now)?;
            None
        }
        (Ok(_), None) => None,
    };
    let state = next_state(
        &plan.state,
        plan,
        outcome,
        error.as_deref(),
        now,
        ttl,
        items_per_day,
        limits,
    );
    writer.save_feed_state(&state)?;
    writer.commit()?;
    log_fetch(plan, outcome, &report, error.as_deref());
    Ok(match (error, outcome.is_not_modified()) {
        (Some(_), _) => FeedResult::Failed,
        (None, true) => FeedResult::NotModified,
        (None, false) => FeedResult::Fetched(report),
    })
}

/// The feed's state after this fetch: validators, health and the next fetch time.
#[allow(clippy::too_many_arguments)]
fn next_state(
    old: &FeedState,
    plan: &Plan,
    outcome: &FetchOutcome,
    error: Option<&str>,
    now: DateTime<Utc>,
    ttl: Option<Duration>,
    items_per_day: f64,
    limits: Limits,
) -> FeedState {
    let mut state = old.clone();
    state.last_fetch_at = Some(crate::time::format(now));
    state.last_status = outcome.status.map(i64::from);
    if outcome.etag.is_some() || outcome.last_modified.is_some() {
        state.etag = outcome.etag.clone();
        state.last_modified = outcome.last_modified.clone();
    }
    if let Some(moved) = &outcome.permanent_redirect
        && state.fetch_url.as_deref() != Some(moved.as_str())
    {
        tracing::info!(feed = %plan.feed.url, to = %moved, "feed moved permanently; fetching the new URL from now on");
        state.fetch_url = Some(moved.clone());
    }
    match error {
        None => {
            state.error_count = 0;
            state.last_error = None;
        }
        Some(message) => {
            state.error_count += 1;
            state.last_error = Some(message.to_owned());
        }
    }
    if outcome.is_gone() {
        state.disabled = true;
        state.disabled_reason = Some(
            "410 Gone: the server says this feed was removed; fix its URL in the config or remove it"
                .to_owned(),
        );
    }
    let observation = Observation {
        configured: plan.feed.interval,
        items_per_day,
        ttl,
        cache_until: outcome.cache_until,
        retry_after: outcome.retry_after,
        errors: u32::try_from(state.error_count).unwrap_or(u32::MAX),
    };
    let jitter = rand::random_range(-1.0..=1.0);
    state.next_fetch_at = Some(crate::time::format(schedule::next_fetch(
        now,
        &observation,
        &limits,
        jitter,
    )));
    state
}

fn log_fetch(plan: &Plan, outcome: &FetchOutcome, report: &IngestReport, error: Option<&str>) {
    let status = outcome.status.unwrap_or(0);
    let ms = outcome.elapsed.as_millis() as u64;
    match error {
        None => tracing::info!(
            feed = %plan.feed.url, status, bytes = outcome.bytes, new = report.new,
            updated = report.updated, ms, "fetched"
        ),
        Some(error) => tracing::warn!(
            feed = %plan.feed.url, status, bytes = outcome.bytes, ms, error, "fetch failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(fetch_url: Option<&str>) -> Plan {
        Plan {
            feed: FeedConfig {
                url: "https://outlet.example/feed".into(),
                name: None,
                interval: None,
                enabled: true,
                user_agent: None,
            },
            state: FeedState {
                fetch_url: fetch_url.map(str::to_owned),
                etag: Some("\"v1\"".into()),
                ..FeedState::default()
            },
        }
    }

    #[test]
    fn a_learned_url_is_fetched_with_the_configured_one_so_the_guard_judges_it() {
        let learned = fetch_request(&plan(Some("https://moved.example/feed")));
        assert_eq!(learned.url, "https://moved.example/feed");
        assert_eq!(
            learned.configured_url.as_deref(),
            Some("https://outlet.example/feed")
        );
        assert_eq!(learned.etag.as_deref(), Some("\"v1\""));
        for configured in [plan(None), plan(Some("https://outlet.example/feed"))] {
            let request = fetch_request(&configured);
            assert_eq!(request.url, "https://outlet.example/feed");
            assert_eq!(request.configured_url, None);
        }
    }
}
