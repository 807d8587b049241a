//! Arabic text normalization, tokenization and light stemming.
//!
//! One implementation for every place that compares words: the search index and its queries, the
//! tagger's terms and texts, and story clustering. The mapping is exactly the one in the design
//! notes (docs/arabic.md): NFKC, deletion of harakat, Quranic marks and format characters, letter
//! folds, digits to ASCII and lower-cased Latin. Normalized text is for matching only; the
//! original is always kept for display.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Normalizes `text` for matching: NFKC, deletions, letter folds, ASCII digits, lower case.
///
/// Idempotent: `normalize(&normalize(s)) == normalize(s)`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Fast path for the common case: NFKC is the expensive step, and pure ASCII needs none.
    if text.is_ascii() {
        out.extend(text.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    // Hottest path: ASCII and the basic Arabic letters, harakat, digits and punctuation are
    // NFKC-stable, and none of them composes with another, so neither NFKC nor the re-compose
    // check below can change anything. Most Arabic feed text is only these.
    if text.chars().all(is_stable_simple) {
        for c in text.chars() {
            push_folded(&mut out, c);
        }
        return out;
    }
    // Hot path: most other feed text is already NFKC, and the quick check is far cheaper than
    // running the normalization iterator over every character.
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        for c in text.chars() {
            push_folded(&mut out, c);
        }
    } else {
        for c in text.nfkc() {
            push_folded(&mut out, c);
        }
    }
    // Deleting a haraka or lower-casing a letter can bring a base letter and a combining mark
    // together that NFKC composes (T + ̈ has no precomposed form, t + ̈ does: found by
    // fuzzing). Repeat until stable so that normalize stays idempotent; rare and short.
    for _ in 0..4 {
        if is_nfkc_quick(out.chars()) == IsNormalized::Yes {
            break;
        }
        let composed: String = out.nfkc().collect();
        out.clear();
        for c in composed.chars() {
            push_folded(&mut out, c);
        }
    }
    out
}

/// Appends the normalized form of one NFKC-composed character.
fn push_folded(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if is_deleted(c) {
        return;
    }
    match fold_letter(c) {
        Some(folded) => out.push(folded),
        // Arabic-block letters have no case; skip the slower Unicode case lookup for them.
        None if is_arabic_block(c) => out.push(c),
        None if c.is_uppercase() => out.extend(c.to_lowercase()),
        None => out.push(c),
    }
}

/// Characters that are their own NFKC form and never compose with a neighbour: ASCII, the
/// Arabic letters hamza to yeh, tatweel, the harakat up to sukun (U+0653–U+0655, which do
/// compose, are left out), Arabic-Indic digits and Arabic punctuation.
fn is_stable_simple(c: char) -> bool {
    c.is_ascii()
        || matches!(c, '\u{0621}'..='\u{0652}' | '\u{0660}'..='\u{066D}' | '\u{060C}' | '\u{061B}' | '\u{061F}')
}

fn is_arabic_block(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// `char::is_alphanumeric` with fast answers for ASCII and the Arabic letters, which are
/// nearly all of the text mirsad reads (the general lookup is a hot spot in profiles).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else if ('\u{0621}'..='\u{064A}').contains(&c) {
        true
    } else {
        c.is_alphanumeric()
    }
}

