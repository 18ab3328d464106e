//! Properties of the demo data set: it parses, it is deterministic, it is big enough,
//! its references hold, its contradictions are the ones it claims, and its stories exist.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::Value;

use super::places::{CITIES_ABROAD, CITIES_DE};
use super::*;
use crate::domain::{EventBody, Item, ScanStatus};

fn default_data() -> &'static DemoData {
    static DATA: std::sync::OnceLock<DemoData> = std::sync::OnceLock::new();
    DATA.get_or_init(|| generate(DEFAULT_ANCHOR))
}

fn count(data: &DemoData, type_name: &str) -> usize {
    data.items
        .iter()
        .filter(|i| i.type_name() == type_name)
        .count()
}

#[test]
fn every_item_serializes_to_json_that_parses_back_to_the_same_item() {
    for item in &default_data().items {
        let line = item.to_json_line();
        let value: Value = serde_json::from_str(&line).unwrap();
        let back = Item::parse(&value).unwrap_or_else(|e| panic!("{line}\n{e}"));
        assert_eq!(&back, item, "{line}");
        let again: Value = serde_json::from_str(&back.to_json_line()).unwrap();
        assert_eq!(again, value);
    }
}

#[test]
fn the_same_anchor_gives_byte_identical_output() {
    let a = to_ndjson(&generate(DEFAULT_ANCHOR));
    let b = to_ndjson(default_data());
    assert!(a == b, "two runs differ");
    assert_eq!(a.lines().count(), default_data().items.len());
}

#[test]
fn another_anchor_shifts_the_times_but_keeps_the_order_numbers() {
    let winter = NaiveDate::from_ymd_opt(2025, 12, 3).unwrap();
    let other = generate(winter);
    let keys = |d: &DemoData, t: &str| -> BTreeSet<String> {
        d.items
            .iter()
            .filter(|i| i.type_name() == t)
            .map(|i| i.key().to_string())
            .collect()
    };
    assert_eq!(keys(&other, "order"), keys(default_data(), "order"));
    assert_eq!(keys(&other, "customer"), keys(default_data(), "customer"));
    assert_eq!(
        other.contradiction_cases,
        default_data().contradiction_cases
    );
    let ffeld = |d: &DemoData| {
        d.items.iter().find_map(|i| match i {
            Item::Event(e) if matches!(&e.body, EventBody::TrackingScan(s) if s.location.as_deref() == Some("Ffeld")) => Some(e.occurred_at.to_rfc3339()),
            _ => None,
        })
    };
    assert_eq!(
        ffeld(default_data()).as_deref(),
        Some("2025-09-11T06:48:00+02:00")
    );
    assert_eq!(ffeld(&other).as_deref(), Some("2025-12-03T06:48:00+01:00"));
}

#[test]
fn there_are_at_least_200_customers_1000_orders_and_1500_shipments() {
    let d = default_data();
    assert!(count(d, "customer") >= 200, "{}", count(d, "customer"));
    assert!(count(d, "order") >= 1_000, "{}", count(d, "order"));
    assert!(count(d, "shipment") >= 1_500, "{}", count(d, "shipment"));
    for kind in ["original", "replacement", "return"] {
        let n = d
            .items
            .iter()
            .filter(|i| matches!(i, Item::Shipment(s) if s.kind.as_str() == kind))
            .count();
        assert!(n >= 10, "{kind}: {n}");
    }
}

#[test]
fn customer_ids_order_numbers_tracking_numbers_and_event_ids_are_unique() {
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for item in &default_data().items {
        let kind = match item {
            Item::Event(_) => "event",
            other => other.type_name(),
        };
        assert!(
            seen.entry(kind).or_default().insert(item.key()),
            "{kind} {} twice",
            item.key()
        );
    }
}

