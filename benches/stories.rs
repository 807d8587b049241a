//! Cost of story clustering: placing one item with 10,000 and with 200,000 items already in the
//! window (the two should be close: candidates come from an index under a fixed budget),
//! settling a daemon cycle's new items into a store with that many items in the window (its
//! cost per item, and the memory the settled window holds), and `restory` of a whole store.
//!
//! Items are synthetic: Arabic-script words drawn from a Zipf-like vocabulary (so common words
//! have long posting lists, as in real news), figures, and events reported by several outlets
//! in overlapping words. `MIRSAD_BENCH_RESTORY_ITEMS` sets the restory store size (default
//! 100,000).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use mirsad::store::{ItemRecord, Store};
use mirsad::stories::{Clusterer, Features, OrderKey, Stories, StoriesParams, StoryItem};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Counts the bytes allocated and not yet freed, to measure what the settled window holds.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LETTERS: &[char] = &[
    'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ع', 'غ',
    'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه', 'و', 'ي',
];
const VOCABULARY: usize = 30_000;
/// Items per event: a third of the items are reports of an event another outlet also covers.
const REPORTS_PER_EVENT: usize = 3;

struct Generator {
    rng: StdRng,
    words: Vec<String>,
}

impl Generator {
    fn new() -> Generator {
        let mut rng = StdRng::seed_from_u64(7);
        let words = (0..VOCABULARY)
            .map(|_| {
                let len = rng.random_range(3..8);
                (0..len)
                    .map(|_| LETTERS[rng.random_range(0..LETTERS.len())])
                    .collect()
            })
            .collect();
        Generator { rng, words }
    }

    /// A word, common ones far more often (rank ∝ 1/u², roughly Zipf).
    fn word(&mut self) -> &str {
        let u: f64 = self.rng.random_range(0.0..1.0);
        let rank = ((u * u * u) * VOCABULARY as f64) as usize;
        &self.words[rank.min(VOCABULARY - 1)]
    }

