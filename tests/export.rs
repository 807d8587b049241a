//! `mirsad export` through the real binary on a fixture store: Atom and RSS read back by
//! feed-rs and by Python's feedparser, sanitized HTML, CSV through Python's csv module, and
//! JSON Lines against the fields docs/schema.md promises.

mod support;

use std::collections::BTreeSet;

use mirsad::export::sanitize::clean_title;
use mirsad::store::{ExportItem, ItemFilter, Store};
use support::cli::Mirsad;
use support::process::{mirsad, mirsad_ok};
use support::store::{HOSTILE_TITLE, build_fixture};

fn fixture() -> (Mirsad, Store) {
    let m = Mirsad::new();
    let store = build_fixture(&m.db);
    (m, store)
}

fn expected(store: &Store, tag: Option<&str>) -> Vec<ExportItem> {
    let filter = ItemFilter {
        tag: tag.map(str::to_owned),
        ..ItemFilter::default()
    };
    store.export_items(&filter, None).unwrap()
}

/// Exports to a file through the binary and returns (path, text).
fn export(m: &Mirsad, name: &str, args: &[&str]) -> (String, String) {
    let path = m.path(name).display().to_string();
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", &path]);
    mirsad_ok(m, &all);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// Checks a feed export with both parsers against the store; returns the entry ids.
fn check_feed(path: &str, text: &str, items: &[ExportItem]) -> Vec<String> {
    assert!(!items.is_empty());
    let parsed = feed_rs::parser::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed.entries.len(), items.len());
    for (entry, item) in parsed.entries.iter().zip(items) {
        let title = entry.title.as_ref().unwrap().content.clone();
        assert_eq!(title, clean_title(&item.title));
        assert_eq!(entry.links[0].href, item.url.clone().unwrap());
        let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        let tags: Vec<&str> = item.tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(terms, tags);
        assert!(entry.published.is_some());
    }

    let fp = support::process::feedparser(path);
    assert_eq!(fp["bozo"], 0, "feedparser: {}", fp["bozo_exception"]);
    let entries = fp["entries"].as_array().unwrap();
    assert_eq!(entries.len(), items.len());
    for (entry, item) in entries.iter().zip(items) {
        assert_eq!(entry["title"], clean_title(&item.title));
        assert_eq!(entry["link"], item.url.clone().unwrap());
        let tags: Vec<&str> = item.tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(entry["tags"], serde_json::json!(tags));
        assert_eq!(entry["published"], true);
    }
    entries
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn atom_export_is_valid_for_feed_rs_and_feedparser_with_stable_ids() {
    let (m, store) = fixture();
    let items = expected(&store, Some("ai-infra"));
    let (path, text) = export(&m, "a.atom", &["--format", "atom", "--tag", "ai-infra"]);
    assert!(text.contains(r#"xml:lang="ar""#));
    assert!(text.contains("<title type=\"text\">مرصاد: البنية التحتية للذكاء الاصطناعي</title>"));
    let ids = check_feed(&path, &text, &items);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    assert!(ids.iter().all(|id| id.starts_with("urn:mirsad:item:")));

    // Another export (other filters, other format) gives every item the same id.
    let (path2, text2) = export(&m, "b.atom", &["--format", "atom", "--title", "عنوان آخر"]);
    let all = expected(&store, None);
    let ids2 = check_feed(&path2, &text2, &all);
    assert!(ids.iter().all(|id| ids2.contains(id)));
    let (rss_path, rss) = export(&m, "c.rss", &["--format", "rss", "--tag", "ai-infra"]);
    assert_eq!(check_feed(&rss_path, &rss, &items), ids);
    // Nothing changed in the store: the file is byte-for-byte the same.
    let (_, again) = export(&m, "d.atom", &["--format", "atom", "--tag", "ai-infra"]);
    assert_eq!(again, text);
}

#[test]
fn rss_export_is_valid_for_feed_rs_and_feedparser() {
    let (m, store) = fixture();
    let items = expected(&store, Some("ai-infra/chips"));
    let (path, text) = export(&m, "f.rss", &["--format", "rss", "--tag", "ai-infra/chips"]);
    assert!(text.contains("<guid isPermaLink=\"false\">urn:mirsad:item:"));
    assert!(text.contains("<dc:creator>محرر</dc:creator>"));
    check_feed(&path, &text, &items);
    let fp = support::process::feedparser(&path);
    assert_eq!(fp["version"], "rss20");
}

#[test]
fn hostile_html_and_titles_are_neutralized_in_feeds() {
    let (m, _store) = fixture();
    for format in ["atom", "rss"] {
        let (_, text) = export(&m, &format!("h.{format}"), &["--format", format]);
        let lower = text.to_lowercase();
        for banned in [
            "<script",
            "&lt;script",
            "onerror",
            "javascript:",
            "<iframe",
            "&lt;iframe",
            "&lt;style",
            "evil.example/frame",
        ] {
            assert!(!lower.contains(banned), "{format}: `{banned}` survived");
        }
        assert!(
            !text.contains('\u{202E}'),
            "{format}: bidi override survived"
        );
        // The hostile item is there, just harmless.
        assert!(
            text.contains(&clean_title(HOSTILE_TITLE).replace('"', "&quot;")),
            "{format}"
        );
        assert!(
            text.contains("&lt;b&gt;إنفيديا&lt;/b&gt;"),
            "{format}: markup lost"
        );
    }
}

#[test]
fn csv_round_trips_through_python_with_arabic_intact_and_formulas_neutralized() {
    let (m, store) = fixture();
    let items = expected(&store, None);
    let (path, text) = export(&m, "x.csv", &["--format", "csv", "--bom"]);
    assert!(text.starts_with('\u{FEFF}'));
    let script = r#"
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    print(json.dumps(list(csv.reader(f, strict=True)), ensure_ascii=False))
"#;
    let rows: Vec<Vec<String>> =
        serde_json::from_str(&support::process::python("csv", script, &[&path])).unwrap();
    assert_eq!(rows[0], mirsad::export::CSV_HEADER);
    assert_eq!(rows.len(), items.len() + 1);
    let title_col = rows[0].iter().position(|h| h == "title").unwrap();
    let summary_col = rows[0].iter().position(|h| h == "summary").unwrap();
    for (row, item) in rows[1..].iter().zip(&items) {
        assert_eq!(row.len(), rows[0].len());
        let title = clean_title(&item.title);
        if title.starts_with('=') {
            assert_eq!(row[title_col], format!("'{title}"));
        } else {
            assert_eq!(row[title_col], title);
        }
        assert_eq!(row[summary_col], item.summary);
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
        }
    }
    assert!(rows.iter().any(|r| r[title_col].starts_with("'=HYPERLINK")));
}

#[test]
fn csv_header_is_the_one_docs_schema_documents() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md")).unwrap();
    let header = mirsad::export::CSV_HEADER.join(",");
    assert!(
        docs.contains(&format!("```text\n{header}\n```")),
        "docs/schema.md lacks the header {header}"
    );
}

/// The field names docs/schema.md lists under "### JSONL export" (`feeds[].url` for nested).
fn documented_jsonl_fields() -> BTreeSet<String> {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md")).unwrap();
    let section = docs.split("### JSONL export").nth(1).unwrap();
    let section = section.split("\n#").next().unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn jsonl_lines_parse_and_carry_exactly_the_documented_fields() {
    let (m, store) = fixture();
    let items = expected(&store, None);
    let out = mirsad_ok(&m, &["export", "--format", "jsonl"]);
    let documented = documented_jsonl_fields();
    assert!(documented.len() > 20, "{documented:?}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), items.len());
    for (line, item) in lines.iter().zip(&items) {
        let mut keys: BTreeSet<String> = line.as_object().unwrap().keys().cloned().collect();
        for (list, first) in [("feeds", &line["feeds"][0]), ("tags", &line["tags"][0])] {
            if let Some(object) = first.as_object() {
                keys.extend(object.keys().map(|k| format!("{list}[].{k}")));
            } else {
                keys.extend(
                    documented
                        .iter()
                        .filter(|d| d.starts_with(&format!("{list}[].")))
                        .cloned(),
                );
            }
        }
        assert_eq!(keys, documented);
        assert_eq!(line["id"], item.id);
        assert_eq!(line["title"], clean_title(&item.title));
        assert_eq!(line["tags"].as_array().unwrap().len(), item.tags.len());
    }
    let tagged = lines
        .iter()
        .find(|l| !l["tags"].as_array().unwrap().is_empty())
        .unwrap();
    assert!(
        tagged["tags"][0]["evidence"][0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("fixture:")
    );
}

#[test]
fn bom_is_refused_for_formats_it_would_break() {
    let (m, _store) = fixture();
    let out = mirsad(&m, &["export", "--format", "jsonl", "--bom"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bom applies only to --format csv"));
}

/// One part of the xlsx package (a zip) as text.
fn xlsx_part(path: &str, part: &str) -> String {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    zip.by_name(part)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn xlsx_reads_right_to_left_with_a_frozen_header_dates_links_and_tag_columns() {
    let (m, store) = fixture();
    let items = expected(&store, None);
    let path = m.path("x.xlsx").display().to_string();
    mirsad_ok(&m, &["export", "--format", "xlsx", "--out", &path]);
    let sheet = xlsx_part(&path, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("rightToLeft=\"1\""),
        "sheet is not right to left"
    );
    assert!(sheet.contains("state=\"frozen\""), "header row not frozen");
    assert!(sheet.contains("<autoFilter"), "no filter on the header");
    let rows = sheet.matches("<row ").count();
    assert_eq!(rows, items.len() + 1, "one row per item plus the header");
    let linked = items
        .iter()
        .filter(|i| i.url.as_deref().is_some_and(|u| u.starts_with("http")))
        .count();
    assert!(linked > 0);
    assert_eq!(sheet.matches("<hyperlink ").count(), linked);
    // Dates are numbers with a date format, not text.
    let styles = xlsx_part(&path, "xl/styles.xml");
    assert!(styles.contains("yyyy-mm-dd hh:mm"));
    // Arabic text and the tag columns are in the shared strings, and the hostile title is a
    // plain string: the workbook holds no formula.
    let strings = xlsx_part(&path, "xl/sharedStrings.xml");
    assert!(strings.contains("ai-infra/chips"));
    assert!(strings.contains("إنفيديا"));
    assert!(!sheet.contains("<f>"), "a cell was written as a formula");
}
