//! The command line: argument definitions and one small function per command.
//!
//! Commands print human output (tables) for people and, with `--json`, JSON Lines for scripts
//! (one object per line, in every command: `stats --json` is one line), all through one locked,
//! buffered [`output::Out`]. Errors reach `main` as `anyhow` errors with context, printed as one
//! line on stderr; a closed stdout (`mirsad items | head -1`) is a quiet success.

mod check;
mod context;
mod export;
mod feed_filter;
mod feeds;
mod ingest;
mod items;
mod journal;
mod label;
mod opml;
mod output;
mod retag;
mod run;
mod serve;
mod stats;
mod story;
mod tag;
mod train;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use output::Out;

pub use context::Context;
pub(crate) use feeds::merge as merge_feeds;
pub(crate) use items::parse_time;
pub(crate) use label::parse_tag;

#[derive(Debug, Parser)]
#[command(
    name = "mirsad",
    version,
    about = "Watch Arabic tech-news feeds, store every item once in SQLite, tag AI-infrastructure news",
    long_about = "mirsad (مرصاد, \"observatory\") polls Arabic tech-news RSS/Atom/JSON feeds, stores every \
item exactly once in a SQLite database you can query directly, and tags the items about AI \
infrastructure: data centres, AI chips, compute, energy for AI, cloud capacity and the money behind them.",
    after_help = "Config: --config, else $MIRSAD_CONFIG, else /etc/mirsad/mirsad.toml, else config/mirsad.toml.\n\
Database: --db, else the config's `database`, else $STATE_DIRECTORY/mirsad.db, else data/mirsad.db \
(beside the config file when one is named with --config or $MIRSAD_CONFIG).\n\
--json everywhere means JSON Lines: one object per line.\n\
Logs go to stderr, coloured only on a terminal; NO_COLOR=1 turns colour off, MIRSAD_LOG=debug sets the level."
)]
pub struct Cli {
    /// Config file (TOML).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH",
        env = "MIRSAD_CONFIG"
    )]
    pub config: Option<PathBuf>,
    /// SQLite database file.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH"
    )]
    pub db: Option<PathBuf>,
    /// More log output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors in the log output.
    #[arg(
        short,
        long,
        global = true,
        help_heading = "Global options",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll the configured feeds forever (the daemon), or one cycle with --once.
    Run(run::RunArgs),
    /// Serve the web pages, JSON API, live feeds and metrics of a store, without polling (works
    /// on a read-only database file). `mirsad run` serves them too, at [http] listen.
    Serve(serve::ServeArgs),
    /// Run the whole pipeline on local feed documents (RSS, Atom, JSON Feed); `-` reads stdin.
    Ingest(ingest::IngestArgs),
    /// List stored items, newest first.
    Items(items::ItemsArgs),
    /// Arabic-aware full-text search over stored items.
    Search(items::SearchArgs),
    /// Configured feeds with their health: last fetch, status, errors, items.
    Feeds(feeds::FeedsArgs),
    /// Tag text from stdin without storing it.
    Tag(tag::TagArgs),
    /// Re-apply the current taxonomy and model to every stored item.
    Retag(retag::RetagArgs),
    /// Train the tagger's model on a labelled corpus; report cross-validated precision and
    /// recall before and after, and write the model file.
    Train(train::TrainArgs),
    /// Record the analyst's judgement on an item's tags (it always wins over the tagger).
    Label(label::LabelArgs),
    /// The analyst's judgements: export them as a labelled corpus.
    Judgements {
        #[command(subcommand)]
        command: label::JudgementsCommand,
    },
    /// The items of one story (an event many outlets reported), earliest first.
    Story(story::StoryArgs),
    /// Re-cluster every stored item into stories from scratch, with the config's [stories]
    /// settings (after changing them). Story ids are renumbered from 1; the same store always
    /// gives the same stories.
    Restory(story::RestoryArgs),
    /// Export stored items as Atom, RSS, JSON Lines or CSV.
    Export(export::ExportArgs),
    /// Exchange the feed list with feed readers (OPML 2.0).
    Opml {
        #[command(subcommand)]
        command: opml::OpmlCommand,
    },
    /// Counts per feed, per tag and per day, store size and time span.
    Stats(stats::StatsArgs),
    /// Validate the config, taxonomy and model; print what is wrong and where.
    Check,
}

