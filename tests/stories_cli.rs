//! `mirsad items --stories`, `mirsad story ID` and the `story` field of `items --json`, run as
//! the real binary against a store clustered from the labelled dev set.

mod support;

use std::collections::HashMap;

use mirsad::store::{ItemRecord, Store};
use mirsad::stories::StoriesParams;
use serde::Deserialize;
use support::cli::{Mirsad, fixture};

#[derive(Deserialize)]
struct Labelled {
    id: String,
    story: String,
    outlet: String,
    title: String,
    summary: String,
    published: String,
}

/// Stores the dev set (one feed per outlet) and clusters it; returns item ids by label.
fn clustered_store(m: &Mirsad) -> HashMap<String, Vec<i64>> {
    let text = std::fs::read_to_string(fixture("stories_dev.jsonl")).unwrap();
    let mut store = Store::open(&m.db).unwrap();
    let mut by_label: HashMap<String, Vec<i64>> = HashMap::new();
    {
        let w = store.writer().unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let item: Labelled = serde_json::from_str(line).unwrap();
            let feed_url = format!("https://{}.example/feed", item.outlet);
            let feed = w.ensure_feed(&feed_url, Some(&item.outlet)).unwrap();
            let record = ItemRecord {
                identity: format!("url:https://{}.example/{}", item.outlet, item.id),
                identity_kind: "link".into(),
                url: Some(format!("https://{}.example/{}", item.outlet, item.id)),
                title: item.title,
                summary: item.summary,
                published_at: item.published,
                direction: "rtl".into(),
                content_hash: item.id.clone(),
                categories: "[]".into(),
                enclosures: "[]".into(),
                ..ItemRecord::default()
            };
            let (id, _) = w
                .upsert_item(&record, feed, "2026-12-05T00:00:00Z")
                .unwrap();
            by_label.entry(item.story).or_default().push(id);
        }
        w.commit().unwrap();
    }
    mirsad::stories::restory(&mut store, StoriesParams::default(), |_| {}).unwrap();
    by_label
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn items_stories_lists_one_row_per_story_with_its_outlets() {
    let m = Mirsad::new();
    let labels = clustered_store(&m);
    let stories = json_lines(&m.run_ok(&["items", "--stories", "--json"], &[]));
    let items: i64 = stories.iter().map(|s| s["items"].as_i64().unwrap()).sum();
    assert_eq!(items, 150, "every item is in exactly one story");
    assert!(
        stories.len() >= 60 && stories.len() <= 80,
        "{} stories",
        stories.len()
    );
    for key in [
        "id",
        "title",
        "url",
        "first_seen_at",
        "last_seen_at",
        "feeds",
        "outlets",
        "tags",
    ] {
        assert!(
            stories[0].get(key).is_some(),
            "missing {key}: {}",
            stories[0]
        );
    }
    // The Nvidia results (five outlets) are one story whose title is the earliest report's.
    let nvidia = stories
        .iter()
        .find(|s| s["items"] == 5 && s["title"].as_str().unwrap().contains("51.2"))
        .expect("the Nvidia results story");
    assert_eq!(nvidia["outlets"].as_array().unwrap().len(), 5);
    let representative = nvidia["representative_item"].as_i64().unwrap();
    assert_eq!(labels["S001"].first(), Some(&representative));

    let table = m.run_ok(&["items", "--stories", "--limit", "5"], &[]);
    assert_eq!(table.lines().count(), 6, "{table}");
    assert!(table.starts_with("STORY"), "{table}");
}

