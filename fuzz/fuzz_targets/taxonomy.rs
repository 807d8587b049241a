//! Any text as a taxonomy file: loading returns rules or an error with a line, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(taxonomy) = mirsad::tagger::Taxonomy::from_toml(text, "fuzz.toml") {
        let tagger = mirsad::tagger::Tagger::new(taxonomy);
        let _ = tagger.tag(text, text);
    }
});
