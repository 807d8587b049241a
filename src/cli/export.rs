//! `mirsad export`: stored items as Atom, RSS, JSON Lines, CSV or an xlsx spreadsheet, on stdout or atomically into
//! a file, optionally only the items a named cursor has not exported yet.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;
use clap::Args;

use super::items::item_filter;
use super::output::Out;
use super::{Context, FilterArgs};
use crate::export::{self, DEFAULT_TITLE, FeedMeta, Format, write_atomic};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format (xlsx: a spreadsheet that reads right to left, with a column per tag).
    #[arg(long, value_enum)]
    pub format: Format,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Write to this file (replaced atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Start a CSV export with a UTF-8 byte-order mark, so Excel shows Arabic correctly.
    #[arg(long)]
    pub bom: bool,
    /// Feed title for Atom and RSS (default: the config's [export] title, else an Arabic one).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Export only items first seen after the last run with this cursor, then remember the
    /// newest one exported (stored in the database).
    #[arg(long, value_name = "NAME")]
    pub cursor: Option<String>,
    /// One entry per story (an event many outlets reported) instead of one per item; its
    /// content lists every outlet's report with its link.
    #[arg(long, conflicts_with = "cursor")]
    pub stories: bool,
    /// Forget the cursor first, so this run exports everything again.
    #[arg(long, requires = "cursor")]
    pub reset: bool,
}

pub fn run(ctx: &Context, args: &ExportArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    if args.bom && args.format != Format::Csv {
        anyhow::bail!("--bom applies only to --format csv (a BOM would break the other formats)");
    }
    if args.format == Format::Xlsx && args.out.is_none() && out.is_terminal() {
        anyhow::bail!(
            "an xlsx spreadsheet is binary: write it to a file with --out FILE.xlsx (or redirect stdout)"
        );
    }
    let config = ctx.config()?;
    // Only a cursor writes (where it got to); every other export reads.
    let store = if args.cursor.is_some() {
        ctx.open_existing_store()?
    } else {
        ctx.open_reader()?
    };
    let filter = item_filter(ctx, &store, &args.filter, Utc::now())?;
    let after_id = match &args.cursor {
        Some(name) => {
            if args.reset && store.reset_export_cursor(name)? {
                tracing::info!(cursor = %name, "cursor reset");
            }
            Some(store.export_cursor(name)?.unwrap_or(0))
        }
        None => None,
    };
    let items = if args.stories {
        export::story_entries(&store, &filter)?
    } else {
        store.export_items(&filter, after_id)?
    };
    if let Some(name) = &args.cursor
        && items.is_empty()
    {
        // A batch file per run must not become a heap of empty ones: nothing new, nothing written.
        tracing::info!(cursor = %name, "nothing new since the last export with this cursor; nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    let export_config = config.as_ref().map(|c| &c.export);
    let title = args
        .title
        .as_deref()
        .or(export_config.and_then(|e| e.title.as_deref()))
        .unwrap_or(DEFAULT_TITLE);
    let public_url = export_config.and_then(|e| e.public_url.as_deref());
    let meta = FeedMeta::new(
        title,
        export::self_url(public_url, args.out.as_deref()),
        &filter,
    );
    let write = |w: &mut dyn Write| export::write(args.format, &items, &meta, args.bom, w);
    match &args.out {
        Some(path) => write_atomic(path, None, write)?,
        None => {
            write(out).context("writing to stdout")?;
            // The cursor below must not move past items still sitting in a buffer.
            out.flush().context("writing to stdout")?;
        }
    }
    // Only once the output is safely written: a failed run exports the same items next time.
    if let (Some(name), Some(last)) = (&args.cursor, items.iter().map(|i| i.id).max()) {
        store.set_export_cursor(name, last)?;
    }
    tracing::debug!(
        format = args.format.as_str(),
        items = items.len(),
        cursor = args.cursor.as_deref(),
        "exported"
    );
    Ok(ExitCode::SUCCESS)
}
