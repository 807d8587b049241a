//! The analyst's judgements (`mirsad label`, `mirsad judgements export`), run as the real binary
//! on real Arabic feeds: a judgement wins over the tagger, survives retag and a changed item,
//! shows as set by hand, and comes back out as corpus rows.

mod support;

use serde_json::Value;
use support::cli::{Mirsad, fixture};

fn ingest(m: &Mirsad) {
    m.run_ok(&["ingest", &fixture("feeds/aitnews_2025_01.xml")], &[]);
}

fn items_json(m: &Mirsad) -> Vec<Value> {
    m.run_ok(&["items", "--json", "--limit", "1000"], &[])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn item(m: &Mirsad, id: i64) -> Value {
    items_json(m)
        .into_iter()
        .find(|i| i["id"] == id)
        .expect("item listed")
}

fn tags(item: &Value) -> Vec<String> {
    item["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

fn first_id_where(m: &Mirsad, pred: impl Fn(&[String]) -> bool) -> i64 {
    items_json(m)
        .iter()
        .find(|i| pred(&tags(i)))
        .expect("a matching item in the fixture feed")["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_judgement_wins_over_the_tagger_and_survives_retag() {
    let m = Mirsad::new();
    ingest(&m);
    let untagged = first_id_where(&m, |t| t.is_empty());
    let id = untagged.to_string();

    let out = m.run_ok(&["label", &id, "--add", "energy"], &[]);
    assert!(out.contains("ai-infra ai-infra/energy"), "{out}");
    assert!(out.contains("judged by hand"), "{out}");

    let judged = item(&m, untagged);
    assert_eq!(tags(&judged), ["ai-infra", "ai-infra/energy"]);
    assert_eq!(judged["judgement"]["add"][0], "ai-infra/energy");
    // The judged item's tags carry the same version (taxonomy and model) as every other tag,
    // so a judgement never makes the store look stale.
    let versions: i64 = rusqlite::Connection::open(&m.db)
        .unwrap()
        .query_row(
            "SELECT count(DISTINCT taxonomy_version) FROM item_tags",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(versions, 1);

    m.run_ok(&["retag", "--restart"], &[]);
    assert_eq!(tags(&item(&m, untagged)), ["ai-infra", "ai-infra/energy"]);

    // A re-ingested (unchanged or changed) document does not undo it either.
    ingest(&m);
    assert_eq!(tags(&item(&m, untagged)), ["ai-infra", "ai-infra/energy"]);

    // Exports mark the tag as set by hand.
    let jsonl = m.run_ok(&["export", "--format", "jsonl"], &[]);
    let exported: Value = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["title"] == judged["title"])
        .unwrap();
    let origins: Vec<&str> = exported["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["origin"].as_str().unwrap())
        .collect();
    assert_eq!(origins, ["hand", "hand"]);

    // So do the documented view and the --tag filter.
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let hand: i64 = conn
        .query_row(
            "SELECT count(*) FROM tagged_items WHERE item_id = ?1 AND origin = 'hand'",
            [untagged],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hand, 2);
    let listed = m.run_ok(&["items", "--json", "--tag", "energy"], &[]);
    assert!(listed.contains(&format!("\"id\":{untagged},")), "{listed}");
}

#[test]
fn not_ai_infra_removes_every_tag_and_clear_restores_the_taggers() {
    let m = Mirsad::new();
    ingest(&m);
    let tagged = first_id_where(&m, |t| t.iter().any(|x| x == "ai-infra"));
    let before = tags(&item(&m, tagged));
    let id = tagged.to_string();

    m.run_ok(&["label", &id, "--not"], &[]);
    let judged = item(&m, tagged);
    assert!(tags(&judged).is_empty(), "{judged}");
    assert_eq!(judged["judgement"]["remove"][0], "ai-infra");
    m.run_ok(&["retag", "--restart"], &[]);
    assert!(tags(&item(&m, tagged)).is_empty());

    m.run_ok(&["label", &id, "--clear"], &[]);
    let cleared = item(&m, tagged);
    assert_eq!(tags(&cleared), before);
    assert!(cleared.get("judgement").is_none());
}

#[test]
fn judgements_export_writes_corpus_rows_with_corrected_labels() {
    let m = Mirsad::new();
    ingest(&m);
    let untagged = first_id_where(&m, |t| t.is_empty());
    m.run_ok(
        &["label", &untagged.to_string(), "--add", "ai-infra/chips"],
        &[],
    );
    let out = m.run_ok(&["judgements", "export"], &[]);
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["id"], format!("judgement-{untagged}"));
    assert_eq!(
        row["labels"],
        serde_json::json!(["ai-infra", "ai-infra/chips"])
    );
    assert_eq!(row["provenance"], "judgement");
    assert!(!row["title"].as_str().unwrap().is_empty());
    assert_eq!(row["outlet"], "aitnews.com");
}

#[test]
fn label_refuses_unknown_tags_and_items_with_a_reason() {
    let m = Mirsad::new();
    ingest(&m);
    let out = m.run(&["label", "1", "--add", "chip"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean ai-infra/chips"), "{err}");

    let out = m.run(&["label", "999999", "--add", "chips"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no item with id 999999"), "{err}");
}
