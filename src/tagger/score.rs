//! Turns the phrases found in an item into scores, tags and evidence.
//!
//! For each rule, every occurrence of one of its terms is checked against the rule's context:
//! an `unless` phrase within the window vetoes it, a `near` phrase must be within the window, a
//! `with` phrase must be somewhere in the item; an `unless` phrase right next to a `near` or `with`
//! phrase vetoes that context. A surviving occurrence weighs the rule's weight
//! times the field's weight (title or body). A rule counts once, with its heaviest occurrence, so
//! repeating a word does not add up; a subtopic's score is the sum over its rules, and the tag is
//! given when the score reaches the subtopic's threshold.

use super::matcher::{Occurrence, Role, ScannedField};
use super::taxonomy::{Rule, Taxonomy, UMBRELLA};
use super::{Evidence, Field, TagResult, Tagging};

/// An `unless` phrase at most this many words from a `near` or `with` phrase vetoes it.
const CONTEXT_VETO_WINDOW: usize = 1;

/// Evidence kept per rule: the occurrence that counted and a few more for `explain`.
const EVIDENCE_PER_RULE: usize = 3;

/// The two fields of an item, as text and as scanned words.
pub(crate) struct Item<'t> {
    pub title: &'t str,
    pub body: &'t str,
    pub title_words: &'t ScannedField,
    pub body_words: &'t ScannedField,
}

impl Item<'_> {
    fn original(&self, field: Field, start: usize, end: usize) -> String {
        match field {
            Field::Title => self.title_words.original(self.title, start, end),
            Field::Body => self.body_words.original(self.body, start, end),
        }
        .to_owned()
    }
}

/// Scores every subtopic of `taxonomy` from the occurrences found in `item`.
pub(crate) fn score(taxonomy: &Taxonomy, item: &Item<'_>, mut found: Vec<Occurrence>) -> Tagging {
    found.sort_by_key(|o| (o.rule, o.role, o.field, o.start, o.end));
    let mut scores = vec![0.0; taxonomy.subtopics.len()];
    let mut evidence: Vec<Vec<Evidence>> = vec![Vec::new(); taxonomy.subtopics.len()];
    for group in found.chunk_by(|a, b| a.rule == b.rule) {
        let Some(first) = group.first() else { continue };
        let Some(rule) = taxonomy.rules.get(first.rule) else {
            continue;
        };
        let mut counted = surviving_matches(taxonomy, rule, group);
        // Heaviest first: it is the one that counts; ties go to the title, then the first words.
        counted.sort_by(|a, b| {
            b.weight
                .abs()
                .total_cmp(&a.weight.abs())
                .then(a.term.field.cmp(&b.term.field))
                .then(a.term.start.cmp(&b.term.start))
        });
        counted.truncate(EVIDENCE_PER_RULE);
        if let (Some(best), Some(score), Some(list)) = (
            counted.first(),
            scores.get_mut(rule.subtopic),
            evidence.get_mut(rule.subtopic),
        ) {
            *score += best.weight;
            list.extend(counted.iter().map(|m| m.evidence(rule, item)));
        }
    }

    let mut tagging = Tagging::default();
    for ((subtopic, score), evidence) in taxonomy.subtopics.iter().zip(scores).zip(evidence) {
        let score = round(score);
        if evidence.is_empty() {
            continue;
        }
        let result = TagResult {
            tag: subtopic.tag.to_owned(),
            score,
            evidence,
        };
        if score >= subtopic.threshold {
            tagging.tags.push(result);
        } else if result.evidence.iter().any(|e| e.weight > 0.0) {
            // Below the threshold, or cancelled by a negative rule: `explain` shows why.
            tagging.near_misses.push(result);
        }
    }
    if !tagging.tags.is_empty() {
        let umbrella = TagResult {
            tag: UMBRELLA.to_owned(),
            score: tagging.tags.iter().map(|t| t.score).fold(0.0, f64::max),
            evidence: tagging
                .tags
                .iter()
                .flat_map(|t| t.evidence.iter().filter(|e| e.weight > 0.0).cloned())
                .collect(),
        };
        tagging.tags.insert(0, umbrella);
    }
    tagging
}

/// A term occurrence that survived its rule's context, before it becomes [`Evidence`].
struct Match<'o> {
    term: &'o Occurrence,
    context: Option<&'o Occurrence>,
    weight: f64,
}

impl Match<'_> {
    fn evidence(&self, rule: &Rule, item: &Item<'_>) -> Evidence {
        Evidence {
            rule: rule.id.clone(),
            matched: item.original(self.term.field, self.term.start, self.term.end),
            field: self.term.field,
            position: self.term.start,
            weight: self.weight,
            context: self.context.map(|c| item.original(c.field, c.start, c.end)),
        }
    }
}

