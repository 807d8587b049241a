//! `mirsad items` and `mirsad search`.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use clap::Args;

use super::output::{Out, Table, print_json_lines};
use super::{Context, FilterArgs};
use crate::store::{ItemFilter, ItemRow, Store};

#[derive(Debug, Args)]
pub struct ItemsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One row per story (an event many outlets reported) instead of one per item.
    #[arg(long)]
    pub stories: bool,
    /// JSON Lines: one object per item (or story).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find, in Arabic or Latin script; diacritics, hamza forms, tatweel and clitics
    /// (و ب ل ال, ها ات …) do not matter.
    pub query: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// JSON Lines: one object per item.
    #[arg(long)]
    pub json: bool,
}

pub fn run_items(ctx: &Context, args: &ItemsArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    if args.stories {
        return super::story::run_item_stories(ctx, &args.filter, args.json, out);
    }
    let store = ctx.open_reader()?;
    let filter = item_filter(ctx, &store, &args.filter, Utc::now())?;
    let items = store.items(&filter)?;
    show(out, &items, args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_search(ctx: &Context, args: &SearchArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let store = ctx.open_reader()?;
    let mut filter = item_filter(ctx, &store, &args.filter, Utc::now())?;
    filter.limit = filter.limit.or(Some(50));
    let items = store.search(&args.query, &filter)?;
    show(out, &items, args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn show(out: &mut Out, items: &[ItemRow], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json_lines(out, items);
    }
    let mut table = Table::new(&["ID", "PUBLISHED", "FEED", "TAGS", "TITLE"]);
    for item in items {
        table.row(vec![
            item.id.to_string(),
            item.published_at
                .get(..16)
                .unwrap_or(&item.published_at)
                .replace('T', " "),
            item.feed_names.join(", "),
            item.tags
                .iter()
                .map(|t| t.trim_start_matches("ai-infra/"))
                .filter(|t| *t != "ai-infra")
                .collect::<Vec<_>>()
                .join(","),
            item.title.clone(),
        ]);
    }
    if table.is_empty() {
        eprintln!("no items match");
    } else {
        table.print(out)?;
    }
    Ok(())
}

/// Turns the command-line filters into store filters, resolving relative times against `now`;
/// a feed or tag that `store` and the config do not know is refused with the closest one.
pub(crate) fn item_filter(
    ctx: &Context,
    store: &Store,
    args: &FilterArgs,
    now: DateTime<Utc>,
) -> anyhow::Result<ItemFilter> {
    let feed = match args.feed.as_deref() {
        Some(text) => Some(super::feed_filter::resolve_with(
            text,
            store,
            ctx.config()?.as_ref(),
        )?),
        None => None,
    };
    Ok(ItemFilter {
        feed,
        tag: args
            .tag
            .as_deref()
            .map(|t| super::label::parse_tag(t).context("--tag"))
            .transpose()?,
        since: args
            .since
            .as_deref()
            .map(|s| parse_time(s, now, false).context("--since"))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_time(s, now, true).context("--until"))
            .transpose()?,
        limit: args.limit,
    })
}

/// A duration ago (`7d`, `12h`), a date (`2026-11-01`, the day's end when `end_of_day`), or a
/// full RFC 3339 time.
pub fn parse_time(text: &str, now: DateTime<Utc>, end_of_day: bool) -> anyhow::Result<String> {
    if let Ok(duration) = humantime::parse_duration(text) {
        let at = chrono::Duration::from_std(duration)
            .ok()
            .and_then(|ago| now.checked_sub_signed(ago))
            .filter(|at| *at >= crate::time::earliest());
        return match at {
            Some(at) => Ok(crate::time::format(at)),
            None => anyhow::bail!(
                "`{text}` ago is before year 0; write a shorter duration or a date (2020-01-01)"
            ),
        };
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end_of_day {
            NaiveTime::from_hms_opt(23, 59, 59)
        } else {
            NaiveTime::from_hms_opt(0, 0, 0)
        };
        let at = date.and_time(time.unwrap_or_default()).and_utc();
        return Ok(crate::time::format(at));
    }
    if let Some(at) = crate::time::parse(text) {
        return Ok(crate::time::format(at));
    }
    anyhow::bail!("`{text}` is neither a duration (7d, 12h) nor a date (2026-11-01)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_dates_and_timestamps() {
        let now = crate::time::parse("2026-11-28T12:00:00Z").unwrap();
        assert_eq!(
            parse_time("7d", now, false).unwrap(),
            "2026-11-21T12:00:00Z"
        );
        assert_eq!(
            parse_time("2026-11-01", now, false).unwrap(),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(
            parse_time("2026-11-01", now, true).unwrap(),
            "2026-11-01T23:59:59Z"
        );
        assert_eq!(
            parse_time("2026-11-01T10:00:00+02:00", now, false).unwrap(),
            "2026-11-01T08:00:00Z"
        );
        assert!(parse_time("last week", now, false).is_err());
        let absurd = parse_time("300000y", now, false).unwrap_err().to_string();
        assert!(absurd.contains("before year 0"), "{absurd}");
    }
}
