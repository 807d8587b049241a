//! Real feeds, the fields of each format, resource limits and property tests.

use std::time::{Duration, Instant};

use super::real;
use crate::feed::*;

#[test]
fn html_in_fields_becomes_plain_text_and_the_original_is_kept() {
    let doc = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><title>&lt;b&gt;مراكز&lt;/b&gt; البيانات</title>
<description><![CDATA[<p>فقرة</p><p>ثانية&nbsp;هنا</p>]]></description>
<content:encoded><![CDATA[<div><h2>عنوان</h2><p>نص <a href="x">رابط</a></p><script>x()</script></div>]]></content:encoded>
<category>تقنية</category><category>تقنية</category><author>a@b.c (كاتب)</author>
<enclosure url="https://e.com/i.jpg" length="0" type="image/jpeg"/></item></channel></rss>"#;
    let entry = &parse(doc.as_bytes(), None).unwrap().entries[0];
    assert_eq!(entry.title, "مراكز البيانات");
    assert_eq!(entry.title_html.as_deref(), Some("<b>مراكز</b> البيانات"));
    assert_eq!(entry.summary, "فقرة ثانية هنا");
    assert_eq!(
        entry.summary_html.as_deref(),
        Some("<p>فقرة</p><p>ثانية&nbsp;هنا</p>")
    );
    assert_eq!(entry.content_text, "عنوان نص رابط");
    assert!(
        entry
            .content_html
            .as_deref()
            .is_some_and(|h| h.starts_with("<div><h2>"))
    );
    assert_eq!(entry.categories, ["تقنية"]);
    assert_eq!(
        entry.enclosures,
        [Enclosure {
            url: "https://e.com/i.jpg".into(),
            mime: Some("image/jpeg".into()),
            length: None
        }]
    );
}

#[test]
fn atom_and_json_feeds_are_read() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>أطلس</title>
<link rel="self" href="https://e.com/atom.xml"/><link href="https://e.com/"/>
<entry><id>tag:e.com,2025:1</id><title type="html">&lt;i&gt;عنوان&lt;/i&gt;</title><updated>2025-11-23T10:00:00+03:00</updated>
<link rel="enclosure" href="https://e.com/a.mp3" type="audio/mpeg" length="42"/><link rel="alternate" href="https://e.com/1"/>
<content type="html">&lt;p&gt;محتوى&lt;/p&gt;</content></entry></feed>"#;
    let feed = parse(atom.as_bytes(), None).unwrap();
    assert_eq!(
        (feed.title.as_deref(), feed.language.as_deref()),
        (Some("أطلس"), Some("ar"))
    );
    assert_eq!(feed.self_link.as_deref(), Some("https://e.com/atom.xml"));
    assert_eq!(feed.site_link.as_deref(), Some("https://e.com/"));
    let entry = &feed.entries[0];
    assert_eq!(
        (entry.guid.as_deref(), entry.link.as_deref()),
        (Some("tag:e.com,2025:1"), Some("https://e.com/1"))
    );
    assert_eq!(
        (entry.title.as_str(), entry.content_text.as_str()),
        ("عنوان", "محتوى")
    );
    assert_eq!(
        entry.updated.map(crate::time::format).as_deref(),
        Some("2025-11-23T07:00:00Z")
    );
    assert_eq!(entry.enclosures[0].length, Some(42));

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"ج","items":[{"id":"1","url":"https://e.com/1",
"title":"خبر","content_html":"<p>نص</p>","date_published":"2025-11-23T10:00:00Z",
"attachments":[{"url":"https://e.com/a.mp3","mime_type":"audio/mpeg"}]}]}"#;
    let entry = &parse(json.as_bytes(), None).unwrap().entries[0];
    assert_eq!(
        (entry.link.as_deref(), entry.content_text.as_str()),
        (Some("https://e.com/1"), "نص")
    );
    assert_eq!(entry.enclosures.len(), 1);
}

#[test]
fn real_feeds_parse_with_arabic_titles_intact() {
    for (name, known_title) in [
        (
            "aitnews_2025_01.xml",
            "ترامب يسمح ببيع رقاقات إنفيديا H200 للصين",
        ),
        ("hespress_2026_01.xml", "\"بيت مال القدس\" تطلق حملة رمضان"),
        ("alittihad_2026_01.xml", "تراجع أسعار الذهب والفضة"),
    ] {
        let feed = parse(&real(name), None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(feed.entries.len(), 10, "{name}");
        assert!(
            feed.entries
                .iter()
                .any(|e| e.title.starts_with(known_title)),
            "{name}"
        );
        for entry in &feed.entries {
            assert!(
                entry.guid.is_some() && entry.link.is_some() && entry.published.is_some(),
                "{name}: {entry:?}"
            );
            assert!(
                !entry.title.is_empty() && !entry.summary.is_empty(),
                "{name}"
            );
        }
    }
    let alittihad = parse(&real("alittihad_2026_01.xml"), None).unwrap();
    let link = alittihad.entries[1].link.as_deref().unwrap();
    assert!(
        link.starts_with("https://www.aletihad.ae/news/الاقتصادي/4642608/"),
        "{link}"
    );
}

#[test]
fn deeply_nested_documents_parse_quickly() {
    let started = Instant::now();
    let nested_html = "&lt;div&gt;".repeat(20_000);
    let nested_xml = "<x>".repeat(20_000) + &"</x>".repeat(20_000);
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title><description>{nested_html}نص</description>{nested_xml}</item></channel></rss>"
    );
    let feed = parse(doc.as_bytes(), None).unwrap();
    assert_eq!(feed.entries[0].summary, "نص");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

mod properties {
    use proptest::prelude::*;

    use crate::feed::{date, html_to_text, parse};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, None);
        }

        #[test]
        fn parse_never_panics_on_arbitrary_item_text(title in ".{0,80}", date in ".{0,40}", charset in "[a-z0-9-]{0,12}") {
            let doc = format!("<rss version=\"2.0\"><channel><item><title>{title}</title><pubDate>{date}</pubDate><description>{title}</description></item></channel></rss>");
            let _ = parse(doc.as_bytes(), Some(&charset));
        }

        #[test]
        fn corrupted_real_feeds_never_panic(cut in 0usize..17_300, at in 0usize..17_300, byte in any::<u8>()) {
            let mut bytes = super::real("hespress_2026_01.xml");
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
            bytes.truncate(cut);
            let _ = parse(&bytes, None);
        }

        #[test]
        fn dates_and_html_never_panic(text in "\\PC{0,60}") {
            let _ = date::parse_date(&text);
            let plain = html_to_text(&text);
            prop_assert!(!plain.chars().any(|c| c.is_control()));
        }
    }
}

#[test]
fn broken_json_says_what_is_wrong_not_that_it_was_cut_short() {
    let surrogate = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","title":"\ud800x"}]}"#;
    let huge =
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":1e400}]}"#;
    for (doc, expected) in [(surrogate, "hex escape"), (huge, "number out of range")] {
        let message = parse(doc.as_bytes(), None).unwrap_err().to_string();
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains("cut the response short"), "{message}");
    }
    let cut = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"#;
    let message = parse(cut.as_bytes(), None).unwrap_err().to_string();
    assert!(message.contains("cut the response short"), "{message}");
}
