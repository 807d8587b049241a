//! Timestamps as mirsad stores and prints them: UTC, ISO-8601 text with second precision
//! (`2026-11-28T18:19:56Z`), which sorts correctly as text and reads well in `sqlite3`.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats a UTC time the one way the store and the JSON output use. Times outside years
/// 0000–9999 are clamped to them: chrono would write "+13002-…", which sorts before "2026-…"
/// as text and would make a feed due every second.
pub fn format(at: DateTime<Utc>) -> String {
    at.clamp(earliest(), latest())
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The latest time the store can hold as text that sorts: 9999-12-31T23:59:59Z.
pub fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The earliest: 0000-01-01T00:00:00Z.
pub fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(-62_167_219_200, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `at + duration`, saturating at [`latest`] instead of overflowing.
pub fn after(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .map_or_else(latest, |t| t.min(latest()))
}

/// `at - duration`, saturating at [`earliest`] instead of overflowing.
pub fn before(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(duration)
        .ok()
        .and_then(|d| at.checked_sub_signed(d))
        .map_or_else(earliest, |t| t.max(earliest()))
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

    #[test]
    fn times_past_year_9999_are_clamped_and_arithmetic_saturates() {
        let now = parse("2026-11-28T18:19:56Z").unwrap();
        let far = after(now, Duration::from_secs(u64::MAX));
        assert_eq!(format(far), "9999-12-31T23:59:59Z");
        let year_13002 = DateTime::from_timestamp(348_157_000_000, 0).unwrap();
        assert_eq!(format(year_13002), "9999-12-31T23:59:59Z");
        assert_eq!(
            format(before(now, Duration::from_secs(300_000 * 31_557_600))),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            format(after(now, Duration::from_secs(3600))),
            "2026-11-28T19:19:56Z"
        );
    }
}
