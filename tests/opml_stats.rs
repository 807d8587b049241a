//! OPML export → import round trips and config comments survive an import; `mirsad stats` on
//! the fixture store.

mod support;

use mirsad::export::opml::{self, OpmlFeed};
use support::cli::Mirsad;
use support::process::{mirsad, mirsad_ok};
use support::store::{FEEDS, build_fixture};

const CONFIG: &str = r#"# mirsad configuration — my own notes stay here.
database = "data/m.db"   # next to this file

[fetch]
# concurrency = 16
timeout = "20s"

# --- Arabic technology news ---
[[feeds]]
name = "AIT News (البوابة العربية للأخبار التقنية)"
url = "https://aitnews.com/feed/"
interval = "20m"   # busy site

[[feeds]]
name = "عالم التقنية"
url = "https://www.tech-wd.com/wd/feed"

[[feeds]]
url = "https://arabic.cnet.com/rss/"
enabled = false

# --- Exports ---
# [[exports]]
# path = "/var/lib/mirsad/ai-infra.atom"
"#;

/// (url, name) of every `[[feeds]]` table, read with the plain `toml` parser.
fn feed_list(config: &str) -> Vec<(String, Option<String>)> {
    let table: toml::Table = toml::from_str(config).unwrap();
    let Some(feeds) = table.get("feeds") else {
        return Vec::new();
    };
    feeds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["url"].as_str().unwrap().to_owned(),
                f.get("name").map(|n| n.as_str().unwrap().to_owned()),
            )
        })
        .collect()
}

fn opml_of(config: &str) -> String {
    let feeds: Vec<OpmlFeed> = feed_list(config)
        .into_iter()
        .map(|(url, name)| OpmlFeed {
            title: name,
            xml_url: url,
            html_url: None,
        })
        .collect();
    let mut buf = Vec::new();
    opml::write_opml(&feeds, "mirsad feeds", &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn opml_export_then_import_into_an_empty_config_gives_the_same_feeds() {
    let parsed = opml::parse_opml(&opml_of(CONFIG)).unwrap();
    let plan = opml::import_feeds("", &parsed).unwrap();
    assert!(plan.skipped.is_empty());
    let mut expected = feed_list(CONFIG);
    // A feed without a name is exported titled by its URL; that title is not a name.
    for (url, name) in &mut expected {
        name.get_or_insert_with(|| url.clone());
    }
    assert_eq!(feed_list(&plan.config_text), expected);
}

#[test]
fn opml_import_through_the_binary_keeps_comments_and_reports_what_it_did() {
    let m = Mirsad::new();
    let config = m.write("mirsad.toml", CONFIG);
    let list = m.write(
        "reader.opml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Reader</title></head><body>
  <outline text="Tech">
    <outline type="rss" text="AIT" xmlUrl="https://aitnews.com/feed"/>
    <outline type="rss" text="البيان — تقنية" xmlUrl="https://www.albayan.ae/technology/rss.xml"
             htmlUrl="https://www.albayan.ae/"/>
    <outline type="rss" text="Sky News عربية" xmlUrl="https://www.skynewsarabia.com/technology/rss"/>
  </outline>
</body></opml>"#,
    );
    let args = ["--config", config.as_str(), "opml", "import", list.as_str()];

    let dry = mirsad_ok(&m, &[&args[..], &["--dry-run"]].concat());
    assert!(dry.starts_with("would add 2 feed(s)"), "{dry}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), CONFIG);

    let out = mirsad_ok(&m, &args);
    assert!(out.starts_with("added 2 feed(s)"), "{out}");
    assert!(
        out.contains("- https://aitnews.com/feed  (already in the config)"),
        "{out}"
    );
    let edited = std::fs::read_to_string(&config).unwrap();
    let before_exports = CONFIG.split("\n# --- Exports ---").next().unwrap();
    assert!(edited.starts_with(before_exports), "{edited}");
    assert!(edited.ends_with("# [[exports]]\n# path = \"/var/lib/mirsad/ai-infra.atom\"\n"));
    for comment in [
        "— my own notes stay here.",
        "# next to this file",
        "# busy site",
    ] {
        assert!(edited.contains(comment), "lost {comment}");
    }
    let urls: Vec<String> = feed_list(&edited).into_iter().map(|(u, _)| u).collect();
    assert_eq!(urls.len(), 5);
    assert!(urls.contains(&"https://www.albayan.ae/technology/rss.xml".to_owned()));

    let again = mirsad_ok(&m, &args);
    assert!(again.starts_with("added 0 feed(s)"), "{again}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), edited);
}

#[test]
fn opml_import_creates_a_missing_config_and_refuses_a_non_opml_file() {
    let m = Mirsad::new();
    let config = m.path("new.toml").display().to_string();
    let list = m.write("list.opml", &opml_of(CONFIG));
    let out = mirsad_ok(&m, &["--config", &config, "opml", "import", &list]);
    assert!(out.starts_with("added 3 feed(s)"), "{out}");
    assert_eq!(
        feed_list(&std::fs::read_to_string(&config).unwrap()).len(),
        3
    );

    let rss = m.write("feed.xml", "<rss version=\"2.0\"><channel/></rss>");
    let out = mirsad(&m, &["--config", &config, "opml", "import", &rss]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an OPML file"), "{err}");
}

#[test]
fn stats_counts_feeds_tags_and_days() {
    let m = Mirsad::new();
    let store = build_fixture(&m.db);
    let json: serde_json::Value =
        serde_json::from_str(&mirsad_ok(&m, &["stats", "--json"])).unwrap();
    assert_eq!(json["items"], store.count_items().unwrap());
    assert_eq!(json["days"].as_array().unwrap().len(), 30);
    assert_eq!(json["feeds"].as_array().unwrap().len(), FEEDS.len());
    let per_day: i64 = json["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["items"].as_i64().unwrap())
        .sum();
    assert!(per_day > 0 && per_day < json["items"].as_i64().unwrap());
    let chips = json["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "ai-infra/chips")
        .unwrap();
    assert!(chips["items"].as_i64().unwrap() > 0);

    let human = mirsad_ok(&m, &["stats"]);
    assert!(human.contains("هسبريس"), "{human}");
    assert!(human.contains("ai-infra/chips"), "{human}");
    assert!(
        !human.contains('█'),
        "no charts when stdout is not a terminal"
    );
}
