//! Tests of the stories part of the store (crate::store::stories).

use super::*;
use crate::store::{ItemRecord, StoredTag, UpsertOutcome};

const NOW: &str = "2026-11-20T12:00:00Z";

fn record(identity: &str, title: &str, published: &str) -> ItemRecord {
    ItemRecord {
        summary: format!("ملخص {title}"),
        ..ItemRecord::sample(identity, title, published)
    }
}

fn add(w: &Writer<'_>, feed: i64, identity: &str, published: &str) -> i64 {
    let (id, outcome) = w
        .upsert_item(&record(identity, identity, published), feed, NOW)
        .unwrap();
    assert_eq!(outcome, UpsertOutcome::New);
    id
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn migration_adds_the_table_the_view_and_the_item_column() {
    let store = Store::in_memory().unwrap();
    let objects = count(
        &store,
        "SELECT count(*) FROM sqlite_schema WHERE name IN ('stories', 'stories_view', 'items_story')",
    );
    assert_eq!(objects, 3);
    let column = count(
        &store,
        "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'story_id'",
    );
    assert_eq!(column, 1);
}

#[test]
fn a_story_facts_follow_its_items() {
    let mut store = Store::in_memory().unwrap();
    let w = store.writer().unwrap();
    let a = w.ensure_feed("http://a/feed", Some("A")).unwrap();
    let b = w.ensure_feed("http://b/feed", Some("B")).unwrap();
    let first = add(&w, a, "x1", "2026-11-20T10:00:00Z");
    let earlier = add(&w, b, "x2", "2026-11-20T09:00:00Z");
    let later = add(&w, a, "x3", "2026-11-20T11:00:00Z");
    let story = w.create_story(NOW).unwrap();
    for item in [first, earlier, later] {
        w.put_in_story(item, story, NOW).unwrap();
    }
    w.commit().unwrap();
    let (first_seen, last_seen, representative, size, outlets): (String, String, i64, i64, i64) =
        store
            .conn()
            .query_row(
                "SELECT first_seen_at, last_seen_at, representative_item_id, size,
                   (SELECT outlet_count FROM stories_view WHERE story_id = ?1)
                 FROM stories WHERE id = ?1",
                [story],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
    assert_eq!(first_seen, "2026-11-20T09:00:00Z");
    assert_eq!(last_seen, "2026-11-20T11:00:00Z");
    assert_eq!(representative, earlier);
    assert_eq!(size, 3);
    assert_eq!(outlets, 2);
}

#[test]
fn a_feed_date_after_the_first_sighting_counts_as_the_first_sighting() {
    let mut store = Store::in_memory().unwrap();
    let w = store.writer().unwrap();
    let feed = w.ensure_feed("http://a/feed", None).unwrap();
    let item = add(&w, feed, "future", "2031-01-01T00:00:00Z");
    let story = w.create_story(NOW).unwrap();
    w.put_in_story(item, story, NOW).unwrap();
    let subjects = w.settled_subjects_from("2026-11-19T00:00:00Z").unwrap();
    assert_eq!(subjects[0].reported_at, NOW);
    w.commit().unwrap();
    let last: String = store
        .conn()
        .query_row("SELECT last_seen_at FROM stories", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, NOW);
}

#[test]
fn joining_a_story_the_store_does_not_know_creates_it() {
    let mut store = Store::in_memory().unwrap();
    let w = store.writer().unwrap();
    let feed = w.ensure_feed("http://a/feed", None).unwrap();
    let item = add(&w, feed, "x", "2026-11-20T10:00:00Z");
    w.put_in_story(item, 42, NOW).unwrap();
    assert_eq!(w.item_story(item).unwrap(), Some(42));
    assert_eq!(w.stories_mark().unwrap().max_story_id, 42);
    w.commit().unwrap();
    assert_eq!(count(&store, "SELECT size FROM stories WHERE id = 42"), 1);
}

/// Two stories: one carried by two feeds with a tagged item, one by a single feed.
fn two_stories(store: &mut Store) -> (i64, i64, Vec<i64>) {
    let w = store.writer().unwrap();
    let a = w.ensure_feed("http://a/feed", Some("الشرق")).unwrap();
    let b = w.ensure_feed("http://b/feed", Some("البيان")).unwrap();
    let items = vec![
        add(&w, a, "s1-a", "2026-11-20T10:00:00Z"),
        add(&w, b, "s1-b", "2026-11-20T08:00:00Z"),
        add(&w, a, "s2-a", "2026-11-19T10:00:00Z"),
    ];
    let tag = |t: &str| StoredTag {
        tag: t.into(),
        score: 1.0,
        evidence: "[]".into(),
    };
    w.replace_tags(
        items[0],
        &[tag("ai-infra"), tag("ai-infra/chips")],
        "v1",
        NOW,
    )
    .unwrap();
    w.replace_tags(items[1], &[tag("ai-infra")], "v1", NOW)
        .unwrap();
    let one = w.create_story(NOW).unwrap();
    let two = w.create_story(NOW).unwrap();
    w.put_in_story(items[0], one, NOW).unwrap();
    w.put_in_story(items[1], one, NOW).unwrap();
    w.put_in_story(items[2], two, NOW).unwrap();
    w.commit().unwrap();
    (one, two, items)
}

#[test]
fn listing_stories_filters_by_their_items_and_shows_outlets_and_tags() {
    let mut store = Store::in_memory().unwrap();
    let (one, two, items) = two_stories(&mut store);
    let all = store.stories(&ItemFilter::default()).unwrap();
    assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), [one, two]);
    let story = &all[0];
    assert_eq!(story.items, 2);
    assert_eq!(story.representative_item, Some(items[1]));
    assert_eq!(story.title, "s1-b");
    assert_eq!(story.feeds, ["http://a/feed", "http://b/feed"]);
    assert_eq!(story.outlets, ["البيان", "الشرق"]);
    assert_eq!(story.tags, ["ai-infra", "ai-infra/chips"]);
    let tagged = ItemFilter {
        tag: Some("ai-infra/chips".into()),
        ..ItemFilter::default()
    };
    let found = store.stories(&tagged).unwrap();
    assert_eq!(found.iter().map(|s| s.id).collect::<Vec<_>>(), [one]);
    let limited = ItemFilter {
        limit: Some(1),
        ..ItemFilter::default()
    };
    assert_eq!(store.stories(&limited).unwrap().len(), 1);
    assert!(store.story(999).unwrap().is_none());
}

