//! The daemon: polls the configured feeds forever (or one cycle with `--once`), under systemd
//! or on a terminal.
//!
//! Each feed's `next_fetch_at` lives in the store, so a restart resumes the schedule instead of
//! fetching everything at once. SIGTERM/SIGINT stop new fetches and let in-flight ones finish
//! (bounded); SIGHUP reloads the config, keeping the old one if the new one is broken.

mod checkpoint;
pub mod cycle;
pub mod schedule;
mod unsaved;

use crate::metrics::DaemonMetrics;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use sd_notify::NotifyState;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::fetch::{FetchOptions, Fetcher};
use crate::pipeline::Pipeline;
use crate::retag;
use crate::store::Store;
use cycle::{CycleSummary, Shared};

/// How long in-flight fetches may run on after a stop signal.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// The longest the daemon sleeps between looks at the schedule.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// What `mirsad run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub once: bool,
    pub all: bool,
    pub progress: bool,
    /// Where fetches and cycles are counted (the web server's `/metrics` reads them).
    pub metrics: DaemonMetrics,
}

/// The fetcher settings from `[fetch]`.
pub fn fetch_options(config: &Config) -> FetchOptions {
    FetchOptions {
        user_agent: config
            .fetch
            .user_agent
            .clone()
            .unwrap_or_else(FetchOptions::default_user_agent),
        timeout: config.fetch.timeout,
        connect_timeout: config.fetch.connect_timeout,
        max_body: config.fetch.max_body,
        max_redirects: 5,
        allow_private_redirects: config.fetch.allow_private_redirects,
    }
}

/// Another connection to the store for reads beside the writer (the cycle's lookups, the live
/// exports, the watchdog's health check), so none of them waits for a write and no write waits
/// for them. `None` when there cannot be one (they then share the writer's connection).
fn own_connection(store: &Store, purpose: &str) -> Option<Store> {
    store
        .another_connection()?
        .inspect_err(|err| {
            tracing::warn!(error = %err, purpose, "cannot open another connection to the store; sharing the writer's")
        })
        .ok()
}

