//! The rules: what the evidence supports, per claim kind, with the three-truths story
//! (scan "delivered", driver "recipient absent") as the disputed case.

use serde_json::{Value, json};

use crate::domain::Locale;

use super::super::{ClaimKind, Evidence, Verdict, check};

const TN: &str = "00340434161234567890";

fn berlin() -> Evidence {
    Evidence::new(chrono_tz::Europe::Berlin)
}

/// A shipment view as `track_shipment` returns it.
fn shipment(status: &str, in_dispute: bool, contradictions: Value) -> Value {
    json!({
        "tracking_number": TN, "carrier": "dhl", "kind": "original", "order_number": "A-100234",
        "address": {"name": "Muster GmbH", "street": "Beispielweg 7", "postcode": "33100", "city": "Paderborn", "country": "DE"},
        "status": status, "in_dispute": in_dispute, "last_scan_at": "2025-09-11T04:48:00Z",
        "items_value": "89.90", "currency": "EUR",
        "next": [{"kind": "next_attempt", "on": "2025-09-12", "event_id": "drv-1"}],
        "timeline": [
            {"at": "2025-09-11T04:48:00Z", "source": "carrier_scan", "event_id": "dhl-1", "what": status,
             "description": "Die Sendung wurde erfolgreich zugestellt."},
            {"at": "2025-09-11T04:51:00Z", "source": "driver", "event_id": "drv-1", "what": "recipient_absent",
             "description": "Empfänger nicht angetroffen"}
        ],
        "contradictions": contradictions
    })
}

fn three_truths() -> Evidence {
    let mut ev = berlin();
    ev.add_tool_result(&shipment(
        "delivered",
        true,
        json!([{"code": "delivered_but_driver_reports_failure", "tracking_number": TN,
                "evidence": ["dhl-1", "drv-1"], "facts": [], "remedies": ["callback"]}]),
    ));
    ev
}

fn delivered() -> Evidence {
    let mut ev = berlin();
    ev.add_tool_result(&shipment("delivered", false, json!([])));
    ev
}

fn unsupported(v: &Verdict) -> Vec<(ClaimKind, &str)> {
    v.claims
        .iter()
        .filter(|c| !c.supported)
        .map(|c| (c.kind, c.text.as_str()))
        .collect()
}

#[test]
fn an_instant_supports_its_local_date_and_time_in_both_formats() {
    let ev = delivered();
    for (reply, locale) in [
        ("Zugestellt am 11.09.2025 um 06:48 Uhr.", Locale::De),
        (
            "Am Do., 11. Sept. um 06:48 wurde es zugestellt.",
            Locale::De,
        ),
        ("It was delivered on 11 Sep 2025, 06:48.", Locale::En),
        (
            "It was delivered on Thursday, September 11th at 6:48 am.",
            Locale::En,
        ),
        (
            "Ihre Sendung 00340434161234567890 zur Bestellung A-100234 an Beispielweg 7, 33100 Paderborn wurde zugestellt.",
            Locale::De,
        ),
        ("Der Warenwert beträgt 89,90 €.", Locale::De),
    ] {
        let v = check(reply, &ev, locale);
        assert!(v.passed, "{reply}: {v:#?}");
        assert!(!v.claims.is_empty(), "{reply}");
    }
}

#[test]
fn an_invented_delivery_date_is_caught() {
    let v = check(
        "Ihr Paket wurde am 10.09.2025 zugestellt.",
        &delivered(),
        Locale::De,
    );
    assert_eq!(unsupported(&v), [(ClaimKind::Date, "10.09.2025")]);
    let v = check("It was delivered on 10 Sep 2025.", &delivered(), Locale::En);
    assert_eq!(unsupported(&v), [(ClaimKind::Date, "10 Sep 2025")]);
    // A weekday that does not fit the date is caught too.
    let v = check("Zugestellt am Fr., 11.09.2025.", &delivered(), Locale::De);
    assert_eq!(unsupported(&v), [(ClaimKind::Date, "Fr., 11.09.2025")]);
}

