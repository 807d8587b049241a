//! End-to-end tests of [`super::parse`]: here the hostile fixture documents, in [`formats`]
//! the real feeds, each format's fields, and property tests.

mod formats;

use std::time::{Duration, Instant};

use super::*;

const ENCODING_TITLE: &str = "أخبار التقنية: الذكاء الاصطناعي ومراكز البيانات، هل تكفي الطاقة؟";
const ENCODING_ITEM: &str = "إنفيديا تعلن عن شرائح جديدة لمراكز البيانات";

fn hostile(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/hostile/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(super) fn real(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn parsed(name: &str, charset: Option<&str>) -> ParsedFeed {
    parse(&hostile(name), charset).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn error(name: &str) -> String {
    match parse(&hostile(name), None) {
        Ok(feed) => panic!("{name}: expected an error, got {feed:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn encoding_samples_decode_to_the_expected_titles() {
    for (name, charset) in [
        ("utf8_bom_prolog.xml", None),
        ("utf8_bom_noprolog.xml", Some("windows-1256")),
        ("utf16le_bom.xml", Some("utf-8")),
        ("cp1256_prolog.xml", None),
        ("cp1256_noprolog.xml", Some("windows-1256")),
        ("cp1256_noenc_prolog.xml", Some("windows-1256")),
        ("utf8_mislabeled_1256.xml", Some("windows-1256")),
        ("iso88596_prolog.xml", None),
    ] {
        let feed = parsed(name, charset);
        assert_eq!(feed.title.as_deref(), Some(ENCODING_TITLE), "{name}");
        assert_eq!(feed.entries.len(), 2, "{name}");
        // ISO-8859-6 has no alef with hamza below; the fixture writes a bare alef.
        let expected = if name.starts_with("iso") {
            ENCODING_ITEM.replace('إ', "ا")
        } else {
            ENCODING_ITEM.into()
        };
        assert_eq!(feed.entries[0].title, expected, "{name}");
        assert!(
            feed.entries[0].summary.contains("نفيديا"),
            "{name}: {}",
            feed.entries[0].summary
        );
    }
}

#[test]
fn legacy_bytes_without_a_named_encoding_are_refused_not_garbled() {
    let message = parse(&hostile("cp1256_noprolog.xml"), None)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("invalid UTF-8 at byte 35 (line 1)"),
        "{message}"
    );
}

#[test]
fn invalid_utf8_is_an_error_with_its_byte_offset() {
    let message = error("bad_invalid_utf8.xml");
    assert!(
        message.starts_with("invalid UTF-8 at byte 129 (line 1)"),
        "{message}"
    );
}

#[test]
fn feed_rs_panics_become_errors() {
    for name in ["panic_min1.xml", "panic_min2.xml"] {
        let message = error(name);
        assert!(
            message.contains("malformed XML at line 1")
                && message.contains("second XML declaration"),
            "{message}"
        );
        // Without our pre-check feed-rs really panics; the isolation must still hold.
        let text = String::from_utf8(hostile(name)).unwrap();
        match run_feed_rs(&text) {
            Err(failure @ Failure::Panic(_)) => {
                let message = describe(&text, failure).to_string();
                assert!(
                    message.starts_with("malformed feed document: the feed parser crashed"),
                    "{message}"
                );
            }
            _ => panic!("{name}: feed-rs was expected to panic"),
        }
    }
}

#[test]
fn entries_without_an_id_have_no_guid() {
    let feed = parsed("no_guid.xml", None);
    let guids: Vec<_> = feed.entries.iter().map(|e| e.guid.clone()).collect();
    assert_eq!(guids, [None, None, None]);
    assert_eq!(
        feed.entries[0].link.as_deref(),
        Some("https://example.com/x")
    );
    assert_eq!(feed.entries[1].link, None);
    assert_eq!(feed.entries[2].title, "");
    assert_eq!(feed.entries[2].summary, "فقط وصف");
    // Stable across parses: nothing random.
    assert_eq!(feed, parsed("no_guid.xml", None));
}

#[test]
fn dates_in_many_forms_are_read() {
    let feed = parsed("dates.xml", None);
    let times: Vec<String> = feed
        .entries
        .iter()
        .map(|e| {
            e.published
                .map(crate::time::format)
                .unwrap_or_else(|| "none".into())
        })
        .collect();
    let ten = "2025-11-23T10:00:00Z";
    let seven = "2025-11-23T07:00:00Z";
    let expected = [
        ten,
        ten,
        ten,
        seven,
        ten,
        seven,
        seven,
        seven,
        seven,
        ten,
        ten,
        ten,
        ten,
        ten,
        seven,
        ten,
        ten,
        "2025-11-23T00:00:00Z",
        ten,
        ten,
        ten,
        "none",
    ];
    assert_eq!(times, expected);
}

#[test]
fn bare_ampersands_are_recovered() {
    let feed = parsed("bad_amp.xml", None);
    assert_eq!(feed.entries[0].title, "AT&T & co");
    assert_eq!(feed.entries[0].title_html, None);
}

#[test]
fn html_entities_are_decoded_in_plain_text() {
    let entry = &parsed("bad_entity_nbsp.xml", None).entries[0];
    assert_eq!(entry.title, "A B © …");
    assert_eq!(
        entry.title_html.as_deref(),
        Some("A&nbsp;B &copy; &hellip;")
    );
}

#[test]
fn odd_rss_versions_are_accepted() {
    for name in ["bad_rss_noversion.xml", "bad_rss_v201.xml"] {
        let feed = parsed(name, None);
        assert_eq!(feed.title.as_deref(), Some("t"), "{name}");
        assert_eq!(feed.entries.len(), 1, "{name}");
        assert_eq!(feed.entries[0].title, "a", "{name}");
    }
}

#[test]
fn junk_after_the_root_is_tolerated() {
    let feed = parsed("bad_junk_after_root.xml", None);
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].title, "A");
}

#[test]
fn control_characters_are_removed() {
    let entry = &parsed("bad_ctrl_chars.xml", None).entries[0];
    assert_eq!(entry.title, "AB");
}

#[test]
fn non_feeds_get_distinct_clear_errors() {
    let cases = [
        ("bad_empty.xml", "not a feed: the document is empty"),
        (
            "bad_whitespace.xml",
            "not a feed: the document is empty or only whitespace",
        ),
        (
            "bad_html.xml",
            "not a feed: the document is an HTML page titled \"404\" (check the feed URL; the site may serve its feed at /feed or /rss)",
        ),
        ("bad_html_cloudflare.xml", "Cloudflare challenge page"),
        (
            "bad_json.xml",
            "not a feed: the JSON document is broken at line 1, column 57",
        ),
        (
            "bomb.gz",
            "gzip-compressed data, not XML or JSON; the server compressed the body without saying so",
        ),
    ];
    for (name, expected) in cases {
        let message = error(name);
        assert!(message.contains(expected), "{name}: {message}");
    }
    assert!(error("bad_html_cloudflare.xml").contains("blocks bots"));
    let not_feed = parse(br#"{"a": 1}"#, None).unwrap_err();
    assert_eq!(
        not_feed,
        FeedError::JsonNotFeed {
            detail: "it has no \"version\" field".into()
        }
    );
    assert!(matches!(
        parse(b"[1, 2]", None),
        Err(FeedError::JsonNotFeed { .. })
    ));
    assert!(matches!(
        parse(b"Service Unavailable", None),
        Err(FeedError::PlainText { .. })
    ));
    assert!(matches!(
        parse(b"\x00\x01\x02\x03junk", None),
        Err(FeedError::Binary { .. })
    ));
    let root = parse(b"<?xml version=\"1.0\"?><html-ish><x/></html-ish>", None).unwrap_err();
    assert_eq!(
        root,
        FeedError::UnknownRoot {
            root: "html-ish".into()
        }
    );
}

#[test]
fn broken_xml_errors_name_the_line() {
    for (name, needle) in [
        ("bad_truncated.xml", "cut off"),
        ("bad_unclosed.xml", "</item> closes <title>"),
        ("bad_mismatched.xml", "</foo> closes <title>"),
        ("bad_two_roots.xml", "second XML declaration"),
    ] {
        let message = error(name);
        assert!(
            message.starts_with("malformed XML at line 1: "),
            "{name}: {message}"
        );
        assert!(message.contains(needle), "{name}: {message}");
    }
    let multi_line = b"<rss version=\"2.0\">\n<channel>\n<title>t</title>\n<item><title>a</item>\n</channel></rss>";
    let message = parse(multi_line, None).unwrap_err().to_string();
    assert!(
        message.starts_with("malformed XML at line 4: </item> closes <title>"),
        "{message}"
    );
}

#[test]
fn entity_attacks_neither_expand_nor_read_files() {
    for name in ["billion_laughs.xml", "xxe.xml"] {
        let started = Instant::now();
        let feed = parsed(name, None);
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
        let everything = format!("{feed:?}");
        assert!(
            !everything.contains("root:")
                && !everything.contains("/bin/")
                && !everything.contains("/etc/passwd"),
            "{name}"
        );
        assert!(
            !everything.contains("lollol"),
            "{name}: entities were expanded"
        );
        assert!(everything.len() < 10_000, "{name}");
    }
}

#[test]
fn duplicate_guids_are_kept_and_reported() {
    let feed = parsed("dup_ids.xml", None);
    let guids: Vec<_> = feed.entries.iter().map(|e| e.guid.as_deref()).collect();
    assert_eq!(
        guids,
        [
            Some("same"),
            Some("same"),
            Some("https://example.com/p?id=1"),
            Some("spaced")
        ]
    );
    assert_eq!(
        repeated_guids(&feed.entries),
        HashSet::from(["same".to_string()])
    );
}

#[test]
fn no_hostile_fixture_panics_or_takes_long() {
    let dir = format!("{}/tests/fixtures/hostile", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for charset in [None, Some("windows-1256")] {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| parse(&bytes, charset).map(|_| ()));
            assert!(outcome.is_ok(), "{path:?} panicked");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{path:?} took {:?}",
                started.elapsed()
            );
        }
    }
}

/// Inputs that once crashed a fuzz target: each must now end in a clear error or a feed, and
/// never reach feed-rs's panic (ParserCrashed is only a backstop).
#[test]
fn fuzz_regressions_end_without_a_parser_crash() {
    let dir = format!("{}/tests/fixtures/fuzz", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for charset in [None, Some("windows-1256")] {
            let result = parse(&bytes, charset);
            assert!(
                !matches!(result, Err(FeedError::ParserCrashed { .. })),
                "{}: {result:?}",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen > 0, "no fuzz regression inputs in {dir}");
}
