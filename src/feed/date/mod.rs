//! A tolerant date parser for feed timestamps, given to feed-rs in place of its own.
//!
//! Feeds write dates in RFC 2822 and RFC 3339 and in many near misses: a wrong weekday, long
//! month names, two-digit years, no seconds, no zone, zone names such as `AST` or `GMT+3`,
//! `23/11/2025 10:00`, Arabic-Indic digits and Arabic month names in their Egyptian/Gulf,
//! Levantine and Maghrebi forms (`نوفمبر`, `تشرين الثاني`, `نونبر`). What cannot be read yields
//! `None`: the pipeline then falls back to the time it first saw the item, which is better than a
//! wrong date.
//!
//! Choices: a missing zone means UTC; `AST` is Arabia Standard Time (+03:00), not Atlantic, because
//! the feeds are Arabic; numeric dates are day/month/year unless they start with a 4-digit year;
//! weekdays are ignored; years outside 1900–2200 (such as Hijri years) are rejected.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::arabic;

mod names;
use names::{meridiem, month_number, two_word_month, zone_minutes};

/// Parses one timestamp as written in a feed, or `None` when it cannot be read safely.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() > 200 {
        return None;
    }
    // The two standard forms first: they are most dates, and chrono handles fractions exactly.
    if let Ok(at) = DateTime::parse_from_rfc3339(trimmed) {
        return Some(at.with_timezone(&Utc));
    }
    // RFC 2822 goes through our own reader: chrono's reads unknown zone names such as `AST`
    // as UTC, which would put Arabian times three hours off.
    let parsed = Fields::read(&arabic::normalize(trimmed)).and_then(|fields| fields.to_utc());
    if parsed.is_none() {
        tracing::debug!(
            date = trimmed,
            "unreadable date; the first-seen time will be used"
        );
    }
    parsed
}

/// The parts of a date found so far, in whatever order the text gave them.
#[derive(Default, Debug)]
struct Fields {
    day: Option<u32>,
    month: Option<u32>,
    year: Option<i32>,
    time: Option<(u32, u32, u32)>,
    pm: Option<bool>,
    offset_minutes: Option<i32>,
    named_zone_minutes: Option<i32>,
}

impl Fields {
    /// Reads normalized text (see [`arabic::normalize`]: lower case, ASCII digits, folded alef).
    fn read(normalized: &str) -> Option<Fields> {
        let spaced = normalized.replace([',', '،', '(', ')'], " ");
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        let mut fields = Fields::default();
        let mut i = 0;
        while let Some(&raw) = tokens.get(i) {
            i += 1;
            let token = raw.trim_end_matches('.');
            if let Some(month) = two_word_month(token, tokens.get(i).copied()) {
                fields.month = Some(month);
                i += 1;
            } else if token.starts_with(|c: char| c.is_ascii_digit()) {
                fields.read_numeric(token)?;
            } else if let Some(month) = month_number(token) {
                fields.month = Some(month);
            } else if let Some(sign) = token.strip_prefix(['+', '-'])
                && !sign.is_empty()
            {
                let minutes = offset_minutes(sign)?;
                fields.offset_minutes = Some(if token.starts_with('-') {
                    -minutes
                } else {
                    minutes
                });
            } else if let Some(zone) = zone_with_offset(token) {
                fields.named_zone_minutes = Some(zone);
            } else if let Some(pm) = meridiem(token) {
                fields.pm = fields.time.map(|_| pm);
            }
            // Anything else (weekdays, "at", "الساعة", unknown zone names) carries no date.
        }
        Some(fields)
    }

    /// A token that starts with a digit: a year, a day, a time, or a numeric date (maybe ISO
    /// with its time attached).
    fn read_numeric(&mut self, token: &str) -> Option<()> {
        // ISO 8601 glues the time on with a `t` (lower-cased by the normalizer).
        if let Some((date, time)) = token.split_once('t')
            && time.starts_with(|c: char| c.is_ascii_digit())
        {
            self.read_numeric(date)?;
            return self.read_time(time);
        }
        if token.contains(':') {
            return self.read_time(token);
        }
        if token.contains(['-', '/', '.']) {
            return self.read_numeric_date(token);
        }
        let digits_end = token
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(token.len());
        let (digits, suffix) = token.split_at(digits_end);
        match suffix {
            // Gregorian marker (م), English ordinals: ignorable. Hijri (هـ) is another calendar.
            "" | "م" | "st" | "nd" | "rd" | "th" => {}
            _ => return None,
        }
        let value: u32 = digits.parse().ok()?;
        if digits.len() >= 3 {
            self.year = Some(i32::try_from(value).ok()?);
        } else if self.day.is_none() {
            self.day = Some(value);
        } else if self.year.is_none() {
            self.year = Some(two_digit_year(value));
        } else {
            return None;
        }
        Some(())
    }