#[test]
fn a_wrong_time_is_caught_even_when_it_exists_on_another_day() {
    let v = check(
        "Zugestellt am 11.09.2025 um 06:49 Uhr.",
        &delivered(),
        Locale::De,
    );
    assert_eq!(unsupported(&v), [(ClaimKind::Time, "06:49 Uhr")]);
    let time = v.claims.iter().find(|c| c.kind == ClaimKind::Time).unwrap();
    let reason = time.reason.as_deref().unwrap();
    assert!(reason.contains("06:48"), "{reason}");
    let v = check("The driver came at 7:15 am.", &delivered(), Locale::En);
    assert_eq!(unsupported(&v), [(ClaimKind::Time, "7:15 am")]);
}

#[test]
fn an_order_number_of_another_customer_is_caught() {
    let v = check(
        "Ihre Bestellung A-100250 ist unterwegs.",
        &delivered(),
        Locale::De,
    );
    assert!(unsupported(&v).contains(&(ClaimKind::OrderNumber, "A-100250")));
    let v = check(
        "Shipment 00340434169999999999 is on its way.",
        &delivered(),
        Locale::En,
    );
    assert!(unsupported(&v).contains(&(ClaimKind::TrackingNumber, "00340434169999999999")));
}

#[test]
fn an_amount_not_in_evidence_is_caught() {
    let v = check("Wir erstatten Ihnen 89,91 €.", &delivered(), Locale::De);
    assert_eq!(unsupported(&v), [(ClaimKind::Amount, "89,91 €")]);
    let v = check("We refund €89.90.", &delivered(), Locale::En);
    assert!(v.passed, "{v:#?}");
}

#[test]
fn an_address_or_postcode_not_on_file_is_caught() {
    let v = check(
        "Zugestellt an Beispielweg 9, 33100 Paderborn.",
        &delivered(),
        Locale::De,
    );
    assert_eq!(
        unsupported(&v),
        [(ClaimKind::Address, "Beispielweg 9, 33100 Paderborn")]
    );
    let v = check("Gescannt in PLZ 33154.", &delivered(), Locale::De);
    assert_eq!(unsupported(&v), [(ClaimKind::Postcode, "33154")]);
}

#[test]
fn a_bare_delivered_while_in_dispute_is_caught_but_an_attributed_one_passes() {
    let ev = three_truths();
    for (reply, locale) in [
        ("Ihr Paket wurde zugestellt.", Locale::De),
        ("Ihr Paket ist am 11.09.2025 zugestellt worden.", Locale::De),
        ("Your parcel has been delivered.", Locale::En),
    ] {
        let v = check(reply, &ev, locale);
        assert_eq!(
            unsupported(&v).first().map(|c| c.0),
            Some(ClaimKind::Status),
            "{reply}"
        );
        let reason = v.claims.iter().find_map(|c| c.reason.as_deref()).unwrap();
        assert!(reason.contains("contradiction"), "{reason}");
    }
    for (reply, locale) in [
        (
            "Der Scan meldet „zugestellt“ (11.09.2025, 06:48 Uhr), laut Fahrer nicht angetroffen.",
            Locale::De,
        ),
        (
            "Der Scan von DHL meldet um 06:48 Uhr die Zustellung; der Fahrer meldet, dass er Sie nicht angetroffen hat.",
            Locale::De,
        ),
        (
            "The scan says \"delivered\" at 06:48. According to the driver, you were not at home.",
            Locale::En,
        ),
        (
            "DHL's words: \"Die Sendung wurde erfolgreich zugestellt.\"",
            Locale::En,
        ),
    ] {
        let v = check(reply, &ev, locale);
        assert!(v.passed, "{reply}: {v:#?}");
    }
}

