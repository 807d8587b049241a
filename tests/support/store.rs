//! A fixture store built through the library (not the pipeline): real Arabic items from the
//! labelled dev set spread over three feeds and 40 days, their labels stored as tags with
//! evidence, one item carried by two feeds, a feed that went quiet, and one hostile item.

use std::path::Path;

use chrono::{Duration, Utc};
use mirsad::store::{FeedState, ItemRecord, Store, StoredTag};

/// (url, name, site) of the fixture feeds.
pub const FEEDS: [(&str, &str, &str); 3] = [
    (
        "https://aitnews.com/feed/",
        "البوابة العربية للأخبار التقنية",
        "https://aitnews.com/",
    ),
    (
        "https://www.hespress.com/feed",
        "هسبريس",
        "https://www.hespress.com/",
    ),
    (
        "https://quiet.example/feed",
        "Quiet feed",
        "https://quiet.example/",
    ),
];

/// The hostile item's content: every way HTML can run code or pull in remote styles.
pub const HOSTILE_HTML: &str = r#"<p>رقاقات <b>إنفيديا</b></p><script>alert('x')</script>
<img src="https://news.example/i.png" onerror="alert(1)"><a href="javascript:alert(2)">رابط</a>
<iframe src="https://evil.example/frame"></iframe><style>p{color:red}</style>"#;

/// The hostile item's title: a bidi override and a spreadsheet formula.
pub const HOSTILE_TITLE: &str = "\u{202E}=HYPERLINK(\"http://evil.example\",\"رقاقات إنفيديا\")";

/// One dev-set row.
pub struct DevItem {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub labels: Vec<String>,
}

pub fn dev_items() -> Vec<DevItem> {
    let path = format!(
        "{}/tests/fixtures/dev_set.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            DevItem {
                id: v["id"].as_str().unwrap().to_owned(),
                title: v["title"].as_str().unwrap().to_owned(),
                summary: v["summary"].as_str().unwrap().to_owned(),
                labels: v["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// An item to store.
pub struct NewItem<'a> {
    /// The first is where it was first seen.
    pub feeds: &'a [&'a str],
    pub key: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub content_html: Option<&'a str>,
    pub published: String,
    /// Stored as tags.
    pub labels: &'a [String],
}

/// Stores `item` with its labels as tags; returns its id.
pub fn add_item(store: &mut Store, item: &NewItem<'_>) -> i64 {
    let NewItem {
        feeds: feed_urls,
        key,
        title,
        summary,
        content_html,
        published,
        labels,
    } = item;
    let stem = |text: &str| mirsad::arabic::stemmed_tokens(text).join(" ");
    let url = format!("https://news.example/{key}");
    let record = ItemRecord {
        identity: format!("url:{url}"),
        identity_kind: "link".into(),
        url: Some(url.clone()),
        canonical_url: Some(url),
        guid: Some(key.to_string()),
        title: title.to_string(),
        summary: summary.to_string(),
        summary_html: Some(format!("<p>{summary}</p>")),
        content_html: content_html.map(str::to_owned),
        body_text: summary.to_string(),
        author: Some("محرر".into()),
        categories: r#"["تقنية"]"#.into(),
        enclosures: "[]".into(),
        published_at: published.clone(),
        language: Some("ar".into()),
        direction: "rtl".into(),
        content_hash: format!("hash-{key}"),
        search_title: stem(title),
        search_body: stem(summary),
        ..ItemRecord::default()
    };
    let now = mirsad::time::now();
    let writer = store.writer().unwrap();
    let mut id = 0;
    for url in feed_urls.iter() {
        let feed = writer.ensure_feed(url, None).unwrap();
        id = writer.upsert_item(&record, feed, &now).unwrap().0;
    }
    let tags: Vec<StoredTag> = labels
        .iter()
        .map(|label| StoredTag {
            tag: label.clone(),
            score: 2.5,
            evidence: serde_json::json!([{
                "rule": format!("fixture:{label}"),
                "matched": title.split_whitespace().next().unwrap_or(""),
                "field": "title",
                "position": 0,
                "weight": 2.5,
            }])
            .to_string(),
        })
        .collect();
    writer.replace_tags(id, &tags, "fixture-v1", &now).unwrap();
    writer.commit().unwrap();
    id
}

/// `days` days and `hours` hours ago, in the store's format.
pub fn ago(days: i64, hours: i64) -> String {
    mirsad::time::format(Utc::now() - Duration::days(days) - Duration::hours(hours))
}

/// Builds the fixture store at `path` and returns it open.
pub fn build_fixture(path: &Path) -> Store {
    let mut store = Store::open(path).unwrap();
    {
        let writer = store.writer().unwrap();
        for (url, name, site) in FEEDS {
            let id = writer.ensure_feed(url, Some(name)).unwrap();
            writer
                .update_feed_metadata(id, Some(name), Some(site), Some("ar"), None)
                .unwrap();
        }
        writer.commit().unwrap();
    }
    let (active_a, active_b, quiet) = (FEEDS[0].0, FEEDS[1].0, FEEDS[2].0);
    for (i, item) in dev_items().iter().take(40).enumerate() {
        let index = i as i64;
        let first = if i % 2 == 0 { active_a } else { active_b };
        let second = if i % 2 == 0 { active_b } else { active_a };
        // Every seventh item was carried by both feeds.
        let feeds: &[&str] = if i % 7 == 0 {
            &[first, second]
        } else {
            &[first]
        };
        let content = format!("<p>{}</p>", item.summary);
        add_item(
            &mut store,
            &NewItem {
                feeds,
                key: &item.id,
                title: &item.title,
                summary: &item.summary,
                content_html: Some(&content),
                published: ago(index / 2, index % 5),
                labels: &item.labels,
            },
        );
    }
    let old = dev_items();
    for (days, item) in [(60, &old[40]), (45, &old[41])] {
        add_item(
            &mut store,
            &NewItem {
                feeds: &[quiet],
                key: &item.id,
                title: &item.title,
                summary: &item.summary,
                content_html: None,
                published: ago(days, 0),
                labels: &item.labels,
            },
        );
    }
    let chips = vec!["ai-infra".to_owned(), "ai-infra/chips".to_owned()];
    add_item(
        &mut store,
        &NewItem {
            feeds: &[active_a],
            key: "hostile",
            title: HOSTILE_TITLE,
            summary: "ملخص عن رقاقات إنفيديا",
            content_html: Some(HOSTILE_HTML),
            published: ago(0, 1),
            labels: &chips,
        },
    );
    for (url, _, _) in FEEDS {
        let mut state: FeedState = store.feed_state(url).unwrap().unwrap();
        state.last_fetch_at = Some(ago(0, 0));
        state.last_status = Some(200);
        store.save_feed_state(&state).unwrap();
    }
    store
}
