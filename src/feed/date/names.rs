//! The words of dates: month names (English, and Arabic in its Egyptian/Gulf, Levantine and
//! Maghrebi forms), zone abbreviations and am/pm. Arabic entries are in normalized form
//! (see [`crate::arabic::normalize`]: أ إ آ → ا, ة → ه), as the date reader sees them.

/// Zone abbreviations seen in feeds, in minutes east of UTC.
pub(super) fn zone_minutes(name: &str) -> Option<i32> {
    Some(match name {
        "gmt" | "ut" | "utc" | "z" | "wet" | "غرينتش" | "جرينتش" | "غرينيتش" => {
            0
        }
        "bst" | "cet" | "west" | "wat" => 60,
        "eet" | "cest" | "cat" | "sast" => 120,
        "ast" | "eest" | "msk" | "trt" | "eat" | "idt" => 180,
        "irst" => 210,
        "gst" => 240,
        "pkt" => 300,
        "edt" => -240,
        "est" | "cdt" => -300,
        "cst" | "mdt" => -360,
        "mst" | "pdt" => -420,
        "pst" => -480,
        _ => return None,
    })
}

/// `am`/`pm` and their Arabic forms; `true` for the afternoon.
pub(super) fn meridiem(token: &str) -> Option<bool> {
    match token {
        "am" | "a.m" | "ص" | "صباحا" => Some(false),
        "pm" | "p.m" | "م" | "مساء" | "مساءا" => Some(true),
        _ => None,
    }
}

/// English month names and abbreviations, and single-word Arabic month names (normalized).
pub(super) fn month_number(token: &str) -> Option<u32> {
    const ENGLISH: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if token.len() >= 3 && token.is_ascii() {
        if token == "sept" {
            return Some(9);
        }
        let index = ENGLISH.iter().position(|name| name.starts_with(token))?;
        return u32::try_from(index + 1).ok();
    }
    Some(match token {
        "يناير" | "جانفي" | "ينار" => 1,
        "فبراير" | "شباط" | "فيفري" | "فبرير" => 2,
        "مارس" | "اذار" => 3,
        "ابريل" | "نيسان" | "افريل" => 4,
        "مايو" | "ايار" | "ماي" | "مايس" => 5,
        "يونيو" | "يونيه" | "حزيران" | "جوان" => 6,
        "يوليو" | "يوليه" | "تموز" | "جويليه" | "يوليوز" => 7,
        "اغسطس" | "اب" | "اوت" | "غشت" => 8,
        "سبتمبر" | "ايلول" | "شتنبر" => 9,
        "اكتوبر" => 10,
        "نوفمبر" | "نونبر" => 11,
        "ديسمبر" | "دجنبر" => 12,
        _ => return None,
    })
}

/// The Levantine names written as two words: كانون الثاني (January) … كانون الأول (December).
pub(super) fn two_word_month(first: &str, second: Option<&str>) -> Option<u32> {
    let later = match second? {
        "الاول" => false,
        "الثاني" => true,
        _ => return None,
    };
    match (first, later) {
        ("كانون", true) => Some(1),
        ("تشرين", false) => Some(10),
        ("تشرين", true) => Some(11),
        ("كانون", false) => Some(12),
        _ => None,
    }
}