    fn phrase(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.word().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `REPORTS_PER_EVENT` reports of one event: shared words and a figure, each outlet adding
    /// its own.
    fn event(&mut self) -> Vec<(String, String)> {
        let core = self.phrase(5);
        let figure = self.rng.random_range(10..100_000);
        (0..REPORTS_PER_EVENT)
            .map(|_| {
                let title = format!("{} {core} {figure}", self.phrase(3));
                let summary = format!("{} {core} {}", self.phrase(20), self.phrase(10));
                (title, summary)
            })
            .collect()
    }

    /// `n` items as (title, summary), events' reports next to each other.
    fn items(&mut self, n: usize) -> Vec<(String, String)> {
        let mut items = Vec::with_capacity(n);
        while items.len() < n {
            if items.len() % (3 * REPORTS_PER_EVENT) == 0 {
                items.extend(self.event());
            } else {
                items.push((self.phrase(9), self.phrase(30)));
            }
        }
        items.truncate(n);
        items
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000 + seconds, 0).unwrap_or_default()
}

/// A clusterer holding `n` items spread over the 72 hours of its window (each event's reports
/// in one story).
fn filled_clusterer(generator: &mut Generator, n: usize) -> (Clusterer, i64) {
    let mut clusterer = Clusterer::new(StoriesParams::default(), 1);
    let spacing = 72 * 3600 / n as i64;
    for (i, (title, summary)) in generator.items(n).iter().enumerate() {
        let key = OrderKey {
            at: at(i as i64 * spacing).timestamp(),
            tie: 0,
        };
        let story = (i / REPORTS_PER_EVENT) as i64 + 1;
        clusterer.insert_keyed(i as i64, key, story, Features::of(title, summary));
    }
    (clusterer, n as i64 * spacing)
}

fn assign(c: &mut Criterion) {
    let mut generator = Generator::new();
    let probes = generator.items(2_000);
    let mut group = c.benchmark_group("stories");
    // The floor: reading an item's terms, with nothing to compare it with.
    let mut next = 0usize;
    group.bench_function("assign_one_to_empty_window", |b| {
        b.iter_batched(
            || Clusterer::new(StoriesParams::default(), 1),
            |mut clusterer| {
                let (title, summary) = &probes[next % probes.len()];
                next += 1;
                let item = StoryItem {
                    id: 0,
                    title,
                    summary,
                    published: at(0),
                };
                black_box(clusterer.assign(black_box(&item)));
                clusterer
            },
            criterion::BatchSize::SmallInput,
        )
    });
    for size in [10_000, 200_000] {
        // Filled on first use, so filtering this benchmark out skips the work.
        let mut filled: Option<(Clusterer, i64)> = None;
        let mut next = 0usize;
        group.bench_function(format!("assign_one_with_{size}_in_window"), |b| {
            let (clusterer, end) =
                filled.get_or_insert_with(|| filled_clusterer(&mut generator, size));
            let end = *end;
            b.iter(|| {
                let (title, summary) = &probes[next % probes.len()];
                next += 1;
                let item = StoryItem {
                    id: (size + next) as i64,
                    title,
                    summary,
                    // Time stands still, so the window keeps its size while we measure.
                    published: at(end),
                };
                black_box(clusterer.assign(black_box(&item)))
            })
        });
    }
    group.finish();
}

fn restory(c: &mut Criterion) {
    let n: usize = std::env::var("MIRSAD_BENCH_RESTORY_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut generator = Generator::new();
    let mut store = Store::in_memory().expect("in-memory store");
    {
        let writer = store.writer().expect("writer");
        let feed = writer.ensure_feed("http://bench/feed", None).expect("feed");
        // A few hundred items a day, as a few dozen Arabic outlets publish.
        let spacing = 300;
        for (i, (title, summary)) in generator.items(n).into_iter().enumerate() {
            let record = ItemRecord {
                identity: format!("bench:{i}"),
                identity_kind: "link".into(),
                title,
                summary,
                published_at: mirsad::time::format(at(i as i64 * spacing)),
                direction: "rtl".into(),
                content_hash: i.to_string(),
                categories: "[]".into(),
                enclosures: "[]".into(),
                ..ItemRecord::default()
            };
            writer
                .upsert_item(&record, feed, "2030-01-01T00:00:00Z")
                .expect("insert");
        }
        writer.commit().expect("commit");
    }
    let mut group = c.benchmark_group("stories");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(120));
    group.bench_function(format!("restory_{n}_items"), |b| {
        b.iter(|| {
            mirsad::stories::restory(&mut store, StoriesParams::default(), |_| {}).expect("restory")
        })
    });
    group.finish();
}

/// Writes items (with no story, as the pipeline does) published at the given seconds.
fn write_items(store: &mut Store, first_id: usize, items: &[(String, String)], times: &[i64]) {
    let writer = store.writer().expect("writer");
    let feed = writer.ensure_feed("http://bench/feed", None).expect("feed");
    for (n, ((title, summary), seconds)) in items.iter().zip(times).enumerate() {
        let i = first_id + n;
        let record = ItemRecord {
            identity: format!("bench:{i}"),
            identity_kind: "link".into(),
            title: title.clone(),
            summary: summary.clone(),
            published_at: mirsad::time::format(at(*seconds)),
            direction: "rtl".into(),
            content_hash: i.to_string(),
            categories: "[]".into(),
            enclosures: "[]".into(),
            ..ItemRecord::default()
        };
        writer
            .upsert_item(&record, feed, "2030-01-01T00:00:00Z")
            .expect("insert");
    }
    writer.commit().expect("commit");
}

fn settle_all(stories: &Stories, store: &mut Store) -> mirsad::stories::SettleSummary {
    let cell = RefCell::new(store);
    stories
        .settle(|| std::cell::RefMut::map(cell.borrow_mut(), |s| &mut **s))
        .expect("settle")
}

/// Items of one daemon cycle: their report times spread over the hour before `end`, so
/// settling rewinds past the items of that hour already stored (feeds fetched in any order).
const CYCLE_ITEMS: usize = 50;

/// Settling a cycle's new items into a store whose window holds 10,000 or 200,000 items: the
/// cost per new item (rewinding, re-placing the hour's stored items with the new ones,
/// writing), and the memory the settled window holds (printed).
fn settle(c: &mut Criterion) {
    let mut group = c.benchmark_group("stories");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for size in [10_000usize, 200_000] {
        let mut generator = Generator::new();
        let mut store = Store::in_memory().expect("in-memory store");
        let spacing = (72 * 3600 / size as i64).max(1);
        let items = generator.items(size);
        let times: Vec<i64> = (0..size as i64).map(|i| i * spacing).collect();
        write_items(&mut store, 0, &items, &times);
        let stories = Stories::new(StoriesParams::default());
        let before = LIVE_BYTES.load(Ordering::Relaxed);
        let started = Instant::now();
        settle_all(&stories, &mut store);
        let first = started.elapsed();
        let held = LIVE_BYTES.load(Ordering::Relaxed).saturating_sub(before);
        println!(
            "settle: {size} items in the window: first settling {:.1} s ({:.1} us/item), \
             the settled window holds {:.1} MB ({:.0} bytes/item)",
            first.as_secs_f64(),
            first.as_secs_f64() * 1e6 / size as f64,
            held as f64 / 1e6,
            held as f64 / size as f64
        );
        let mut end = size as i64 * spacing;
        let mut next_id = size;
        group.bench_function(
            format!("settle_cycle_of_{CYCLE_ITEMS}_with_{size}_in_window"),
            |b| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        end += 600;
                        let batch = generator.items(CYCLE_ITEMS);
                        let times: Vec<i64> = (0..CYCLE_ITEMS as i64)
                            .map(|n| end - 3600 + n * 3600 / CYCLE_ITEMS as i64)
                            .collect();
                        write_items(&mut store, next_id, &batch, &times);
                        next_id += CYCLE_ITEMS;
                        let started = Instant::now();
                        black_box(settle_all(&stories, &mut store));
                        total += started.elapsed();
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, assign, settle, restory);
criterion_main!(benches);
