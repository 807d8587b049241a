//! Timestamps as mirsad stores and prints them: UTC, ISO-8601 text with second precision
//! (`2026-11-28T18:19:56Z`), which sorts correctly as text and reads well in `sqlite3`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a UTC time the one way the store and the JSON output use.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a stored timestamp back.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The current time, formatted for the store.
pub fn now() -> String {
    format(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let text = "2026-11-28T18:19:56Z";
        let at = parse(text).unwrap();
        assert_eq!(format(at), text);
    }
}
