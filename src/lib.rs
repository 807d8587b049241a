//! mirsad watches Arabic tech-news feeds, stores every item exactly once in SQLite, tags the
//! items about AI infrastructure and groups the reports of one event into stories.
//!
//! The data flow is a chain of small stages, one module each (docs/architecture.md tells it
//! whole, with what each module may depend on):
//!
//! ```text
//! config ─▶ daemon ─▶ fetch ─▶ pipeline: feed ─▶ arabic ─▶ dedup ─▶ tagger ─▶ store ─▶ stories
//!                                                                               │
//!                                          cli (query, export) and web ◀────────┘
//! ```
//!
//! - [`config`]: the TOML config, checked once, every problem with its line.
//! - [`daemon`]: the schedule and the cycle; [`fetch`]: one polite, bounded GET.
//! - [`pipeline`]: one document through [`feed`] (parse) → [`arabic`] (normalize) → [`dedup`]
//!   (identity) → [`tagger`] (tags with evidence) → [`store`]; `mirsad ingest` and the daemon
//!   share it, only the source of the bytes differs.
//! - [`stories`]: reports of one event from many outlets, settled after each cycle; `restory`.
//! - [`retag`]: the tagger applied again to stored items; the analyst's judgements.
//! - [`entities`]: companies, funds and places under every spelling, for tagger, stories and
//!   search.
//! - [`export`]: Atom, RSS, JSON Lines, CSV, xlsx and OPML, written atomically.
//! - [`web`]: pages, JSON API, live feeds and metrics, inside the daemon or alone.
//! - [`cli`]: the command line; [`time`]: the stored time format; [`files`]: capped reads.

pub mod arabic;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod entities;
pub mod export;
pub mod feed;
pub mod fetch;
pub mod files;
pub mod metrics;
pub mod pipeline;
pub mod retag;
pub mod store;
pub mod stories;
pub mod tagger;
pub mod time;
pub mod web;