#[test]
fn a_status_attributed_to_a_source_that_never_said_it_is_caught() {
    let v = check(
        "Laut Fahrer wurde das Paket zugestellt.",
        &three_truths(),
        Locale::De,
    );
    assert_eq!(unsupported(&v), [(ClaimKind::Status, "zugestellt")]);
    let v = check(
        "The scan says \"out for delivery\".",
        &delivered(),
        Locale::En,
    );
    assert_eq!(unsupported(&v), [(ClaimKind::Status, "out for delivery")]);
}

#[test]
fn a_bare_status_holds_only_when_it_is_the_shipments_status() {
    let v = check("Ihr Paket wurde zugestellt.", &delivered(), Locale::De);
    assert!(v.passed, "{v:#?}");
    let v = check("Your parcel is out for delivery.", &delivered(), Locale::En);
    assert_eq!(unsupported(&v), [(ClaimKind::Status, "out for delivery")]);
    let v = check(
        "Ihr Paket wurde noch nicht zugestellt.",
        &delivered(),
        Locale::De,
    );
    assert_eq!(unsupported(&v), [(ClaimKind::Status, "zugestellt")]);
    // Without any tool result, no status is supported.
    let v = check("Ihr Paket ist unterwegs.", &berlin(), Locale::De);
    assert!(!v.passed);
}

#[test]
fn a_number_the_customer_typed_may_be_echoed_back() {
    let mut ev = berlin();
    ev.add_customer_text("Meine Bestellung ist a-999, PLZ 12345");
    let v = check(
        "Ich konnte die Bestellung A-999 mit der Postleitzahl 12345 nicht finden.",
        &ev,
        Locale::De,
    );
    assert!(v.passed, "{v:#?}");
    assert_eq!(v.claims.len(), 2);
    let v = check("Ich habe Bestellung A-998 gefunden.", &ev, Locale::De);
    assert!(!v.passed);
}

#[test]
fn the_customers_words_never_support_a_status() {
    let mut ev = berlin();
    ev.add_customer_text("Mein Paket wurde zugestellt");
    assert!(!check("Ihr Paket wurde zugestellt.", &ev, Locale::De).passed);
}

#[test]
fn the_verdict_serializes_with_snake_case_kinds_and_reasons_only_when_unsupported() {
    let v = check(
        "Zugestellt am 10.09.2025, Bestellung A-100234.",
        &delivered(),
        Locale::De,
    );
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["passed"], false);
    assert_eq!(j["claims"][0]["kind"], "status");
    assert_eq!(j["claims"][1]["kind"], "date");
    assert!(j["claims"][1]["reason"].is_string());
    assert!(j["claims"][2].get("reason").is_none());
    assert!(v.reasons().contains("10.09.2025"));
}

#[test]
fn a_status_the_customer_wrote_may_be_reported_as_theirs_but_not_stated() {
    let mut ev = three_truths();
    let reply = "Sie schreiben, dass Ihr Paket nicht angekommen ist.";
    assert!(!check(reply, &ev, Locale::De).passed);
    ev.add_customer_text("Mein Paket ist nicht angekommen!");
    let v = check(reply, &ev, Locale::De);
    assert!(v.passed, "{v:#?}");
    assert!(!check("Ihr Paket ist nicht angekommen.", &ev, Locale::De).passed);
    let v = check("You wrote that the parcel never arrived.", &ev, Locale::En);
    assert!(v.passed, "{v:#?}");
}

#[test]
fn an_instant_with_seconds_supports_the_minute_a_reply_shows() {
    let mut ev = berlin();
    ev.add_tool_result(
        &json!({"timeline": [{"at": "2026-11-23T02:51:27.312Z", "source": "customer"}]}),
    );
    let v = check(
        "Ihre Meldung vom 23.11.2026, 03:51 Uhr liegt vor.",
        &ev,
        Locale::De,
    );
    assert!(v.passed, "{v:?}");
    let v = check(
        "Ihre Meldung vom 23.11.2026, 03:52 Uhr liegt vor.",
        &ev,
        Locale::De,
    );
    assert!(!v.passed);
}
