//! `mirsad serve`: the web pages, API and live feeds of a store, without polling anything (a
//! copy of the database on another machine, a read-only mount). `mirsad run` starts the same
//! server beside the daemon (see [`web_options`]).

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use crate::config::{Config, HttpConfig};
use crate::tagger::Tagger;
use crate::web::{self, WebOptions};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  mirsad serve\n  mirsad --db copy.db serve --listen 127.0.0.1:9000\n\n\
The database may be read-only: pages, API, feeds and metrics work; recording judgements then \
answers 503. Listening on anything but loopback needs `token` under [http] in the config."
)]
pub struct ServeArgs {
    /// Address to listen on (default: [http] listen from the config, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// The server's settings from the config (or the defaults without one). `stale_after` is how
/// long `/healthz` accepts no fetch at all: set when a daemon polls.
pub fn web_options(
    ctx: &Context,
    config: Option<&Config>,
    listen: SocketAddr,
    stale_after: Option<std::time::Duration>,
) -> anyhow::Result<WebOptions> {
    Ok(WebOptions {
        listen,
        token: config.and_then(|c| c.http.token.clone()),
        database: ctx.database_path()?,
        tagger: Tagger::new(ctx.taxonomy(config)?),
        feeds: config.map(|c| c.feeds.clone()).unwrap_or_default(),
        export: config.map(|c| c.export.clone()).unwrap_or_default(),
        stale_after,
        daemon_metrics: None,
    })
}

pub fn run(ctx: &Context, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = ctx.config()?;
    let http = config.as_ref().map(|c| c.http.clone()).unwrap_or_default();
    let listen = args
        .listen
        .or(http.listen)
        .or(HttpConfig::default().listen)
        .context("no address to listen on")?;
    let path = ctx.database_path()?;
    if !path.exists() {
        anyhow::bail!(
            "no database at {}: pass --db PATH (a copy made with `sqlite3 mirsad.db .backup copy.db` works)",
            path.display()
        );
    }
    let options = web_options(ctx, config.as_ref(), listen, None)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = web::bind(options).await?;
        server
            .run(stop_signal())
            .await
            .context("the web server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
    tracing::info!("stopping the web server");
}