/// The occurrences of `rule`'s terms that survive its context: at most [`EVIDENCE_PER_RULE`],
/// heaviest field first.
///
/// Hot path on long texts: `group` is sorted by role, field and position, so each role is one
/// slice, and the search stops once enough evidence is found (all matches of a rule in one field
/// weigh the same).
fn surviving_matches<'o>(
    taxonomy: &Taxonomy,
    rule: &Rule,
    group: &'o [Occurrence],
) -> Vec<Match<'o>> {
    let of = |role: Role| {
        let from = group.partition_point(|o| o.role < role);
        let to = group.partition_point(|o| o.role <= role);
        group.get(from..to).unwrap_or_default()
    };
    let (terms, near, unless, with) = (
        of(Role::Term),
        of(Role::Near),
        of(Role::Unless),
        of(Role::With),
    );
    let within =
        |a: &Occurrence, b: &Occurrence, window: usize| distance(a, b).is_some_and(|d| d <= window);
    // An unless phrase right next to a context phrase vetoes that context: in
    // "تصدير … رقائق التغليف" the word رقائق is packaging foil, not chips.
    let vetoed = |context: &Occurrence| {
        unless
            .iter()
            .any(|u| within(context, u, CONTEXT_VETO_WINDOW))
    };
    let mut fields = [
        (Field::Title, taxonomy.title_weight),
        (Field::Body, taxonomy.body_weight),
    ];
    fields.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut out = Vec::new();
    for (field, field_weight) in fields {
        for term in terms.iter().filter(|t| t.field == field) {
            if out.len() == EVIDENCE_PER_RULE {
                return out;
            }
            if unless.iter().any(|u| within(term, u, rule.window)) {
                continue;
            }
            let near = near
                .iter()
                .filter(|n| within(term, n, rule.window) && !overlaps(term, n) && !vetoed(n))
                .min_by_key(|n| distance(term, n));
            if rule.needs_near && near.is_none() {
                continue;
            }
            // A with phrase inside the term counts (مجمع للذكاء الاصطناعي is about AI); the very
            // same words do not.
            let with = if rule.needs_with {
                match with.iter().find(|w| !same_span(term, w) && !vetoed(w)) {
                    Some(with) => Some(with),
                    None => continue,
                }
            } else {
                None
            };
            out.push(Match {
                term,
                context: near.or(with),
                weight: round(rule.weight * field_weight),
            });
        }
    }
    out
}

/// Words between two occurrences of the same field (0 when adjacent or overlapping); `None`
/// across fields.
fn distance(a: &Occurrence, b: &Occurrence) -> Option<usize> {
    if a.field != b.field {
        return None;
    }
    // Disjoint phrases are separated by the words between them; overlapping ones by none.
    Some(
        b.start
            .saturating_sub(a.end)
            .max(a.start.saturating_sub(b.end)),
    )
}

fn same_span(a: &Occurrence, b: &Occurrence) -> bool {
    a.field == b.field && a.start == b.start && a.end == b.end
}

fn overlaps(a: &Occurrence, b: &Occurrence) -> bool {
    a.field == b.field && a.start < b.end && b.start < a.end
}

/// Scores are sums of a few decimal weights; four decimals keep them exact to read and compare.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(field: Field, start: usize, end: usize) -> Occurrence {
        Occurrence {
            rule: 0,
            role: Role::Term,
            field,
            start,
            end,
        }
    }

    #[test]
    fn distance_counts_the_words_between_two_phrases() {
        let a = occ(Field::Body, 2, 4);
        assert_eq!(distance(&a, &occ(Field::Body, 4, 5)), Some(0));
        assert_eq!(distance(&a, &occ(Field::Body, 7, 8)), Some(3));
        assert_eq!(distance(&a, &occ(Field::Body, 0, 1)), Some(1));
        assert_eq!(distance(&a, &occ(Field::Body, 3, 6)), Some(0));
        assert_eq!(distance(&a, &occ(Field::Title, 2, 4)), None);
    }

    #[test]
    fn overlap_requires_shared_words_in_the_same_field() {
        let a = occ(Field::Body, 2, 4);
        assert!(overlaps(&a, &occ(Field::Body, 3, 5)));
        assert!(!overlaps(&a, &occ(Field::Body, 4, 5)));
        assert!(!overlaps(&a, &occ(Field::Title, 2, 4)));
    }

    #[test]
    fn scores_round_to_four_decimals() {
        assert_eq!(round(0.1 + 0.2), 0.3);
        assert_eq!(round(1.23456), 1.2346);
    }
}
