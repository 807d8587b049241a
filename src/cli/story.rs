//! `mirsad items --stories`, `mirsad story ID` and `mirsad restory`.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::items::{item_filter, show};
use super::output::{Out, Table, item_progress, print_json_lines, truncate};
use super::{Context, FilterArgs};
use crate::store::{ItemFilter, StoryRow};
use crate::stories::StoriesParams;

/// Widest the outlet names of one story get in the table.
const OUTLETS_WIDTH: usize = 40;

#[derive(Debug, Args)]
pub struct StoryArgs {
    /// The story's id (the first column of `mirsad items --stories`).
    pub id: i64,
    /// JSON Lines: one object per item.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoryArgs {}

/// One row per story: its representative title, how many outlets carried it, and which.
pub fn run_item_stories(
    ctx: &Context,
    filter: &FilterArgs,
    json: bool,
    out: &mut Out,
) -> anyhow::Result<ExitCode> {
    let store = ctx.open_reader()?;
    let stories = store.stories(&item_filter(ctx, &store, filter, Utc::now())?)?;
    if json {
        print_json_lines(out, &stories)?;
    } else if stories.is_empty() {
        // `restory` helps only a store without stories, not a filter that matches none.
        let any = ItemFilter {
            limit: Some(1),
            ..ItemFilter::default()
        };
        if store.stories(&any)?.is_empty() {
            eprintln!("no stories yet (stories are made as items arrive, or by `mirsad restory`)");
        } else {
            eprintln!("no stories match");
        }
    } else {
        print_stories(out, &stories)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_stories(out: &mut Out, stories: &[StoryRow]) -> anyhow::Result<()> {
    let mut table = Table::new(&["STORY", "LAST SEEN", "ITEMS", "OUTLETS", "TITLE"]);
    for story in stories {
        let outlets = format!("{}: {}", story.feeds.len(), story.outlets.join(", "));
        table.row(vec![
            story.id.to_string(),
            short_time(&story.last_seen_at),
            story.items.to_string(),
            truncate(&outlets, OUTLETS_WIDTH),
            story.title.clone(),
        ]);
    }
    table.print(out)?;
    Ok(())
}

/// A story's items, earliest report first.
pub fn run_story(ctx: &Context, args: &StoryArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let store = ctx.open_reader()?;
    let mut story = store.story(args.id)?;
    if story.is_none()
        && let Some(current) = store.story_alias(args.id)?
    {
        // A story merged into another (or renumbered) keeps its old id as an alias.
        eprintln!("story {} is now part of story {current}", args.id);
        story = store.story(current)?;
    }
    let Some(story) = story else {
        anyhow::bail!(
            "there is no story {} (list them with `mirsad items --stories`)",
            args.id
        );
    };
    let items = store.story_items(story.id)?;
    if !args.json {
        writeln!(
            out,
            "story {}: {} from {}, {} – {}\n{}\n",
            story.id,
            count(story.items, "item"),
            count(story.feeds.len() as i64, "outlet"),
            short_time(&story.first_seen_at),
            short_time(&story.last_seen_at),
            super::output::clean(&story.title)
        )?;
    }
    show(out, &items, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Re-clusters every stored item with the configured `[stories]` settings.
pub fn run_restory(ctx: &Context, _args: &RestoryArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let settings = ctx.stories()?;
    let params = StoriesParams {
        window: settings.window,
        threshold: settings.threshold,
    };
    let mut store = ctx.open_existing_store()?;
    let progress = item_progress(store.count_items()?);
    let summary = crate::stories::restory(&mut store, params, |n| progress.inc(n as u64))?;
    progress.finish_and_clear();
    writeln!(
        out,
        "re-clustered {} items into {} stories ({} items moved, {} stories merged into another)",
        summary.items, summary.stories, summary.moved, summary.merged
    )?;
    Ok(ExitCode::SUCCESS)
}

fn count(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn short_time(time: &str) -> String {
    time.get(..16).unwrap_or(time).replace('T', " ")
}
