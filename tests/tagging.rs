//! Tagging through the binary: ingested items carry tags with evidence, and `tag`, `tag --jsonl`,
//! `tag --explain`, `retag` and `items --tag` work.

mod support;

use support::cli::{Mirsad, fixture};

const H200: &str = "ترامب يسمح ببيع رقاقات إنفيديا H200 للصين";

fn ingest_real_feeds(m: &Mirsad) {
    let paths: Vec<String> = ["aitnews_2025_01.xml", "hespress_2026_01.xml"]
        .iter()
        .map(|f| fixture(&format!("feeds/{f}")))
        .collect();
    m.run_ok(&["ingest"], &paths);
}

#[test]
fn ingested_items_carry_tags_with_evidence_and_the_taxonomy_version() {
    let m = Mirsad::new();
    ingest_real_feeds(&m);
    let out = m.run_ok(&["items", "--tag", "ai-infra/chips", "--json"], &[]);
    let titles: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["title"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(titles.iter().any(|t| t.starts_with(H200)), "{titles:?}");
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let (score, evidence, version): (f64, String, String) = conn
        .query_row(
            "SELECT score, evidence, taxonomy_version FROM tagged_items
             WHERE tag = 'ai-infra/chips' AND title LIKE 'ترامب%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(score > 0.0);
    let evidence: serde_json::Value = serde_json::from_str(&evidence).unwrap();
    let first = &evidence[0];
    assert!(
        first["rule"].is_string() && first["matched"].is_string(),
        "{evidence}"
    );
    assert!(
        matches!(first["field"].as_str(), Some("title" | "body")),
        "{evidence}"
    );
    assert_eq!(version.len(), 16);
    let hespress_tags: i64 = conn
        .query_row(
            "SELECT count(*) FROM item_tags t JOIN item_feeds m ON m.item_id = t.item_id
             JOIN feeds f ON f.id = m.feed_id WHERE f.url LIKE '%hespress%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hespress_tags, 0, "general Moroccan news gets no tag");
}

#[test]
fn tag_reads_stdin_and_explains_its_evidence() {
    let m = Mirsad::new();
    let out = m.run_with_stdin(&["tag"], &format!("{H200}\n"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("ai-infra/chips") && text.contains("ai-infra "),
        "{text}"
    );
    let explained = m.run_with_stdin(&["tag", "--explain"], &format!("{H200}\n"));
    let text = String::from_utf8(explained.stdout).unwrap();
    assert!(text.contains("رقاقات") && text.contains("title"), "{text}");
    let weather = m.run_with_stdin(&["tag"], "الأرصاد: سحابة ممطرة تعبر المناطق الشمالية\n");
    assert!(
        String::from_utf8(weather.stdout)
            .unwrap()
            .contains("no tags")
    );
}

#[test]
fn tag_jsonl_answers_every_line_and_reports_malformed_ones() {
    let m = Mirsad::new();
    let input = format!(
        "{}\nnot json\n{}\n",
        serde_json::json!({"id": "a", "title": H200, "summary": ""}),
        serde_json::json!({"id": 7, "title": "مباراة كرة القدم", "summary": "فاز الفريق بالمركز الأول"}),
    );
    let out = m.run_with_stdin(&["tag", "--jsonl"], &input);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert!(
        lines[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "ai-infra/chips")
    );
    assert!(lines[0]["score"]["ai-infra/chips"].as_f64().unwrap() > 0.0);
    assert!(!lines[0]["evidence"].as_array().unwrap().is_empty());
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], 7);
    assert!(lines[2]["tags"].as_array().unwrap().is_empty());
}

#[test]
fn retag_restores_tags_and_reports_what_changed_per_tag() {
    let m = Mirsad::new();
    ingest_real_feeds(&m);
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&m.db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    let tags_before = count("SELECT count(*) FROM item_tags");
    assert!(tags_before > 0);
    let unchanged = m.run_ok(&["retag"], &[]);
    assert!(
        unchanged.contains("retagged 20 items") && unchanged.contains("no tag changed"),
        "{unchanged}"
    );

    rusqlite::Connection::open(&m.db)
        .unwrap()
        .execute("DELETE FROM item_tags", [])
        .unwrap();
    let out = m.run_ok(&["retag"], &[]);
    assert!(out.contains("ai-infra/chips") && out.contains('+'), "{out}");
    assert_eq!(count("SELECT count(*) FROM item_tags"), tags_before);
}
