//! Behaviour of the tagger: the builtin taxonomy on hard cases (docs/arabic.md §4.9) and on spelling
//! variants, and the scoring rules on small taxonomies written for each test.

use super::*;

/// The builtin taxonomy's rules alone: these tests pin what the rules do; the rules and the
/// model together are measured by `tests/tagger_quality.rs` on the labelled corpus.
fn builtin() -> Tagger {
    Tagger::rules_only(Taxonomy::builtin())
}

fn tags(title: &str, body: &str) -> Vec<String> {
    builtin()
        .tag(title, body)
        .tags
        .into_iter()
        .map(|t| t.tag)
        .collect()
}

#[track_caller]
fn assert_untagged(title: &str, body: &str) {
    let tagging = builtin().tag(title, body);
    assert!(tagging.tags.is_empty(), "{title} / {body}: {tagging:#?}");
}

#[track_caller]
fn assert_tagged(title: &str, body: &str, subtopic: &str) {
    let got = tags(title, body);
    assert!(
        got.iter().any(|t| t == subtopic) && got.iter().any(|t| t == UMBRELLA),
        "{title} / {body}: expected {subtopic}, got {got:?}"
    );
}

// ---- The builtin taxonomy -------------------------------------------------------------------

#[test]
fn builtin_taxonomy_loads_with_the_umbrella_and_six_subtopics() {
    let taxonomy = Taxonomy::builtin();
    assert!(taxonomy.rule_count() >= 30, "{}", taxonomy.rule_count());
    assert_eq!(taxonomy.version().len(), 16);
    assert!(taxonomy.version().chars().all(|c| c.is_ascii_hexdigit()));
    let mut expected = vec![UMBRELLA];
    expected.extend(SUBTOPICS);
    assert_eq!(taxonomy.tags(), expected);
    assert_eq!(taxonomy.threshold("ai-infra/chips"), Some(1.0));
    assert!(
        taxonomy
            .about("ai-infra/energy")
            .is_some_and(|a| a.contains("gas"))
    );
    assert!(
        taxonomy
            .rule_why("chips:ai-chips")
            .is_some_and(|w| !w.is_empty())
    );
}

#[test]
fn builtin_taxonomy_is_parsed_once_and_cloned() {
    assert_eq!(Taxonomy::builtin().version(), Taxonomy::builtin().version());
    assert!(Taxonomy::builtin().origin().starts_with("builtin:"));
}

// ---- Hard negatives (docs/arabic.md §4.9) --------------------------------------------------------

#[test]
fn weather_clouds_are_not_cloud_computing() {
    assert_untagged(
        "سحابة ممطرة تعبر المناطق الشمالية",
        "توقع المركز الوطني للأرصاد أمطاراً غزيرة وأجواء سحابية مع رياح نشطة",
    );
    assert_untagged("سحابة دخان تغطي سماء القاهرة", "وسحب رماد بركاني فوق صقلية");
}

#[test]
fn potato_chips_are_not_chips_even_next_to_ai() {
    assert_untagged(
        "ناشئة لرقائق البطاطس تستخدم الذكاء الاصطناعي في خط الإنتاج",
        "تصدر الشركة رقائق البطاطا المخبوزة إلى الخليج",
    );
}

#[test]
fn corn_flakes_aluminium_foil_and_pastry_are_not_chips() {
    assert_untagged(
        "رقائق الذرة والشوفان على مائدة الإفطار",
        "ورقائق العجين للحلويات",
    );
    assert_untagged(
        "مصنع لرقائق الألومنيوم",
        "تصدير رقائق التغليف إلى الهند مع تقنيات الذكاء الاصطناعي",
    );
}

#[test]
fn segments_of_society_slices_slides_sim_cards_and_tax_brackets_are_not_chips() {
    assert_untagged(
        "شرائح المجتمع تتفاعل مع تطبيقات الذكاء الاصطناعي",
        "استطلاع يشمل مختلف الشرائح العمرية",
    );
    assert_untagged("شرائح الخبز واللحم", "وشرائح عرض تقديمي");
    assert_untagged("شركات الاتصالات تبيع شرائح eSIM", "شريحة اتصال جديدة");
    assert_untagged("الكهرباء تعلن الشرائح الضريبية الجديدة", "");
}

