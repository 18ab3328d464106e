//! The extractors, German and English: each shape is found once, as the right kind,
//! and no digit is claimed twice.

use chrono::{NaiveTime, Weekday};

use crate::domain::Locale;

use super::super::ClaimKind as K;
use super::super::claims::{
    DateClaim, Fact, Found, Mode, Opts, St, StatusClaim, TimeClaim, extract, statuses,
};

fn found(text: &str, locale: Locale) -> Vec<(K, String)> {
    extract(text, Opts::for_locale(locale))
        .into_iter()
        .map(|f| (f.kind, text[f.start..f.end].to_string()))
        .collect()
}

fn facts(text: &str, locale: Locale) -> Vec<Fact> {
    extract(text, Opts::for_locale(locale))
        .into_iter()
        .map(|f| f.fact)
        .collect()
}

fn date(year: Option<i32>, month: u32, day: u32, weekday: Option<Weekday>) -> Fact {
    Fact::Date(DateClaim {
        year,
        month,
        day,
        weekday,
        alt: None,
    })
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn german_dates_are_read_with_and_without_year_and_weekday() {
    assert_eq!(
        facts(
            "am 11.09.2025, am 11.09. und am 11. September 2025",
            Locale::De
        ),
        [
            date(Some(2025), 9, 11, None),
            date(None, 9, 11, None),
            date(Some(2025), 9, 11, None)
        ]
    );
    assert_eq!(
        facts("Zustellung am Do., 11. Sept.", Locale::De),
        [date(None, 9, 11, Some(Weekday::Thu))]
    );
    assert_eq!(
        facts("ISO: 2025-09-11", Locale::De),
        [date(Some(2025), 9, 11, None)]
    );
}

#[test]
fn english_dates_are_read_day_first_and_month_first() {
    assert_eq!(
        facts(
            "on 11 Sep 2025, on September 11 and on Sep 11th, 2025",
            Locale::En
        ),
        [
            date(Some(2025), 9, 11, None),
            date(None, 9, 11, None),
            date(Some(2025), 9, 11, None)
        ]
    );
    assert_eq!(
        facts("Thursday, 11 September", Locale::En),
        [date(None, 9, 11, Some(Weekday::Thu))]
    );
}

#[test]
fn times_are_read_in_both_languages_with_windows() {
    let at = |h, m| Fact::Time(TimeClaim::At(hm(h, m)));
    assert_eq!(facts("um 06:48 Uhr", Locale::De), [at(6, 48)]);
    assert_eq!(facts("um 06:48", Locale::De), [at(6, 48)]);
    assert_eq!(facts("um 10 Uhr", Locale::De), [at(10, 0)]);
    assert_eq!(
        facts("at 6:48 am and 6:48 pm", Locale::En),
        [at(6, 48), at(18, 48)]
    );
    let window = Fact::Time(TimeClaim::Between(hm(10, 0), hm(12, 0)));
    assert_eq!(
        facts("zwischen 10 und 12 Uhr", Locale::De),
        std::slice::from_ref(&window)
    );
    assert_eq!(
        facts("Rückruf 10–12 Uhr", Locale::De),
        std::slice::from_ref(&window)
    );
    assert_eq!(
        facts("Rückruf 10–12.", Locale::De),
        std::slice::from_ref(&window)
    );
    assert_eq!(
        facts("between 2 and 4 pm", Locale::En),
        [Fact::Time(TimeClaim::Between(hm(14, 0), hm(16, 0)))]
    );
    assert_eq!(
        facts("14:00–16:00", Locale::De),
        [Fact::Time(TimeClaim::Between(hm(14, 0), hm(16, 0)))]
    );
}

#[test]
fn counts_and_durations_are_not_times() {
    for text in [
        "in 2–3 Werktagen",
        "between 2 and 3 days",
        "innerhalb von 24 Stunden",
        "72 hours",
        "10,6 km entfernt",
        "Packstation 123",
        "1. Zustellversuch",
    ] {
        assert_eq!(found(text, Locale::De), [], "{text}");
        assert_eq!(found(text, Locale::En), [], "{text}");
    }
    // German `am` is "on the", not a.m.
    assert_eq!(found("Lieferung 11 am Montag", Locale::De), []);
}

#[test]
fn amounts_are_read_with_the_currency_before_or_after() {
    for (text, locale) in [
        ("89,90 €", Locale::De),
        ("€89.90", Locale::En),
        ("89.90 EUR", Locale::En),
        ("EUR 89,90", Locale::De),
        ("89,90 Euro", Locale::De),
    ] {
        assert_eq!(
            facts(text, locale),
            [Fact::Amount(8990, Some("EUR"))],
            "{text}"
        );
    }
    assert_eq!(
        facts("8.989,90 €", Locale::De),
        [Fact::Amount(898_990, Some("EUR"))]
    );
    assert_eq!(
        facts("€8,989.90", Locale::En),
        [Fact::Amount(898_990, Some("EUR"))]
    );
    assert_eq!(
        facts("CHF 10.00", Locale::En),
        [Fact::Amount(1000, Some("CHF"))]
    );
}

#[test]
fn ids_are_order_numbers_or_tracking_numbers_of_the_carriers_shapes() {
    assert_eq!(
        found(
            "Bestellung A-100234, Sendung 00340434161234567890, GLS 810029402941, UPS 1Z999AA10123456784",
            Locale::De
        ),
        [
            (K::OrderNumber, "A-100234".into()),
            (K::TrackingNumber, "00340434161234567890".into()),
            (K::TrackingNumber, "810029402941".into()),
            (K::TrackingNumber, "1Z999AA10123456784".into()),
        ]
    );
    let spaced = facts("Nummer 0034 0434 1612 3456 7890", Locale::De);
    assert_eq!(spaced, [Fact::Id("00340434161234567890".into())]);
    // Words and e-mail addresses are no ids.
    assert_eq!(
        found("Paketzentrum kunde12345678@example.org", Locale::De),
        []
    );
}

#[test]
fn postcodes_stand_alone_and_addresses_take_their_postcode() {
    assert_eq!(
        found("PLZ 33154", Locale::De),
        [(K::Postcode, "33154".into())]
    );
    let f: Vec<Found> = extract(
        "an Beispielweg 7, 33100 Paderborn.",
        Opts::for_locale(Locale::De),
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, K::Address);
    // No number counted twice: the postcode digits inside a tracking number, a date's
    // digits as an amount or time.
    assert_eq!(
        found("00340434161234567890 am 11.09.2025", Locale::De),
        [
            (K::TrackingNumber, "00340434161234567890".into()),
            (K::Date, "11.09.2025".into())
        ]
    );
    assert_eq!(found("12.345 Punkte", Locale::De), []);
}

fn status_of(text: &str) -> Vec<(St, Mode)> {
    statuses(text)
        .into_iter()
        .filter_map(|f| match f.fact {
            Fact::Status(StatusClaim { st, mode, .. }) => Some((st, mode)),
            _ => None,
        })
        .collect()
}

#[test]
fn statuses_stated_as_fact_are_told_from_reported_ones() {
    use Mode::{Fact as F, Reported as R};
    assert_eq!(
        status_of("Ihr Paket wurde zugestellt."),
        [(St::Delivered, F)]
    );
    assert_eq!(status_of("Ihr Paket ist zugestellt."), [(St::Delivered, F)]);
    assert_eq!(
        status_of("Your parcel has been delivered."),
        [(St::Delivered, F)]
    );
    assert_eq!(
        status_of("It was delivered at 06:48."),
        [(St::Delivered, F)]
    );
    assert_eq!(status_of("Ihr Paket ist unterwegs."), [(St::InTransit, F)]);
    assert_eq!(
        status_of("It is out for delivery."),
        [(St::OutForDelivery, F)]
    );
    assert_eq!(
        status_of("Es liegt zur Abholung bereit."),
        [(St::ReadyForPickup, F)]
    );
    assert_eq!(
        status_of("Der Scan meldet „zugestellt“."),
        [(St::Delivered, R(Some("carrier_scan")))]
    );
    assert_eq!(
        status_of("Laut Fahrer nicht angetroffen."),
        [(St::AttemptFailed, R(Some("driver")))]
    );
    assert_eq!(
        status_of("The scan says \"delivered\"."),
        [(St::Delivered, R(Some("carrier_scan")))]
    );
    assert_eq!(
        status_of("According to the driver, you were not at home."),
        [(St::AttemptFailed, R(Some("driver")))]
    );
    // "Our records" are Verity's own word: a fact, not a report.
    assert_eq!(
        status_of("According to our records it was delivered."),
        [(St::Delivered, F)]
    );
}

#[test]
fn negated_and_future_deliveries_are_read_as_such() {
    assert_eq!(
        status_of("Ihr Paket wurde noch nicht zugestellt."),
        [(St::NotDelivered, Mode::Fact)]
    );
    assert_eq!(
        status_of("It has not been delivered yet."),
        [(St::NotDelivered, Mode::Fact)]
    );
    assert_eq!(
        status_of("Es wird morgen zugestellt."),
        [(St::Pending, Mode::Fact)]
    );
    assert_eq!(
        status_of("Danach geht die Sendung zurück an den Absender."),
        []
    );
    assert_eq!(status_of("after that it goes back to the sender"), []);
}
