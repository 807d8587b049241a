//! Incremental exports (`--cursor`) through the binary, and the daemon's live export files:
//! valid after every rewrite and never seen half-written by a concurrent reader.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mirsad::config::{ExportConfig, LiveExport};
use mirsad::export::write_live_export_files;
use mirsad::store::Store;
use support::cli::Mirsad;
use support::process::mirsad_ok;
use support::store::{NewItem, add_item, ago, build_fixture, dev_items};

fn ids(jsonl: &str) -> Vec<i64> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// Adds `count` new items (dev-set rows from `from`) and returns their ids.
fn add_new(store: &mut Store, from: usize, count: usize) -> Vec<i64> {
    let rows = dev_items();
    rows[from..from + count]
        .iter()
        .map(|row| {
            let key = format!("new-{}", row.id);
            add_item(
                store,
                &NewItem {
                    feeds: &[support::store::FEEDS[0].0],
                    key: &key,
                    title: &row.title,
                    summary: &row.summary,
                    content_html: None,
                    // Published long ago: "newer" for a cursor means first seen later.
                    published: ago(90, 0),
                    labels: &row.labels,
                },
            )
        })
        .collect()
}

#[test]
fn three_cursor_runs_with_new_items_between_export_each_item_once() {
    let m = Mirsad::new();
    let mut store = build_fixture(&m.db);
    let total = store.count_items().unwrap() as usize;
    let run = || {
        ids(&mirsad_ok(
            &m,
            &["export", "--format", "jsonl", "--cursor", "pipe"],
        ))
    };

    let first = run();
    assert_eq!(first.len(), total);
    let added = add_new(&mut store, 60, 2);
    let second = run();
    assert_eq!(second, added);
    let added = add_new(&mut store, 62, 3);
    let third = run();
    assert_eq!(third, added);
    assert!(run().is_empty(), "nothing new, nothing exported");

    let all: Vec<i64> = [first, second, third].concat();
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "an item was exported twice");
    assert_eq!(unique.len(), store.count_items().unwrap() as usize);

    let reset = ids(&mirsad_ok(
        &m,
        &["export", "--format", "jsonl", "--cursor", "pipe", "--reset"],
    ));
    assert_eq!(reset.len(), unique.len());
    // Another cursor name is independent.
    assert_eq!(run_other(&m).len(), unique.len());
}

fn run_other(m: &Mirsad) -> Vec<i64> {
    ids(&mirsad_ok(
        m,
        &["export", "--format", "jsonl", "--cursor", "other"],
    ))
}

#[test]
fn cursor_with_limit_and_tag_pages_through_without_gaps() {
    let m = Mirsad::new();
    let store = build_fixture(&m.db);
    let tagged: BTreeSet<i64> = store
        .export_items(
            &mirsad::store::ItemFilter {
                tag: Some("ai-infra".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let mut seen = Vec::new();
    for _ in 0..20 {
        let out = m.path("page.csv");
        let out = out.to_str().unwrap();
        mirsad_ok(
            &m,
            &[
                "export", "--format", "csv", "--tag", "ai-infra", "--limit", "4", "--cursor", "t",
                "--out", out,
            ],
        );
        // Nothing new writes no file at all (no empty batch files).
        let Ok(text) = std::fs::read_to_string(out) else {
            break;
        };
        std::fs::remove_file(out).unwrap();
        let page: Vec<i64> = text
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next()?.parse().ok())
            .collect();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 4);
        seen.extend(page);
    }
    assert_eq!(seen.iter().copied().collect::<BTreeSet<_>>(), tagged);
    assert_eq!(seen.len(), tagged.len());
}

fn live(dir: &std::path::Path, name: &str, format: &str) -> LiveExport {
    LiveExport {
        path: dir.join(name),
        format: format.into(),
        tag: Some("ai-infra".into()),
        limit: Some(50),
        title: None,
    }
}

#[test]
fn live_export_files_are_valid_after_every_rewrite() {
    let m = Mirsad::new();
    let mut store = build_fixture(&m.db);
    let exports = [
        live(m.dir.path(), "ai.atom", "atom"),
        live(m.dir.path(), "ai.rss", "rss"),
        live(m.dir.path(), "ai.jsonl", "jsonl"),
        live(m.dir.path(), "ai.csv", "csv"),
        live(m.dir.path(), "bad.txt", "yaml"),
    ];
    let config = ExportConfig {
        title: Some("بنية تحتية".into()),
        public_url: Some("https://example.org/mirsad/".into()),
    };
    for round in 0..3 {
        add_new(&mut store, 70 + round, 1);
        let results = write_live_export_files(&store, &exports, &config, None);
        assert_eq!(results.len(), exports.len());
        for (path, result) in &results[..4] {
            assert!(result.is_ok(), "{}: {result:?}", path.display());
        }
        assert!(
            results[4]
                .1
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("`yaml`")
        );
        let atom = std::fs::read_to_string(m.path("ai.atom")).unwrap();
        let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
        assert!(atom.contains(r#"href="https://example.org/mirsad/ai.atom""#));
        assert_eq!(feed.title.unwrap().content, "بنية تحتية");
        assert!(!feed.entries.is_empty());
        feed_rs::parser::parse(std::fs::read(m.path("ai.rss")).unwrap().as_slice()).unwrap();
        for line in std::fs::read_to_string(m.path("ai.jsonl")).unwrap().lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
        let csv = std::fs::read_to_string(m.path("ai.csv")).unwrap();
        assert!(csv.starts_with("id,entry_id,"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(m.path("ai.atom"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "published files are world-readable");
    }
}

#[test]
fn a_reader_never_sees_a_half_written_live_export() {
    let m = Mirsad::new();
    let mut store = build_fixture(&m.db);
    let exports = [LiveExport {
        limit: None,
        ..live(m.dir.path(), "ai.atom", "atom")
    }];
    let config = ExportConfig::default();
    let path = m.path("ai.atom");
    write_live_export_files(&store, &exports, &config, None)[0]
        .1
        .as_ref()
        .unwrap();
    let done = AtomicBool::new(false);
    let deadline = Instant::now() + Duration::from_secs(60);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while !done.load(Ordering::Acquire) && Instant::now() < deadline {
                let bytes = std::fs::read(&path).unwrap();
                let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| {
                    panic!(
                        "read {reads}: half-written file ({} bytes): {e}",
                        bytes.len()
                    )
                });
                assert!(!feed.entries.is_empty());
                reads += 1;
            }
            reads
        });
        for round in 0..40 {
            add_new(&mut store, 80 + round % 60, 1);
            for (_, result) in write_live_export_files(&store, &exports, &config, None) {
                result.unwrap();
            }
        }
        done.store(true, Ordering::Release);
        let reads = reader.join().unwrap();
        assert!(reads > 0, "the reader never ran");
    });
    assert_eq!(
        std::fs::read_dir(m.dir.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp"))
            .count(),
        0,
        "temporary files left behind"
    );
}