#[test]
fn police_station_and_first_place_are_not_data_centres() {
    assert_untagged(
        "افتتاح مركز الشرطة الجديد في الحي",
        "ويضم المركز مبنى حديثاً",
    );
    assert_untagged(
        "الهلال يحتل المركز الأول في الدوري",
        "وفق بيانات رابطة الدوري، تقدم الفريق إلى المركز الأول",
    );
    assert_untagged("افتتاح مركز تجاري ومركز صحي في الرياض", "");
    assert_untagged("المدرب يغير مركز اللاعب إلى الظهير", "مركز حراسة المرمى");
}

#[test]
fn positive_energy_drinks_and_venue_capacity_are_not_energy() {
    assert_untagged("7 عادات تمنحك طاقة إيجابية", "");
    assert_untagged("مشروبات الطاقة خطر على المراهقين", "");
    assert_untagged(
        "ملعب بطاقة استيعابية 60 ألف متفرج",
        "سعة وطاقة اللاعب البدنية",
    );
    assert_untagged(
        "أسعار النفط ترتفع وقطاع الطاقة يترقب",
        "محطة كهرباء جديدة بقدرة 650 ميغاواط",
    );
}

#[test]
fn therapists_and_case_handling_are_not_processors() {
    assert_untagged(
        "كيف تختار معالجاً نفسياً؟",
        "معالج فيزيائي ومعالجة الملفات العالقة",
    );
}

#[test]
fn giant_alone_is_not_a_supercomputer() {
    assert_untagged(
        "عملاق التجارة الإلكترونية يوسع شبكة التوصيل",
        "عملاق كرة القدم",
    );
}

#[test]
fn colossus_of_rhodes_and_the_stargate_series_are_not_ai_infrastructure() {
    assert_untagged("تمثال كولوسوس رودس يعود إلى الواجهة", "");
    assert_untagged("مسلسل ستارغيت يعود بجزء جديد", "");
}

#[test]
fn wind_and_aircraft_turbines_without_data_centres_are_not_energy() {
    assert_untagged("توربينات الرياح تنتشر في خليج السويس", "وتوربينات الطائرات");
}

#[test]
fn big_tech_names_alone_are_not_ai_infrastructure() {
    assert_untagged("مايكروسوفت تطلق تحديثاً لتطبيق Teams", "");
    assert_untagged("جوجل تعيد تصميم تطبيق الخرائط", "");
    assert_untagged("أمازون تطلق خدمة التوصيل في اليوم نفسه", "");
}

#[test]
fn the_x_platform_is_not_xai() {
    assert_untagged(
        "منصة إكس تفرض رسوماً على الحسابات الجديدة",
        "قال إيلون ماسك إن الخطوة تحد من الحسابات الوهمية",
    );
}

#[test]
fn business_idioms_with_game_and_phone_do_not_cancel_chips() {
    assert_tagged(
        "رقائق إنفيديا تغير قواعد اللعبة",
        "قال الرئيس التنفيذي في اتصال هاتفي مع كبار اللاعبين",
        "ai-infra/chips",
    );
}

#[test]
fn crypto_mining_power_and_gaming_gpus_are_not_ai_infrastructure() {
    assert_untagged(
        "تعدين البيتكوين يستهلك الكهرباء",
        "مزارع التعدين تستهلك 2000 ميغاواط من الشبكة",
    );
    assert_untagged("إنفيديا تطلق بطاقات RTX 5090 للاعبين", "");
    assert_untagged("AMD تطلق معالجات Ryzen جديدة للحواسيب المحمولة", "");
}

// ---- Positives and spelling variants --------------------------------------------------------

#[test]
fn chips_for_ai_or_ai_servers_are_chips() {
    assert_tagged(
        "الطلب على رقائق الذكاء الاصطناعي يرفع أرباح سامسونج",
        "",
        "ai-infra/chips",
    );
    assert_tagged(
        "أبل تطور رقائق خاصة لخوادم الذكاء الاصطناعي",
        "",
        "ai-infra/chips",
    );
}

