//! Any text as a config file: parsing returns a config or an error with a line, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = mirsad::config::Config::parse(text, std::path::Path::new("fuzz.toml"));
});
