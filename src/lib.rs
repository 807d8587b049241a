//! mirsad watches Arabic tech-news feeds, stores every item exactly once in SQLite and tags the
//! items about AI infrastructure.
//!
//! The data flow is a chain of small stages, one module each:
//!
//! ```text
//! config ─▶ daemon ─▶ fetch ─▶ feed ─▶ arabic ─▶ dedup ─▶ tagger ─▶ store ─▶ query / export
//! ```
//!
//! [`web`] serves pages, a JSON API, live feeds and metrics from the store, inside the daemon or
//! alone (`mirsad serve`).
//!
//! [`pipeline`] runs one document through parse → normalize → dedup → tag → store; `mirsad ingest`
//! and the daemon share it, only the source of the bytes differs.

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
