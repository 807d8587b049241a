//! Stories do not depend on how items arrive. The labelled dev set, stored in random batches, in
//! random orders, across random process boundaries (a new `Store` open and a new clusterer that
//! loads its window from the store), settles into exactly the stories `restory` makes of the
//! same items; and with the default settled horizon, how far it strays when items arrive more
//! than two windows late is measured.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use mirsad::store::{ItemRecord, Store};
use mirsad::stories::{SettleSummary, Stories, StoriesParams, restory};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::Deserialize;

/// When the items are written: after every item's date, so report times are the feed dates.
const NOW: &str = "2026-12-05T00:00:00Z";

#[derive(Debug, Deserialize)]
struct Labelled {
    id: String,
    outlet: String,
    title: String,
    summary: String,
    published: String,
}

fn dev_set() -> Vec<Labelled> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stories_dev.jsonl"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn identity(item: &Labelled) -> String {
    format!("url:https://{}.example/{}", item.outlet, item.id)
}

/// Writes items as the pipeline does: with no story, for settling to place.
fn write(store: &mut Store, items: &[&Labelled]) {
    let w = store.writer().unwrap();
    for item in items {
        let feed_url = format!("https://{}.example/feed", item.outlet);
        let feed = w.ensure_feed(&feed_url, Some(&item.outlet)).unwrap();
        let record = ItemRecord {
            identity: identity(item),
            identity_kind: "link".into(),
            url: Some(format!("https://{}.example/{}", item.outlet, item.id)),
            title: item.title.clone(),
            summary: item.summary.clone(),
            published_at: item.published.clone(),
            direction: "rtl".into(),
            content_hash: item.id.clone(),
            categories: "[]".into(),
            enclosures: "[]".into(),
            ..ItemRecord::default()
        };
        w.upsert_item(&record, feed, NOW).unwrap();
    }
    w.commit().unwrap();
}

fn settle(stories: &Stories, store: &mut Store) -> SettleSummary {
    let cell = RefCell::new(store);
    stories
        .settle(|| std::cell::RefMut::map(cell.borrow_mut(), |s| &mut **s))
        .unwrap()
}

/// The stories of a store as sets of item identities (ids aside), and items with none.
fn partition(db: &Path) -> (BTreeSet<BTreeSet<String>>, usize) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT identity, story_id FROM items")
        .unwrap();
    let mut stories: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    let mut without = 0;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .unwrap();
    for row in rows {
        match row.unwrap() {
            (identity, Some(story)) => {
                stories.entry(story).or_default().insert(identity);
            }
            (_, None) => without += 1,
        }
    }
    (stories.into_values().collect(), without)
}

/// What `restory` makes of the whole dev set.
fn restoried() -> BTreeSet<BTreeSet<String>> {
    let items = dev_set();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reference.db");
    let mut store = Store::open(&db).unwrap();
    write(&mut store, &items.iter().collect::<Vec<_>>());
    restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
    drop(store);
    partition(&db).0
}

/// One way the dev set can arrive: in `order`, cut into batches where `cut` says, each batch
/// written and settled, with a new process (store and clusterer) where `restart` says.
#[derive(Debug, Clone)]
struct Arrival {
    order: Vec<usize>,
    cut: Vec<bool>,
    restart: Vec<bool>,
}

fn arrival(len: usize) -> impl Strategy<Value = Arrival> {
    (
        Just((0..len).collect::<Vec<_>>()).prop_shuffle(),
        proptest::collection::vec(proptest::bool::weighted(0.08), len),
        proptest::collection::vec(proptest::bool::weighted(0.3), len),
    )
        .prop_map(|(order, cut, restart)| Arrival {
            order,
            cut,
            restart,
        })
}

