//! `mirsad label` records the analyst's judgement on an item's tags; `mirsad judgements export`
//! writes every judged item as a labelled corpus row, to train on or to contribute back.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Context;
use super::output::{Out, print_json_lines};
use crate::retag::{Verdict, record_judgement};
use crate::store::{JudgedItem, Store};
use crate::tagger::UMBRELLA;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  mirsad label 1234 --add energy\n  \
mirsad label 1234 --remove ai-infra/chips --add compute\n  mirsad label 1234 --not\n  \
mirsad label 1234 --clear\n\n\
A judgement always wins over the tagger for that item: it survives `retag` and a new model, and \
shows as set by hand in `items --json`, exports and the tagged_items view. \
`mirsad train --with-judgements` learns from it.")]
pub struct LabelArgs {
    /// The item's id (see `mirsad items` or `mirsad search`).
    pub item: i64,
    /// A tag the item should have: a subtopic (energy or ai-infra/energy) or ai-infra.
    #[arg(long, value_name = "TAG")]
    pub add: Vec<String>,
    /// A tag the item should not have.
    #[arg(long, value_name = "TAG")]
    pub remove: Vec<String>,
    /// The item is not AI infrastructure at all.
    #[arg(long = "not", conflicts_with_all = ["add", "remove", "clear"])]
    pub not_ai_infra: bool,
    /// Withdraw every judgement on the item and give it the tagger's tags again.
    #[arg(long, conflicts_with_all = ["add", "remove"])]
    pub clear: bool,
    /// JSON Lines: the item, with its tags, as one object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum JudgementsCommand {
    /// Write every judged item as JSON Lines in the tagging corpus's format (id, title,
    /// summary, url, labels, provenance "judgement").
    Export,
}

/// A judged item as a corpus row (the format of tests/fixtures/tagging/*.jsonl).
#[derive(Debug, Serialize)]
struct CorpusRow<'a> {
    id: String,
    title: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    outlet: String,
    provenance: &'static str,
    labels: &'a [String],
    why: String,
}

pub fn run_label(ctx: &Context, args: &LabelArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let add = args
        .add
        .iter()
        .map(|t| parse_tag(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut remove = args
        .remove
        .iter()
        .map(|t| parse_tag(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.not_ai_infra {
        remove.push(UMBRELLA.to_owned());
    }
    if let Some(tag) = add.iter().find(|t| remove.contains(t)) {
        bail!("{tag} is both added and removed: give each tag one verdict");
    }
    if add.is_empty() && remove.is_empty() && !args.clear {
        bail!(
            "say what is wrong: --add TAG, --remove TAG, --not or --clear (see mirsad label --help)"
        );
    }
    let tagger = ctx.tagger()?;
    let mut store = ctx.open_existing_store()?;
    let verdict = if args.clear {
        Verdict::Clear
    } else {
        Verdict::Judge { add, remove }
    };
    record_judgement(&mut store, &tagger, args.item, &verdict)
        .context("cannot record the judgement")?;
    print_result(out, &store, args)
}

fn print_result(out: &mut Out, store: &Store, args: &LabelArgs) -> anyhow::Result<ExitCode> {
    let row = store
        .item(args.item)?
        .ok_or(crate::store::StoreError::NoSuchItem(args.item))?;
    if args.json {
        print_json_lines(out, &[row])?;
    } else {
        let tags = if row.tags.is_empty() {
            "no tags".to_owned()
        } else {
            row.tags.join(" ")
        };
        let how = if row.judgement.is_some() {
            "judged by hand"
        } else {
            "as the tagger gives them"
        };
        writeln!(out, "item {}: {tags} ({how})", row.id)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A tag as the analyst may write it: `ai-infra`, `ai-infra/chips` or just `chips`. Anything
/// else is refused with the closest known tag.
pub(crate) fn parse_tag(text: &str) -> anyhow::Result<String> {
    Ok(crate::tagger::parse_tag(text)?.to_owned())
}

pub fn run_judgements(
    ctx: &Context,
    command: &JudgementsCommand,
    out: &mut Out,
) -> anyhow::Result<ExitCode> {
    match command {
        JudgementsCommand::Export => {
            let store = ctx.open_existing_store()?;
            let items = store.judged_items()?;
            let rows: Vec<CorpusRow<'_>> = items.iter().map(corpus_row).collect();
            print_json_lines(out, &rows)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn corpus_row(item: &JudgedItem) -> CorpusRow<'_> {
    let outlet = item
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    CorpusRow {
        id: format!("judgement-{}", item.item_id),
        title: &item.title,
        summary: &item.summary,
        url: item.url.as_deref(),
        outlet,
        provenance: "judgement",
        labels: &item.labels,
        why: format!("set by hand on {}", item.judgement.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_subtopic_names_are_accepted() {
        assert_eq!(parse_tag("chips").unwrap(), "ai-infra/chips");
        assert_eq!(parse_tag("ai-infra/energy").unwrap(), "ai-infra/energy");
        assert_eq!(parse_tag("ai-infra").unwrap(), "ai-infra");
    }

    #[test]
    fn unknown_tags_are_refused_with_a_suggestion() {
        let err = parse_tag("chip").unwrap_err().to_string();
        assert!(err.contains("did you mean ai-infra/chips"), "{err}");
    }
}
