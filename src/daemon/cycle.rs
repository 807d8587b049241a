//! One polling round: fetch the feeds due at one look at the schedule concurrently (within the
//! global and per-host limits, which every round in flight shares), parse each body on a worker
//! thread, and store each feed's items and state in one short transaction. A slow, failing or
//! hostile feed only ever costs its own slot: rounds overlap, so feeds that fall due while a
//! slow one is still being fetched start in a round of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use tokio::sync::{Semaphore, mpsc, watch};

use super::schedule::{self, Limits, Observation};
use super::unsaved::Unsaved;
use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::pipeline::{FeedRef, IngestReport, Pipeline, PreparedDocument};
use crate::store::{FeedState, Store};

/// Everything a round shares between its feed tasks, and every round with the others.
#[derive(Clone)]
pub struct Shared {
    /// The writer's connection.
    pub store: Arc<Mutex<Store>>,
    /// A connection for reads during the cycle (may be the writer's).
    pub lookup: Arc<Mutex<Store>>,
    pub pipeline: Arc<Pipeline>,
    pub fetcher: Arc<Fetcher>,
    /// Feed states the store refused to take; they stand in for the stored ones.
    pub(crate) unsaved: Unsaved,
    /// The fetch and processing limits, shared by every round in flight.
    pub(crate) gates: Gates,
    /// Fetches and cycles counted for `/metrics`.
    pub(crate) metrics: crate::metrics::DaemonMetrics,
}

/// The limits every round in flight shares: `concurrency` fetches overall, `per_host` per
/// host, and the processing slots.
#[derive(Clone)]
pub(crate) struct Gates {
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    slots: Slots,
    concurrency: usize,
    per_host: usize,
}

impl Gates {
    pub(crate) fn new(config: &Config) -> Gates {
        let concurrency = config.fetch.concurrency.max(1);
        Gates {
            global: Arc::new(Semaphore::new(concurrency)),
            hosts: Arc::default(),
            slots: Slots::new(),
            concurrency,
            per_host: config.fetch.per_host.max(1),
        }
    }

    /// Whether these gates enforce `config`'s limits (else a reload makes new ones; rounds
    /// in flight finish under the old).
    pub(crate) fn fit(&self, config: &Config) -> bool {
        self.concurrency == config.fetch.concurrency.max(1)
            && self.per_host == config.fetch.per_host.max(1)
    }