#[test]
fn story_lists_its_items_and_every_item_knows_its_story() {
    let m = Mirsad::new();
    let labels = clustered_store(&m);
    let items = json_lines(&m.run_ok(&["items", "--json"], &[]));
    let story_of: HashMap<i64, i64> = items
        .iter()
        .map(|i| (i["id"].as_i64().unwrap(), i["story"].as_i64().unwrap()))
        .collect();
    let first = labels["S001"][0];
    let story = story_of[&first];
    let listed = json_lines(&m.run_ok(&["story", &story.to_string(), "--json"], &[]));
    assert!(listed.len() >= 2);
    assert!(listed.iter().all(|i| i["story"] == story));
    assert!(listed.iter().any(|i| i["id"] == first));
    let times: Vec<&str> = listed
        .iter()
        .map(|i| i["published_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "earliest first: {times:?}"
    );

    let human = m.run_ok(&["story", &story.to_string()], &[]);
    assert!(human.starts_with(&format!("story {story}: ")), "{human}");

    let missing = m.run(&["story", "999999"], &[]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no story 999999"), "{stderr}");
}

/// An RSS document of one outlet's dev-set items of the given stories.
fn outlet_feed(outlet: &str, stories: &[&str]) -> String {
    let text = std::fs::read_to_string(fixture("stories_dev.jsonl")).unwrap();
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{outlet}</title>"#
    );
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let item: Labelled = serde_json::from_str(line).unwrap();
        if item.outlet != outlet || !stories.contains(&item.story.as_str()) {
            continue;
        }
        let published = chrono::DateTime::parse_from_rfc3339(&item.published)
            .unwrap()
            .to_rfc2822();
        xml.push_str(&format!(
            "<item><title>{}</title><link>https://{outlet}.example/{}</link>\
             <description>{}</description><pubDate>{published}</pubDate></item>",
            escape(&item.title),
            item.id,
            escape(&item.summary)
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// The outlets that reported a labelled story, from the dev set.
fn outlets_of(story: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture("stories_dev.jsonl")).unwrap();
    let mut outlets: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Labelled>(l).unwrap())
        .filter(|i| i.story == story)
        .map(|i| i.outlet)
        .collect();
    outlets.sort();
    outlets.dedup();
    outlets
}

#[test]
fn ingested_documents_put_one_event_from_several_outlets_into_one_story() {
    let m = Mirsad::new();
    let outlets = outlets_of("S001");
    assert!(outlets.len() >= 3, "{outlets:?}");
    let mut paths = Vec::new();
    for outlet in &outlets {
        paths.push(m.write(&format!("{outlet}.xml"), &outlet_feed(outlet, &["S001"])));
    }
    // The window is anchored to the items' own dates, so reports weeks old still meet, each
    // ingested by its own process.
    let config = m.write(
        "mirsad.toml",
        &format!("database = \"{}\"\n", m.db.display()),
    );
    for (outlet, path) in outlets.iter().zip(&paths) {
        let feed = format!("https://{outlet}.example/feed");
        m.run_ok(&["--config", &config, "ingest", "--feed", &feed, path], &[]);
    }
    let items = json_lines(&m.run_ok(&["--config", &config, "items", "--json"], &[]));
    assert_eq!(items.len(), outlets.len(), "one report per outlet");
    let story = &items[0]["story"];
    assert!(story.is_i64(), "{items:?}");
    assert!(items.iter().all(|i| &i["story"] == story), "{items:?}");
    // The story's stored facts were kept up to date item by item.
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let (size, representative): (i64, i64) = conn
        .query_row(
            "SELECT size, representative_item_id FROM stories",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(size, outlets.len() as i64);
    let earliest: i64 = conn
        .query_row(
            "SELECT id FROM items ORDER BY min(published_at, first_seen_at), id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(representative, earliest);

    // Restory gives the same grouping, and the story keeps its id.
    let out = m.run_ok(&["--config", &config, "restory"], &[]);
    assert!(
        out.contains(&format!(
            "re-clustered {} items into 1 stories",
            outlets.len()
        )),
        "{out}"
    );
    let items = json_lines(&m.run_ok(&["--config", &config, "items", "--json"], &[]));
    assert!(items.iter().all(|i| i["story"] == 1), "{items:?}");
}

#[test]
fn stories_off_leaves_items_without_a_story() {
    let m = Mirsad::new();
    let outlet = &outlets_of("S001")[0];
    let path = m.write("feed.xml", &outlet_feed(outlet, &["S001"]));
    let config = m.write(
        "mirsad.toml",
        &format!(
            "database = \"{}\"\n[stories]\nenabled = false\n",
            m.db.display()
        ),
    );
    m.run_ok(&["--config", &config, "ingest", &path], &[]);
    let items = json_lines(&m.run_ok(&["--config", &config, "items", "--json"], &[]));
    assert_eq!(items.len(), 1);
    assert!(items[0]["story"].is_null(), "{items:?}");
}

#[test]
fn export_stories_writes_one_entry_per_story_listing_every_outlet() {
    let m = Mirsad::new();
    let labels = clustered_store(&m);
    let stories = json_lines(&m.run_ok(&["items", "--stories", "--json"], &[]));
    let atom = m.run_ok(&["export", "--format", "atom", "--stories"], &[]);
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), stories.len());
    let nvidia = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().is_some_and(|t| t.content.contains("51.2")))
        .expect("the Nvidia results entry");
    let content = nvidia
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap();
    assert_eq!(
        content.matches("<a href=").count(),
        labels["S001"].len(),
        "{content}"
    );
    // Entry ids differ from the items' own ids, so a reader of both sees no clash.
    let items_atom = m.run_ok(&["export", "--format", "atom"], &[]);
    assert!(!items_atom.contains(&nvidia.id), "{}", nvidia.id);

    let jsonl = json_lines(&m.run_ok(&["export", "--format", "jsonl", "--stories"], &[]));
    assert_eq!(jsonl.len(), stories.len());
    let refused = m.run(
        &["export", "--format", "jsonl", "--stories", "--cursor", "x"],
        &[],
    );
    assert!(!refused.status.success());
}

#[test]
fn a_story_merged_away_by_restory_is_still_found_by_its_old_id() {
    let m = Mirsad::new();
    let labels = clustered_store(&m);
    let items = json_lines(&m.run_ok(&["items", "--json"], &[]));
    let story_of = |id: i64| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["story"].as_i64().unwrap())
            .unwrap()
    };
    let nvidia = story_of(labels["S001"][0]);
    // Split one report off into a story of its own, as an older clustering might have.
    let split = labels["S001"][1];
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO stories(id, first_seen_at, last_seen_at, updated_at, size)
           VALUES (900, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', 1);
         UPDATE items SET story_id = 900 WHERE id = {split};"
    ))
    .unwrap();
    let out = m.run_ok(&["restory"], &[]);
    assert!(out.contains("1 stories merged"), "{out}");

    let followed = m.run(&["story", "900", "--json"], &[]);
    assert!(followed.status.success());
    let stderr = String::from_utf8_lossy(&followed.stderr);
    assert!(
        stderr.contains(&format!("story 900 is now part of story {nvidia}")),
        "{stderr}"
    );
    let listed = json_lines(&String::from_utf8_lossy(&followed.stdout));
    assert_eq!(listed.len(), labels["S001"].len());
    assert!(listed.iter().all(|i| i["story"] == nvidia));
    let alias: i64 = conn
        .query_row(
            "SELECT story_id FROM story_aliases WHERE old_id = 900",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(alias, nvidia);
}