/// Characters the normalizer removes: harakat, dagger alef, tatweel, Quranic marks, and the
/// zero-width and bidi format characters (they can hide inside a word or disguise text).
pub fn is_deleted(c: char) -> bool {
    matches!(c,
        '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{0640}'
        | '\u{0610}'..='\u{061A}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{200B}'..='\u{200F}'
        | '\u{061C}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Letter folds and digit mapping; `None` keeps the character.
fn fold_letter(c: char) -> Option<char> {
    Some(match c {
        'آ' | 'أ' | 'إ' | 'ٱ' | '\u{0672}' | '\u{0673}' => 'ا',
        'ى' => 'ي',
        'ة' => 'ه',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ی' | 'ے' => 'ي',
        'ک' => 'ك',
        'ہ' | 'ھ' | 'ۀ' | 'ۃ' => 'ه',
        '٠'..='٩' => digit(c as u32 - '٠' as u32),
        '۰'..='۹' => digit(c as u32 - '۰' as u32),
        _ => return None,
    })
}

fn digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// Splits normalized text into words: every character that is not alphanumeric separates.
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(|c: char| !is_word_char(c))
        .filter(|t| !t.is_empty())
}

/// Prefixes removed by [`stem`], longest first: the article with its clitics, then و alone.
const PREFIXES: [&str; 7] = ["وال", "بال", "كال", "فال", "لل", "ال", "و"];

/// Suffixes removed by [`stem`], in this order, each at most once: possessives, then plural and
/// adjective endings, then a final ه or ي (ة and ى are already folded to them).
const SUFFIXES: [&str; 12] = [
    "ها", "هم", "هن", "كم", "نا", "ان", "ات", "ون", "ين", "يه", "ه", "ي",
];

/// Fewest letters a stem keeps.
const MIN_STEM_CHARS: usize = 2;

/// Light stemmer for one *normalized* token (after Lucene's Arabic light stemmer): strips one
/// clitic prefix and then the listed suffixes, never leaving fewer than two letters. Tokens that
/// are not Arabic are returned unchanged.
pub fn stem(token: &str) -> &str {
    if !token.chars().any(is_arabic_letter) {
        return token;
    }
    let mut stem = token;
    for prefix in PREFIXES {
        if let Some(rest) = stem.strip_prefix(prefix) {
            // A bare و is often the first letter of the word itself (وحدات), so keep more.
            let keep = if prefix == "و" { 3 } else { MIN_STEM_CHARS };
            if rest.chars().count() >= keep {
                stem = rest;
                break;
            }
        }
    }
    for suffix in SUFFIXES {
        if let Some(rest) = stem.strip_suffix(suffix)
            && rest.chars().count() >= MIN_STEM_CHARS
        {
            stem = rest;
        }
    }
    stem
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}')
}

/// Normalizes, tokenizes and stems `text`: the word stream search and matching work on.
pub fn stemmed_tokens(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    tokens(&normalized).map(|t| stem(t).to_owned()).collect()
}

/// One word of an original text, with where it came from and its matching forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range of the word in the original text (for evidence and highlighting).
    pub start: usize,
    pub end: usize,
    /// The normalized word.
    pub normalized: String,
    /// The normalized, lightly stemmed word.
    pub stem: String,
}

/// Tokenizes an original (unnormalized) text, keeping each word's position.
///
/// Characters the normalizer deletes count as part of a word here, so `ومراكزُ` and `بيـانات`
/// stay one word each, exactly as normalizing first and splitting after would give. A word that
/// NFKC expands into several (a ligature of a phrase) yields several tokens with the same range.
pub fn analyze(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let in_word = is_word_char(c) || is_deleted(c) || expands_to_word(c);
        match (in_word, word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(start)) => {
                push_tokens(&mut out, text, start, i);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = word_start {
        push_tokens(&mut out, text, start, text.len());
    }
    out
}

/// Compatibility characters that are not letters themselves but NFKC turns into letters or
/// digits (﷼ → ريال, ℡ → TEL).
fn expands_to_word(c: char) -> bool {
    !c.is_ascii() && std::iter::once(c).nfkc().any(char::is_alphanumeric)
}

fn push_tokens(out: &mut Vec<Token>, text: &str, start: usize, end: usize) {
    let Some(word) = text.get(start..end) else {
        return;
    };
    let normalized = normalize(word);
    for part in tokens(&normalized) {
        out.push(Token {
            start,
            end,
            normalized: part.to_owned(),
            stem: stem(part).to_owned(),
        });
    }
}

/// Best guess of a text's direction from its strong characters: `"rtl"` when Arabic-script
/// letters outnumber Latin ones, else `"ltr"`.
pub fn direction(text: &str) -> &'static str {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in text.chars() {
        if matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FEFC}') {
            rtl += 1;
        } else if c.is_alphabetic() {
            ltr += 1;
        }
    }
    if rtl > ltr { "rtl" } else { "ltr" }
}

