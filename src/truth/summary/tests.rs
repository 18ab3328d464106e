//! Renders every template with fixture contexts that use every code, status, source,
//! label, delivery place and next step, in both languages.

use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::domain::{
    CustomerClaim, DriverOutcome, EventId, HandedTo, Money, NotificationClaim, OrderEventKind,
    ScanStatus,
};
use crate::truth::tests::{at, order, scan, shipment};
use crate::truth::{
    Contradiction, ContradictionCode, DeliveryDetails, DeliveryPlace, Fact, NextStep,
    ShipmentStatus, Source, reconcile_order, reconcile_shipment,
};

fn every_fact() -> Vec<Fact> {
    let t = Some(at("2025-09-11T06:48:00+02:00"));
    let id = || Some(EventId::parse("e-1").unwrap());
    let mut facts = Vec::new();
    for (name, _) in ScanStatus::ALL {
        let mut f = Fact::new(Source::CarrierScan, id(), t, *name);
        f.location = Some("Ffeld".into());
        f.postcode = Some("33154".into());
        f.description = Some("Die Sendung wurde zugestellt.".into());
        facts.push(f);
    }
    facts.push(Fact::new(Source::CarrierScan, None, None, "no_scan"));
    for (name, _) in DriverOutcome::ALL {
        let mut f = Fact::new(Source::Driver, id(), t, *name);
        f.next_attempt_on = NaiveDate::from_ymd_opt(2025, 9, 12);
        f.notice_card_left = Some(true);
        f.distance_m = Some(10_412);
        f.description = Some("Empfänger nicht angetroffen".into());
        f.location = Some("Frau Schmidt, Beispielweg 9".into());
        facts.push(f);
    }
    for name in OrderEventKind::NAMES {
        let mut f = Fact::new(Source::Shop, id(), t, *name);
        f.amount = Some(Money(1990));
        f.due_by = t;
        facts.push(f);
        let mut none = Fact::new(Source::Shop, None, None, "no_event");
        none.description = Some((*name).to_string());
        facts.push(none);
    }
    for (name, _) in NotificationClaim::ALL {
        let mut f = Fact::new(Source::Notification, id(), t, *name);
        f.channel = Some("email".into());
        facts.push(f);
    }
    for (name, _) in CustomerClaim::ALL {
        facts.push(Fact::new(Source::Customer, id(), t, *name));
    }
    let mut addr = Fact::new(Source::Address, None, None, "address");
    addr.postcode = Some("33100".into());
    addr.description = Some("Beispielweg 7, 33100 Paderborn".into());
    facts.push(addr);
    facts
}

fn disputed_view() -> ShipmentView {
    let mut v = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &[],
        at("2025-09-11T09:30:00+02:00"),
        &Policy::default(),
    );
    v.contradictions = ContradictionCode::ALL
        .into_iter()
        .map(|code| Contradiction {
            code,
            tracking_number: Some(v.tracking_number.clone()),
            evidence: Vec::new(),
            facts: every_fact(),
            remedies: Vec::new(),
        })
        .collect();
    v.in_dispute = true;
    v
}

#[test]
fn every_template_renders_every_code_source_and_label_in_both_languages() {
    let policy = Policy::default();
    let v = disputed_view();
    for locale in [Locale::De, Locale::En] {
        let text = v.try_summary(locale, &policy).unwrap();
        // One heading per code, one line per fact.
        assert!(text.lines().count() > 9 * every_fact().len(), "{locale}");
        assert!(!text.contains("{{") && !text.contains("{%"), "{text}");
    }
}

