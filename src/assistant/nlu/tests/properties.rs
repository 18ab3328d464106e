//! Properties of [`understand`] as a whole: it never panics, it is deterministic, it
//! keeps the conversation's language for short messages, and it serializes in the
//! shape the dialogue and the console read.

use proptest::prelude::*;
use serde_json::json;

use super::utterances::today;
use crate::assistant::nlu::{Expectation, Intent, NluContext, Topic, understand};
use crate::domain::Locale;

fn ctx(language: Option<Locale>) -> NluContext {
    NluContext {
        language,
        today: today(),
        expecting: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn understanding_arbitrary_text_never_panics_and_is_deterministic(text in any::<String>()) {
        let c = ctx(Some(Locale::En));
        let first = understand(&text, &c);
        prop_assert!(!first.intents.is_empty());
        prop_assert_eq!(first, understand(&text, &c));
    }

    #[test]
    fn chat_like_text_never_panics_and_is_deterministic(
        text in "([A-Za-z0-9äöüß:.,!?+@/ -]{0,12} ?){0,12}",
        expecting in prop::option::of(prop_oneof![
            Just(Expectation::AwaitingVerification),
            Just(Expectation::AwaitingConfirmation),
            Just(Expectation::AwaitingSlotChoice),
        ]),
    ) {
        let c = NluContext { language: None, today: today(), expecting };
        let first = understand(&text, &c);
        prop_assert!(!first.intents.is_empty());
        prop_assert_eq!(first, understand(&text, &c));
    }
}

#[test]
fn very_long_input_is_cut_and_still_understood() {
    let text = format!("Wo ist mein Paket? {}", "bla ".repeat(10_000));
    let u = understand(&text, &ctx(None));
    assert_eq!(u.main_intent(), Intent::WhereIsMyParcel);
}

#[test]
fn short_messages_keep_the_conversation_language_or_default_to_german() {
    for text in ["ok", "A-100234 33100", "👍", ""] {
        let en = understand(text, &ctx(Some(Locale::En)));
        assert_eq!(
            (en.language, en.language_confident),
            (Locale::En, false),
            "{text}"
        );
        let none = understand(text, &ctx(None));
        assert_eq!(
            (none.language, none.language_confident),
            (Locale::De, false),
            "{text}"
        );
    }
}

#[test]
fn a_clear_message_overrides_the_conversation_language() {
    let u = understand("Wo ist mein Paket?", &ctx(Some(Locale::En)));
    assert_eq!((u.language, u.language_confident), (Locale::De, true));
}

#[test]
fn an_empty_message_is_unknown() {
    let u = understand("", &ctx(None));
    assert_eq!(u.intents, [Intent::Unknown]);
    assert!(u.entities.is_empty());
}

#[test]
fn the_understanding_serializes_with_snake_case_intents_and_plain_entities() {
    let u = understand(
        "Kaputt! A-100234, 0151 12345678, morgen 10 Uhr. Lieferzeit?",
        &ctx(None),
    );
    let v = serde_json::to_value(&u).expect("serializes");
    assert_eq!(v["language"], json!("de"));
    assert_eq!(v["intents"][0], json!("damaged"));
    assert_eq!(
        v["intents"][1],
        json!({"general_question": {"topic": "delivery_times"}})
    );
    assert_eq!(v["entities"]["order_numbers"], json!(["A-100234"]));
    assert_eq!(v["entities"]["phones"], json!(["+4915112345678"]));
    assert_eq!(v["entities"]["dates"], json!(["2025-09-12"]));
    assert_eq!(
        v["entities"]["times"],
        json!([{"start": "10:00:00", "end": null}])
    );
    assert_eq!(v["injection_suspected"], json!(false));
}

#[test]
fn a_tracking_mention_serializes_its_value_and_carrier() {
    let u = understand("1Z999AA10123456784", &ctx(None));
    let v = serde_json::to_value(&u.entities.tracking_numbers).expect("serializes");
    assert_eq!(
        v,
        json!([{"value": "1Z999AA10123456784", "carrier_guess": "ups"}])
    );
}

#[test]
fn a_question_about_nothing_known_is_a_general_question_but_a_statement_is_unknown() {
    let q = understand("Verkauft ihr auch Fahrräder?", &ctx(None));
    assert_eq!(
        q.intents,
        [Intent::GeneralQuestion {
            topic: Topic::Other
        }]
    );
    let s = understand("Mein Hund heißt Bello", &ctx(None));
    assert_eq!(s.intents, [Intent::Unknown]);
}