    fn host(&self, host: String) -> Arc<Semaphore> {
        self.hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone()
    }
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

/// Tells the daemon a feed is finished when dropped: after its fetch, and also if its task
/// panicked or was aborted, so the feed is never left marked in flight.
struct Finished {
    url: String,
    done: Option<mpsc::UnboundedSender<String>>,
}

impl Drop for Finished {
    fn drop(&mut self) {
        if let Some(done) = &self.done {
            // The daemon may have stopped listening: nothing to tell then.
            done.send(std::mem::take(&mut self.url)).ok();
        }
    }
}

/// The two connections a feed task uses, and where states the writer refused go.
struct Stores {
    store: Arc<Mutex<Store>>,
    lookup: Arc<Mutex<Store>>,
    unsaved: Unsaved,
}

/// How one feed's fetch ended.
enum FeedResult {
    Fetched(IngestReport),
    NotModified,
    Failed,
    Skipped,
}

/// The feeds due at `now` (every enabled feed with `all`), with their state: the stored one,
/// or the newer one the store refused to take.
pub(crate) fn due_plans(
    store: &mut Store,
    unsaved: &Unsaved,
    config: &Config,
    now: DateTime<Utc>,
    all: bool,
) -> Result<Vec<Plan>, crate::store::StoreError> {
    let now_text = crate::time::format(now);
    let mut plans = Vec::new();
    for feed in config.feeds.iter().filter(|f| f.enabled) {
        let state = match (unsaved.get(&feed.url), store.feed_state(&feed.url)?) {
            (Some(kept), _) => kept,
            (None, Some(state)) => state,
            (None, None) => store.ensure_feed_state(&feed.url, feed.name.as_deref())?,
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
/// Each feed's URL goes to `done` as soon as that feed is finished (its state written), so the
/// daemon may schedule it again while slower feeds of the round are still in flight.
pub(crate) async fn run_cycle(
    shared: &Shared,
    config: &Config,
    plans: Vec<Plan>,
    stop: watch::Receiver<bool>,
    progress: Option<ProgressBar>,
    done: Option<mpsc::UnboundedSender<String>>,
) -> CycleSummary {
    let started = Instant::now();
    let limits = limits(config);
    let mut tasks = tokio::task::JoinSet::new();
    let mut summary = CycleSummary {
        feeds: plans.len(),
        ..CycleSummary::default()
    };
    for plan in plans {
        let host = host_of(plan.state.fetch_url.as_deref().unwrap_or(&plan.feed.url));
        let host_limit = shared.gates.host(host);
        let global = shared.gates.global.clone();
        let store = shared.store.clone();
        let lookup = shared.lookup.clone();
        let pipeline = shared.pipeline.clone();
        let fetcher = shared.fetcher.clone();
        let unsaved = shared.unsaved.clone();
        let stop = stop.clone();
        let slots = shared.gates.slots.clone();
        let (url, done) = (plan.feed.url.clone(), done.clone());
        let metrics = shared.metrics.clone();
        let feed = async move {
            let Ok(_host_permit) = host_limit.acquire_owned().await else {
                return FeedResult::Skipped;
            };
            let Ok(_permit) = global.acquire_owned().await else {
                return FeedResult::Skipped;
            };
            if *stop.borrow() {
                return FeedResult::Skipped;
            }
            let started = Instant::now();
            let result = poll_feed(
                plan,
                &fetcher,
                Stores {
                    store,
                    lookup,
                    unsaved,
                },
                pipeline,
                slots,
                limits,
            )
            .await;
            count_fetch(&metrics, &result, started.elapsed());
            result
        };
        tasks.spawn(async move {
            let _finished = Finished { url, done };
            feed.await
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
    if summary.feeds > summary.skipped {
        let at = Utc::now().timestamp();
        shared.metrics.cycle_done(summary.elapsed, at);
    }
    summary
}

fn count_fetch(metrics: &crate::metrics::DaemonMetrics, result: &FeedResult, took: Duration) {
    let outcome = match result {
        FeedResult::Fetched(report) => {
            let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            metrics.stored(count(report.new), count(report.updated));
            "ok"
        }
        FeedResult::NotModified => "not_modified",
        FeedResult::Failed => "error",
        FeedResult::Skipped => return,
    };
    metrics.fetched(outcome, took);
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
    Stores {
        store,
        lookup,
        unsaved,
    }: Stores,
    pipeline: Arc<Pipeline>,
    slots: Slots,
    limits: Limits,
) -> FeedResult {
    let request = fetch_request(&plan);
    let mut outcome = fetcher.fetch(&request).await;
    let feed_url = plan.feed.url.clone();
    let feed_name = feed_name(&plan).to_owned();
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
            Ok::<_, crate::store::StoreError>(store_or_back_off(
                &mut store, &unsaved, &pipeline, &plan, &outcome, prepared, limits,
            ))
        })
        .await
    }
    .await;
    match stored {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => {
            tracing::error!(feed = %feed_name, url = %feed_url, error = %err, "could not read the store to prepare the feed's items; the next cycle retries");
            FeedResult::Failed
        }
        Err(err) => {
            tracing::error!(feed = %feed_name, url = %feed_url, error = %err, "the store task failed");
            FeedResult::Failed
        }
    }
}

/// Stores the fetch; when the store refuses (a full disk, a read-only or long-busy database),
/// the refusal is the feed's failure: it backs off like any other, and its state (with the
/// error) is written alone, or kept in `unsaved` when even that cannot be written.
fn store_or_back_off(
    store: &mut Store,
    unsaved: &Unsaved,
    pipeline: &Pipeline,
    plan: &Plan,
    outcome: &FetchOutcome,
    prepared: Option<Result<PreparedDocument, crate::feed::FeedError>>,
    limits: Limits,
) -> FeedResult {
    let err = match store_outcome(store, pipeline, plan, outcome, prepared, limits) {
        Ok(result) => {
            // Under the writer's lock, so a flush cannot write the older state after this.
            unsaved.forget(&plan.feed.url);
            return result;
        }
        Err(err) => err,
    };
    // The transaction rolled back; the story clusterer must not keep its items.
    pipeline.forget_unsaved();
    let now = Utc::now();
    let error = match &outcome.result {
        Err(fetch) => format!("{fetch}; and cannot write to the store: {err}"),
        Ok(_) => format!("cannot store this fetch: {err}"),
    };
    let items_per_day = store.items_per_day(plan.state.id, now).unwrap_or(0.0);
    let state = next_state(
        plan,
        outcome,
        Some(&error),
        now,
        None,
        items_per_day,
        limits,
    );
    let recorded = match store.save_feed_state(&state) {
        Ok(()) => {
            unsaved.forget(&plan.feed.url);
            true
        }
        Err(_) => {
            unsaved.keep(state.clone());
            false
        }
    };
    tracing::warn!(
        feed = feed_name(plan),
        url = %plan.feed.url,
        status = outcome.status.unwrap_or(0),
        error,
        recorded,
        next = state.next_fetch_at.as_deref().unwrap_or("-"),
        "fetch failed"
    );
    FeedResult::Failed
}

/// What log lines call a feed: its configured name, else its URL.
fn feed_name(plan: &Plan) -> &str {
    plan.feed.name.as_deref().unwrap_or(&plan.feed.url)
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
    log_fetch(plan, outcome, &report, error.as_deref(), &state);
    Ok(match (error, outcome.is_not_modified()) {
        (Some(_), _) => FeedResult::Failed,
        (None, true) => FeedResult::NotModified,
        (None, false) => FeedResult::Fetched(report),
    })
}

/// The feed's state after this fetch: validators, health and the next fetch time.
fn next_state(
    plan: &Plan,
    outcome: &FetchOutcome,
    error: Option<&str>,
    now: DateTime<Utc>,
    ttl: Option<Duration>,
    items_per_day: f64,
    limits: Limits,
) -> FeedState {
    let mut state = plan.state.clone();
    state.last_fetch_at = Some(crate::time::format(now));
    state.last_status = outcome.status.map(i64::from);
    if outcome.etag.is_some() || outcome.last_modified.is_some() {
        state.etag = outcome.etag.clone();
        state.last_modified = outcome.last_modified.clone();
    }
    if let Some(moved) = &outcome.permanent_redirect
        && state.fetch_url.as_deref() != Some(moved.as_str())
    {
        tracing::info!(feed = feed_name(plan), url = %plan.feed.url, to = %moved, "feed moved permanently; fetching the new URL from now on");
        state.fetch_url = Some(moved.clone());
    }
    match error {
        None => {
            state.error_count = 0;
            state.last_error = None;
            state.last_success_at = state.last_fetch_at.clone();
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
        ever_succeeded: state.last_success_at.is_some(),
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

/// The one line an operator sees per fetch: the feed by its configured name (the URL as a
/// field), what happened, and when it is fetched next.
fn log_fetch(
    plan: &Plan,
    outcome: &FetchOutcome,
    report: &IngestReport,
    error: Option<&str>,
    state: &FeedState,
) {
    let (feed, url) = (feed_name(plan), plan.feed.url.as_str());
    let status = outcome.status.unwrap_or(0);
    let ms = u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX);
    let next = state.next_fetch_at.as_deref().unwrap_or("-");
    match error {
        None => tracing::info!(
            feed,
            url,
            status,
            bytes = outcome.bytes,
            new = report.new,
            updated = report.updated,
            ms,
            next,
            "fetched"
        ),
        Some(error) => tracing::warn!(
            feed,
            url,
            status,
            bytes = outcome.bytes,
            ms,
            error,
            next,
            "fetch failed"
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

    /// A document of `n` items with long bodies, as fetched and prepared.
    fn big_document(
        pipeline: &Pipeline,
        n: usize,
    ) -> (
        FetchOutcome,
        Result<PreparedDocument, crate::feed::FeedError>,
    ) {
        let mut xml = String::from("<rss version=\"2.0\"><channel><title>ت</title>");
        let body = "نص طويل ".repeat(5_000);
        for i in 0..n {
            xml.push_str(&format!(
                "<item><title>خبر {i}</title><link>https://x.example/{i}</link><description>{body} {i}</description></item>"
            ));
        }
        xml.push_str("</channel></rss>");
        let parsed = crate::feed::parse(xml.as_bytes(), None).unwrap();
        let prepared = pipeline.prepare(&parsed, "https://outlet.example/feed", Utc::now());
        let outcome = FetchOutcome {
            result: Ok(crate::fetch::Fetched::Body(crate::fetch::FetchedBody {
                body: xml.into_bytes(),
                charset: None,
                content_type: None,
            })),
            status: Some(200),
            etag: None,
            last_modified: None,
            permanent_redirect: None,
            final_url: "https://outlet.example/feed".into(),
            retry_after: None,
            cache_until: None,
            bytes: 0,
            elapsed: Duration::ZERO,
        };
        (outcome, Ok(prepared))
    }

    fn ahead(state: &FeedState) -> i64 {
        let next = crate::time::parse(state.next_fetch_at.as_deref().unwrap()).unwrap();
        (next - Utc::now()).num_seconds()
    }

    /// Issue 15, point 13: on a full disk the failed write left the feed due, so it was
    /// refetched about once a minute with no backoff, and `feeds` never showed why.
    #[test]
    fn a_store_that_refuses_writes_backs_the_feed_off_and_records_the_error_once_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("full.db")).unwrap();
        let pipeline = Pipeline::new(crate::tagger::Tagger::new(
            crate::tagger::Taxonomy::builtin(),
        ));
        let unsaved = Unsaved::default();
        let config = Config::parse(
            "[[feeds]]\nurl = \"https://outlet.example/feed\"\nname = \"Outlet\"\n",
            std::path::Path::new("mirsad.toml"),
        )
        .unwrap();
        let limits = limits(&config);
        let mut feed = plan(None);
        feed.feed = config.feeds[0].clone();
        feed.state = store.ensure_feed_state(&feed.feed.url, None).unwrap();
        let pages: i64 = store
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        store.limit_pages_for_testing(pages).unwrap();

        // Full: the items cannot go in; the feed's state alone (one row rewritten) can.
        let (outcome, prepared) = big_document(&pipeline, 40);
        let result = store_or_back_off(
            &mut store,
            &unsaved,
            &pipeline,
            &feed,
            &outcome,
            Some(prepared),
            limits,
        );
        assert!(matches!(result, FeedResult::Failed));
        let stored = store.feed_state(&feed.feed.url).unwrap().unwrap();
        assert_eq!(stored.error_count, 1);
        let error = stored.last_error.clone().unwrap();
        assert!(
            error.contains("cannot store this fetch") && error.contains("full"),
            "{error}"
        );
        // A feed that never worked retries in a minute (± 10 %), not at once.
        assert!((50..=70).contains(&ahead(&stored)), "{stored:?}");
        assert!(unsaved.is_empty());
        let in_a_while = Utc::now() + chrono::Duration::seconds(30);
        let due = due_plans(&mut store, &unsaved, &config, in_a_while, false);
        assert!(due.unwrap().is_empty(), "the feed backs off");

        // Not even the state can be written: it is kept in memory and still backs off.
        feed.state = stored;
        store.conn().execute_batch("PRAGMA query_only = 1").unwrap();
        let (outcome, prepared) = big_document(&pipeline, 40);
        store_or_back_off(
            &mut store,
            &unsaved,
            &pipeline,
            &feed,
            &outcome,
            Some(prepared),
            limits,
        );
        let kept = unsaved.get(&feed.feed.url).expect("kept in memory");
        assert_eq!(kept.error_count, 2);
        assert!((100..=140).contains(&ahead(&kept)), "{kept:?}");
        let in_a_while = Utc::now() + chrono::Duration::seconds(90);
        let due = due_plans(&mut store, &unsaved, &config, in_a_while, false);
        assert!(due.unwrap().is_empty(), "the kept state backs the feed off");
        assert_eq!(unsaved.flush(&mut store), 0);

        // Writable again: the kept state is recorded, for `mirsad feeds` to show.
        store.conn().execute_batch("PRAGMA query_only = 0").unwrap();
        assert_eq!(unsaved.flush(&mut store), 1);
        assert!(unsaved.is_empty());
        let stored = store.feed_state(&feed.feed.url).unwrap().unwrap();
        assert_eq!(stored.error_count, 2);
        assert!(
            stored
                .last_error
                .unwrap()
                .contains("cannot store this fetch")
        );
        let row = &store.feeds().unwrap()[0];
        assert_eq!(row.status, crate::store::FeedStatus::Error);
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
