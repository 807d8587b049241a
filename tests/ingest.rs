//! The foundation end to end: `mirsad ingest`, `items`, `search` and `feeds` on real and
//! hostile documents, through the real binary.

mod support;

use std::path::Path;

use support::cli::{Mirsad, fixture};

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>اختبار</title><link>https://example.com/</link>"#,
    );
    for (guid, title, description) in items {
        xml.push_str(&format!(
            "<item><guid>https://example.com/{guid}</guid><link>https://example.com/{guid}</link>\
             <title>{title}</title><description>{description}</description>\
             <pubDate>Mon, 02 Feb 2026 10:00:00 +0000</pubDate></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

#[test]
fn real_arabic_feeds_ingest_with_expected_counts_and_twice_changes_nothing() {
    let m = Mirsad::new();
    let feeds = [
        "aitnews_2025_01.xml",
        "hespress_2026_01.xml",
        "alittihad_2026_01.xml",
    ];
    let paths: Vec<String> = feeds
        .iter()
        .map(|f| fixture(&format!("feeds/{f}")))
        .collect();
    let out = m.run_ok(&["ingest"], &paths);
    assert_eq!(out.matches("10 entries: 10 new").count(), 3, "{out}");
    assert_eq!(count(&m.db, "SELECT count(*) FROM items"), 30);

    let again = m.run_ok(&["ingest"], &paths);
    assert_eq!(
        again.matches("0 new, 0 updated, 10 unchanged").count(),
        3,
        "{again}"
    );
    assert_eq!(count(&m.db, "SELECT count(*) FROM items"), 30);
}

#[test]
fn upstream_edit_updates_one_row_and_keeps_first_seen() {
    let m = Mirsad::new();
    let v1 = m.write(
        "v1.xml",
        &rss(&[("a", "عنوان أول", "نص"), ("b", "خبر آخر", "نص")]),
    );
    m.run_ok(&["ingest", "--feed", "https://example.com/feed"], &[v1]);
    let first_seen: String = rusqlite::Connection::open(&m.db)
        .unwrap()
        .query_row(
            "SELECT first_seen_at FROM items WHERE url LIKE '%/a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let v2 = m.write(
        "v2.xml",
        &rss(&[("a", "عنوان معدل", "نص"), ("b", "خبر آخر", "نص")]),
    );
    let out = m.run_ok(&["ingest", "--feed", "https://example.com/feed"], &[v2]);
    assert!(out.contains("0 new, 1 updated, 1 unchanged"), "{out}");
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let (title, first, updated): (String, String, Option<String>) = conn
        .query_row(
            "SELECT title, first_seen_at, updated_at FROM items WHERE url LIKE '%/a'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(title, "عنوان معدل");
    assert_eq!(first, first_seen);
    assert!(updated.is_some_and(|u| u > first_seen));
    assert_eq!(count(&m.db, "SELECT count(*) FROM items"), 2);
}

#[test]
fn one_article_in_two_feeds_is_one_item_with_two_memberships() {
    let m = Mirsad::new();
    let doc = m.write("doc.xml", &rss(&[("x?utm_source=rss", "خبر مشترك", "نص")]));
    let other = m.write(
        "other.xml",
        &rss(&[("x", "خبر مشترك", "نص")])
            .replace("https://example.com/x", "HTTPS://Example.com/x/"),
    );
    m.run_ok(&["ingest", "--feed", "https://a.example/feed"], &[doc]);
    m.run_ok(&["ingest", "--feed", "https://b.example/feed"], &[other]);
    assert_eq!(count(&m.db, "SELECT count(*) FROM items"), 1);
    assert_eq!(count(&m.db, "SELECT count(*) FROM item_feeds"), 2);
    let json = m.run_ok(&["items", "--json"], &[]);
    let item: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(item["feeds"].as_array().unwrap().len(), 2, "{item}");
}

#[test]
fn legacy_arabic_encodings_decode_to_the_expected_text() {
    let m = Mirsad::new();
    let expected = "أخبار التقنية: الذكاء الاصطناعي ومراكز البيانات، هل تكفي الطاقة؟";
    for (file, charset) in [
        ("hostile/cp1256_prolog.xml", None),
        ("hostile/iso88596_prolog.xml", None),
        ("hostile/cp1256_noprolog.xml", Some("windows-1256")),
        ("hostile/cp1256_noenc_prolog.xml", Some("windows-1256")),
        ("hostile/utf8_mislabeled_1256.xml", None),
        ("hostile/utf8_bom_prolog.xml", None),
    ] {
        let mut args = vec!["ingest", "--feed"];
        let feed = format!("https://example.com/{file}");
        args.push(&feed);
        if let Some(charset) = charset {
            args.extend(["--charset", charset]);
        }
        m.run_ok(&args, &[fixture(file)]);
    }
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let feed_titles: i64 = conn
        .query_row(
            "SELECT count(*) FROM feeds WHERE title = ?1",
            [expected],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        feed_titles, 6,
        "every sample's channel title decodes to the expected text"
    );
    let mut stmt = conn.prepare("SELECT title FROM items").unwrap();
    let titles: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t == "إنفيديا تعلن عن شرائح جديدة لمراكز البيانات"),
        "{titles:?}"
    );
    for title in &titles {
        assert!(
            title
                .chars()
                .any(|c| ('\u{0621}'..='\u{064A}').contains(&c)),
            "mojibake stored: {title}"
        );
        assert!(
            !title.contains('\u{FFFD}') && !title.contains('Ø'),
            "{title}"
        );
    }
}

#[test]
fn search_ignores_diacritics_hamza_tatweel_digits_and_clitics() {
    let m = Mirsad::new();
    let doc = m.write(
        "s.xml",
        &rss(&[
            ("1", "ومراكزُ البيانـات تتوسع في الخليج", "خبر"),
            ("2", "إنفيديا تطلق رقاقاتها الجديدة", "خبر"),
            ("3", "استثمار ٥١ مليار دولار", "خبر"),
            ("4", "مباراة كرة القدم", "المركز الأول للفريق"),
        ]),
    );
    m.run_ok(&["ingest", "--feed", "https://example.com/feed"], &[doc]);
    let hits = |q: &str| -> Vec<String> {
        m.run_ok(&["search", q, "--json"], &[])
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["title"].to_string())
            .collect()
    };
    for (query, expected) in [
        ("مراكز البيانات", "ومراكزُ"),
        ("مَرَاكِز بيانات", "ومراكزُ"),
        ("والبيانات", "ومراكزُ"),
        ("انفيديا", "إنفيديا"),
        ("رقاقات", "إنفيديا"),
        ("رقاقة", "إنفيديا"),
        ("51 مليار", "٥١"),
        ("بالمليار", "٥١"),
    ] {
        let found = hits(query);
        assert!(
            found.len() == 1 && found[0].contains(expected),
            "{query} → {found:?}"
        );
    }
    // FTS5 syntax in a query is just words, never an error.
    for hostile in [
        "\"",
        "مراكز OR",
        "NEAR(",
        "a*b^c",
        "'; DROP TABLE items; --",
        "*",
    ] {
        m.run_ok(&["search", hostile], &[]);
    }
    // Filters narrow the ranked hits; --limit cuts the ranked list.
    let in_feed = m.run_ok(
        &[
            "search",
            "خبر",
            "--feed",
            "https://example.com/feed",
            "--json",
        ],
        &[],
    );
    assert_eq!(in_feed.lines().count(), 3, "{in_feed}");
    // A feed the store does not know is refused, not an empty result (issue 16).
    let other_feed = m.run(&["search", "خبر", "--feed", "https://other.example/f"], &[]);
    assert!(!other_feed.status.success());
    assert!(String::from_utf8_lossy(&other_feed.stderr).contains("did you mean"));
    let limited = m.run_ok(&["search", "خبر", "--limit", "2", "--json"], &[]);
    assert_eq!(limited.lines().count(), 2, "{limited}");
}

#[test]
fn bad_documents_fail_clearly_store_nothing_and_do_not_stop_the_others() {
    let m = Mirsad::new();
    let junk = m.write_bytes("junk.bin", &[0u8, 159, 146, 150, 255, 0, 1, 2, 3, 200, 201]);
    let docs = vec![
        fixture("hostile/bad_truncated.xml"),
        fixture("hostile/bad_html.xml"),
        fixture("hostile/bad_empty.xml"),
        junk,
        fixture("feeds/aitnews_2025_01.xml"),
        fixture("hostile/panic_min1.xml"),
    ];
    let out = m.run(&["ingest"], &docs);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "bad_truncated.xml",
        "bad_html.xml",
        "bad_empty.xml",
        "junk.bin",
        "panic_min1.xml",
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no error line for {name}: {stderr}"));
        assert!(line.len() > name.len() + 20, "{line}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.to_lowercase().contains("html"), "{stderr}");
    assert_eq!(count(&m.db, "SELECT count(*) FROM items"), 10);
    assert_eq!(count(&m.db, "SELECT count(*) FROM feeds"), 1);
}

#[test]
fn items_json_has_the_documented_fields_and_filters_work() {
    let m = Mirsad::new();
    m.run_ok(&["ingest"], &[fixture("feeds/aitnews_2025_01.xml")]);
    let out = m.run_ok(&["items", "--json", "--limit", "3"], &[]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for key in [
        "id",
        "url",
        "title",
        "feeds",
        "published_at",
        "first_seen_at",
        "tags",
    ] {
        assert!(lines[0].get(key).is_some(), "missing {key}: {}", lines[0]);
    }
    let none = m.run(
        &["items", "--json", "--feed", "https://nowhere.example/"],
        &[],
    );
    assert!(!none.status.success() && none.stdout.is_empty());
    let old = m.run_ok(&["items", "--json", "--until", "2000-01-01"], &[]);
    assert!(old.is_empty());
    let table = m.run_ok(&["items"], &[]);
    assert!(table.lines().count() >= 11, "{table}");
    let feeds = m.run_ok(&["feeds", "--json"], &[]);
    let feed: serde_json::Value = serde_json::from_str(feeds.lines().next().unwrap()).unwrap();
    assert_eq!(feed["items"], 10);
    for key in [
        "url",
        "name",
        "status",
        "last_fetch_at",
        "next_fetch_at",
        "last_error",
    ] {
        assert!(feed.get(key).is_some(), "missing {key}: {feed}");
    }
}

#[test]
fn check_reports_the_repository_config_and_rejects_a_typo_with_its_line() {
    let m = Mirsad::new();
    let repo_config = format!("{}/config/mirsad.toml", env!("CARGO_MANIFEST_DIR"));
    let out = m.run_ok(&["--config", &repo_config, "check"], &[]);
    assert!(out.contains("feeds:") && out.contains("taxonomy:"), "{out}");

    let bad = m.write(
        "bad.toml",
        "[[feeds]]\nurl = \"https://example.com/feed\"\nintervl = \"30m\"\n",
    );
    let out = m.run(&["--config", &bad, "check"], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("intervl") && stderr.contains(":3"),
        "{stderr}"
    );
    assert!(stderr.contains("interval"), "{stderr}");
}

#[test]
fn a_company_name_in_latin_finds_the_items_that_spell_it_in_arabic() {
    let m = Mirsad::new();
    let paths: Vec<String> = [
        "aitnews_2025_01.xml",
        "hespress_2026_01.xml",
        "alittihad_2026_01.xml",
    ]
    .iter()
    .map(|f| fixture(&format!("feeds/{f}")))
    .collect();
    m.run_ok(&["ingest"], &paths);
    let ids = |q: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = m
            .run_ok(&["search", q, "--json"], &[])
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        ids.sort_unstable();
        ids
    };
    // aitnews writes مايكروسوفت and never "Microsoft"; it writes جوجل, and "Google" only in some
    // items; إنفيديا and Nvidia both appear.
    for (latin, arabic, at_least) in [
        ("Microsoft", "مايكروسوفت", 1),
        ("Google", "جوجل", 2),
        ("Google", "غوغل", 2),
        ("Nvidia", "إنفيديا", 1),
        ("NVIDIA", "نيفيديا", 1),
        ("Meta", "ميتا", 1),
    ] {
        let by_latin = ids(latin);
        assert!(by_latin.len() >= at_least, "{latin} → {by_latin:?}");
        assert_eq!(by_latin, ids(arabic), "{latin} vs {arabic}");
    }
    // The name joins the other words of the query; it does not replace them.
    let narrowed = ids("Google النظارات");
    assert_eq!(narrowed.len(), 1, "{narrowed:?}");
    assert!(ids("Microsoft النظارات").is_empty());
}
