//! What the daemon counts for `/metrics`: fetches by outcome and how long they took, items new
//! and updated, tags given, cycle durations and the last cycle that fetched something.
//!
//! The daemon records into a [`DaemonMetrics`]; under `mirsad run` the web server in the same
//! process registers the same counters beside its own, so a scrape reads them live. Every
//! metric is a cheap atomic, so recording never waits on a scrape.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Fetch durations: from a loopback answer to the 30 s timeout.
const FETCH_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Cycle durations: from a warm cycle of 304s to a cold one of thousands of feeds.
const CYCLE_BUCKETS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The daemon's counters; clones share them.
#[derive(Clone, Debug)]
pub struct DaemonMetrics {
    fetches: Family<Labels, Counter>,
    fetch_seconds: Histogram,
    items: Family<Labels, Counter>,
    tags: Family<Labels, Counter>,
    cycle_seconds: Histogram,
    last_cycle: Gauge<f64, AtomicU64>,
}

impl Default for DaemonMetrics {
    fn default() -> DaemonMetrics {
        DaemonMetrics {
            fetches: Family::default(),
            fetch_seconds: Histogram::new(FETCH_BUCKETS),
            items: Family::default(),
            tags: Family::default(),
            cycle_seconds: Histogram::new(CYCLE_BUCKETS),
            last_cycle: Gauge::default(),
        }
    }
}

impl DaemonMetrics {
    pub fn new() -> DaemonMetrics {
        DaemonMetrics::default()
    }

    /// One fetch of one feed ended: `outcome` is `ok`, `not_modified` or `error`.
    pub fn fetched(&self, outcome: &'static str, took: Duration) {
        self.fetches
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
        self.fetch_seconds.observe(took.as_secs_f64());
    }

    /// Items a document added and changed.
    pub fn stored(&self, new: u64, updated: u64) {
        for (change, count) in [("new", new), ("updated", updated)] {
            if count > 0 {
                self.items
                    .get_or_create(&vec![("change", change.to_owned())])
                    .inc_by(count);
            }
        }
    }

    /// One tag given to one item (`ai-infra`, `ai-infra/chips`, …).
    pub fn tagged(&self, tag: &str) {
        self.tags
            .get_or_create(&vec![("tag", tag.to_owned())])
            .inc();
    }

    /// A cycle ended after `took`, at Unix time `at`.
    pub fn cycle_done(&self, took: Duration, at: i64) {
        self.cycle_seconds.observe(took.as_secs_f64());
        self.last_cycle.set(at as f64);
    }

    /// Adds these counters to a registry (the web server's), under its prefix.
    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register(
            "fetches",
            "Feed fetches, by outcome (ok, not_modified, error)",
            self.fetches.clone(),
        );
        registry.register(
            "fetch_duration_seconds",
            "How long each feed took, from the request to its stored result",
            self.fetch_seconds.clone(),
        );
        registry.register(
            "items_stored",
            "Items stored, by change (new, updated)",
            self.items.clone(),
        );
        registry.register(
            "tags_given",
            "Tags given to new and changed items, by tag",
            self.tags.clone(),
        );
        registry.register(
            "cycle_duration_seconds",
            "How long each daemon cycle took",
            self.cycle_seconds.clone(),
        );
        registry.register(
            "last_cycle_timestamp_seconds",
            "When the last daemon cycle ended (Unix time; 0 before the first)",
            self.last_cycle.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn recorded_figures_appear_in_the_registry() {
        let metrics = DaemonMetrics::new();
        let mut registry = Registry::with_prefix("mirsad");
        metrics.register(&mut registry);
        metrics.fetched("ok", Duration::from_millis(30));
        metrics.fetched("error", Duration::from_secs(3));
        metrics.stored(5, 2);
        metrics.tagged("ai-infra/chips");
        metrics.cycle_done(Duration::from_millis(800), 1_700_000_000);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for line in [
            "mirsad_fetches_total{outcome=\"ok\"} 1",
            "mirsad_fetches_total{outcome=\"error\"} 1",
            "mirsad_fetch_duration_seconds_count 2",
            "mirsad_items_stored_total{change=\"new\"} 5",
            "mirsad_items_stored_total{change=\"updated\"} 2",
            "mirsad_tags_given_total{tag=\"ai-infra/chips\"} 1",
            "mirsad_cycle_duration_seconds_count 1",
            "mirsad_last_cycle_timestamp_seconds 1700000000",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }
}
