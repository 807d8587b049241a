//! Every SQL recipe in docs/schema.md ("## Recipes") runs against a fixture store and returns
//! rows, so the documentation cannot drift from the schema.

mod support;

use rusqlite::{Connection, OpenFlags};
use support::cli::Mirsad;
use support::store::build_fixture;

/// The ```sql blocks between "## Recipes" and the next level-2 heading.
fn recipes() -> Vec<String> {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.md")).unwrap();
    let section = docs
        .split("\n## Recipes\n")
        .nth(1)
        .expect("a Recipes section");
    let section = section.split("\n## ").next().unwrap();
    section
        .split("```sql\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().trim().to_owned())
        .collect()
}

#[test]
fn docs_have_ten_recipes() {
    assert!(recipes().len() >= 10, "found {}", recipes().len());
}

#[test]
fn every_recipe_runs_read_only_and_returns_rows() {
    let m = Mirsad::new();
    let store = build_fixture(&m.db);
    // A pipeline's cursor part-way through the items, for the cursor recipe.
    store.set_export_cursor("pipeline", 10).unwrap();
    // The fixture is written without the pipeline, so its stories come from a restory.
    let mut store = store;
    mirsad::stories::restory(&mut store, Default::default(), |_| {}).unwrap();
    drop(store);
    // Read-only, as the docs recommend analysts open the file.
    let conn = Connection::open_with_flags(&m.db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    for recipe in recipes() {
        let mut stmt = conn
            .prepare(&recipe)
            .unwrap_or_else(|e| panic!("recipe does not compile: {e}\n{recipe}"));
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut count = 0;
        while let Some(row) = rows.next().unwrap() {
            // Every column must be readable.
            for i in 0..columns {
                let _: rusqlite::types::Value = row.get(i).unwrap();
            }
            count += 1;
        }
        assert!(count > 0, "recipe returned no rows:\n{recipe}");
    }
}

/// Stored times are `2026-11-28T18:19:56Z`; `datetime('now', …)` gives `2026-11-28 18:19:56`,
/// which sorts before every time of its day, so a comparison with it counts items from before
/// the cut-off. Every cut-off in the docs must be written in the store's own format.
#[test]
fn every_time_cut_off_in_the_docs_uses_the_stores_format() {
    for doc in ["docs/schema.md", "README.md", "docs/api.md"] {
        let text =
            std::fs::read_to_string(format!("{}/{doc}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for (number, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("'now'") {
                let before = &rest[..at];
                assert!(
                    before.ends_with("strftime('%Y-%m-%dT%H:%M:%SZ', "),
                    "{doc}:{}: a cut-off not in the store's time format: {line}",
                    number + 1
                );
                rest = &rest[at + 5..];
            }
        }
    }
}
