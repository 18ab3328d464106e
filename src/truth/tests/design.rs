//! The two stories of docs/architecture.md — "three truths" and "wrong item" — with their expected
//! codes, evidence, remedies and summary text in German and English; and the JSON shape.

use serde_json::json;

use super::stories::{codes, three_truths};
use super::*;
use crate::domain::Locale;
use crate::truth::{
    ContradictionCode as Code, NextStep, Policy, Remedy, ShipmentStatus, reconcile_order,
    reconcile_shipment, summary,
};

#[test]
fn the_three_truths_show_both_facts_with_times_places_and_the_next_attempt() {
    let policy = Policy::default();
    let now = at("2025-09-11T09:30:00+02:00");
    let v = reconcile_shipment(&shipment(), Some(&order()), &three_truths(), now, &policy);
    assert_eq!(v.status, ShipmentStatus::Delivered);
    assert!(v.in_dispute);
    let c = &v.contradictions[0];
    assert_eq!(c.evidence_strs(), ["dhl-88121", "drv-5531"]);
    assert_eq!(
        c.remedies,
        [Remedy::Callback, Remedy::Investigation, Remedy::Handoff]
    );
    let m = &v.contradictions[1];
    assert_eq!(m.evidence_strs(), ["dhl-88121", "drv-5531"]);
    let dist = m.facts.iter().find_map(|f| f.distance_m).unwrap();
    assert!((9_000..12_000).contains(&dist), "{dist}");
    assert!(
        matches!(&v.next[..], [NextStep::NextAttempt { on, .. }] if on.to_string() == "2025-09-12")
    );

    let de = summary(&v, Locale::De, &policy);
    for phrase in [
        "Sendung 00340434161234567890 (DHL) an Beispielweg 7, 33100 Paderborn.",
        "widersprechen sich; welche zutrifft, ist offen.",
        "- Scan von DHL, 11.09.2025, 06:48 Uhr: „zugestellt“, Ort: Ffeld (PLZ 33154)",
        "- Bericht des Fahrers, 11.09.2025, 06:51 Uhr: „Empfänger nicht angetroffen“",
        "Benachrichtigungskarte hinterlassen; nächster Zustellversuch am 12.09.2025",
        "- Lieferadresse: Beispielweg 7, 33100 Paderborn (PLZ 33100).",
        "km vom Ort des Zustell-Scans entfernt",
        "Diese Angaben widersprechen sich.",
        "Wortlaut von DHL: „Die Sendung wurde zugestellt.“\n",
        "Nächster Zustellversuch laut Fahrer: 12.09.2025.",
    ] {
        assert!(de.contains(phrase), "missing {phrase:?} in\n{de}");
    }
    assert!(
        !de.contains("Status laut"),
        "states a status as fact:\n{de}"
    );
    assert!(!de.contains("zugestellt am"), "{de}");
    // The driver's note only repeats the outcome: not said twice.
    assert!(!de.contains("Notiz des Fahrers"), "{de}");

    let en = summary(&v, Locale::En, &policy);
    for phrase in [
        "Shipment 00340434161234567890 (DHL) to Beispielweg 7, 33100 Paderborn.",
        "disagree; which one is right is still open.",
        "- DHL scan, 11 Sep 2025, 06:48: \"delivered\" in Ffeld (postcode 33154)",
        "- Driver's report, 11 Sep 2025, 06:51: \"recipient not at home\"",
        "notice card left; next delivery attempt on 12 Sep 2025",
        "These records disagree.",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
    assert!(!en.contains("Status according"), "{en}");
    for text in [&de, &en] {
        assert!(
            !text.chars().any(|c| c as u32 >= 0x1F300),
            "emoji in\n{text}"
        );
    }
}

const R: &str = "00340434169999999999";
const O2: &str = "00340434161111111111";

/// The second story of docs/architecture.md: a wrong item, a replacement that was cancelled and
/// refunded but arrived anyway, and a return label that never came.
fn wrong_item() -> Vec<Event> {
    let n = "A-100250";
    vec![
        scan_of(
            O2,
            "o-1",
            "2025-10-13T11:00:00+02:00",
            "delivered",
            json!({"postcode":"33100"}),
        ),
        order_event(
            n,
            "oms-7770",
            "2025-10-14T10:00:00+02:00",
            "wrong_item_reported",
            json!({"skus":["SHIRT-M"]}),
        ),
        order_event(
            n,
            "oms-7771",
            "2025-10-14T10:05:00+02:00",
            "replacement_created",
            json!({"tracking_number":R}),
        ),
        order_event(
            n,
            "oms-7772",
            "2025-10-14T10:06:00+02:00",
            "return_label_promised",
            json!({"due_by":"2025-10-16T18:00:00+02:00"}),
        ),
        scan_of(
            R,
            "r-1",
            "2025-10-14T12:00:00+02:00",
            "info_received",
            json!({}),
        ),
        order_event(
            n,
            "oms-7781",
            "2025-10-17T09:00:00+02:00",
            "replacement_cancelled",
            json!({"tracking_number":R}),
        ),
        order_event(
            n,
            "oms-7782",
            "2025-10-17T09:01:00+02:00",
            "refund_issued",
            json!({"amount":"19.90","skus":["SHIRT-M"]}),
        ),
        notification(
            n,
            "mail-311",
            "2025-10-17T09:05:00+02:00",
            "replacement_cancelled",
            json!({}),
        ),
        scan_of(
            R,
            "r-2",
            "2025-10-18T07:00:00+02:00",
            "in_transit",
            json!({}),
        ),
        scan_of(
            R,
            "r-3",
            "2025-10-20T08:10:00+02:00",
            "out_for_delivery",
            json!({}),
        ),
        scan_of(
            R,
            "r-4",
            "2025-10-20T10:42:00+02:00",
            "delivered",
            json!({"postcode":"33100"}),
        ),
    ]
}

#[test]
fn the_wrong_item_story_shows_the_moving_replacement_the_refund_the_false_message_and_the_overdue_label()
 {
    let policy = Policy::default();
    let now = at("2025-10-20T15:00:00+02:00");
    let o = order_with("A-100250", &[("SHIRT-M", "19.90")]);
    let ships = [
        shipment_of(R, "A-100250", "replacement", &["SHIRT-M"]),
        shipment_of(O2, "A-100250", "original", &["SHIRT-M"]),
    ];
    let v = reconcile_order(&o, &ships, &wrong_item(), now, &policy);
    assert_eq!(
        v.shipments[0].tracking_number.as_str(),
        O2,
        "original first"
    );
    assert!(v.shipments[0].contradictions.is_empty());
    let r = &v.shipments[1];
    assert_eq!(
        codes(r),
        [
            Code::ShippedAfterCancellation,
            Code::RefundedAndDelivered,
            Code::CustomerToldOtherwise
        ]
    );
    assert_eq!(
        r.contradictions[0].evidence_strs(),
        ["oms-7781", "r-2", "r-4"]
    );
    assert_eq!(r.contradictions[1].evidence_strs(), ["oms-7782", "r-4"]);
    assert_eq!(
        r.contradictions[2].evidence_strs(),
        ["mail-311", "r-2", "r-4"]
    );
    let order_codes: Vec<Code> = v.contradictions.iter().map(|c| c.code).collect();
    assert_eq!(order_codes, [Code::PromiseOverdue]);
    assert_eq!(v.contradictions[0].evidence_strs(), ["oms-7772"]);
    assert_eq!(
        v.contradictions[0].remedies,
        [Remedy::ReturnLabel, Remedy::Callback, Remedy::Handoff]
    );
    assert!(r.contradictions[1].remedies.contains(&Remedy::ReturnLabel));
    assert!(v.in_dispute);
    assert!(v.order_state.refunded && v.order_state.return_label_overdue);

    let de = summary(&v, Locale::De, &policy);
    for phrase in [
        "Bestellung A-100250 vom 08.09.2025.",
        "Ersatzsendung 00340434169999999999 (DHL): die Angaben widersprechen sich",
        "Ein zugesagtes Rücksendeetikett ist überfällig und wurde bisher nicht ausgestellt:",
        "- Shop, 14.10.2025, 10:06 Uhr: Rücksendeetikett zugesagt, fällig bis 16.10.2025, 18:00 Uhr.",
        "Die Sendung wurde nach der Stornierung trotzdem weiter befördert:",
        "- Shop, 17.10.2025, 09:00 Uhr: Ersatzsendung storniert (Sendung 00340434169999999999).",
        "- Scan von DHL, 18.10.2025, 07:00 Uhr: „unterwegs“",
        "- Scan von DHL, 20.10.2025, 10:42 Uhr: „zugestellt“",
        "Die Ware wurde erstattet, laut Scan aber trotzdem zugestellt:",
        "Erstattung veranlasst über 19,90 €",
        "- Nachricht an Sie per E-Mail, 17.10.2025, 09:05 Uhr: „Ersatzsendung storniert“.",
    ] {
        assert!(de.contains(phrase), "missing {phrase:?} in\n{de}");
    }
    let en = summary(&v, Locale::En, &policy);
    for phrase in [
        "Order A-100250 of 8 Sep 2025.",
        "A promised return label is overdue and has not been issued:",
        "return label promised, due by 16 Oct 2025, 18:00",
        "The parcel kept moving after the cancellation:",
        "- Shop, 17 Oct 2025, 09:00: replacement cancelled (shipment 00340434169999999999).",
        "- DHL scan, 20 Oct 2025, 10:42: \"delivered\"",
        "The items were refunded, yet the scan records a delivery:",
        "- Shop, 17 Oct 2025, 09:01: refund issued (€19.90).",
        "- Message to you by email, 17 Oct 2025, 09:05: \"replacement cancelled\".",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
}

#[test]
fn the_view_serializes_to_snake_case_json_with_rfc3339_instants() {
    let policy = Policy::default();
    let v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &three_truths(),
        at("2025-09-11T09:30:00+02:00"),
        &policy,
    );
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["status"], "delivered");
    assert_eq!(j["in_dispute"], true);
    assert_eq!(
        j["contradictions"][0]["code"],
        "delivered_but_driver_reports_failure"
    );
    assert_eq!(j["contradictions"][0]["remedies"][0], "callback");
    assert_eq!(j["timeline"][2]["source"], "carrier_scan");
    assert_eq!(j["timeline"][2]["at"], "2025-09-11T04:48:00Z");
    assert_eq!(
        j["timeline"][2]["description"],
        "Die Sendung wurde zugestellt."
    );
    assert_eq!(j["timeline"][3]["source"], "driver");
    assert_eq!(j["next"][0]["kind"], "next_attempt");
    assert_eq!(j["next"][0]["on"], "2025-09-12");
    assert_eq!(j["last_scan_at"], "2025-09-11T04:48:00Z");
    assert_eq!(j["address"]["postcode"], "33100");
}
