//! Hand-written histories with the contradictions they must (and must not) yield,
//! including the two stories of DESIGN.md with their summaries in both languages.

use serde_json::json;

use super::*;
use crate::domain::Locale;
use crate::truth::{
    ContradictionCode as Code, DeliveryPlace, NextStep, Policy, Remedy, ShipmentStatus,
    reconcile_order, reconcile_shipment, summary,
};

struct Story {
    name: &'static str,
    now: &'static str,
    events: Vec<Event>,
    want: &'static [Code],
}

fn codes(v: &crate::truth::ShipmentView) -> Vec<Code> {
    v.contradictions.iter().map(|c| c.code).collect()
}

/// The first story of DESIGN.md: the scan says delivered in Ffeld, the driver says
/// nobody was home in Paderborn and comes back tomorrow.
fn three_truths() -> Vec<Event> {
    vec![
        scan(
            "dhl-88100",
            "2025-09-10T19:02:00+02:00",
            "in_transit",
            json!({"location":"Paketzentrum Bielefeld"}),
        ),
        scan(
            "dhl-88110",
            "2025-09-11T05:41:00+02:00",
            "out_for_delivery",
            json!({"location":"Paderborn"}),
        ),
        scan(
            "dhl-88121",
            "2025-09-11T06:48:00+02:00",
            "delivered",
            json!({
            "location":"Ffeld","postcode":"33154","lat":51.67,"lon":8.62,
            "carrier_code":"ZU","description":"Die Sendung wurde zugestellt."}),
        ),
        driver(
            "drv-5531",
            "2025-09-11T06:51:00+02:00",
            "recipient_absent",
            json!({
            "notice_card_left":true,"next_attempt_on":"2025-09-12",
            "note":"Empfänger nicht angetroffen","lat":51.72,"lon":8.75}),
        ),
    ]
}

