//! Helpers shared by the integration tests; each test file says `mod support;` and uses what it
//! needs, so some helpers are unused in any one file.
#![allow(dead_code)]

pub mod cli;
pub mod daemon;
pub mod http_server;
pub mod process;
pub mod store;
pub mod web;