    /// `2025-11-23`, `2025/11/23`, `23/11/2025`, `23.11.25`.
    fn read_numeric_date(&mut self, token: &str) -> Option<()> {
        let parts: Vec<&str> = token.split(['-', '/', '.']).collect();
        let [a, b, c] = parts.as_slice() else {
            return None;
        };
        let number = |s: &str| s.parse::<u32>().ok();
        if a.len() == 4 {
            self.year = Some(i32::try_from(number(a)?).ok()?);
            self.month = Some(number(b)?);
            self.day = Some(number(c)?);
        } else {
            self.day = Some(number(a)?);
            self.month = Some(number(b)?);
            let year = number(c)?;
            self.year = Some(if c.len() <= 2 {
                two_digit_year(year)
            } else {
                i32::try_from(year).ok()?
            });
        }
        Some(())
    }

    /// `10:00`, `10:00:00`, `10:00:00.123`, with an optional zone glued on (`10:00:00+03:00`,
    /// `10:00:00z`, `10:00pm`).
    fn read_time(&mut self, token: &str) -> Option<()> {
        let end = token
            .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(token.len());
        let (clock, zone) = token.split_at(end);
        let mut parts = clock.split(':');
        let hour: u32 = parts.next()?.parse().ok()?;
        let minute: u32 = parts.next()?.parse().ok()?;
        let second: u32 = match parts.next() {
            // Fractions of a second are dropped: the store keeps whole seconds.
            Some(s) => s.split('.').next()?.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        self.time = Some((hour, minute, second));
        match zone {
            "" => {}
            "z" => self.named_zone_minutes = Some(0),
            _ if zone.starts_with(['+', '-']) => {
                let minutes = offset_minutes(zone.get(1..)?)?;
                self.offset_minutes = Some(if zone.starts_with('-') {
                    -minutes
                } else {
                    minutes
                });
            }
            _ => self.pm = Some(meridiem(zone)?),
        }
        Some(())
    }

    fn to_utc(&self) -> Option<DateTime<Utc>> {
        let date = NaiveDate::from_ymd_opt(self.year?, self.month?, self.day?)?;
        if !(1900..=2200).contains(&self.year?) {
            return None;
        }
        let (mut hour, minute, second) = self.time.unwrap_or((0, 0, 0));
        match self.pm {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            _ => {}
        }
        // 24:00 is the end of the day; a leap second is shown as :59.
        let (hour, extra_day) = if hour == 24 && minute == 0 && second == 0 {
            (0, 1)
        } else {
            (hour, 0)
        };
        let time = NaiveTime::from_hms_opt(hour, minute, second.min(59))?;
        let offset = self.offset_minutes.or(self.named_zone_minutes).unwrap_or(0);
        let utc = NaiveDateTime::new(date, time)
            .checked_add_signed(Duration::days(extra_day))?
            .checked_sub_signed(Duration::minutes(i64::from(offset)))?;
        Some(utc.and_utc())
    }
}

fn two_digit_year(value: u32) -> i32 {
    let value = i32::try_from(value).unwrap_or(0);
    if value < 70 {
        2000 + value
    } else {
        1900 + value
    }
}

/// `3`, `03`, `0300`, `03:00`, `330` → minutes east of UTC (sign handled by the caller).
fn offset_minutes(text: &str) -> Option<i32> {
    let digits: String = text.chars().filter(|&c| c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let value: i32 = digits.parse().ok()?;
    let (hours, minutes) = if digits.len() <= 2 {
        (value, 0)
    } else {
        (value / 100, value % 100)
    };
    (hours <= 14 && minutes < 60).then_some(hours * 60 + minutes)
}

/// A zone name, optionally followed by an offset from it (`gmt`, `utc+3`, `gmt+03:00`).
fn zone_with_offset(token: &str) -> Option<i32> {
    let split = token.find(['+', '-']).unwrap_or(token.len());
    let (name, offset) = token.split_at(split);
    let base = zone_minutes(name)?;
    if offset.is_empty() {
        return Some(base);
    }
    let minutes = offset_minutes(offset.get(1..)?)?;
    Some(
        base + if offset.starts_with('-') {
            -minutes
        } else {
            minutes
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> String {
        parse_date(text)
            .map(crate::time::format)
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn standard_forms_parse() {
        assert_eq!(at("Sun, 23 Nov 2025 10:00:00 GMT"), "2025-11-23T10:00:00Z");
        assert_eq!(
            at("Sun, 23 Nov 2025 10:00:00 +0300"),
            "2025-11-23T07:00:00Z"
        );
        assert_eq!(at("2025-11-23T10:00:00.5+03:00"), "2025-11-23T07:00:00Z");
        assert_eq!(at("2025-11-23T10:00:00Z"), "2025-11-23T10:00:00Z");
    }

    #[test]
    fn near_misses_of_rfc_2822_parse() {
        for text in [
            "Mon, 23 Nov 2025 10:00:00 GMT",
            "Sunday, 23 November 2025 10:00:00 GMT",
            "23 Nov 2025 10:00:00 GMT",
            "Sun, 23 Nov 25 10:00:00 GMT",
            "Sun, 23 Nov 2025 10:00 GMT",
            "Sun, 23 Nov 2025 10:00:00",
            "Nov 23, 2025 10:00:00 UTC",
            "Sun, 23 Nov 2025 10:00:00 XYZ",
            "23 Nov 2025 10:00 am",
        ] {
            assert_eq!(at(text), "2025-11-23T10:00:00Z", "{text}");
        }
        assert_eq!(at("23 Nov 2025 10:00 PM"), "2025-11-23T22:00:00Z");
    }

    #[test]
    fn zone_names_and_glued_offsets_parse() {
        for text in [
            "Sun, 23 Nov 2025 10:00:00 AST",
            "Sun, 23 Nov 2025 10:00:00 EEST",
            "Sun, 23 Nov 2025 10:00:00 GMT+3",
            "Sun, 23 Nov 2025 10:00:00 GMT+03:00",
            "Sun, 23 Nov 2025 10:00:00 +03:00",
            "Sun, 23 Nov 2025 10:00:00 +3",
        ] {
            assert_eq!(at(text), "2025-11-23T07:00:00Z", "{text}");
        }
        assert_eq!(at("Sun, 23 Nov 2025 10:00:00 EST"), "2025-11-23T15:00:00Z");
        assert_eq!(
            at("Sun, 23 Nov 2025 10:00:00 UTC-5"),
            "2025-11-23T15:00:00Z"
        );
    }

    #[test]
    fn numeric_and_iso_like_forms_parse() {
        assert_eq!(at("2025-11-23T10:00:00"), "2025-11-23T10:00:00Z");
        assert_eq!(at("2025-11-23 10:00:00"), "2025-11-23T10:00:00Z");
        assert_eq!(at("2025-11-23 10:00:00+0300"), "2025-11-23T07:00:00Z");
        assert_eq!(at("2025-11-23"), "2025-11-23T00:00:00Z");
        assert_eq!(at("23/11/2025 10:00"), "2025-11-23T10:00:00Z");
        assert_eq!(at("2025/11/23"), "2025-11-23T00:00:00Z");
    }

    #[test]
    fn arabic_month_names_and_digits_parse() {
        for text in [
            "الأحد, 23 نوفمبر 2025 10:00:00 GMT",
            "الأحد، 23 نوفمبر 2025 10:00:00 GMT",
            "٢٣ نوفمبر ٢٠٢٥ ١٠:٠٠:٠٠ GMT",
            "Sun, ٢٣ Nov ٢٠٢٥ ١٠:٠٠:٠٠ GMT",
            "23 تشرين الثاني 2025 10:00",
            "23 نونبر 2025 10:00",
            "۲۳ نوفمبر ۲۰۲۵ ۱۰:۰۰",
            "الأحد 23 نوفمبر 2025م 10:00 بتوقيت غرينتش",
        ] {
            assert_eq!(at(text), "2025-11-23T10:00:00Z", "{text}");
        }
        assert_eq!(at("1 كانون الثاني 2026"), "2026-01-01T00:00:00Z");
        assert_eq!(at("31 كانون الأول 2025"), "2025-12-31T00:00:00Z");
        assert_eq!(at("5 غشت 2025"), "2025-08-05T00:00:00Z");
        assert_eq!(at("5 أيار 2025"), "2025-05-05T00:00:00Z");
    }

    #[test]
    fn unreadable_or_impossible_dates_are_none() {
        for text in [
            "",
            "   ",
            "yesterday",
            "31 Feb 2025",
            "23 Nov",
            "5 رمضان 1447 هـ",
            "Sun, 23 Nov 2025 25:00:00 GMT",
            "23 Nov 2025 10:00:00 +9999",
        ] {
            assert_eq!(at(text), "none", "{text:?}");
        }
    }

    #[test]
    fn end_of_day_rolls_over_to_the_next_day() {
        assert_eq!(at("23 Nov 2025 24:00:00 GMT"), "2025-11-24T00:00:00Z");
    }
}