#[test]
fn orders_name_known_customers_and_shipments_and_events_name_known_orders() {
    let d = default_data();
    let customers: BTreeSet<&str> = d
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Customer(c) => Some(c.id.as_str()),
            _ => None,
        })
        .collect();
    let orders: BTreeSet<&str> = d
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Order(o) => Some(o.number.as_str()),
            _ => None,
        })
        .collect();
    let shipments: BTreeSet<&str> = d
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Shipment(s) => Some(s.tracking_number.as_str()),
            _ => None,
        })
        .collect();
    let mut with_orders = BTreeSet::new();
    for item in &d.items {
        match item {
            Item::Order(o) => {
                assert!(customers.contains(o.customer_id.as_str()), "{}", o.number);
                with_orders.insert(o.customer_id.as_str());
            }
            Item::Shipment(s) => assert!(
                orders.contains(s.order_number.as_str()),
                "{}",
                s.tracking_number
            ),
            Item::Event(e) => {
                if let Some(tn) = e.body.tracking_number() {
                    assert!(shipments.contains(tn.as_str()), "{} names {tn}", e.id);
                }
                if let Some(n) = e.body.order_number() {
                    assert!(orders.contains(n.as_str()), "{} names {n}", e.id);
                }
            }
            Item::Customer(_) => {}
        }
    }
    assert_eq!(with_orders, customers, "every customer has an order");
}

#[test]
fn nothing_happens_after_nine_on_the_anchor_morning() {
    let (data, late) = generate_checked(DEFAULT_ANCHOR);
    assert!(
        late.is_empty(),
        "scripted events after the cutoff: {late:?}"
    );
    let cutoff = data_cutoff(DEFAULT_ANCHOR);
    for item in &data.items {
        match item {
            Item::Event(e) => assert!(e.occurred_at <= cutoff, "{}", e.id),
            Item::Order(o) => assert!(o.placed_at <= cutoff, "{}", o.number),
            _ => {}
        }
    }
}

#[test]
fn every_contradiction_code_is_realized_at_least_three_times_by_existing_orders() {
    let d = default_data();
    let shipments: BTreeMap<&str, &str> = d
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Shipment(s) => Some((s.tracking_number.as_str(), s.order_number.as_str())),
            _ => None,
        })
        .collect();
    let orders: BTreeSet<&str> = shipments
        .values()
        .copied()
        .chain(d.items.iter().filter_map(|i| match i {
            Item::Order(o) => Some(o.number.as_str()),
            _ => None,
        }))
        .collect();
    for code in CONTRADICTION_CODES {
        let n = d
            .contradiction_cases
            .iter()
            .filter(|c| c.code == *code)
            .count();
        assert!(n >= 3, "{code}: {n}");
    }
    for case in &d.contradiction_cases {
        assert!(CONTRADICTION_CODES.contains(&case.code), "{}", case.code);
        assert!(orders.contains(case.order_number.as_str()), "{case:?}");
        if let Some(tn) = &case.tracking_number {
            assert_eq!(
                shipments.get(tn.as_str()),
                Some(&case.order_number.as_str()),
                "{case:?}"
            );
        }
    }
}

#[test]
fn the_named_stories_exist_with_their_fixed_numbers() {
    let d = default_data();
    let keys: Vec<&str> = d.stories.iter().map(|s| s.key).collect();
    assert_eq!(
        keys,
        [
            "three_truths",
            "cancelled_replacement",
            "english_plain",
            "neighbour",
            "parcel_shop",
            "stale"
        ]
    );
    for story in &d.stories {
        let order = d.items.iter().find_map(|i| match i {
            Item::Order(o) if o.number.as_str() == story.order_number => Some(o),
            _ => None,
        });
        let order = order.unwrap_or_else(|| panic!("{} missing", story.order_number));
        assert_eq!(
            order.shipping_address.postcode, story.postcode,
            "{}",
            story.key
        );
        let customer = d
            .items
            .iter()
            .find_map(|i| match i {
                Item::Customer(c) if c.id == order.customer_id => Some(c),
                _ => None,
            })
            .unwrap();
        assert_eq!(customer.email.as_deref(), Some(story.email));
        assert_eq!(customer.locale, story.locale);
        let shipment = d.items.iter().any(|i| matches!(i, Item::Shipment(s) if s.tracking_number.as_str() == story.tracking_number && s.order_number == order.number));
        assert!(
            shipment,
            "{}: no shipment {}",
            story.key, story.tracking_number
        );
        for code in story.contradictions {
            assert!(
                d.contradiction_cases
                    .iter()
                    .any(|c| c.code == *code && c.story == Some(story.key)),
                "{} {code}",
                story.key
            );
        }
        let typed = story.try_de.unwrap_or_default();
        assert!(
            typed.contains(story.order_number) && typed.contains(story.postcode),
            "{typed}"
        );
    }
    let (a, b) = (&d.stories[0], &d.stories[1]);
    assert_eq!(
        (a.order_number, a.postcode, a.tracking_number),
        ("A-100234", "33100", "00340434161234567890")
    );
    assert_eq!(b.order_number, "A-100250");
}