/// Stores the dev set as `arrival` says; returns the store's path and the settlings' summaries.
fn arrive(
    dir: &Path,
    items: &[Labelled],
    arrival: &Arrival,
    stories: impl Fn() -> Stories,
) -> (std::path::PathBuf, Vec<SettleSummary>) {
    let db = dir.join("mirsad.db");
    let mut store = Store::open(&db).unwrap();
    let mut clusterer = stories();
    let mut batch: Vec<&Labelled> = Vec::new();
    let mut summaries = Vec::new();
    let mut batches = 0;
    for (n, &i) in arrival.order.iter().enumerate() {
        batch.push(&items[i]);
        if arrival.cut[n] || n + 1 == arrival.order.len() {
            if arrival.restart[batches] {
                drop(store);
                store = Store::open(&db).unwrap();
                clusterer = stories();
            }
            write(&mut store, &batch);
            summaries.push(settle(&clusterer, &mut store));
            batch.clear();
            batches += 1;
        }
    }
    (db, summaries)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        // Failures are reported with their shrunk arrival; tests/ has no lib.rs to keep them beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// With no settled horizon, settling re-places every stored item after the earliest new
    /// one, so any arrival gives restory's stories exactly.
    #[test]
    fn any_arrival_settles_into_restory_s_stories(arrival in arrival(150)) {
        let items = dev_set();
        prop_assume!(items.len() == arrival.order.len());
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = arrive(dir.path(), &items, &arrival, || {
            Stories::with_settled_horizon(StoriesParams::default(), Duration::MAX)
        });
        let (stories, without) = partition(&db);
        prop_assert_eq!(without, 0);
        prop_assert_eq!(stories, reference().clone());
    }
}

fn reference() -> &'static BTreeSet<BTreeSet<String>> {
    static REFERENCE: std::sync::OnceLock<BTreeSet<BTreeSet<String>>> = std::sync::OnceLock::new();
    REFERENCE.get_or_init(restoried)
}

/// Pairwise agreement of two partitions: (pairs together in both) / (pairs together in
/// `reference`), and the same over pairs together in `got`.
fn agreement(
    got: &BTreeSet<BTreeSet<String>>,
    reference: &BTreeSet<BTreeSet<String>>,
) -> (f64, f64) {
    let pairs = |p: &BTreeSet<BTreeSet<String>>| -> BTreeSet<(String, String)> {
        p.iter()
            .flat_map(|story| {
                story.iter().flat_map(move |a| {
                    story
                        .iter()
                        .filter(move |b| a < *b)
                        .map(move |b| (a.clone(), b.clone()))
                })
            })
            .collect()
    };
    let (g, r) = (pairs(got), pairs(reference));
    let both = g.intersection(&r).count() as f64;
    let ratio = |n: usize| if n == 0 { 1.0 } else { both / n as f64 };
    (ratio(g.len()), ratio(r.len()))
}

/// With the default horizon (two windows), a shuffled arrival of a set spanning four months
/// is the worst case: most batches bring items months older than the newest stored one. The
/// late items join the stories around them, and the result stays close to restory's.
#[test]
fn late_arrivals_beyond_the_settled_horizon_stay_close_to_restory() {
    let items = dev_set();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut late, mut placed, mut worst) = (0usize, 0usize, (1.0f64, 1.0f64));
    let mut exact = 0;
    const RUNS: usize = 12;
    for _ in 0..RUNS {
        let arrival = arrival(items.len())
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let dir = tempfile::tempdir().unwrap();
        let (db, summaries) = arrive(dir.path(), &items, &arrival, || {
            Stories::new(StoriesParams::default())
        });
        late += summaries.iter().map(|s| s.late).sum::<usize>();
        placed += summaries.iter().map(|s| s.placed).sum::<usize>();
        let (stories, without) = partition(&db);
        assert_eq!(without, 0);
        exact += usize::from(&stories == reference());
        let (precision, recall) = agreement(&stories, reference());
        worst = (worst.0.min(precision), worst.1.min(recall));
    }
    println!(
        "default horizon, {RUNS} shuffled arrivals: {late} of {placed} items late ({:.0}%), \
         {exact} runs exactly restory's; worst pairwise agreement with restory: \
         precision {:.3}, recall {:.3}",
        100.0 * late as f64 / placed.max(1) as f64,
        worst.0,
        worst.1
    );
    assert!(worst.0 >= 0.90, "precision against restory {:.3}", worst.0);
    assert!(worst.1 >= 0.80, "recall against restory {:.3}", worst.1);
}

/// Items that arrive in report order but in many batches and processes (a daemon restarted
/// often) never come late, and give restory's stories with the default horizon.
#[test]
fn items_in_report_order_across_processes_give_restory_s_stories() {
    let items = dev_set();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|a, b| items[*a].published.cmp(&items[*b].published));
    let arrival = Arrival {
        cut: (0..items.len()).map(|n| n % 7 == 6).collect(),
        restart: (0..items.len()).map(|n| n % 3 == 0).collect(),
        order,
    };
    let dir = tempfile::tempdir().unwrap();
    let (db, summaries) = arrive(dir.path(), &items, &arrival, || {
        Stories::new(StoriesParams::default())
    });
    assert!(summaries.iter().all(|s| s.late == 0), "{summaries:?}");
    assert_eq!(&partition(&db).0, reference());
}