#[test]
fn every_status_place_and_next_step_renders_in_both_languages() {
    let policy = Policy::default();
    let base = reconcile_shipment(
        &shipment(),
        Some(&order()),
        &[],
        at("2025-09-11T09:30:00+02:00"),
        &policy,
    );
    let statuses = [
        ShipmentStatus::Unknown,
        ShipmentStatus::InfoReceived,
        ShipmentStatus::InTransit,
        ShipmentStatus::OutForDelivery,
        ShipmentStatus::AttemptFailed,
        ShipmentStatus::Delivered,
        ShipmentStatus::AvailableForPickup,
        ShipmentStatus::Exception,
        ShipmentStatus::ReturnedToSender,
    ];
    let places = [
        DeliveryPlace::Recipient,
        DeliveryPlace::Neighbour,
        DeliveryPlace::SafePlace,
        DeliveryPlace::ParcelShop,
        DeliveryPlace::Locker,
        DeliveryPlace::Unspecified,
    ];
    let id = EventId::parse("e-1").unwrap();
    let day = NaiveDate::from_ymd_opt(2025, 9, 12).unwrap();
    for status in statuses {
        for place in places {
            for confirmed in [true, false] {
                let mut v = base.clone();
                v.status = status;
                v.last_scan_at = Some(at("2025-09-11T06:48:00+02:00"));
                v.delivery = Some(DeliveryDetails {
                    at: at("2025-09-11T06:48:00+02:00"),
                    place,
                    confirmed_by_scan: confirmed,
                    scan_event_id: None,
                    driver_event_id: None,
                    location: Some("Kiosk am Markt".into()),
                    postcode: None,
                    handed_to: Some(HandedTo {
                        name: "Frau Schmidt".into(),
                        address: None,
                    }),
                    safe_place: Some("Garage".into()),
                    photo_ref: None,
                    signature_ref: None,
                });
                v.next = vec![
                    NextStep::NextAttempt {
                        on: day,
                        event_id: id.clone(),
                    },
                    NextStep::Pickup {
                        location: None,
                        until: day,
                        event_id: id.clone(),
                    },
                    NextStep::AwaitingScan {
                        until: at("2025-09-11T12:48:00+02:00"),
                        event_id: id.clone(),
                    },
                ];
                for locale in [Locale::De, Locale::En] {
                    let text = v
                        .try_summary(locale, &policy)
                        .unwrap_or_else(|e| panic!("{status:?} {place:?}: {e}"));
                    let (day_s, time_s) = match locale {
                        Locale::De => ("12.09.2025", "11.09.2025, 06:48 Uhr"),
                        Locale::En => ("12 Sep 2025", "11 Sep 2025, 06:48"),
                    };
                    assert!(text.matches(day_s).count() >= 2, "{text}");
                    assert_eq!(
                        text.contains(time_s),
                        status != ShipmentStatus::Unknown || !confirmed,
                        "{text}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_order_template_renders_with_and_without_shipments_and_contradictions() {
    let policy = Policy::default();
    let now = at("2025-09-15T10:00:00+02:00");
    let events = [scan(
        "s1",
        "2025-09-11T08:00:00+02:00",
        "in_transit",
        json!({}),
    )];
    let with = reconcile_order(&order(), &[shipment()], &events, now, &policy);
    assert!(with.in_dispute, "stale tracking expected");
    let without = reconcile_order(&order(), &[], &[], now, &policy);
    for locale in [Locale::De, Locale::En] {
        let a = with.try_summary(locale, &policy).unwrap();
        assert!(a.contains("00340434161234567890"), "{a}");
        assert!(a.contains("72"), "{a}");
        let b = without.try_summary(locale, &policy).unwrap();
        assert!(b.contains("A-100234"), "{b}");
        assert_eq!(summary(&without, locale, &policy), b);
    }
}

#[test]
fn an_unknown_label_fails_loudly_in_strict_mode() {
    let mut v = disputed_view();
    v.contradictions.truncate(1);
    v.contradictions[0].facts = vec![Fact::new(Source::Driver, None, None, "teleported")];
    assert!(v.try_summary(Locale::De, &Policy::default()).is_err());
    assert!(summary(&v, Locale::De, &Policy::default()).contains("keine Zusammenfassung"));
}

#[test]
fn the_brief_and_the_details_render_every_code_source_and_label_in_both_languages() {
    let policy = Policy::default();
    let now = at("2025-09-11T09:30:00+02:00");
    let mut o = reconcile_order(&order(), &[shipment()], &[], now, &policy);
    o.shipments = vec![disputed_view()];
    // The order's own: an overdue promise (every fact offered, only the shop's told).
    o.contradictions = disputed_view()
        .contradictions
        .into_iter()
        .filter(|c| c.code == ContradictionCode::PromiseOverdue)
        .collect();
    o.in_dispute = true;
    for (locale, heading, all) in [
        (
            Locale::De,
            "widersprechen sich:",
            "Alle Angaben zu Bestellung",
        ),
        (Locale::En, "disagree:", "All details of order"),
    ] {
        let b = brief(&o, locale, &policy, BriefOptions::default());
        assert!(b.text.contains(heading), "{}", b.text);
        assert!(b.disputed && b.disagree);
        assert!(
            !b.text.contains("{{") && !b.text.contains("{%"),
            "{}",
            b.text
        );
        // Each fact once, however many contradictions name it: one line per driver
        // outcome, not one per outcome and contradiction.
        let card = match locale {
            Locale::De => "Benachrichtigungskarte hinterlassen",
            Locale::En => "notice card left",
        };
        assert_eq!(
            b.text.matches(card).count(),
            DriverOutcome::ALL.len(),
            "{}",
            b.text
        );
        let d = details(&o, locale, &policy);
        assert!(d.starts_with(all), "{d}");
    }
}

#[test]
fn the_brief_of_an_order_without_shipments_says_what_the_shop_recorded() {
    let policy = Policy::default();
    let now = at("2025-09-15T10:00:00+02:00");
    let mut view = reconcile_order(&order(), &[], &[], now, &policy);
    for (locale, open) in [
        (Locale::De, "A-100234 ist noch nicht versandt."),
        (Locale::En, "A-100234 has not been shipped yet."),
    ] {
        let b = brief(&view, locale, &policy, BriefOptions::default());
        assert!(b.text.contains(open), "{}", b.text);
        assert!(!b.disputed);
    }
    view.order_state.cancelled = true;
    view.order_state.refunded = true;
    for (locale, cancelled) in [
        (
            Locale::De,
            "A-100234 ist storniert; die Erstattung ist veranlasst.",
        ),
        (
            Locale::En,
            "A-100234 is cancelled; the refund has been issued.",
        ),
    ] {
        let b = brief(&view, locale, &policy, BriefOptions::default());
        assert!(b.text.contains(cancelled), "{}", b.text);
    }
}