/// Runs the daemon until stopped (or one cycle with `once`); returns the last cycle's summary.
pub async fn run(
    config_path: PathBuf,
    mut config: Config,
    store: Store,
    pipeline: Pipeline,
    options: RunOptions,
) -> anyhow::Result<CycleSummary> {
    let fetcher = Fetcher::new(fetch_options(&config)).context("cannot set up the HTTP client")?;
    let lookup = own_connection(&store, "lookups");
    let exports_store = own_connection(&store, "live exports");
    let health_store = own_connection(&store, "the watchdog's health check");
    let checkpointer = checkpoint::spawn(&store);
    let store = Arc::new(Mutex::new(store));
    let own_or_writer =
        |own: Option<Store>| own.map_or_else(|| store.clone(), |s| Arc::new(Mutex::new(s)));
    let exporter = Exporter::spawn(own_or_writer(exports_store));
    let health_store = own_or_writer(health_store);
    let mut shared = Shared {
        lookup: lookup.map_or_else(|| store.clone(), |l| Arc::new(Mutex::new(l))),
        store,
        pipeline: Arc::new(pipeline),
        fetcher: Arc::new(fetcher),
        unsaved: unsaved::Unsaved::default(),
        gates: cycle::Gates::new(&config),
        metrics: options.metrics.clone(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut signals = Signals::new()?;
    notify(&[NotifyState::Ready, NotifyState::Status("started")]);
    let watchdog = spawn_watchdog(health_store);
    if !options.once {
        spawn_retag_if_stale(&shared);
        // Files under /run do not survive a restart: write them now, beside the first cycle.
        exporter.request(&config);
    }

    let last = if options.once {
        run_once(
            &shared,
            &config,
            options.clone(),
            &stop_tx,
            &mut signals,
            &exporter,
        )
        .await?
    } else {
        let mut rounds = Rounds::new();
        loop {
            let plans = due_now(&shared, &config, &rounds.in_flight);
            rounds.start(&shared, &config, plans, &stop_rx);
            let sleep = time_to_next_fetch(&shared, &config, &rounds.in_flight);
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                Some(url) = rounds.done_rx.recv() => {
                    rounds.in_flight.remove(&url);
                }
                Some(done) = rounds.set.join_next(), if !rounds.set.is_empty() => {
                    if let Some(summary) = rounds.finished(done) {
                        report_round(&summary, &exporter, &config);
                    }
                }
                event = signals.next() => match event {
                    SignalEvent::Stop => {
                        stop_gracefully(&stop_tx);
                        rounds.drain(&exporter, &config).await;
                        break;
                    }
                    // Applied at once: rounds in flight finish under the config they started
                    // with; the next look at the schedule uses the new one.
                    SignalEvent::Reload => {
                        let (new, fetcher) = reload(&config_path, config, &shared.fetcher);
                        config = new;
                        if let Some(fetcher) = fetcher {
                            shared.fetcher = Arc::new(fetcher);
                        }
                        if !shared.gates.fit(&config) {
                            shared.gates = cycle::Gates::new(&config);
                        }
                    }
                },
            }
        }
        rounds.last
    };
    // `--once` waits for its exports; a stop abandons them (the old files stay).
    exporter.finish(options.once && !*stop_rx.borrow()).await;
    watchdog.abort();
    if let Some(checkpointer) = checkpointer {
        checkpointer.abort();
    }
    notify(&[NotifyState::Stopping]);
    Ok(last)
}

/// `--once`: one round of the due feeds (every enabled feed with `--all`), then its exports.
async fn run_once(
    shared: &Shared,
    config: &Config,
    options: RunOptions,
    stop_tx: &watch::Sender<bool>,
    signals: &mut Signals,
    exporter: &Exporter,
) -> anyhow::Result<CycleSummary> {
    let plans = {
        let mut store = lock(&shared.store);
        cycle::due_plans(&mut store, &shared.unsaved, config, Utc::now(), options.all)?
    };
    let progress = options.progress.then(|| progress_bar(plans.len()));
    let stop = stop_tx.subscribe();
    let run = cycle::run_cycle(shared, config, plans, stop, progress.clone(), None);
    tokio::pin!(run);
    let summary = tokio::select! {
        summary = &mut run => summary,
        () = signals.stop() => {
            stop_gracefully(stop_tx);
            match tokio::time::timeout(STOP_GRACE, &mut run).await {
                Ok(summary) => summary,
                Err(_) => {
                    tracing::warn!("in-flight fetches did not finish within {STOP_GRACE:?}; stopping anyway (their feeds are retried next run)");
                    CycleSummary::default()
                }
            }
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    report_round(&summary, exporter, config);
    Ok(summary)
}

/// The feeds due now that are not being fetched already. A store that cannot be read must not
/// end the daemon: the feeds stay due and the next look (at most a minute away) tries again.
fn due_now(shared: &Shared, config: &Config, in_flight: &HashSet<String>) -> Vec<cycle::Plan> {
    let mut store = lock(&shared.store);
    if !shared.unsaved.is_empty() {
        shared.unsaved.flush(&mut store);
    }
    match cycle::due_plans(&mut store, &shared.unsaved, config, Utc::now(), false) {
        Ok(mut plans) => {
            plans.retain(|plan| !in_flight.contains(&plan.feed.url));
            plans
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the schedule from the store; retrying shortly");
            Vec::new()
        }
    }
}

/// The rounds in flight: each fetches the feeds that were due at one look at the schedule, so
/// a slow feed holds up only itself, and signals are handled while rounds run.
struct Rounds {
    set: tokio::task::JoinSet<CycleSummary>,
    /// Feeds being fetched, which later looks must not start again; each leaves as soon as its
    /// own fetch is written (through `done_rx`), not when its round ends.
    in_flight: HashSet<String>,
    done_tx: mpsc::UnboundedSender<String>,
    done_rx: mpsc::UnboundedReceiver<String>,
    last: CycleSummary,
}

impl Rounds {
    fn new() -> Rounds {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Rounds {
            set: tokio::task::JoinSet::new(),
            in_flight: HashSet::new(),
            done_tx,
            done_rx,
            last: CycleSummary::default(),
        }
    }

    fn start(
        &mut self,
        shared: &Shared,
        config: &Config,
        plans: Vec<cycle::Plan>,
        stop: &watch::Receiver<bool>,
    ) {
        if plans.is_empty() || *stop.borrow() {
            return;
        }
        self.in_flight
            .extend(plans.iter().map(|plan| plan.feed.url.clone()));
        let (shared, config, stop) = (shared.clone(), config.clone(), stop.clone());
        let done = self.done_tx.clone();
        self.set.spawn(async move {
            cycle::run_cycle(&shared, &config, plans, stop, None, Some(done)).await
        });
    }

    /// Takes a finished round off the books; its summary, unless it failed unexpectedly.
    fn finished(
        &mut self,
        done: Result<CycleSummary, tokio::task::JoinError>,
    ) -> Option<CycleSummary> {
        match done {
            Ok(summary) => {
                self.last = summary.clone();
                Some(summary)
            }
            Err(err) => {
                tracing::error!(error = %err, "a fetch round failed unexpectedly");
                // Which feeds it held is lost with it: free them all once none is running.
                if self.set.is_empty() {
                    self.in_flight.clear();
                }
                None
            }
        }
    }

    /// After a stop: lets the rounds in flight finish, for at most [`STOP_GRACE`].
    async fn drain(&mut self, exporter: &Exporter, config: &Config) {
        let drain = async {
            while let Some(done) = self.set.join_next().await {
                if let Some(summary) = self.finished(done) {
                    report_round(&summary, exporter, config);
                }
            }
        };
        if tokio::time::timeout(STOP_GRACE, drain).await.is_err() {
            tracing::warn!(
                "in-flight fetches did not finish within {STOP_GRACE:?}; stopping anyway (their feeds are retried next run)"
            );
            self.set.abort_all();
        }
    }
}

/// A round's summary line (log and unit status), and fresh live exports when it changed
/// something.
fn report_round(summary: &CycleSummary, exporter: &Exporter, config: &Config) {
    tracing::info!("cycle: {}", summary.line());
    notify(&[NotifyState::Status(&summary.line())]);
    if summary.changed_anything() {
        exporter.request(config);
    }
}

fn stop_gracefully(stop_tx: &watch::Sender<bool>) {
    tracing::info!("stopping: no new fetches; letting in-flight ones finish");
    notify(&[NotifyState::Stopping]);
    stop_tx.send_replace(true);
}

/// Rewrites the `[[exports]]` files in the background, on a connection of its own, so neither
/// the writer nor the watchdog ever waits for an export. Requests made while a rewrite runs are
/// merged into one more rewrite; a stop abandons the file being written (its old version stays).
struct Exporter {
    requests: watch::Sender<Option<Config>>,
    cancel: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Exporter {
    fn spawn(store: Arc<Mutex<Store>>) -> Exporter {
        let (requests, mut pending) = watch::channel::<Option<Config>>(None);
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            while pending.changed().await.is_ok() {
                let Some(config) = pending.borrow_and_update().clone() else {
                    continue;
                };
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let (store, stop) = (store.clone(), stop.clone());
                let written = tokio::task::spawn_blocking(move || {
                    crate::export::write_live_exports_until(&lock(&store), &config, &stop)
                })
                .await;
                match written {
                    Ok(results) => {
                        let failed = results.iter().filter(|(_, r)| r.is_err()).count();
                        tracing::debug!(
                            files = results.len(),
                            failed,
                            "rewrote the live export files"
                        );
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "writing the live export files failed")
                    }
                }
            }
        });
        Exporter {
            requests,
            cancel,
            task,
        }
    }

    /// Asks for the files of `config` to be rewritten.
    fn request(&self, config: &Config) {
        if !config.exports.is_empty() {
            self.requests.send_replace(Some(config.clone()));
        }
    }

    /// Lets a pending rewrite finish (`wait`), or abandons it; bounded either way.
    async fn finish(self, wait: bool) {
        if !wait {
            self.cancel.store(true, Ordering::Relaxed);
        }
        drop(self.requests);
        let limit = if wait {
            Duration::from_secs(600)
        } else {
            STOP_GRACE
        };
        if tokio::time::timeout(limit, self.task).await.is_err() {
            tracing::warn!("the live exports did not finish within {limit:?}; leaving them");
        }
    }
}

/// Reads the config again. A broken config, or `[fetch]` settings the HTTP client cannot be
/// built from, is reported (log and unit status) and the old config kept whole. Changed `[fetch]`
/// settings rebuild the fetcher, so a reload never leaves the old ones (the private-network guard
/// among them) silently in force; settings read only at start are named as needing a restart.
fn reload(path: &std::path::Path, old: Config, fetcher: &Fetcher) -> (Config, Option<Fetcher>) {
    notify(&[NotifyState::Reloading]);
    let refuse = |what: String, old: Config| {
        tracing::error!("{what}; keeping the old config");
        notify(&[
            NotifyState::Ready,
            NotifyState::Status(&format!(
                "reload failed: {what}; running with the old config"
            )),
        ]);
        (old, None)
    };
    let new = match Config::load(path) {
        Ok(new) => new,
        Err(err) => return refuse(format!("the new config is invalid: {err}"), old),
    };
    let new_fetcher = match rebuilt_fetcher(&new, fetcher) {
        Ok(rebuilt) => rebuilt,
        Err(err) => return refuse(format!("cannot apply the new [fetch] settings: {err}"), old),
    };
    let added = new
        .feeds
        .iter()
        .filter(|f| !old.feeds.iter().any(|o| o.url == f.url))
        .count();
    let removed = old
        .feeds
        .iter()
        .filter(|o| !new.feeds.iter().any(|f| f.url == o.url))
        .count();
    let restart = needs_restart(&old, &new);
    tracing::info!(
        feeds = new.feeds.len(),
        added,
        removed,
        fetcher_rebuilt = new_fetcher.is_some(),
        "reloaded the config"
    );
    let status = if restart.is_empty() {
        format!("reloaded: {} feeds", new.feeds.len())
    } else {
        let keys = restart.join(", ");
        tracing::warn!(
            keys,
            "these settings changed but take effect only after a restart"
        );
        format!(
            "reloaded: {} feeds; restart to apply {keys}",
            new.feeds.len()
        )
    };
    notify(&[NotifyState::Ready, NotifyState::Status(&status)]);
    (new, new_fetcher)
}

/// A fetcher for `config`'s `[fetch]` settings when they differ from `current`'s; `None` when
/// they are the same.
fn rebuilt_fetcher(
    config: &Config,
    current: &Fetcher,
) -> Result<Option<Fetcher>, crate::fetch::FetchError> {
    let options = fetch_options(config);
    if &options == current.options() {
        return Ok(None);
    }
    Fetcher::new(options).map(Some)
}

/// The settings read only when the daemon starts that differ between `old` and `new`.
fn needs_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    [
        ("database", old.database != new.database),
        ("taxonomy", old.taxonomy != new.taxonomy),
        ("[stories]", old.stories != new.stories),
    ]
    .into_iter()
    .filter_map(|(key, changed)| changed.then_some(key))
    .collect()
}

