//! Unit tests of the number extractors: each shape, and the numbers that look alike.

use super::*;
use crate::assistant::nlu::normalize::fold;

#[derive(Debug, Default, PartialEq)]
struct Seen {
    orders: Vec<String>,
    tracking: Vec<(String, Option<Carrier>)>,
    phones: Vec<String>,
    postcodes: Vec<String>,
}

fn seen(text: &str) -> Seen {
    let mut work = fold(text);
    let orders = order_numbers(&mut work);
    let mut tracking = lettered_tracking_numbers(&mut work);
    let digits = digit_groups(&mut work);
    tracking.extend(digits.tracking);
    let mut postcodes = digits.postcodes;
    postcodes.extend(uk_postcodes(&mut work));
    Seen {
        orders: orders.into_iter().map(|(_, o)| o.to_string()).collect(),
        tracking: tracking
            .into_iter()
            .map(|(_, t)| (t.value.to_string(), t.carrier_guess))
            .collect(),
        phones: digits.phones.into_iter().map(|(_, p)| p).collect(),
        postcodes: postcodes.into_iter().map(|(_, p)| p).collect(),
    }
}

#[test]
fn order_numbers_are_normalized_from_every_spelling() {
    for text in ["A-100234", "a-100234", "A100234", "A 100234", "(a100234)"] {
        assert_eq!(seen(text).orders, ["A-100234"], "{text}");
    }
}

#[test]
fn a_short_order_number_needs_its_hyphen() {
    assert_eq!(seen("A-1002 33100").orders, ["A-1002"]);
    assert_eq!(seen("A-1002 33100").postcodes, ["33100"]);
    assert!(seen("a 1002").orders.is_empty());
}

#[test]
fn postcodes_with_a_leading_zero_are_postcodes() {
    assert_eq!(seen("A-9208, 04109").postcodes, ["04109"]);
    assert_eq!(seen("PLZ 01067").postcodes, ["01067"]);
    assert!(seen("0151 23456789").postcodes.is_empty());
}

#[test]
fn d_with_five_digits_is_an_old_style_postcode() {
    let s = seen("D-33100 Paderborn");
    assert!(s.orders.is_empty());
    assert_eq!(s.postcodes, ["33100"]);
}

#[test]
fn dhl_numbers_are_found_with_or_without_spaces_and_hide_no_postcode() {
    for text in [
        "00340434161234567890",
        "0034 0434 1612 3456 7890",
        "00340434 161234567890",
    ] {
        let s = seen(text);
        assert_eq!(
            s.tracking,
            [("00340434161234567890".to_string(), Some(Carrier::Dhl))],
            "{text}"
        );
        assert!(
            s.postcodes.is_empty() && s.phones.is_empty(),
            "{text}: {s:?}"
        );
    }
}

#[test]
fn each_carrier_shape_gets_its_guess() {
    assert_eq!(seen("01512345678901").tracking[0].1, Some(Carrier::Dpd));
    assert_eq!(seen("40123456789012").tracking[0].1, Some(Carrier::Hermes));
    assert_eq!(seen("81234567890").tracking[0].1, Some(Carrier::Gls));
    assert_eq!(seen("812345678901").tracking[0].1, Some(Carrier::Gls));
    let ups = seen("1Z 999 AA1 0123456784");
    assert_eq!(
        ups.tracking,
        [("1Z999AA10123456784".to_string(), Some(Carrier::Ups))]
    );
    assert_eq!(seen("JJD0001234567890").tracking[0].1, Some(Carrier::Dhl));
    assert_eq!(seen("RR123456789DE").tracking[0].1, Some(Carrier::Dhl));
}

#[test]
fn german_mobile_and_landline_numbers_become_e164() {
    assert_eq!(seen("0151 12345678").phones, ["+4915112345678"]);
    assert_eq!(seen("0151-1234 5678").phones, ["+4915112345678"]);
    assert_eq!(seen("05251 123456").phones, ["+495251123456"]);
    assert_eq!(seen("(0151) 123 456 78").phones, ["+4915112345678"]);
    assert_eq!(seen("0151/12345678").phones, ["+4915112345678"]);
    assert_eq!(seen("+49 151 12345678").phones, ["+4915112345678"]);
    assert_eq!(seen("0049 151 12345678").phones, ["+4915112345678"]);
    assert_eq!(seen("+44 20 7946 0958").phones, ["+442079460958"]);
}

#[test]
fn a_postcode_then_a_phone_are_not_joined() {
    let s = seen("33100 0151 12345678");
    assert_eq!(s.postcodes, ["33100"]);
    assert_eq!(s.phones, ["+4915112345678"]);
    assert!(s.tracking.is_empty());
}

#[test]
fn a_tracking_number_and_a_postcode_side_by_side() {
    let s = seen("00340434161234567890 33100");
    assert_eq!(s.tracking.len(), 1);
    assert_eq!(s.postcodes, ["33100"]);
}

#[test]
fn a_dpd_number_is_not_a_phone_though_both_start_with_015() {
    let s = seen("01512345678901");
    assert!(s.phones.is_empty());
    assert_eq!(s.tracking.len(), 1);
}

#[test]
fn short_numbers_and_amounts_are_nothing() {
    assert_eq!(seen("3 Stück für 89,90 und 2025"), Seen::default());
    assert_eq!(seen("1234"), Seen::default());
}

#[test]
fn uk_postcodes_are_upper_cased_with_one_space() {
    assert_eq!(seen("I live at SW1A 1AA").postcodes, ["SW1A 1AA"]);
    assert_eq!(seen("m1 1ae").postcodes, ["M1 1AE"]);
    assert_eq!(seen("postcode ec1a1bb").postcodes, ["EC1A 1BB"]);
}