fn stories() -> Vec<Story> {
    let near = json!({"lat":51.7189,"lon":8.7575});
    vec![
        Story {
            name: "three truths (DESIGN.md)",
            now: "2025-09-11T09:30:00+02:00",
            events: three_truths(),
            want: &[
                Code::DeliveredButDriverReportsFailure,
                Code::DeliveryLocationMismatch,
            ],
        },
        Story {
            name: "delivered scan and the driver's refusal minutes before it",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                driver("d1", "2025-09-11T10:00:00+02:00", "refused", json!({})),
                scan(
                    "s1",
                    "2025-09-11T10:02:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[Code::DeliveredButDriverReportsFailure],
        },
        Story {
            name: "delivered scan at the right postcode but 5 km from the driver",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100","lat":51.7189,"lon":8.7575}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "delivered_to_recipient",
                    json!({"lat":51.7189,"lon":8.83}),
                ),
            ],
            want: &[Code::DeliveryLocationMismatch],
        },
        Story {
            name: "the driver delivered to a neighbour, no scan after seven hours",
            now: "2025-09-11T17:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered_to_neighbour",
                    json!({"handed_to":{"name":"Frau Schmidt","address":"Beispielweg 9"}}),
                ),
            ],
            want: &[Code::DriverDeliveredWithoutScan],
        },
        Story {
            name: "the driver delivered two hours ago, the scan is still within its grace time",
            now: "2025-09-11T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered_to_neighbour",
                    json!({"handed_to":{"name":"Frau Schmidt"}}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the customer reports not received after a delivered scan",
            now: "2025-09-12T09:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                customer_report("cr1", "2025-09-11T18:00:00+02:00", "not_received"),
            ],
            want: &[Code::CustomerDisputesDelivery],
        },
        Story {
            name: "a not-received report before the delivery is no dispute",
            now: "2025-09-12T09:00:00+02:00",
            events: vec![
                scan("s0", "2025-09-10T10:00:00+02:00", "in_transit", json!({})),
                customer_report("cr1", "2025-09-10T18:00:00+02:00", "not_received"),
                scan(
                    "s1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the order was cancelled and the parcel moved on",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                scan(
                    "s0",
                    "2025-09-10T18:00:00+02:00",
                    "info_received",
                    json!({}),
                ),
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "cancelled",
                    json!(null),
                ),
                scan("s1", "2025-09-11T15:00:00+02:00", "in_transit", json!({})),
            ],
            want: &[Code::ShippedAfterCancellation],
        },
        Story {
            name: "a refund of the whole order and a delivery hours later",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "refund_issued",
                    json!(null),
                ),
                scan(
                    "s1",
                    "2025-09-11T14:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[Code::RefundedAndDelivered],
        },
        Story {
            name: "a refund for items that came back is no contradiction",
            now: "2025-09-15T18:00:00+02:00",
            events: vec![
                order_event(
                    ORDER,
                    "o1",
                    "2025-09-11T09:00:00+02:00",
                    "refund_issued",
                    json!({"skus":["SHIRT-M"]}),
                ),
                scan(
                    "s1",
                    "2025-09-11T14:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                order_event(
                    ORDER,
                    "o2",
                    "2025-09-15T09:00:00+02:00",
                    "return_received",
                    json!(null),
                ),
            ],
            want: &[],
        },
        Story {
            name: "the customer was told delivered while the parcel is out for delivery",
            now: "2025-09-11T11:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                notification(
                    ORDER,
                    "n1",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"tracking_number":TN}),
                ),
            ],
            want: &[Code::CustomerToldOtherwise],
        },
        Story {
            name: "the customer was told delivered while scan and driver disagree",
            now: "2025-09-11T09:30:00+02:00",
            events: {
                let mut e = three_truths();
                e.push(notification(
                    ORDER,
                    "n1",
                    "2025-09-11T06:50:00+02:00",
                    "delivered",
                    json!({"channel":"sms"}),
                ));
                e
            },
            want: &[
                Code::DeliveredButDriverReportsFailure,
                Code::DeliveryLocationMismatch,
                Code::CustomerToldOtherwise,
            ],
        },
        Story {
            name: "no scan for four days while in transit",
            now: "2025-09-15T10:00:00+02:00",
            events: vec![scan(
                "s1",
                "2025-09-11T08:00:00+02:00",
                "in_transit",
                json!({}),
            )],
            want: &[Code::StaleTracking],
        },
        Story {
            name: "a neighbour delivery confirmed by scan and driver",
            now: "2025-09-12T10:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s2",
                    "2025-09-11T10:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100","detail":"neighbour","lat":51.7189,"lon":8.7575}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "delivered_to_neighbour",
                    merge(
                        json!({"handed_to":{"name":"Frau Schmidt","address":"Beispielweg 9"}}),
                        near.clone(),
                    ),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a failed attempt followed by a delivery the next day",
            now: "2025-09-12T12:00:00+02:00",
            events: vec![
                scan(
                    "s1",
                    "2025-09-11T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s2",
                    "2025-09-11T10:00:00+02:00",
                    "attempt_failed",
                    json!({}),
                ),
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "recipient_absent",
                    json!({"notice_card_left":true,"next_attempt_on":"2025-09-12"}),
                ),
                scan(
                    "s3",
                    "2025-09-12T08:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s4",
                    "2025-09-12T10:30:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
                driver(
                    "d2",
                    "2025-09-12T10:31:00+02:00",
                    "delivered_to_recipient",
                    json!({}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a failed attempt and a second run the same afternoon",
            now: "2025-09-11T18:00:00+02:00",
            events: vec![
                driver(
                    "d1",
                    "2025-09-11T10:01:00+02:00",
                    "recipient_absent",
                    json!({}),
                ),
                scan(
                    "s3",
                    "2025-09-11T14:00:00+02:00",
                    "out_for_delivery",
                    json!({}),
                ),
                scan(
                    "s4",
                    "2025-09-11T15:00:00+02:00",
                    "delivered",
                    json!({"postcode":"33100"}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a parcel-shop delivery far from the address",
            now: "2025-09-13T10:00:00+02:00",
            events: vec![
                driver(
                    "d1",
                    "2025-09-11T11:00:00+02:00",
                    "delivered_to_parcel_shop",
                    json!({"lat":51.70,"lon":8.70}),
                ),
                scan(
                    "s1",
                    "2025-09-11T11:05:00+02:00",
                    "delivered",
                    json!({"location":"Kiosk am Markt","postcode":"33102","detail":"parcel_shop","lat":51.71,"lon":8.76}),
                ),
            ],
            want: &[],
        },
        Story {
            name: "a parcel waiting at the parcel shop is not stale",
            now: "2025-09-16T10:00:00+02:00",
            events: vec![scan(
                "s1",
                "2025-09-11T11:05:00+02:00",
                "available_for_pickup",
                json!({"location":"Kiosk am Markt","postcode":"33102"}),
            )],
            want: &[],
        },
    ]
}

#[test]
fn every_hand_written_history_yields_exactly_its_expected_codes() {
    let policy = Policy::default();
    let (o, s) = (order(), shipment());
    let mut seen = Vec::new();
    for story in stories() {
        let v = reconcile_shipment(&s, Some(&o), &story.events, at(story.now), &policy);
        assert_eq!(codes(&v), story.want, "{}", story.name);
        assert_eq!(v.in_dispute, !story.want.is_empty(), "{}", story.name);
        seen.extend_from_slice(story.want);
    }
    // Together with the wrong-item story (order level), every code has a story.
    seen.extend([Code::PromiseOverdue]);
    for code in Code::ALL {
        assert!(seen.contains(&code), "no story for {code:?}");
    }
}

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
        "widersprechen sich, daher nennen wir keinen Zustellstatus als Tatsache",
        "- Scan von DHL, 11.09.2025, 06:48 Uhr: „zugestellt“ in Ffeld (PLZ 33154)",
        "- Bericht des Fahrers, 11.09.2025, 06:51 Uhr: „Empfänger nicht angetroffen“",
        "Benachrichtigungskarte hinterlassen; nächster Zustellversuch am 12.09.2025",
        "- Lieferadresse: Beispielweg 7, 33100 Paderborn (PLZ 33100).",
        "km vom Ort des Zustell-Scans entfernt",
        "Diese Angaben widersprechen sich.",
        "Wortlaut von DHL: „Die Sendung wurde zugestellt.“\n",
        "Notiz des Fahrers: „Empfänger nicht angetroffen“\n",
        "Nächster Zustellversuch laut Fahrer: 12.09.2025.",
    ] {
        assert!(de.contains(phrase), "missing {phrase:?} in\n{de}");
    }
    assert!(
        !de.contains("Status laut"),
        "states a status as fact:\n{de}"
    );
    assert!(!de.contains("zugestellt am"), "{de}");

    let en = summary(&v, Locale::En, &policy);
    for phrase in [
        "Shipment 00340434161234567890 (DHL) to Beispielweg 7, 33100 Paderborn.",
        "so we state no delivery status as fact",
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

/// The second story of DESIGN.md: a wrong item, a replacement that was cancelled and
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
        "Die Ware wurde erstattet und trotzdem zugestellt:",
        "Erstattung veranlasst über 19,90 €",
        "- Nachricht an Sie per email, 17.10.2025, 09:05 Uhr: „Ersatzsendung storniert“.",
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
        "The items were refunded and delivered anyway:",
        "- Shop, 17 Oct 2025, 09:01: refund issued (€19.90).",
        "- Message to you by email, 17 Oct 2025, 09:05: \"replacement cancelled\".",
    ] {
        assert!(en.contains(phrase), "missing {phrase:?} in\n{en}");
    }
}

#[test]
fn a_neighbour_delivery_names_the_neighbour_and_states_the_status_plainly() {
    let policy = Policy::default();
    let story = stories()
        .into_iter()
        .find(|s| s.name.starts_with("a neighbour delivery"))
        .unwrap();
    let v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &story.events,
        at(story.now),
        &policy,
    );
    let d = v.delivery.as_ref().unwrap();
    assert_eq!(d.place, DeliveryPlace::Neighbour);
    assert_eq!(d.handed_to.as_ref().unwrap().name, "Frau Schmidt");
    let de = summary(&v, Locale::De, &policy);
    assert!(
        de.contains("Status laut DHL: „zugestellt“ (11.09.2025, 10:00 Uhr)."),
        "{de}"
    );
    assert!(
        de.contains("Abgegeben bei: Frau Schmidt, Beispielweg 9."),
        "{de}"
    );
    let en = summary(&v, Locale::En, &policy);
    assert!(
        en.contains("Left with: Frau Schmidt, Beispielweg 9."),
        "{en}"
    );
}