/// Until the earliest next fetch among the configured feeds not being fetched, between 1 s
/// and a minute. Read on the lookup connection, so a write in progress does not delay it.
fn time_to_next_fetch(shared: &Shared, config: &Config, in_flight: &HashSet<String>) -> Duration {
    let store = lock(&shared.lookup);
    let now = Utc::now();
    let earliest = config
        .feeds
        .iter()
        .filter(|f| f.enabled && !in_flight.contains(&f.url))
        .filter_map(|f| {
            shared
                .unsaved
                .get(&f.url)
                .or_else(|| store.feed_state(&f.url).ok().flatten())
        })
        .filter(|s| !s.disabled)
        .filter_map(|s| s.next_fetch_at.as_deref().and_then(crate::time::parse))
        .min();
    earliest
        .and_then(|at| (at - now).to_std().ok())
        // Nothing scheduled: every feed is in flight (a finished round wakes the loop), or the
        // schedule could not be read (look again soon).
        .unwrap_or(if in_flight.is_empty() {
            Duration::from_secs(1)
        } else {
            MAX_SLEEP
        })
        .clamp(Duration::from_secs(1), MAX_SLEEP)
}

fn lock(store: &Arc<Mutex<Store>>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} feeds  {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// `sd_notify`; a no-op when not under systemd.
fn notify(states: &[NotifyState<'_>]) {
    if let Err(err) = sd_notify::notify(states) {
        tracing::debug!(error = %err, "sd_notify failed");
    }
}

/// Pings the systemd watchdog while the store answers (on a connection of its own, so a long
/// write or export never delays a ping); a stuck store stops the pings, and systemd restarts
/// the service.
fn spawn_watchdog(store: Arc<Mutex<Store>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(period) = sd_notify::watchdog_enabled() else {
            return;
        };
        let mut ticker = tokio::time::interval(period / 2);
        loop {
            ticker.tick().await;
            let store = store.clone();
            let healthy = tokio::task::spawn_blocking(move || lock(&store).health_check())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(false);
            if healthy {
                notify(&[NotifyState::Watchdog]);
            } else {
                tracing::error!("store health check failed; withholding the watchdog ping");
            }
        }
    })
}

