//! `mirsad stats`: how much is stored, from where, tagged how, and day by day for the last 30
//! days (with a small bar chart on a terminal); `--json` for machines.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::Context;
use super::output::{Out, Table};
use crate::store::{DayStats, Stats};

/// Days in the per-day counts.
const DAYS: u32 = 30;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// JSON Lines: one line, one object with every count.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &StatsArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let store = ctx.open_reader()?;
    let stats = store.stats(Utc::now(), DAYS)?;
    if args.json {
        serde_json::to_writer(&mut *out, &stats)?;
        out.write_all(b"\n")?;
        return Ok(ExitCode::SUCCESS);
    }
    let terminal = out.is_terminal();
    out.write_all(render_summary(&stats, terminal).as_bytes())?;
    print_tables(out, &stats)?;
    Ok(ExitCode::SUCCESS)
}

/// The totals, and on a terminal the per-day bar charts.
fn render_summary(stats: &Stats, charts: bool) -> String {
    let date = |t: &Option<String>| {
        t.as_deref()
            .map(|t| t.get(..10).unwrap_or(t).to_owned())
            .unwrap_or_else(|| "-".into())
    };
    let mut text = format!(
        "items      {} ({} tagged)\npublished  {} … {}\nlast new   {}\ndatabase   {}\n",
        stats.items,
        stats.tagged_items,
        date(&stats.oldest_published_at),
        date(&stats.newest_published_at),
        stats
            .last_first_seen_at
            .as_deref()
            .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
            .unwrap_or_else(|| "-".into()),
        human_bytes(stats.size_bytes),
    );
    if charts && !stats.days.is_empty() {
        let first = stats.days.first().map(|d| d.day.as_str()).unwrap_or("");
        let last = stats.days.last().map(|d| d.day.as_str()).unwrap_or("");
        let items: Vec<i64> = stats.days.iter().map(|d| d.items).collect();
        let tagged: Vec<i64> = stats.days.iter().map(|d| d.tagged_items).collect();
        text.push_str(&format!(
            "\nper day, {first} … {last}\n  items   {}\n  tagged  {}\n",
            sparkline(&items),
            sparkline(&tagged)
        ));
    }
    text.push('\n');
    text
}

fn print_tables(out: &mut Out, stats: &Stats) -> anyhow::Result<()> {
    let mut feeds = Table::new(&["ITEMS", "TAGGED", "FEED"]);
    for feed in &stats.feeds {
        let name = feed
            .name
            .as_ref()
            .or(feed.title.as_ref())
            .unwrap_or(&feed.url);
        feeds.row(vec![
            feed.items.to_string(),
            feed.tagged_items.to_string(),
            name.clone(),
        ]);
    }
    let mut tags = Table::new(&["ITEMS", "TAG"]);
    for tag in &stats.tags {
        tags.row(vec![tag.items.to_string(), tag.tag.clone()]);
    }
    let mut days = Table::new(&["DAY", "ITEMS", "TAGGED"]);
    for DayStats {
        day,
        items,
        tagged_items,
    } in stats.days.iter().rev()
    {
        days.row(vec![
            day.clone(),
            items.to_string(),
            tagged_items.to_string(),
        ]);
    }
    for (table, empty) in [(feeds, "no feeds"), (tags, "no tags"), (days, "")] {
        if table.is_empty() {
            writeln!(out, "{empty}\n")?;
        } else {
            table.print(out)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// One bar per value, ▁ to █ scaled to the largest; a blank for zero, so a quiet day shows.
pub fn sparkline(values: &[i64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|&v| {
            if v <= 0 {
                ' '
            } else {
                // Ceiling, so the smallest non-zero value still gets the lowest bar.
                let level = (v * 8 + max - 1) / max;
                let index = usize::try_from(level.clamp(1, 8) - 1).unwrap_or(0);
                BARS.get(index).copied().unwrap_or('█')
            }
        })
        .collect()
}

/// Bytes in binary units, one decimal.
fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let name = UNITS.get(unit).copied().unwrap_or("B");
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_maximum_and_blanks_zero() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[1, 100]), "▁█");
        assert_eq!(sparkline(&[0, 0]), "  ");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn summary_has_charts_only_when_asked() {
        let stats = Stats {
            items: 3,
            tagged_items: 1,
            size_bytes: 4096,
            oldest_published_at: Some("2026-01-01T00:00:00Z".into()),
            newest_published_at: None,
            last_first_seen_at: None,
            feeds: Vec::new(),
            tags: Vec::new(),
            days: vec![DayStats {
                day: "2026-01-01".into(),
                items: 3,
                tagged_items: 1,
            }],
        };
        let plain = render_summary(&stats, false);
        assert!(plain.contains("items      3 (1 tagged)"), "{plain}");
        assert!(plain.contains("2026-01-01 … -"), "{plain}");
        assert!(!plain.contains('█'));
        assert!(render_summary(&stats, true).contains("items   █"));
    }
}
