//! Any bytes, with or without an HTTP charset: the parser returns a feed or an error, never
//! panics (feed-rs panics are caught inside `parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mirsad::feed::parse(data, None);
    let _ = mirsad::feed::parse(data, Some("windows-1256"));
});