/// When the taxonomy changed since the stored tags were made, retag in the background, one
/// batch per lock so fetches keep flowing.
fn spawn_retag_if_stale(shared: &Shared) {
    let store = shared.store.clone();
    let pipeline = shared.pipeline.clone();
    tokio::task::spawn_blocking(move || {
        let stale = retag::is_stale(&lock(&store), pipeline.tagger());
        match stale {
            Ok(false) => {}
            Ok(true) => {
                tracing::info!("the taxonomy changed; retagging stored items in the background");
                let result = retag::retag_all(|| lock(&store), pipeline.tagger(), false, |_| {});
                match result {
                    Ok(summary) => {
                        tracing::info!(items = summary.items, "background retag finished")
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "background retag failed; run `mirsad retag`")
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not check whether tags are stale"),
        }
    });
}

/// The signals the daemon reacts to.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot watch SIGINT")?,
            hup: signal(SignalKind::hangup()).context("cannot watch SIGHUP")?,
        })
    }

    async fn stop(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    /// The next stop or reload signal.
    async fn next(&mut self) -> SignalEvent {
        tokio::select! {
            _ = self.term.recv() => SignalEvent::Stop,
            _ = self.int.recv() => SignalEvent::Stop,
            _ = self.hup.recv() => SignalEvent::Reload,
        }
    }
}

