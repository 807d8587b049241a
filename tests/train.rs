//! `mirsad train` through the binary: it trains on a small corpus, reports figures before and
//! after, writes a model file that is the same bytes every time, and a config's `model = "…"`
//! makes `tag`, `check` and `retag` use it.

mod support;

use support::cli::{Mirsad, fixture};

const H200: &str = "ترامب يسمح ببيع رقاقات إنفيديا H200 للصين";

/// The development set with a made-up outlet per item (eight outlets), as a corpus file.
fn write_corpus(m: &Mirsad) -> String {
    let text = std::fs::read_to_string(fixture("dev_set.jsonl")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let mut item: serde_json::Value = serde_json::from_str(line).unwrap();
        item["outlet"] = serde_json::json!(format!("outlet-{}.example", i % 8));
        out.push_str(&item.to_string());
        out.push('\n');
    }
    m.write("corpus.jsonl", &out)
}

fn train(m: &Mirsad, corpus: &str, out: &str) -> String {
    m.run_ok(
        &["train", "--corpus", corpus, "--out", out, "--folds", "4"],
        &[],
    )
}

#[test]
fn train_reports_before_and_after_and_writes_a_model_the_config_can_use() {
    let m = Mirsad::new();
    let corpus = write_corpus(&m);
    let model = m.path("model.tsv").display().to_string();
    let report = train(&m, &corpus, &model);
    for expected in [
        "160 items from 8 outlets; 4-fold cross-validation grouped by outlet",
        "before:",
        "after: the new model, cross-validated",
        "ai-infra/datacenters",
        "macro-F1 over the six subtopics",
        "training: ",
        "model = ",
        "mirsad retag",
    ] {
        assert!(report.contains(expected), "{expected:?} in\n{report}");
    }
    let text = std::fs::read_to_string(&model).unwrap();
    assert!(text.starts_with("mirsad-model 1\n"), "{text}");
    assert!(text.contains("threshold\tai-infra\t"), "{text}");
    assert!(text.contains("\trule:any=pass\t"), "{text}");

    let config = m.write("mirsad.toml", "model = \"model.tsv\"\n");
    let check = m.run_ok(&["--config", &config, "check"], &[]);
    assert!(check.contains("model:     model.tsv (ok)"), "{check}");
    let out = m.run_with_stdin(&["--config", &config, "tag", "--explain"], H200);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("ai-infra/chips"), "{stdout}");
    assert!(stdout.contains("model (probability"), "{stdout}");
}

#[test]
fn training_twice_on_the_same_corpus_writes_the_same_bytes() {
    let m = Mirsad::new();
    let corpus = write_corpus(&m);
    let (a, b) = (m.path("a.tsv"), m.path("b.tsv"));
    train(&m, &corpus, &a.display().to_string());
    train(&m, &corpus, &b.display().to_string());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn check_reports_a_broken_model_file_at_its_line() {
    let m = Mirsad::new();
    m.write(
        "model.tsv",
        "mirsad-model 1\nthreshold\tai-infra\t0.5\nai-infra\tw:x\tnot-a-number\n",
    );
    let config = m.write("mirsad.toml", "model = \"model.tsv\"\n");
    let out = m.run(&["--config", &config, "check"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("model.tsv:3: \"not-a-number\" is not a finite number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no threshold for ai-infra/chips"),
        "{stderr}"
    );
}

#[test]
fn a_new_model_makes_stored_tags_stale_and_retag_applies_it() {
    let m = Mirsad::new();
    m.run_ok(&["ingest"], &[fixture("feeds/aitnews_2025_01.xml")]);
    let versions = |m: &Mirsad| -> Vec<String> {
        let conn = rusqlite::Connection::open(&m.db).unwrap();
        let mut stmt = conn
            .prepare("SELECT DISTINCT taxonomy_version FROM item_tags")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let before = versions(&m);
    assert_eq!(before.len(), 1, "{before:?}");
    let corpus = write_corpus(&m);
    train(&m, &corpus, &m.path("model.tsv").display().to_string());
    let config = m.write("mirsad.toml", "model = \"model.tsv\"\n");
    let out = m.run_ok(&["--config", &config, "retag"], &[]);
    assert!(out.contains("retagged"), "{out}");
    let after = versions(&m);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before);
}

#[test]
fn train_with_judgements_learns_from_the_items_the_analyst_labelled() {
    let m = Mirsad::new();
    m.run_ok(&["ingest"], &[fixture("feeds/hespress_2026_01.xml")]);
    let items = m.run_ok(&["items", "--json", "--limit", "2"], &[]);
    let ids: Vec<String> = items
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    m.run_ok(&["label", &ids[0], "--add", "energy"], &[]);
    m.run_ok(&["label", &ids[1], "--not"], &[]);
    let corpus = write_corpus(&m);
    let out = m.run_ok(
        &[
            "train",
            "--corpus",
            &corpus,
            "--out",
            &m.path("model.tsv").display().to_string(),
            "--folds",
            "4",
            "--with-judgements",
        ],
        &[],
    );
    assert!(out.contains("and 2 judgements: 162 items"), "{out}");
    let text = std::fs::read_to_string(m.path("model.tsv")).unwrap();
    assert!(
        text.contains("on 162 items") && text.contains("and 2 judgements"),
        "{text}"
    );
}