#[test]
fn the_view_counts_items_and_outlets_and_unites_tags() {
    let mut store = Store::in_memory().unwrap();
    let (one, _, _) = two_stories(&mut store);
    let row: (i64, i64, String, String) = store
        .conn()
        .query_row(
            "SELECT item_count, outlet_count, outlets, tags FROM stories_view WHERE story_id = ?1",
            [one],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            2,
            2,
            "البيان | الشرق".into(),
            "ai-infra ai-infra/chips".into()
        )
    );
}

#[test]
fn a_story_lists_its_items_in_report_order_and_items_know_their_story() {
    let mut store = Store::in_memory().unwrap();
    let (one, two, items) = two_stories(&mut store);
    let listed: Vec<i64> = store
        .story_items(one)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(listed, [items[1], items[0]]);
    let all = store.items(&ItemFilter::default()).unwrap();
    let story_of = |id: i64| all.iter().find(|i| i.id == id).unwrap().story;
    assert_eq!(story_of(items[0]), Some(one));
    assert_eq!(story_of(items[2]), Some(two));
}

#[test]
fn a_merged_story_leads_to_its_successor_and_its_id_is_never_reused() {
    let mut store = Store::in_memory().unwrap();
    let (one, two, items) = two_stories(&mut store);
    let w = store.writer().unwrap();
    let before = w.stories_mark().unwrap();
    w.set_item_story(items[2], one).unwrap();
    w.merge_story(two, one, NOW).unwrap();
    w.bump_stories_generation().unwrap();
    assert_eq!(w.stories_mark().unwrap().generation, before.generation + 1);
    // Merging the successor in turn moves the older alias along.
    let third = w.create_story(NOW).unwrap();
    assert!(third > two, "{third} reuses a merged id");
    w.set_item_story(items[0], third).unwrap();
    w.set_item_story(items[1], third).unwrap();
    w.set_item_story(items[2], third).unwrap();
    w.merge_story(one, third, NOW).unwrap();
    w.commit().unwrap();
    assert_eq!(store.story_alias(two).unwrap(), Some(third));
    assert_eq!(store.story_alias(one).unwrap(), Some(third));
    assert_eq!(store.story_alias(third).unwrap(), None);
    assert!(store.story(two).unwrap().is_none());
}

