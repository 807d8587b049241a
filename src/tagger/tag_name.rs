//! Tag names as people write them: `ai-infra`, `ai-infra/chips` or just `chips`. The command
//! line, the config's `[[exports]]` and the web pages all read tags through [`parse_tag`], so a
//! name one of them accepts, every one accepts.

use super::taxonomy::{SUBTOPICS, UMBRELLA};

/// A tag that is not one of mirsad's, with the closest one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown tag {given:?}: did you mean {suggestion}? (tags: ai-infra, {})", SUBTOPICS.join(", "))]
pub struct UnknownTag {
    pub given: String,
    pub suggestion: &'static str,
}

/// The full name of a tag written as `ai-infra`, `ai-infra/chips` or `chips`.
pub fn parse_tag(text: &str) -> Result<&'static str, UnknownTag> {
    let text = text.trim();
    let known = std::iter::once(UMBRELLA).chain(SUBTOPICS.iter().copied());
    if let Some(tag) = known
        .clone()
        .find(|k| *k == text || k.strip_prefix("ai-infra/") == Some(text))
    {
        return Ok(tag);
    }
    let suggestion = known
        .map(|k| {
            let short = k.strip_prefix("ai-infra/").unwrap_or(k);
            let likeness = strsim::jaro_winkler(text, k).max(strsim::jaro_winkler(text, short));
            (likeness, k)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(UMBRELLA, |(_, k)| k);
    Err(UnknownTag {
        given: text.to_owned(),
        suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_short_names_are_accepted() {
        assert_eq!(parse_tag("chips"), Ok("ai-infra/chips"));
        assert_eq!(parse_tag(" ai-infra/energy "), Ok("ai-infra/energy"));
        assert_eq!(parse_tag("ai-infra"), Ok("ai-infra"));
    }

    #[test]
    fn unknown_tags_get_the_closest_one() {
        let err = parse_tag("chip").unwrap_err();
        assert_eq!(err.suggestion, "ai-infra/chips");
        assert!(
            err.to_string().contains("did you mean ai-infra/chips?"),
            "{err}"
        );
        assert_eq!(
            parse_tag("ai-infra/datacentres").unwrap_err().suggestion,
            "ai-infra/datacenters"
        );
    }
}
