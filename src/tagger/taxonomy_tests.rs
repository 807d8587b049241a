//! Loading and checking taxonomy files: every mistake is reported with its line.

use super::*;

/// A valid file with one rule per subtopic tag table, to which tests append or change lines.
fn minimal(rules: &str) -> String {
    let mut text = String::from("[scoring]\ntitle_weight = 1.5\nbody_weight = 1.0\nwindow = 4\n\n");
    for tag in SUBTOPICS {
        text.push_str(&format!("[tags.\"{tag}\"]\nthreshold = 1.0\n"));
    }
    text.push('\n');
    text.push_str(rules);
    text
}

const RULE: &str = "[[rule]]\ntag = \"ai-infra/datacenters\"\nname = \"dc\"\nweight = 1.0\nterms = [\"مراكز البيانات\"]\n";

/// The line (1-based) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).unwrap();
    text[..offset].matches('\n').count() + 1
}

fn problems(text: &str) -> Vec<Problem> {
    match Taxonomy::from_toml(text, "test.toml") {
        Err(TaxonomyError::Invalid { origin, problems }) => {
            assert_eq!(origin, "test.toml");
            problems
        }
        Err(other) => panic!("expected Invalid, got {other}"),
        Ok(_) => panic!("expected the taxonomy to be rejected:\n{text}"),
    }
}

#[track_caller]
fn assert_one_problem_at(text: &str, needle: &str, message_part: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].line, line_of(text, needle), "{found:#?}");
    assert!(found[0].message.contains(message_part), "{found:#?}");
}

#[test]
fn a_minimal_taxonomy_loads() {
    let taxonomy = Taxonomy::from_toml(&minimal(RULE), "test.toml").unwrap();
    assert_eq!(taxonomy.rule_count(), 1);
    assert_eq!(taxonomy.origin(), "test.toml");
}

#[test]
fn toml_syntax_errors_give_the_line() {
    let text = minimal(&format!("{RULE}weight = = 2\n"));
    assert_one_problem_at(&text, "weight = = 2", "");
}

#[test]
fn unknown_keys_are_rejected_with_their_line() {
    let text = minimal(&RULE.replace("weight = 1.0", "weight = 1.0\nwieght = 2.0"));
    assert_one_problem_at(&text, "wieght", "wieght");
}

#[test]
fn an_unknown_tag_in_a_rule_lists_the_valid_tags() {
    let text = minimal(&RULE.replace("ai-infra/datacenters", "ai-infra/datacentres"));
    assert_one_problem_at(&text, "ai-infra/datacentres", "ai-infra/datacenters");
}

#[test]
fn an_unknown_tag_table_is_rejected() {
    let text = minimal(&format!(
        "[tags.\"ai-infra/robots\"]\nthreshold = 1.0\n\n{RULE}"
    ));
    assert_one_problem_at(&text, "ai-infra/robots", "unknown tag");
}

#[test]
fn a_missing_subtopic_threshold_is_reported() {
    let text = minimal(RULE).replace("[tags.\"ai-infra/cloud\"]\nthreshold = 1.0\n", "");
    let found = problems(&text);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("ai-infra/cloud"), "{found:#?}");
}

#[test]
fn a_term_that_normalizes_to_nothing_is_rejected() {
    let text = minimal(&RULE.replace("[\"مراكز البيانات\"]", "[\"مراكز البيانات\",\n  \"ـــ،\"]"));
    assert_one_problem_at(&text, "ـــ،", "no letters or digits");
}

#[test]
fn a_spelling_variant_of_a_term_in_the_same_rule_is_a_duplicate() {
    let text = minimal(&RULE.replace(
        "[\"مراكز البيانات\"]",
        "[\"مراكز البيانات\",\n  \"ومراكزُ بيانـات\"]",
    ));
    assert_one_problem_at(&text, "ومراكزُ", "repeats");
}