/// Removes bidi override and isolate characters, which can disguise text in human output.
pub fn strip_bidi_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_presentation_forms_and_lam_alef_ligatures() {
        assert_eq!(normalize("\u{FEFB}"), "لا");
        assert_eq!(normalize("\u{FEF7}"), "لا"); // ﻷ → لأ → لا
        assert_eq!(normalize("\u{FEF9}"), "لا"); // ﻹ → لإ → لا
        assert_eq!(normalize("\u{FE94}"), "ه"); // final ة
    }

    #[test]
    fn harakat_dagger_alef_and_tatweel_are_deleted() {
        assert_eq!(normalize("مَرْكَزُ البَيَانَاتِ"), "مركز البيانات");
        assert_eq!(normalize("هٰذا"), "هذا");
        assert_eq!(normalize("بيـــانات"), "بيانات");
        assert_eq!(normalize("إنفيديّا"), "انفيديا");
    }

    #[test]
    fn quranic_marks_are_deleted() {
        assert_eq!(normalize("محمد\u{0610}"), "محمد");
        assert_eq!(normalize("قال\u{06D6}"), "قال");
    }

    #[test]
    fn format_and_bidi_characters_are_deleted() {
        assert_eq!(normalize("مرا\u{200B}كز"), "مراكز");
        assert_eq!(normalize("می\u{200C}خواهم"), "ميخواهم");
        assert_eq!(normalize("\u{200F}بيانات\u{200E}"), "بيانات");
        assert_eq!(normalize("\u{202E}abc\u{202C}"), "abc");
        assert_eq!(normalize("\u{2067}نص\u{2069}"), "نص");
        assert_eq!(normalize("\u{061C}\u{FEFF}نص"), "نص");
    }

    #[test]
    fn alef_variants_fold_to_bare_alef() {
        assert_eq!(normalize("أإآٱ\u{0672}\u{0673}"), "اااااا");
        assert_eq!(normalize("أوبن إيه آي"), "اوبن ايه اي");
        // ا + hamza above composes to أ under NFKC, then folds.
        assert_eq!(normalize("ا\u{0654}"), "ا");
    }

    #[test]
    fn yeh_teh_marbuta_and_hamza_seats_fold() {
        assert_eq!(normalize("مستشفى"), "مستشفي");
        assert_eq!(normalize("سحابة"), "سحابه");
        assert_eq!(normalize("مؤتمر"), "موتمر");
        assert_eq!(normalize("رقائق"), "رقايق");
        // A bare hamza stays.
        assert_eq!(normalize("ذكاء"), "ذكاء");
    }

    #[test]
    fn persian_and_urdu_letters_fold() {
        assert_eq!(normalize("ی"), "ي");
        assert_eq!(normalize("ے"), "ي");
        assert_eq!(normalize("ک"), "ك");
        assert_eq!(normalize("ہھۀۃ"), "هههه");
    }

    #[test]
    fn arabic_indic_and_extended_digits_become_ascii() {
        assert_eq!(normalize("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(normalize("٥١ مليار"), "51 مليار");
    }

    #[test]
    fn latin_is_lower_cased() {
        assert_eq!(normalize("NVIDIA Nvidia nvidia"), "nvidia nvidia nvidia");
        assert_eq!(normalize("رقاقات H200"), "رقاقات h200");
    }

    #[test]
    fn normalize_is_idempotent_when_lower_casing_enables_a_composition() {
        // From a fuzzing crash: T + U+0308 has no precomposed form, t + U+0308 does (ẗ).
        let text = "TT\u{344},\u{64e}\u{34e}";
        let once = normalize(text);
        assert_eq!(normalize(&once), once);
    }

    #[test]
    fn normalize_is_idempotent_on_fixture_words() {
        for word in ["ومراكزُ البيانـات", "إكس إيه. آي", "غيغاواط", "ﻷول", "٢٠٢٥"]
        {
            let once = normalize(word);
            assert_eq!(normalize(&once), once, "{word}");
        }
    }

    #[test]
    fn tokens_split_on_punctuation_and_spaces() {
        let n = normalize("إكس إيه. آي، (xAI)");
        assert_eq!(tokens(&n).collect::<Vec<_>>(), ["اكس", "ايه", "اي", "xai"]);
    }

    #[test]
    fn stem_strips_article_and_clitics() {
        assert_eq!(stem("البيانات"), "بيان");
        assert_eq!(stem("والبيانات"), "بيان");
        assert_eq!(stem("بالبيانات"), "بيان");
        assert_eq!(stem("للبيانات"), "بيان");
        assert_eq!(stem("ومراكز"), "مراكز");
        assert_eq!(stem("بياناتها"), "بيان");
    }

    #[test]
    fn stem_strips_plural_and_adjective_endings() {
        assert_eq!(stem("رقاقات"), "رقاق");
        assert_eq!(stem("المهندسون"), "مهندس");
        assert_eq!(stem("المهندسين"), "مهندس");
        assert_eq!(stem("الاصطناعي"), "اصطناع");
        assert_eq!(stem("الاصطناعيه"), "اصطناع");
    }

    #[test]
    fn stem_keeps_at_least_two_letters() {
        assert_eq!(stem("ها"), "ها");
        assert_eq!(stem("وها"), "وها");
        for word in ["الي", "التي", "لها", "بنا", "هن"] {
            assert!(stem(word).chars().count() >= 2, "{word} → {}", stem(word));
        }
    }

    #[test]
    fn stem_leaves_latin_and_numbers_alone() {
        assert_eq!(stem("h100"), "h100");
        assert_eq!(stem("2025"), "2025");
    }

    #[test]
    fn diacritized_cliticized_phrase_matches_plain_phrase() {
        assert_eq!(
            stemmed_tokens("ومراكزُ البيانـات"),
            stemmed_tokens("مراكز البيانات")
        );
    }

    #[test]
    fn analyze_keeps_original_ranges() {
        let text = "قالت إنفيديا: وحداتُ H100";
        let tokens = analyze(text);
        let words: Vec<&str> = tokens.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(words, ["قالت", "إنفيديا", "وحداتُ", "H100"]);
        assert_eq!(tokens[1].normalized, "انفيديا");
        assert_eq!(tokens[3].stem, "h100");
    }

    #[test]
    fn direction_follows_the_majority_script() {
        assert_eq!(direction("إنفيديا تعلن عن H200"), "rtl");
        assert_eq!(direction("NVIDIA announces"), "ltr");
    }

    #[test]
    fn bidi_controls_are_stripped_for_display() {
        assert_eq!(strip_bidi_controls("a\u{202E}b\u{2066}c"), "abc");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Arabic letters, marks, digits, presentation forms, format characters and Latin.
        fn arabicish() -> impl Strategy<Value = String> {
            proptest::string::string_regex(
                "[\\u{0600}-\\u{06FF}\\u{FB50}-\\u{FDFF}\\u{FE70}-\\u{FEFF}\\u{200B}-\\u{200F}\\u{202A}-\\u{202E}a-zA-Z0-9 .،]{0,40}",
            )
            .expect("valid regex")
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn normalize_is_idempotent(text in arabicish()) {
                let once = normalize(&text);
                prop_assert_eq!(normalize(&once), once);
            }

            #[test]
            fn the_simple_fast_path_agrees_with_full_nfkc(
                text in "[\\u{0621}-\\u{0652}\\u{0660}-\\u{066D}\\u{060C}\\u{061B}\\u{061F} -~]{0,60}"
            ) {
                let mut reference = String::new();
                for c in text.nfkc() {
                    push_folded(&mut reference, c);
                }
                prop_assert_eq!(normalize(&text), reference);
            }

            #[test]
            fn normalize_never_panics_on_any_string(text in any::<String>()) {
                let _ = normalize(&text);
                let _ = analyze(&text);
            }

            #[test]
            fn stems_keep_at_least_two_letters(text in arabicish()) {
                for token in tokens(&normalize(&text)) {
                    let stem = stem(token);
                    prop_assert!(stem.chars().count() >= token.chars().count().min(2));
                }
            }

            #[test]
            fn analyze_agrees_with_normalize_then_tokens(text in arabicish()) {
                let from_analyze: Vec<String> = analyze(&text).into_iter().map(|t| t.normalized).collect();
                let normalized = normalize(&text);
                let direct: Vec<&str> = tokens(&normalized).collect();
                prop_assert_eq!(from_analyze, direct);
            }
        }
    }
}