#[test]
fn the_three_truths_are_a_scan_in_ffeld_a_driver_at_the_door_and_a_delivered_email() {
    let ndjson = to_ndjson(default_data());
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| {
            v["tracking_number"] == "00340434161234567890" || v["order_number"] == "A-100234"
        })
        .collect();
    let scan = lines.iter().find(|v| v["status"] == "delivered").unwrap();
    assert_eq!(
        (
            scan["location"].as_str(),
            scan["postcode"].as_str(),
            scan["lat"].as_f64(),
            scan["lon"].as_f64()
        ),
        (Some("Ffeld"), Some("33154"), Some(51.67), Some(8.62))
    );
    assert_eq!(scan["occurred_at"], "2025-09-11T06:48:00+02:00");
    let driver = lines.iter().find(|v| v["type"] == "driver_report").unwrap();
    assert_eq!(driver["outcome"], "recipient_absent");
    assert_eq!(driver["occurred_at"], "2025-09-11T06:51:00+02:00");
    assert_eq!(driver["next_attempt_on"], "2025-09-12");
    assert!(
        lines
            .iter()
            .any(|v| v["type"] == "notification_sent" && v["claim"] == "delivered")
    );
}

#[test]
fn customers_are_fictional_with_example_emails_fiction_phone_ranges_and_real_postcodes() {
    for item in &default_data().items {
        match item {
            Item::Customer(c) => {
                let email = c.email.as_deref().unwrap_or_default();
                assert!(
                    ["@example.org", "@example.com", "@example.net"]
                        .iter()
                        .any(|d| email.ends_with(d)),
                    "{email}"
                );
                if let Some(phone) = &c.phone {
                    let fiction = [
                        "+493023125",
                        "+496990009",
                        "+494066969",
                        "+492214710",
                        "+498999998",
                        "+447700900",
                    ];
                    assert!(fiction.iter().any(|p| phone.starts_with(p)), "{phone}");
                }
            }
            Item::Order(o) => {
                let a = &o.shipping_address;
                let known = CITIES_DE.iter().chain(CITIES_ABROAD).any(|c| {
                    c.name == a.city
                        && c.country == a.country
                        && c.postcodes.contains(&a.postcode.as_str())
                });
                assert!(known, "{a:?}");
            }
            _ => {}
        }
    }
}

#[test]
fn histories_use_every_carrier_and_the_usual_outcomes() {
    let d = default_data();
    let carriers: BTreeSet<&str> = d
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Shipment(s) => Some(s.carrier.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(carriers, BTreeSet::from(["dhl", "dpd", "gls", "hermes"]));
    let mut statuses = BTreeSet::new();
    let mut outcomes = BTreeSet::new();
    for item in &d.items {
        if let Item::Event(e) = item {
            match &e.body {
                EventBody::TrackingScan(s) => {
                    statuses.insert(s.status);
                }
                EventBody::DriverReport(r) => {
                    outcomes.insert(r.outcome.as_str());
                }
                _ => {}
            }
        }
    }
    for s in [
        ScanStatus::InfoReceived,
        ScanStatus::InTransit,
        ScanStatus::OutForDelivery,
        ScanStatus::AttemptFailed,
        ScanStatus::Delivered,
        ScanStatus::AvailableForPickup,
        ScanStatus::Exception,
        ScanStatus::ReturnedToSender,
    ] {
        assert!(statuses.contains(&s), "{s:?}");
    }
    for o in [
        "delivered_to_recipient",
        "delivered_to_neighbour",
        "delivered_to_safe_place",
        "recipient_absent",
        "refused",
        "address_not_found",
    ] {
        assert!(outcomes.contains(o), "{o}");
    }
}

#[test]
fn a_business_order_names_a_recipient_and_a_stakeholder() {
    let with_contacts: Vec<&crate::domain::Order> = default_data()
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Order(o) if o.contacts.as_ref().is_some_and(|c| !c.is_empty()) => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(with_contacts.len(), 1);
    let roles: Vec<_> = with_contacts[0]
        .contacts
        .iter()
        .flatten()
        .map(|c| c.role)
        .collect();
    use crate::domain::ContactRole;
    assert_eq!(roles, [ContactRole::Recipient, ContactRole::Stakeholder]);
}
