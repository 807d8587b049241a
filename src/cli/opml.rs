//! `mirsad opml export` and `mirsad opml import FILE [--dry-run]`: the configured feeds as an
//! OPML subscription list, and another reader's list added to the config file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::Context;
use super::output::{Out, clean};
use crate::export::opml::{self, OpmlFeed};
use crate::export::write_atomic;

/// An OPML file larger than this is not a subscription list.
const MAX_OPML_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum OpmlCommand {
    /// Print the configured feeds as OPML 2.0 (title, xmlUrl, htmlUrl).
    Export,
    /// Add the feeds of an OPML file that the config does not have yet, keeping the config
    /// file's comments and layout.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The OPML file (exported from a feed reader).
    pub file: PathBuf,
    /// Show what would be added and skipped without changing the config.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(ctx: &Context, command: &OpmlCommand, out: &mut Out) -> anyhow::Result<ExitCode> {
    match command {
        OpmlCommand::Export => export(ctx, out),
        OpmlCommand::Import(args) => import(ctx, args, out),
    }
}

fn export(ctx: &Context, out: &mut Out) -> anyhow::Result<ExitCode> {
    let config = ctx.require_config()?;
    // The store knows each feed's own title and website once it has been fetched.
    let stored = match ctx.open_reader_if_any()? {
        Some(store) => store.feeds()?,
        None => Vec::new(),
    };
    let feeds: Vec<OpmlFeed> = config
        .feeds
        .iter()
        .map(|feed| {
            let row = stored.iter().find(|s| s.url == feed.url);
            OpmlFeed {
                title: feed
                    .name
                    .clone()
                    .or_else(|| row.and_then(|r| r.title.clone())),
                xml_url: feed.url.clone(),
                html_url: row.and_then(|r| r.site_link.clone()),
            }
        })
        .collect();
    opml::write_opml(&feeds, "mirsad feeds", out)?;
    Ok(ExitCode::SUCCESS)
}

fn import(ctx: &Context, args: &ImportArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let opml_text = read_limited(&args.file)?;
    let feeds =
        opml::parse_opml(&opml_text).with_context(|| format!("reading {}", args.file.display()))?;
    let config_path = ctx.config_path();
    // A config that does not exist yet is an empty one: the import creates it.
    let config_text = match std::fs::read_to_string(&config_path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => {
            return Err(err).with_context(|| format!("reading {}", config_path.display()));
        }
    };
    let plan = opml::import_feeds(&config_text, &feeds)
        .with_context(|| format!("editing {}", config_path.display()))?;
    if !args.dry_run && !plan.added.is_empty() {
        write_atomic(&config_path, None, |out| {
            Ok(out.write_all(plan.config_text.as_bytes())?)
        })?;
    }
    let verb = if args.dry_run { "would add" } else { "added" };
    writeln!(
        out,
        "{verb} {} feed(s) to {}, skipped {}",
        plan.added.len(),
        config_path.display(),
        plan.skipped.len()
    )?;
    for feed in &plan.added {
        writeln!(
            out,
            "  + {}  {}",
            clean(&feed.xml_url),
            clean(feed.title.as_deref().unwrap_or(""))
        )?;
    }
    for (feed, reason) in &plan.skipped {
        writeln!(out, "  - {}  ({})", clean(&feed.xml_url), reason.as_str())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_limited(path: &std::path::Path) -> anyhow::Result<String> {
    let bytes = crate::files::read_capped(path, MAX_OPML_BYTES)?;
    String::from_utf8(bytes)
        .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))
}
