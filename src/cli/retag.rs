//! `mirsad retag`: re-applies the current taxonomy to every stored item (see crate::retag).

use std::process::ExitCode;

use clap::Args;

use std::io::Write;

use super::Context;
use super::output::Out;
use super::output::item_progress;
use crate::retag::retag_all;

#[derive(Debug, Args)]
pub struct RetagArgs {
    /// Start over even if an interrupted retag with the same taxonomy could be resumed.
    #[arg(long)]
    pub restart: bool,
}

pub fn run(ctx: &Context, args: &RetagArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let tagger = ctx.tagger()?;
    let store = ctx.open_existing_store()?;
    let progress = item_progress(store.count_items()?);
    let store = std::sync::Mutex::new(store);
    let lock = || {
        store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    let summary = retag_all(lock, &tagger, args.restart, |n| progress.inc(n as u64))?;
    progress.finish_and_clear();
    writeln!(
        out,
        "retagged {} items with taxonomy and model {}",
        summary.items,
        tagger.version()
    )?;
    let tags: std::collections::BTreeSet<&String> =
        summary.added.keys().chain(summary.removed.keys()).collect();
    if tags.is_empty() {
        writeln!(out, "no tag changed")?;
    }
    for tag in tags {
        writeln!(
            out,
            "{tag:<22} +{:<6} -{}",
            summary.added.get(tag).copied().unwrap_or(0),
            summary.removed.get(tag).copied().unwrap_or(0)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