#[test]
fn the_same_term_in_two_rules_of_one_tag_is_a_duplicate_with_the_first_line() {
    let second = RULE.replace("name = \"dc\"", "name = \"dc2\"");
    let text = minimal(&format!("{RULE}\n{second}"));
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    let first_line = line_of(&text, "مراكز البيانات");
    assert!(found[0].line > first_line);
    assert!(
        found[0].message.contains(&format!("line {first_line}:")),
        "{found:#?}"
    );
}

#[test]
fn the_same_term_may_serve_two_tags_and_a_set_may_serve_two_rules() {
    let energy = RULE.replace("ai-infra/datacenters", "ai-infra/energy");
    let shared = "[sets]\ndc = [\"مراكز البيانات\"]\n\n[[rule]]\ntag = \"ai-infra/cloud\"\nname = \"a\"\nweight = 1.0\nterms = [\"@dc\"]\n[[rule]]\ntag = \"ai-infra/cloud\"\nname = \"b\"\nweight = 0.5\nterms = [\"@dc\"]\nnear = [\"بناء\"]\n";
    let text = minimal(&format!("{shared}\n{RULE}\n{energy}"));
    let taxonomy = Taxonomy::from_toml(&text, "test.toml").unwrap();
    assert_eq!(taxonomy.rule_count(), 4);
}

#[test]
fn an_unknown_set_reference_is_rejected() {
    let text = minimal(&RULE.replace("[\"مراكز البيانات\"]", "[\"@datacentres\"]"));
    assert_one_problem_at(&text, "@datacentres", "unknown set");
}

#[test]
fn an_empty_set_is_rejected() {
    let text = minimal(&format!("[sets]\nnothing = []\n\n{RULE}"));
    assert_one_problem_at(&text, "nothing = []", "empty");
}

#[test]
fn weights_windows_and_names_out_of_range_are_rejected() {
    assert_one_problem_at(
        &minimal(&RULE.replace("weight = 1.0", "weight = 0")),
        "weight = 0",
        "weight",
    );
    assert_one_problem_at(
        &minimal(&RULE.replace("weight = 1.0", "weight = 99")),
        "weight = 99",
        "weight",
    );
    let windowed = RULE.replace("weight = 1.0", "weight = 1.0\nwindow = 500");
    assert_one_problem_at(&minimal(&windowed), "window = 500", "window");
    assert_one_problem_at(
        &minimal(&RULE.replace("\"dc\"", "\"data centre\"")),
        "data centre",
        "rule name",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = minimal(
        &RULE
            .replace("weight = 1.0", "weight = 0")
            .replace("ai-infra/datacenters", "dc"),
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    let message = TaxonomyError::Invalid {
        origin: "test.toml".into(),
        problems: found,
    }
    .to_string();
    assert!(message.contains("2 problem(s)"), "{message}");
    assert!(
        message.contains(&format!("test.toml:{}:", line_of(&text, "weight = 0"))),
        "{message}"
    );
}

#[test]
fn the_version_ignores_comments_and_follows_the_rules() {
    let base = Taxonomy::from_toml(&minimal(RULE), "a").unwrap();
    let commented = Taxonomy::from_toml(&format!("# a comment\n{}", minimal(RULE)), "b").unwrap();
    assert_eq!(base.version(), commented.version());
    let reweighted =
        Taxonomy::from_toml(&minimal(&RULE.replace("1.0\nterms", "0.9\nterms")), "c").unwrap();
    assert_ne!(base.version(), reweighted.version());
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("taxonomy.toml");
    std::fs::write(&good, minimal(RULE)).unwrap();
    assert_eq!(Taxonomy::load(&good).unwrap().rule_count(), 1);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, minimal(&RULE.replace("weight = 1.0", "weight = 0"))).unwrap();
    let message = Taxonomy::load(&bad).unwrap_err().to_string();
    assert!(message.contains(&bad.display().to_string()), "{message}");

    let missing = dir.path().join("missing.toml");
    let error = Taxonomy::load(&missing).unwrap_err();
    assert!(matches!(error, TaxonomyError::Read { .. }), "{error}");
    assert!(error.to_string().contains("missing.toml"));
}
