//! Store-scale figures: search latency (p50/p99 of ten typical Arabic queries), retag and
//! restory time and store size per item, over a synthetic store of `MIRSAD_BENCH_ITEMS` items (default 100,000;
//! the performance target is stated for 1,000,000).
//!
//!     cargo bench --bench store
//!     MIRSAD_BENCH_ITEMS=1000000 cargo bench --bench store
//!
//! `MIRSAD_BENCH_DB=PATH` keeps the store there and reuses it when it already holds the items
//! (building a million items takes minutes); `MIRSAD_BENCH_SEARCH_ONLY=1` skips retag and
//! restory.

use std::time::{Duration, Instant};

use mirsad::pipeline::{FeedRef, Pipeline};
use mirsad::store::{ItemFilter, Store};
use mirsad::tagger::{Tagger, Taxonomy};

/// Every distinct Arabic word of the fixtures' real feeds, article and labelled items: a few
/// thousand words, so query terms are as selective as in a real store (a small word list would
/// put every query word in every item).
fn vocabulary() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let files = ["dev_set.jsonl", "stories_dev.jsonl", "feeds", "articles"];
    let mut text = String::new();
    for name in files {
        let path = std::path::Path::new(root).join(name);
        let paths: Vec<std::path::PathBuf> = match std::fs::read_dir(&path) {
            Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => vec![path],
        };
        for path in paths {
            text.push_str(&std::fs::read_to_string(path).unwrap_or_default());
            text.push(' ');
        }
    }
    let mut words: Vec<String> = text
        .split(|c: char| !('\u{0621}'..='\u{064A}').contains(&c))
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

const QUERIES: [&str; 10] = [
    "مراكز البيانات",
    "رقاقات إنفيديا",
    "الحوسبة السحابية",
    "استهلاك الكهرباء",
    "الذكاء الاصطناعي",
    "مايكروسوفت",
    "أمطار غزيرة",
    "البطولة",
    "وحدات معالجة الرسوميات",
    "الطاقة المتجددة",
];

/// A small deterministic generator, so every run builds the same store.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn sentence(rng: &mut Lcg, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| words[rng.next(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn document(
    rng: &mut Lcg,
    words: &[String],
    events: &[String],
    feed: usize,
    items: usize,
) -> String {
    let mut xml = String::from("<rss version=\"2.0\"><channel><title>bench</title>");
    for i in 0..items {
        // One item in five retells an event other feeds report too.
        let title = if rng.next(5) == 0 {
            format!(
                "{} {}",
                events[rng.next(events.len())],
                sentence(rng, words, 3)
            )
        } else {
            sentence(rng, words, 9)
        };
        xml.push_str(&format!(
            "<item><title>{title}</title><link>https://bench{feed}.example/{i}</link>\
             <pubDate>Sat, {:02} Nov 2026 10:00:00 +0000</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description></item>",
            1 + i % 28,
            sentence(rng, words, 60),
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn main() {
    let total: usize = std::env::var("MIRSAD_BENCH_ITEMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let per_feed = 100;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = std::env::var_os("MIRSAD_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let mut store = Store::open(&path).expect("store");
    let reuse = store.count_items().expect("count") >= total as i64;
    let pipeline = Pipeline::new(Tagger::new(Taxonomy::builtin()));
    let words = vocabulary();
    let mut rng = Lcg(7);
    let events: Vec<String> = (0..total / 25 + 1)
        .map(|_| sentence(&mut rng, &words, 6))
        .collect();

    let started = Instant::now();
    for feed in (0..total.div_ceil(per_feed)).filter(|_| !reuse) {
        let xml = document(&mut rng, &words, &events, feed, per_feed);
        let url = format!("https://bench{feed}.example/feed");
        let feed_ref = FeedRef {
            url: &url,
            name: None,
        };
        pipeline
            .ingest(&mut store, feed_ref, xml.as_bytes(), None)
            .expect("ingest");
    }
    let ingest = started.elapsed();
    let items = store.count_items().expect("count");
    println!(
        "store: {items} items ingested in {:.1} s ({:.0} items/s)",
        ingest.as_secs_f64(),
        items as f64 / ingest.as_secs_f64()
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "store size: {:.1} MB, {:.0} bytes per item",
        size as f64 / 1e6,
        size as f64 / items as f64
    );

    let filter = ItemFilter {
        limit: Some(50),
        ..ItemFilter::default()
    };
    let mut latencies = Vec::new();
    for _ in 0..5 {
        for query in QUERIES {
            let started = Instant::now();
            let hits = store.search(query, &filter).expect("search");
            latencies.push(started.elapsed());
            std::hint::black_box(hits);
        }
    }
    latencies.sort();
    println!(
        "search ({} queries × 5, top 50): p50 {:.1} ms, p99 {:.1} ms",
        QUERIES.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );

    if std::env::var_os("MIRSAD_BENCH_SEARCH_ONLY").is_some() {
        return;
    }
    let store = std::sync::Mutex::new(store);
    let started = Instant::now();
    let summary = mirsad::retag::retag_all(
        || store.lock().unwrap_or_else(|p| p.into_inner()),
        pipeline.tagger(),
        true,
        |_| {},
    )
    .expect("retag");
    println!(
        "retag: {} items in {:.2} s",
        summary.items,
        started.elapsed().as_secs_f64()
    );

    let mut store = store.into_inner().unwrap_or_else(|p| p.into_inner());
    let started = Instant::now();
    let summary =
        mirsad::stories::restory(&mut store, Default::default(), |_| {}).expect("restory");
    println!(
        "restory: {} items into {} stories in {:.2} s",
        summary.items,
        summary.stories,
        started.elapsed().as_secs_f64()
    );
}
