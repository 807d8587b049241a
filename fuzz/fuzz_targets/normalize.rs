//! Any string: normalization never panics and is idempotent; stems and tokens are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let once = mirsad::arabic::normalize(text);
    assert_eq!(mirsad::arabic::normalize(&once), once);
    for token in mirsad::arabic::analyze(text) {
        assert!(token.start <= token.end && token.end <= text.len());
    }
    let _ = mirsad::dedup::canonical_url(text);
});
