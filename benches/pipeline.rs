//! Throughput of the pipeline's stages on real Arabic text: the normalizer (MB/s), tagging
//! (MB/s of raw item text, normalization included; with the model and by the rules alone, and
//! items/s on feed-sized items) and ingesting the fixture feeds into a fresh
//! store (items/s).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mirsad::pipeline::{FeedRef, Pipeline};
use mirsad::store::Store;
use mirsad::tagger::{Tagger, Taxonomy};

const FEEDS: [&str; 3] = [
    "aitnews_2025_01.xml",
    "hespress_2026_01.xml",
    "alittihad_2026_01.xml",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn article() -> String {
    String::from_utf8(fixture("articles/microsoft_xai_ai_infrastructure.txt")).unwrap_or_default()
}

fn normalizer(c: &mut Criterion) {
    let text = article();
    let mut group = c.benchmark_group("arabic");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("normalize", |b| {
        b.iter(|| mirsad::arabic::normalize(black_box(&text)))
    });
    group.bench_function("stemmed_tokens", |b| {
        b.iter(|| mirsad::arabic::stemmed_tokens(black_box(&text)))
    });
    group.finish();
}

fn tagging(c: &mut Criterion) {
    let text = article();
    let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
    let tagger = Tagger::new(Taxonomy::builtin());
    let mut group = c.benchmark_group("tagger");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("tag_article", |b| {
        b.iter(|| tagger.tag(black_box(title), black_box(body)))
    });
    // The rules alone, as before the model: the model's share of tagging time is the difference.
    let rules = Tagger::rules_only(Taxonomy::builtin());
    group.bench_function("tag_article_rules_only", |b| {
        b.iter(|| rules.tag(black_box(title), black_box(body)))
    });
    // Feed-sized items (title and lead), which most tagging is.
    let items = feed_items();
    let count = items.len().max(1);
    group.throughput(Throughput::Elements(count as u64));
    group.bench_function("tag_feed_items", |b| {
        b.iter(|| {
            for (title, body) in &items {
                black_box(tagger.tag(title, body));
            }
        })
    });
    // What the pipeline stores: the given tags, without near misses' evidence.
    group.bench_function("tag_feed_items_given", |b| {
        b.iter(|| {
            for (title, body) in &items {
                black_box(tagger.tag_given(title, body));
            }
        })
    });
    group.bench_function("tag_feed_items_rules_only", |b| {
        b.iter(|| {
            for (title, body) in &items {
                black_box(rules.tag(title, body));
            }
        })
    });
    group.finish();
}

/// Titles and leads of the labelled development set: feed-sized items.
fn feed_items() -> Vec<(String, String)> {
    let text = String::from_utf8(fixture("dev_set.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (field("title"), field("summary"))
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let documents: Vec<Vec<u8>> = FEEDS
        .iter()
        .map(|f| fixture(&format!("feeds/{f}")))
        .collect();
    let pipeline = Pipeline::new(Tagger::new(Taxonomy::builtin()));
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(30));
    group.bench_function("fixture_feeds_into_fresh_store", |b| {
        b.iter_batched(
            || Store::in_memory().expect("in-memory store"),
            |mut store| {
                for (name, bytes) in FEEDS.iter().zip(&documents) {
                    let feed = FeedRef {
                        url: name,
                        name: None,
                    };
                    pipeline
                        .ingest(&mut store, feed, bytes, None)
                        .expect("fixture ingests");
                }
                store
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for bytes in &documents {
                black_box(mirsad::feed::parse(bytes, None).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, normalizer, tagging, ingest);
criterion_main!(benches);