#[test]
fn settled_and_unsettled_subjects_are_told_apart() {
    let mut store = Store::in_memory().unwrap();
    let (_, _, items) = two_stories(&mut store);
    let w = store.writer().unwrap();
    let feed = w.ensure_feed("http://c/feed", None).unwrap();
    let new = add(&w, feed, "new", "2026-11-20T11:00:00Z");
    let mut recent: Vec<i64> = w
        .settled_subjects_from("2026-11-20T00:00:00Z")
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    recent.sort_unstable();
    assert_eq!(recent, [items[0], items[1]]);
    let unsettled = w.unsettled_keys().unwrap();
    assert_eq!(unsettled.len(), 1);
    assert_eq!(
        (unsettled[0].id, unsettled[0].identity.as_str()),
        (new, "new")
    );
    let subject = w.story_subject(new).unwrap().unwrap();
    assert_eq!((subject.title.as_str(), subject.story_id), ("new", None));
    let between = w
        .settled_subjects_between("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z")
        .unwrap();
    assert_eq!(between.iter().map(|s| s.id).collect::<Vec<_>>(), [items[2]]);
    let mut keys = w.story_keys().unwrap();
    keys.sort_by_key(|k| k.id);
    assert_eq!(keys.len(), 4);
    assert_eq!(keys[3].story_id, None);
    assert_eq!(
        w.newest_settled_report().unwrap().as_deref(),
        Some("2026-11-20T10:00:00Z")
    );
}

#[test]
fn facts_kept_item_by_item_match_facts_recomputed_from_scratch() {
    let mut store = Store::in_memory().unwrap();
    let w = store.writer().unwrap();
    let feeds: Vec<i64> = (0..3)
        .map(|f| w.ensure_feed(&format!("http://{f}/feed"), None).unwrap())
        .collect();
    let stories = [w.create_story(NOW).unwrap(), w.create_story(NOW).unwrap()];
    let hours = [5, 2, 9, 2, 7, 1, 3];
    for (n, hour) in hours.iter().enumerate() {
        let feed = feeds[n % feeds.len()];
        let item = add(
            &w,
            feed,
            &format!("i{n}"),
            &format!("2026-11-20T0{hour}:00:00Z"),
        );
        w.put_in_story(item, stories[n % 2], NOW).unwrap();
    }
    // An item moved to the other story leaves the first one's facts right too.
    w.put_in_story(1, stories[1], NOW).unwrap();
    let facts = |w: &Writer<'_>| -> Vec<(String, String, i64, i64)> {
        w.tx()
            .prepare(
                "SELECT first_seen_at, last_seen_at, representative_item_id, size
                 FROM stories ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let incremental = facts(&w);
    w.refresh_stories(NOW).unwrap();
    assert_eq!(incremental, facts(&w));
    assert_eq!(incremental.iter().map(|f| f.3).sum::<i64>(), 7);
}
