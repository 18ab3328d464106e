//! Delivery details, next steps and order-level facts of reconciled views, and how the
//! summaries state them.

use serde_json::json;

use super::stories::{codes, stories};
use super::*;
use crate::domain::Locale;
use crate::truth::{
    ContradictionCode as Code, DeliveryPlace, NextStep, Policy, reconcile_order,
    reconcile_shipment, summary,
};

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
        de.contains("Im Paketshop: Kiosk am Markt.")
            && de.contains("Abholung möglich bis 19.09.2025; danach"),
        "{de}"
    );
    // The place is named once.
    assert_eq!(de.matches("Kiosk am Markt").count(), 1, "{de}");
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
fn a_return_delivered_to_the_warehouse_address_is_no_location_mismatch() {
    let policy = Policy::default();
    let v = json!({"type":"shipment","tracking_number":TN,"carrier":"dhl","order_number":ORDER,
        "kind":"return","skus":["SHIRT-M"],
        "address":{"name":"Demo-Shop GmbH, Retouren","street":"Industriestraße 14","postcode":"33104","city":"Paderborn","country":"DE"}});
    let Item::Shipment(ret) = Item::parse(&v).unwrap() else {
        panic!("not a shipment: {v}");
    };
    let events = [scan(
        "s1",
        "2025-09-11T10:00:00+02:00",
        "delivered",
        json!({"location":"Paderborn","postcode":"33104"}),
    )];
    let now = at("2025-09-11T12:00:00+02:00");
    let back = reconcile_shipment(&ret, Some(&order()), &events, now, &policy);
    assert_eq!(codes(&back), []);
    // The same scan on a parcel to the customer (33100) is a mismatch.
    let out = reconcile_shipment(&shipment(), Some(&order()), &events, now, &policy);
    assert_eq!(codes(&out), [Code::DeliveryLocationMismatch]);
}