/// Filters shared by `items`, `search` and `export`.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only items from this feed: its URL, name or title (an unknown one is refused with the
    /// closest feed).
    #[arg(long, value_name = "URL|NAME")]
    pub feed: Option<String>,
    /// Only items with this tag: ai-infra, ai-infra/chips or just chips.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only items published since a duration ago (7d, 12h) or a date (2026-11-01).
    #[arg(long, value_name = "7d|DATE")]
    pub since: Option<String>,
    /// Only items published until a date (inclusive).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// At most this many items.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Parses the command line, runs the command and turns the outcome into an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let mut out = Out::stdout();
    let result = run(cli, &mut out).and_then(|code| {
        out.flush().context("writing to stdout")?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // The reader of our output has gone (`mirsad items | head -1`): nothing failed.
        Err(_) if output::stdout_closed() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "{}",
                journal::error_line(&format!("mirsad: {}", one_line(&err)))
            );
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, most specific last.
fn one_line(err: &anyhow::Error) -> String {
    let parts: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    let mut line = String::new();
    for part in parts {
        // Sources often repeat their cause in their own message; print each fact once.
        if !line.contains(&part) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&part);
        }
    }
    line
}

fn run(cli: Cli, out: &mut Out) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(cli.config.clone(), cli.db.clone());
    match cli.command {
        Command::Run(args) => run::run(&ctx, &args, out),
        Command::Serve(args) => serve::run(&ctx, &args),
        Command::Ingest(args) => ingest::run(&ctx, &args, out),
        Command::Items(args) => items::run_items(&ctx, &args, out),
        Command::Search(args) => items::run_search(&ctx, &args, out),
        Command::Feeds(args) => feeds::run(&ctx, &args, out),
        Command::Tag(args) => tag::run(&ctx, &args, out),
        Command::Retag(args) => retag::run(&ctx, &args, out),
        Command::Train(args) => train::run(&ctx, &args, out),
        Command::Label(args) => label::run_label(&ctx, &args, out),
        Command::Judgements { command } => label::run_judgements(&ctx, &command, out),
        Command::Story(args) => story::run_story(&ctx, &args, out),
        Command::Restory(args) => story::run_restory(&ctx, &args, out),
        Command::Export(args) => export::run(&ctx, &args, out),
        Command::Opml { command } => opml::run(&ctx, &command, out),
        Command::Stats(args) => stats::run(&ctx, &args, out),
        Command::Check => check::run(&ctx, out),
    }
}

/// Whether log lines may carry colour: only when stderr is a terminal (not cron, nohup, docker
/// or a file), and never when `NO_COLOR` is set to anything but the empty string
/// (https://no-color.org).
fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Logs go to stderr, coloured only where [`colour`] allows; under systemd (JOURNAL_STREAM set) without
/// timestamps, since journald adds its own, and with each line's priority (see [`journal`]).
fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,mirsad=info",
        (false, 1) => "info,mirsad=debug",
        (false, _) => "debug,mirsad=trace",
    };
    let filter = EnvFilter::try_from_env("MIRSAD_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = colour(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .compact();
    let result = if std::env::var_os("JOURNAL_STREAM").is_some() {
        let format = tracing_subscriber::fmt::format()
            .compact()
            .without_time()
            .with_ansi(false);
        builder
            .with_ansi(false)
            .event_format(journal::WithPriority(format))
            .try_init()
    } else {
        builder.try_init()
    };
    // Already initialized (tests calling in-process) is fine.
    drop(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
    }

    #[test]
    fn global_options_have_their_own_heading() {
        let mut command = <Cli as clap::CommandFactory>::command();
        // Building propagates the global options to every subcommand, as parsing does.
        command.build();
        let help = command
            .find_subcommand_mut("items")
            .map(|c| c.render_help().to_string())
            .unwrap_or_default();
        let global = help.find("Global options:").expect(&help);
        let db = help.find("--db").expect(&help);
        let limit = help.find("--limit").expect(&help);
        assert!(limit < global && global < db, "{help}");
    }
}
