//! `mirsad run`: the daemon, or one cycle with `--once`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use super::output::Out;
use crate::daemon::{self, RunOptions};
use crate::pipeline::Pipeline;
use crate::store::RunLock;

/// Added to `[fetch] max_interval` for `/healthz`: time for a due feed's cycle to finish.
const STALE_SLACK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run one cycle (the feeds that are due) and exit.
    #[arg(long)]
    pub once: bool,
    /// With --once: fetch every enabled feed, due or not.
    #[arg(long, requires = "once")]
    pub all: bool,
}

pub fn run(ctx: &Context, args: &RunArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let config = ctx.require_config()?;
    // One daemon per store: held until this function returns (the kernel drops it on any exit).
    let _lock = RunLock::acquire(&ctx.database_path_to_create()?)?;
    let store = ctx.open_store()?;
    let metrics = crate::metrics::DaemonMetrics::new();
    let pipeline = Pipeline::new(ctx.tagger_for(Some(&config))?)
        .with_stories(&config.stories)
        .with_metrics(metrics.clone());
    if config.feeds.iter().all(|f| !f.enabled) {
        anyhow::bail!(
            "no enabled feeds in {}: add [[feeds]] entries with a url",
            ctx.config_path().display()
        );
    }
    let options = RunOptions {
        once: args.once,
        all: args.all,
        progress: args.once && std::io::stderr().is_terminal(),
        metrics: metrics.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tracing::info!(
        config = %ctx.config_path().display(),
        database = %store.path().display(),
        feeds = config.feeds.len(),
        "mirsad starting"
    );
    // The web server starts first, so a refusal (no token beyond loopback, port taken) stops
    // `run` before any fetch. One cycle (--once) serves nothing.
    if !args.once
        && let Some(listen) = config.http.listen
    {
        // A feed is fetched at least every max_interval unless it backs off; past that plus
        // a cycle's slack, no fetch at all means the daemon is stuck.
        let stale_after = config.fetch.max_interval + STALE_SLACK;
        let mut web = super::serve::web_options(ctx, Some(&config), listen, Some(stale_after))?;
        web.daemon_metrics = Some(metrics.clone());
        let server = runtime.block_on(crate::web::bind(web))?;
        runtime.spawn(async move {
            if let Err(err) = server.run(std::future::pending()).await {
                tracing::error!(error = %err, "the web server stopped");
            }
        });
    }
    let summary = runtime.block_on(daemon::run(
        ctx.config_path(),
        config,
        store,
        pipeline,
        options,
    ))?;
    if args.once {
        writeln!(out, "{}", summary.line())?;
        // A cycle in which every feed failed stored nothing: scripts and timers must see that.
        if summary.feeds > 0 && summary.failed == summary.feeds {
            eprintln!(
                "{}",
                super::journal::error_line(&format!(
                    "mirsad: every feed failed ({}); see the log above or `mirsad feeds`",
                    summary.failed
                ))
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}
