//! Splitting normalized text into words and numbers, with numbers read whole.
//!
//! Outlets write one figure many ways: `51.2`, `٥١٫٢` (Arabic decimal separator), `18,000`,
//! `١٨٬٠٠٠`, and glue digits to clitics (`بـ10`, which normalizes to `ب10`) or Latin names to
//! the conjunction (`وAMD`). A figure must come out as one canonical number every time.

/// One word or number of a normalized text.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub text: String,
    pub number: Option<f64>,
}

/// A number as one canonical text: `57`, `51.2`, `18000`.
pub fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// `char::is_alphanumeric`, with the Arabic letters and ASCII answered without a table lookup
/// (this runs on every character of every item).
fn is_word_char(c: char) -> bool {
    matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}')
        || c.is_ascii_alphanumeric()
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}')
}

/// Splits normalized text into words and numbers. A number keeps its decimal part (`51.2`,
/// `٥١٫٢`) and thousands groups (`18,000`); Latin words and digits glued to an Arabic clitic
/// (`بـ10` → `ب10`, `وAMD`) are split off it, while Latin model names (`h100`, `777x`) stay whole.
pub fn pieces(normalized: &str) -> Vec<Piece> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() {
            let (value, end) = read_number(&chars, i);
            if chars.get(end).is_some_and(|c| c.is_ascii_alphabetic()) {
                i = push_word(&chars, i, &mut out);
            } else {
                out.push(Piece {
                    text: number_text(value),
                    number: Some(value),
                });
                // A score or a model number (2-1, 777-9) is also one figure.
                if chars.get(end) == Some(&'-')
                    && chars.get(end + 1).is_some_and(char::is_ascii_digit)
                {
                    let (second, _) = read_number(chars.as_slice(), end + 1);
                    out.push(Piece {
                        text: format!("{}-{}", number_text(value), number_text(second)),
                        number: None,
                    });
                }
                i = end;
            }
        } else if is_word_char(c) {
            i = push_word(&chars, i, &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// Pushes the word starting at `start`; a word ends where Arabic script meets Latin letters or
/// digits (`وAMD`, `ب10`).
fn push_word(chars: &[char], start: usize, out: &mut Vec<Piece>) -> usize {
    let mut end = start;
    let mut previous: Option<char> = None;
    while let Some(&c) = chars.get(end) {
        let boundary = previous.is_some_and(|p| is_arabic(p) != is_arabic(c));
        if !is_word_char(c) || boundary {
            break;
        }
        previous = Some(c);
        end += 1;
    }
    let text: String = chars.get(start..end).unwrap_or_default().iter().collect();
    if !text.is_empty() {
        out.push(Piece { text, number: None });
    }
    end.max(start + 1)
}

/// Reads a number at `start`: digits, thousands groups of three, one decimal part.
fn read_number(chars: &[char], start: usize) -> (f64, usize) {
    let digits_from = |from: usize| {
        chars
            .iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut text = String::new();
    let mut end = start;
    let first = digits_from(end);
    text.extend(chars.iter().skip(end).take(first));
    end += first;
    loop {
        let separator = chars.get(end).copied();
        let following = digits_from(end + 1);
        match separator {
            Some(',' | '٬') if following == 3 && !text.contains('.') => {
                text.extend(chars.iter().skip(end + 1).take(3));
                end += 4;
            }
            Some('.' | '٫') if following > 0 && !text.contains('.') => {
                text.push('.');
                text.extend(chars.iter().skip(end + 1).take(following));
                end += 1 + following;
            }
            _ => break,
        }
    }
    (text.parse().unwrap_or(0.0), end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arabic::normalize;

    fn texts(text: &str) -> Vec<String> {
        pieces(&normalize(text))
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn numbers_keep_decimals_and_thousands_in_any_digits() {
        assert_eq!(texts("51.2 مليار"), ["51.2", "مليار"]);
        assert_eq!(texts("٥١٫٢ مليار"), ["51.2", "مليار"]);
        assert_eq!(texts("١٨٬٠٠٠ شريحة"), ["18000", "شريحه"]);
        assert_eq!(texts("57.0 مليار."), ["57", "مليار"]);
        assert_eq!(texts("2-1"), ["2", "2-1", "1"]);
    }

    #[test]
    fn digits_split_from_arabic_clitics_but_not_from_latin_names() {
        assert_eq!(texts("بـ10 مليارات"), ["ب", "10", "مليارات"]);
        assert_eq!(texts("الـ48"), ["ال", "48"]);
        assert_eq!(
            texts("H100 وGB300 و777X"),
            ["h100", "و", "gb300", "و", "777x"]
        );
    }

    #[test]
    fn numbers_print_canonically() {
        assert_eq!(number_text(57.0), "57");
        assert_eq!(number_text(51.2), "51.2");
        assert_eq!(number_text(1.29), "1.29");
    }
}