#[test]
fn chips_of_an_ai_chip_maker_are_chips() {
    assert_tagged(
        "ترامب يسمح ببيع رقاقات إنفيديا H200 للصين",
        "",
        "ai-infra/chips",
    );
    assert_tagged("الصين تحظر شراء رقائق نيفيديا", "", "ai-infra/chips");
}

#[test]
fn diacritics_tatweel_and_clitics_do_not_hide_a_data_centre() {
    assert_tagged("بِناءُ مَرْكَزِ البَيَانَاتِ الجديد", "", "ai-infra/datacenters");
    assert_tagged(
        "حجر الأساس لمركز بيانـات في الرياض",
        "",
        "ai-infra/datacenters",
    );
}

#[test]
fn maghrebi_data_centres_are_data_centres() {
    assert_tagged(
        "افتتاح أول مركز للمعطيات بالمغرب",
        "",
        "ai-infra/datacenters",
    );
}

#[test]
fn every_spelling_of_gigawatt_counts_as_capacity() {
    for unit in ["غيغاواط", "جيجاواط", "غيغاوات", "جيجاوات", "GW"] {
        assert_tagged(
            &format!("ميتا تبني مركز بيانات بقدرة 2 {unit}"),
            "",
            "ai-infra/datacenters",
        );
    }
}

#[test]
fn xai_spelled_with_dots_and_its_cluster_are_compute() {
    assert_tagged(
        "«كولوسوس 2» يدخل الخدمة",
        "قالت إكس إيه. آي إن العنقود جاهز",
        "ai-infra/compute",
    );
}

#[test]
fn thousands_of_gpus_with_a_conjunction_are_compute() {
    assert_tagged(
        "",
        "تشغل الجامعة آلافاً من ووحدات معالجة الرسومات",
        "ai-infra/compute",
    );
    assert_tagged("", "عشرات الآلاف من وحدات GPU", "ai-infra/compute");
}

#[test]
fn power_for_data_centres_is_energy_and_a_hyperscaler_buying_power_too() {
    assert_tagged(
        "مفاعل نووي صغير لتشغيل مركز بيانات غوغل",
        "",
        "ai-infra/energy",
    );
    assert_tagged(
        "غوغل توقع اتفاقاً لشراء 3 غيغاواط من الطاقة الكهرومائية",
        "",
        "ai-infra/energy",
    );
}

#[test]
fn cloud_regions_are_cloud_even_with_a_possessive() {
    assert_tagged(
        "أوراكل تفتتح منطقتها السحابية الثالثة في السعودية",
        "",
        "ai-infra/cloud",
    );
}

#[test]
fn money_for_ai_infrastructure_is_investment() {
    assert_tagged(
        "صندوق للبنية التحتية للذكاء الاصطناعي يجمع 30 مليار دولار",
        "",
        "ai-infra/investment",
    );
}

// ---- Scoring rules, on small taxonomies ----------------------------------------------------

/// A taxonomy with the six tags at threshold 1 and the given rules.
fn custom(rules: &str) -> Tagger {
    let mut text = String::from(
        "[scoring]\ntitle_weight = 1.5\nbody_weight = 1.0\nwindow = 2\n[sets]\nai = [\"الذكاء الاصطناعي\"]\n",
    );
    for tag in SUBTOPICS {
        text.push_str(&format!("[tags.\"{tag}\"]\nthreshold = 1.0\n"));
    }
    text.push_str(rules);
    Tagger::rules_only(Taxonomy::from_toml(&text, "test").unwrap())
}

const WEAK_CLOUD: &str =
    "[[rule]]\ntag = \"ai-infra/cloud\"\nname = \"weak\"\nweight = 0.7\nterms = [\"سحابة\"]\n";

#[test]
fn a_title_match_weighs_more_than_a_body_match() {
    let tagger = custom(WEAK_CLOUD);
    let in_title = tagger.tag("سحابة", "");
    assert_eq!(in_title.tag_names(), [UMBRELLA, "ai-infra/cloud"]);
    assert_eq!(in_title.tags[1].score, 1.05);
    let in_body = tagger.tag("", "سحابة");
    assert!(in_body.tags.is_empty());
    assert_eq!(in_body.near_misses.len(), 1);
    assert_eq!(in_body.near_misses[0].score, 0.7);
}

