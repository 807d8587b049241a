use std::collections::{HashMap, HashSet};

use super::*;

fn ids_in(text: &str) -> Vec<(&'static str, usize, usize)> {
    let normalized = normalize(text);
    let words: Vec<&str> = tokens(&normalized).collect();
    builtin()
        .find(&words)
        .map(|m| (m.entity.id.as_str(), m.start, m.len))
        .collect()
}

fn first_id(text: &str) -> Option<&'static str> {
    ids_in(text).first().map(|(id, _, _)| *id)
}

#[test]
fn the_builtin_file_is_valid() {
    let entities = builtin();
    let mut problems = Vec::new();
    if entities.len() < 300 {
        problems.push(format!("only {} entities", entities.len()));
    }
    let mut ids = HashSet::new();
    // Every matchable spelling (as the trie keys it) and the entity that claims it.
    let mut owner: HashMap<Vec<String>, &str> = HashMap::new();
    for entity in entities.iter() {
        let id = entity.id.as_str();
        if !ids.insert(id) {
            problems.push(format!("{id}: duplicate id"));
        }
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push(format!("{id}: an id is lower-case ASCII, digits and _"));
        }
        if entity.ar.is_empty() || entity.latin.is_empty() {
            problems.push(format!("{id}: needs Arabic and Latin names"));
        }
        for name in &entity.ar {
            if !name.chars().any(|c| ('\u{0621}'..='\u{06FF}').contains(&c)) {
                problems.push(format!("{id}: Arabic name {name:?} has no Arabic letter"));
            }
        }
        for name in &entity.latin {
            if !name.chars().any(|c| c.is_ascii_alphabetic()) {
                problems.push(format!("{id}: Latin name {name:?} has no Latin letter"));
            }
        }
        if entity.alone && entity.signals.is_empty() {
            problems.push(format!("{id}: alone = true but no signals"));
        }
        if let Some(parent) = &entity.part_of {
            match entities.by_id(parent) {
                None => problems.push(format!("{id}: part_of names no entity ({parent})")),
                Some(p) if p.part_of.is_some() || p.id == entity.id => problems.push(format!(
                    "{id}: part_of must name a top-level entity ({parent})"
                )),
                Some(_) => {}
            }
        }
        if entity.kind == Kind::Other && !entity.signals.is_empty() {
            problems.push(format!("{id}: kind other has no signals"));
        }
        let mut own = HashSet::new();
        for form in entity.forms() {
            let key = match_key(form);
            if !own.insert(key.clone()) {
                problems.push(format!(
                    "{id}: spelling {} listed twice (after normalizing)",
                    key.join(" ")
                ));
                continue;
            }
            if let Some(other) = owner.insert(key.clone(), id) {
                problems.push(format!("{id} and {other} both claim {}", key.join(" ")));
            }
        }
        if entity.forms().is_empty() {
            problems.push(format!("{id}: no spelling can be matched"));
        }
    }
    // A name behind a proclitic must not be another entity's name as written (بي + ... ).
    for entity in entities.iter() {
        for form in entity.forms() {
            let key = match_key(form);
            let Some((first, rest)) = key.split_first() else {
                continue;
            };
            for proclitic in PROCLITICS {
                let mut prefixed = vec![format!("{proclitic}{first}")];
                prefixed.extend(rest.iter().cloned());
                if let Some(other) = owner.get(&prefixed).filter(|o| **o != entity.id) {
                    problems.push(format!(
                        "{} behind {proclitic} reads as {other}'s {}",
                        entity.id,
                        prefixed.join(" ")
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_kind_is_used_and_counted() {
    let mut counts: HashMap<Kind, usize> = HashMap::new();
    for entity in builtin().iter() {
        *counts.entry(entity.kind).or_default() += 1;
    }
    for kind in Kind::ALL {
        assert!(
            counts.get(&kind).copied().unwrap_or(0) > 0,
            "no entity of kind {kind}"
        );
    }
}

#[test]
fn unknown_subtopics_kinds_and_keys_are_rejected() {
    let entity = |extra: &str| {
        format!(
            "[[entity]]\nid = \"x\"\nkind = \"chips\"\nar = [\"إكس\"]\nlatin = [\"X\"]\nalone = false\n{extra}"
        )
    };
    assert!(Entities::parse(&entity("signals = [\"chips\"]")).is_ok());
    assert!(Entities::parse(&entity("signals = [\"gpus\"]")).is_err());
    assert!(Entities::parse(&entity("colour = \"red\"")).is_err());
    let bad_kind = entity("").replace("\"chips\"", "\"bank\"");
    assert!(Entities::parse(&bad_kind).is_err());
}

#[test]
fn names_are_found_with_proclitics_and_letter_variants() {
    assert_eq!(first_id("لإنفيديا"), Some("nvidia"));
    assert_eq!(first_id("وبإنفيديا"), Some("nvidia"));
    assert_eq!(first_id("NVIDIA"), Some("nvidia"));
    assert_eq!(first_id("ولـNvidia"), Some("nvidia"));
    assert_eq!(first_id("وغوغل"), Some("google"));
    assert_eq!(first_id("جوجل"), Some("google"));
    assert_eq!(first_id("بكور ويف"), Some("coreweave"));
    assert_eq!(first_id("كورويف"), Some("coreweave"));
    assert_eq!(first_id("داتاڤولت"), Some("datavolt"));
    assert_eq!(first_id("لصندوق الاستثمارات العامة"), Some("pif"));
    assert_eq!(first_id("صندوق استثمارات عامة"), Some("pif"));
}

#[test]
fn the_longest_name_wins_and_spans_its_words() {
    assert_eq!(
        ids_in("وقعت أوبن إيه آي مع أوراكل"),
        vec![("openai", 1, 3), ("oracle", 5, 1)]
    );
    assert_eq!(first_id("ستارغيت الإمارات"), Some("stargate_uae"));
    assert_eq!(first_id("ستارغيت"), Some("stargate"));
    assert_eq!(first_id("سامسونغ للمسابك"), Some("samsung_foundry"));
    assert_eq!(first_id("سامسونغ"), Some("samsung"));
    assert_eq!(first_id("أمازون ويب سيرفيسز"), Some("aws"));
    assert_eq!(first_id("طيران الإمارات"), Some("emirates_airline"));
    assert_eq!(ids_in("إس كيه هاينكس"), vec![("skhynix", 0, 3)]);
}

#[test]
fn ordinary_words_that_share_a_name_are_not_names() {
    // مصدر "source", مبادلة "swap", طاقة "energy", شل "paralysed", بي بي سي (BBC), غروك (the
    // chatbot, not the chip company).
    for text in [
        "قال مصدر مطلع",
        "مبادلة الديون",
        "طاقة متجددة",
        "شل حركة المرور",
        "بي بي سي عربي",
        "شارل دو غول",
        "زين الدين",
    ] {
        assert_eq!(ids_in(text), vec![], "{text}");
    }
    assert_eq!(first_id("شركة مصدر"), Some("masdar"));
    assert_eq!(first_id("غروك"), Some("grok"));
    assert_eq!(first_id("شركة غروك"), Some("groq"));
}

#[test]
fn single_letter_names_are_kept_for_display_but_never_matched() {
    let etisalat = builtin().by_id("etisalat").unwrap();
    assert!(etisalat.latin.iter().any(|n| n == "e&"));
    assert!(etisalat.forms().iter().all(|f| f != &vec!["e".to_owned()]));
    assert_eq!(ids_in("e"), vec![]);
    assert_eq!(first_id("إي آند"), Some("etisalat"));
}
