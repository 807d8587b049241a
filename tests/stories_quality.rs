//! Story clustering quality on the labelled sets: the dev set (tests/fixtures/stories_dev.jsonl),
//! which the clusterer was tuned on, and the validation set
//! (tests/fixtures/stories_validation.jsonl: other outlets and events, real headlines, with
//! look-alike distractors), which nobody tunes on.
//!
//! The items are clustered in `published` order (the order settling replays them in, whatever
//! order they arrive in) and scored by pairwise precision (pairs put in one story that are
//! labelled one story) and recall (labelled pairs that were put in one story). Every mistake on
//! the dev set is printed with both titles; on the validation set only the figures are, so its
//! mistakes do not become tuning material.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mirsad::stories::{Clusterer, StoriesParams, StoryItem};
use serde::Deserialize;

const MIN_PRECISION: f64 = 0.90;
const MIN_RECALL: f64 = 0.75;
/// The target for the validation set (issue 14): precision 0.95, recall 0.85.
const VALIDATION_TARGET: (f64, f64) = (0.95, 0.85);
/// What the test enforces on validation. Precision meets the target (0.988 measured). Recall
/// does not yet (0.841 measured): it is held at a regression floor just under the measured
/// figure until the clusterer reaches the target honestly, never by tuning on this set.
const VALIDATION_MIN_PRECISION: f64 = 0.95;
const VALIDATION_MIN_RECALL: f64 = 0.82;

#[derive(Debug, Deserialize)]
struct Labelled {
    id: String,
    story: String,
    outlet: String,
    title: String,
    summary: String,
    published: DateTime<Utc>,
}

fn load(name: &str) -> Vec<Labelled> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut items: Vec<Labelled> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    items.sort_by(|a, b| a.published.cmp(&b.published).then(a.id.cmp(&b.id)));
    items
}

struct Outcome {
    precision: f64,
    recall: f64,
    false_merges: Vec<(usize, usize)>,
    misses: Vec<(usize, usize)>,
}

fn pairwise(labels: &[&str], stories: &[i64]) -> Outcome {
    let (mut both, mut predicted, mut labelled) = (0usize, 0usize, 0usize);
    let (mut false_merges, mut misses) = (Vec::new(), Vec::new());
    for i in 0..labels.len() {
        for j in i + 1..labels.len() {
            let same_label = labels[i] == labels[j];
            let same_story = stories[i] == stories[j];
            predicted += usize::from(same_story);
            labelled += usize::from(same_label);
            both += usize::from(same_story && same_label);
            if same_story && !same_label {
                false_merges.push((i, j));
            } else if same_label && !same_story {
                misses.push((i, j));
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Outcome {
        precision: ratio(both, predicted),
        recall: ratio(both, labelled),
        false_merges,
        misses,
    }
}

/// Clusters a labelled set in order; returns the items, their stories and what each matched.
fn cluster(items: &[Labelled]) -> (Vec<i64>, HashMap<usize, (i64, f64)>) {
    let mut clusterer = Clusterer::new(StoriesParams::default(), 1);
    let mut stories = Vec::new();
    let mut matched: HashMap<usize, (i64, f64)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let assignment = clusterer.assign(&StoryItem {
            id: i as i64,
            title: &item.title,
            summary: &item.summary,
            published: item.published,
        });
        stories.push(assignment.story_id);
        if let Some(m) = assignment.matched {
            matched.insert(i, m);
        }
    }
    (stories, matched)
}

#[test]
fn dev_set_stories_reach_the_quality_floor() {
    let items = load("stories_dev.jsonl");
    let (stories, matched) = cluster(&items);
    let labels: Vec<&str> = items.iter().map(|i| i.story.as_str()).collect();
    let outcome = pairwise(&labels, &stories);
    let show = |i: usize| {
        let item = &items[i];
        let link = matched
            .get(&i)
            .map(|(m, s)| format!(" → {} ({s:.2})", items[*m as usize].id))
            .unwrap_or_default();
        format!(
            "{} {} {} [{}]{link} {}",
            item.id, item.story, item.published, item.outlet, item.title
        )
    };
    for (i, j) in &outcome.false_merges {
        println!("FALSE MERGE\n  {}\n  {}", show(*i), show(*j));
    }
    for (i, j) in &outcome.misses {
        println!("MISSED\n  {}\n  {}", show(*i), show(*j));
    }
    println!(
        "dev set stories: pairwise precision {:.3}, recall {:.3} ({} items, {} false merges, {} missed pairs)",
        outcome.precision,
        outcome.recall,
        items.len(),
        outcome.false_merges.len(),
        outcome.misses.len()
    );
    assert!(
        outcome.precision >= MIN_PRECISION,
        "precision {:.3} below {MIN_PRECISION}",
        outcome.precision
    );
    assert!(
        outcome.recall >= MIN_RECALL,
        "recall {:.3} below {MIN_RECALL}",
        outcome.recall
    );
}

#[test]
fn validation_set_stories_reach_the_validation_floor() {
    let items = load("stories_validation.jsonl");
    let (stories, _) = cluster(&items);
    let labels: Vec<&str> = items.iter().map(|i| i.story.as_str()).collect();
    let outcome = pairwise(&labels, &stories);
    println!(
        "validation set stories: pairwise precision {:.3}, recall {:.3} ({} items, {} false merges, {} missed pairs)",
        outcome.precision,
        outcome.recall,
        items.len(),
        outcome.false_merges.len(),
        outcome.misses.len()
    );
    let (target_precision, target_recall) = VALIDATION_TARGET;
    println!(
        "issue target: precision {target_precision}, recall {target_recall}; gap: precision {:+.3}, recall {:+.3}",
        outcome.precision - target_precision,
        outcome.recall - target_recall
    );
    assert!(
        outcome.precision >= VALIDATION_MIN_PRECISION,
        "precision {:.3} below {VALIDATION_MIN_PRECISION}",
        outcome.precision
    );
    assert!(
        outcome.recall >= VALIDATION_MIN_RECALL,
        "recall {:.3} below {VALIDATION_MIN_RECALL}",
        outcome.recall
    );
}

#[test]
fn pairwise_scores_count_pairs_not_items() {
    let outcome = pairwise(&["a", "a", "a", "b"], &[1, 1, 2, 2]);
    // Predicted pairs: (0,1) right, (2,3) wrong; labelled pairs: (0,1), (0,2), (1,2).
    assert!((outcome.precision - 0.5).abs() < 1e-9);
    assert!((outcome.recall - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(outcome.false_merges, [(2, 3)]);
    assert_eq!(outcome.misses.len(), 2);
}