#[test]
fn a_rule_counts_once_however_often_its_terms_repeat() {
    let tagging = custom(WEAK_CLOUD).tag("", "سحابة سحابة والسحابة سحابات");
    assert!(tagging.tags.is_empty());
    assert_eq!(tagging.near_misses[0].score, 0.7);
    assert_eq!(
        tagging.near_misses[0].evidence.len(),
        3,
        "evidence is capped"
    );
}

#[test]
fn weak_rules_of_one_subtopic_add_up() {
    let rules = format!(
        "{WEAK_CLOUD}[[rule]]\ntag = \"ai-infra/cloud\"\nname = \"other\"\nweight = 0.5\nterms = [\"أزور\"]\n"
    );
    let tagging = custom(&rules).tag("", "سحابة أزور");
    assert_eq!(tagging.tags[1].score, 1.2);
}

const NEAR_RULE: &str = "[[rule]]\ntag = \"ai-infra/chips\"\nname = \"ai-chips\"\nweight = 1.0\nterms = [\"رقائق\"]\nnear = [\"@ai\"]\nunless = [\"البطاطس\"]\n";

#[test]
fn near_context_must_be_within_the_window() {
    let tagger = custom(NEAR_RULE);
    assert!(
        tagger
            .tag("", "رقائق الذكاء الاصطناعي")
            .has("ai-infra/chips")
    );
    assert!(
        tagger
            .tag("", "الذكاء الاصطناعي في رقائق")
            .has("ai-infra/chips")
    );
    // Two words between: still within a window of 2.
    assert!(
        tagger
            .tag("", "رقائق جديدة متقدمة للذكاء الاصطناعي")
            .has("ai-infra/chips")
    );
    assert!(
        !tagger
            .tag("", "رقائق جديدة متقدمة جدا للذكاء الاصطناعي")
            .has("ai-infra/chips")
    );
    // Context in another field is not near.
    assert!(!tagger.tag("الذكاء الاصطناعي", "رقائق").has("ai-infra/chips"));
}

#[test]
fn unless_context_vetoes_a_match_within_the_window() {
    let tagger = custom(NEAR_RULE);
    assert!(
        !tagger
            .tag("", "رقائق البطاطس بالذكاء الاصطناعي")
            .has("ai-infra/chips")
    );
    // The veto is local: another, clean occurrence still counts.
    let tagging = tagger.tag("", "رقائق البطاطس لذيذة جدا حقا . رقائق الذكاء الاصطناعي");
    assert!(tagging.has("ai-infra/chips"));
    assert_eq!(tagging.tags[1].evidence[0].position, 5);
}

#[test]
fn unless_next_to_the_near_word_vetoes_that_context() {
    let rules = "[[rule]]\ntag = \"ai-infra/chips\"\nname = \"export\"\nweight = 1.0\nterms = [\"تصدير\"]\nnear = [\"رقائق\"]\nunless = [\"التغليف\"]\nwindow = 4\n";
    let tagger = custom(rules);
    assert!(
        tagger
            .tag("", "تصدير معظم إنتاجها من رقائق")
            .has("ai-infra/chips")
    );
    assert!(
        !tagger
            .tag("", "تصدير معظم إنتاجها من رقائق التغليف")
            .has("ai-infra/chips")
    );
}

#[test]
fn with_context_may_be_anywhere_in_the_item() {
    let rules = "[[rule]]\ntag = \"ai-infra/compute\"\nname = \"named\"\nweight = 1.0\nterms = [\"كولوسوس\"]\nwith = [\"إكس إيه آي\"]\n";
    let tagger = custom(rules);
    assert!(
        tagger
            .tag("كولوسوس 2", "قالت إكس إيه آي")
            .has("ai-infra/compute")
    );
    assert!(
        !tagger
            .tag("تمثال كولوسوس", "في رودس")
            .has("ai-infra/compute")
    );
}