#[test]
fn a_parcel_at_the_shop_shows_where_and_until_when_it_can_be_picked_up() {
    let policy = Policy::default();
    let events = [scan(
        "s1",
        "2025-09-11T11:05:00+02:00",
        "available_for_pickup",
        json!({"location":"Kiosk am Markt"}),
    )];
    let v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &events,
        at("2025-09-12T10:00:00+02:00"),
        &policy,
    );
    // Thursday 11 Sep + 7 working days (Mon–Sat, Sunday skipped) = Friday 19 Sep.
    assert!(
        matches!(&v.next[..], [NextStep::Pickup { until, .. }] if until.to_string() == "2025-09-19")
    );
    let de = summary(&v, Locale::De, &policy);
    assert!(
        de.contains("Abholung möglich bis 19.09.2025 in Kiosk am Markt"),
        "{de}"
    );
}

#[test]
fn the_driver_only_delivery_waits_for_the_scan_before_it_becomes_a_contradiction() {
    let policy = Policy::default();
    let events = [driver(
        "d1",
        "2025-09-11T10:00:00+02:00",
        "delivered_to_safe_place",
        json!({"safe_place":"Garage"}),
    )];
    let v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &events,
        at("2025-09-11T11:00:00+02:00"),
        &policy,
    );
    assert!(v.contradictions.is_empty());
    assert!(matches!(&v.next[..], [NextStep::AwaitingScan { .. }]));
    let d = v.delivery.as_ref().unwrap();
    assert!(!d.confirmed_by_scan);
    assert_eq!(d.safe_place.as_deref(), Some("Garage"));
    let later = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &events,
        at("2025-09-11T16:01:00+02:00"),
        &policy,
    );
    assert_eq!(codes(&later), [Code::DriverDeliveredWithoutScan]);
}

#[test]
fn a_notification_about_a_refund_that_never_happened_is_an_order_level_contradiction() {
    let policy = Policy::default();
    let events = [notification(
        ORDER,
        "n1",
        "2025-09-11T10:00:00+02:00",
        "refund_issued",
        json!({}),
    )];
    let v = reconcile_order(
        &order(),
        &[shipment()],
        &events,
        at("2025-09-11T12:00:00+02:00"),
        &policy,
    );
    assert_eq!(v.contradictions.len(), 1);
    assert_eq!(v.contradictions[0].code, Code::CustomerToldOtherwise);
    let de = summary(&v, Locale::De, &policy);
    assert!(
        de.contains("Im Shop-System ist kein Vorgang „Erstattung veranlasst“ verzeichnet."),
        "{de}"
    );
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

impl crate::truth::Contradiction {
    fn evidence_strs(&self) -> Vec<&str> {
        self.evidence.iter().map(|e| e.as_str()).collect()
    }
}