enum SignalEvent {
    Stop,
    Reload,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(fetch: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirsad.toml");
        std::fs::write(
            &path,
            format!("[fetch]\n{fetch}\n[[feeds]]\nurl = \"https://a.example/feed\"\n"),
        )
        .unwrap();
        Config::load(&path).unwrap()
    }

    /// Issue 15, point 8: SIGHUP kept the old `[fetch]`, the guard switch among it.
    #[test]
    fn a_reload_rebuilds_the_fetcher_when_fetch_settings_change_and_the_guard_comes_back() {
        let open = config("allow_private_redirects = true\nuser_agent = \"one/1\"");
        let fetcher = Fetcher::new(fetch_options(&open)).unwrap();
        assert!(rebuilt_fetcher(&open, &fetcher).unwrap().is_none());
        let guarded = config("user_agent = \"two/2\"\nmax_body = 2048");
        let rebuilt = rebuilt_fetcher(&guarded, &fetcher)
            .unwrap()
            .expect("rebuilt");
        assert!(!rebuilt.options().allow_private_redirects);
        assert_eq!(rebuilt.options().user_agent, "two/2");
        assert_eq!(rebuilt.options().max_body, 2048);
        // Settings the client cannot be built from refuse the reload instead of being ignored.
        let broken = config("user_agent = \"bad\\u0007agent\"");
        assert!(rebuilt_fetcher(&broken, &fetcher).is_err());
    }

    #[test]
    fn settings_read_only_at_start_are_named() {
        let old = config("");
        let mut new = old.clone();
        assert!(needs_restart(&old, &new).is_empty());
        new.stories.enabled = !new.stories.enabled;
        new.taxonomy = Some("other.toml".into());
        assert_eq!(needs_restart(&old, &new), ["taxonomy", "[stories]"]);
    }
}
