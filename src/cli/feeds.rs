//! `mirsad feeds`: every configured feed with its schedule and health.

use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::{Out, Table, print_json_lines};
use crate::store::{FeedRow, FeedStatus};

#[derive(Debug, Args)]
pub struct FeedsArgs {
    /// JSON Lines: one object per feed.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &FeedsArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let stored = match ctx.open_reader_if_any()? {
        Some(store) => store.feeds()?,
        None => Vec::new(),
    };
    let rows = merge(config.as_ref().map(|c| c.feeds.as_slice()), stored);
    if args.json {
        return print_json_lines(out, &rows).map(|()| ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        "STATUS",
        "ITEMS",
        "LAST FETCH",
        "HTTP",
        "NEXT FETCH",
        "ERRORS",
        "NAME",
        "URL / LAST ERROR",
    ]);
    for feed in &rows {
        let detail = match (&feed.disabled_reason, &feed.last_error) {
            (Some(reason), _) => format!("{} — disabled: {reason}", feed.url),
            (None, Some(err)) if feed.error_count > 0 => format!("{} — {err}", feed.url),
            _ => feed.url.clone(),
        };
        table.row(vec![
            feed.status.as_str().to_owned(),
            feed.items.to_string(),
            short_time(feed.last_fetch_at.as_deref()),
            feed.last_status.map(|s| s.to_string()).unwrap_or_default(),
            short_time(feed.next_fetch_at.as_deref()),
            feed.error_count.to_string(),
            feed.name.clone().or(feed.title.clone()).unwrap_or_default(),
            detail,
        ]);
    }
    if table.is_empty() {
        eprintln!("no feeds configured or stored");
    } else {
        table.print(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Configured feeds first (in config order, with their stored state), then feeds that are only
/// in the store: ingested files, and feeds since removed from the config (marked `removed`
/// when there is a config to compare with).
pub(crate) fn merge(
    configured: Option<&[crate::config::FeedConfig]>,
    mut stored: Vec<FeedRow>,
) -> Vec<FeedRow> {
    let have_config = configured.is_some();
    let configured = configured.unwrap_or(&[]);
    let mut rows = Vec::with_capacity(configured.len() + stored.len());
    for feed in configured {
        let mut row = match stored.iter().position(|s| s.url == feed.url) {
            Some(i) => stored.swap_remove(i),
            None => FeedRow {
                id: 0,
                url: feed.url.clone(),
                fetch_url: None,
                name: None,
                title: None,
                site_link: None,
                status: FeedStatus::Never,
                last_fetch_at: None,
                next_fetch_at: None,
                last_status: None,
                error_count: 0,
                last_error: None,
                disabled_reason: None,
                items: 0,
            },
        };
        row.name = feed.name.clone().or(row.name);
        if !feed.enabled {
            row.status = FeedStatus::Disabled;
            row.disabled_reason
                .get_or_insert_with(|| "enabled = false in the config".into());
        }
        rows.push(row);
    }
    stored.sort_by(|a, b| a.url.cmp(&b.url));
    for row in &mut stored {
        // Ingested documents (file:// or --feed) were never in the config; the others were.
        if have_config && row.url.starts_with("http") && row.last_fetch_at.is_some() {
            row.status = FeedStatus::Removed;
            row.disabled_reason = Some("removed from the config; no longer fetched".into());
        }
    }
    rows.extend(stored);
    rows
}

fn short_time(at: Option<&str>) -> String {
    at.map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
        .unwrap_or_else(|| "-".into())
}