#[test]
fn a_negative_rule_subtracts() {
    let rules = "[[rule]]\ntag = \"ai-infra/chips\"\nname = \"tsmc\"\nweight = 1.0\nterms = [\"TSMC\"]\n[[rule]]\ntag = \"ai-infra/chips\"\nname = \"phones\"\nweight = -0.8\nterms = [\"آيفون\"]\n";
    let tagger = custom(rules);
    assert!(tagger.tag("", "TSMC").has("ai-infra/chips"));
    let tagging = tagger.tag("", "معالج آيفون من TSMC");
    assert!(tagging.tags.is_empty());
    assert_eq!(tagging.near_misses[0].score, 0.2);
    // Cancelled below zero, it is still a near miss, so explain can show the negative rule.
    let tagging = tagger.tag("آيفون", "معالج من TSMC");
    assert_eq!(tagging.near_misses[0].score, -0.2);
    assert_eq!(tagging.near_misses[0].evidence.len(), 2);
}

#[test]
fn the_umbrella_is_given_with_the_best_subtopic_score_and_all_evidence() {
    let rules = format!(
        "{WEAK_CLOUD}[[rule]]\ntag = \"ai-infra/energy\"\nname = \"nuclear\"\nweight = 2.0\nterms = [\"محطة نووية\"]\n"
    );
    let tagging = custom(&rules).tag("سحابة", "محطة نووية");
    assert_eq!(
        tagging.tag_names(),
        [UMBRELLA, "ai-infra/energy", "ai-infra/cloud"]
    );
    assert_eq!(tagging.tags[0].score, 2.0);
    assert_eq!(tagging.tags[0].evidence.len(), 2);
    assert!(custom(&rules).tag("", "لا شيء هنا").tags.is_empty());
}

#[test]
fn evidence_keeps_the_original_spelling_field_position_and_context() {
    let tagging = custom(NEAR_RULE).tag("عنوان", "قالت الشركة إن «رقائقَ» الذكاءِ الاصطناعي");
    let evidence = &tagging.tags[1].evidence[0];
    assert_eq!(evidence.rule, "chips:ai-chips");
    assert_eq!(evidence.matched, "رقائقَ");
    assert_eq!(evidence.field, Field::Body);
    assert_eq!(evidence.position, 3);
    assert_eq!(evidence.weight, 1.0);
    assert_eq!(evidence.context.as_deref(), Some("الذكاءِ الاصطناعي"));
}

#[test]
fn tagging_serializes_to_the_json_the_store_keeps() {
    let tagging = custom(WEAK_CLOUD).tag("سحابة", "");
    let json = serde_json::to_value(&tagging).unwrap();
    assert_eq!(json["tags"][0]["tag"], "ai-infra");
    assert_eq!(json["tags"][1]["evidence"][0]["field"], "title");
    assert_eq!(json["tags"][1]["evidence"][0]["matched"], "سحابة");
    assert!(json["tags"][1]["evidence"][0].get("context").is_none());
    assert_eq!(json["near_misses"], serde_json::json!([]));
}

#[test]
fn empty_and_punctuation_only_items_get_nothing() {
    let tagger = builtin();
    assert_eq!(tagger.tag("", ""), Tagging::default());
    assert_eq!(
        tagger.tag("«»، ؟!", "\u{200F}\u{0640}\u{064E}"),
        Tagging::default()
    );
}

/// The rules and the shipped model together.
fn with_model() -> Tagger {
    Tagger::new(Taxonomy::builtin())
}

#[test]
fn tag_given_keeps_the_tags_and_drops_only_the_near_misses() {
    let tagger = with_model();
    let (title, body) = (
        "مايكروسوفت تبني مركز بيانات للذكاء الاصطناعي بقدرة 300 ميغاواط",
        "وتشتري الشركة الكهرباء من محطة نووية، وتؤجر سحابة Azure وحدات معالجة الرسومات",
    );
    let full = tagger.tag(title, body);
    let given = tagger.tag_given(title, body);
    assert!(full.has("ai-infra/datacenters"), "{full:#?}");
    assert_eq!(given.tags, full.tags);
    assert!(given.near_misses.is_empty(), "{given:#?}");
}

#[test]
fn segments_of_society_are_not_ai_infrastructure_for_the_model_either() {
    let tagging = with_model().tag(
        "شرائح المجتمع تتفاعل مع تطبيقات الذكاء الاصطناعي",
        "استطلاع يشمل مختلف الشرائح العمرية",
    );
    assert!(tagging.tags.is_empty(), "{tagging:#?}");
}
