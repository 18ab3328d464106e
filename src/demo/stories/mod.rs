//! The named stories: fixed order numbers, postcodes and tracking numbers (independent
//! of the anchor), times relative to the anchor morning. The first two are the stories
//! of docs/architecture.md; the others show ordinary deliveries the bot must tell plainly.

mod plain;
mod scripts;

use crate::demo::DemoStory;
use crate::demo::builder::Builder;
use crate::demo::codes::*;
use crate::demo::people::Registry;
use crate::demo::rng::Rng;
use crate::domain::{Locale, Salutation};

#[rustfmt::skip]
pub const STORIES: &[DemoStory] = &[
    DemoStory {
        key: "three_truths",
        title_de: "Drei Wahrheiten: „zugestellt“ in Ffeld, der Fahrer hat niemanden angetroffen",
        title_en: "Three truths: \"delivered\" in Ffeld, the driver found nobody at home",
        order_number: "A-100234",
        tracking_number: "00340434161234567890",
        postcode: "33100",
        email: "katrin.olbrich@example.org",
        locale: Locale::De,
        try_de: Some("Wo ist mein Paket? Laut Sendungsverfolgung zugestellt, aber hier ist nichts. Bestellung A-100234, PLZ 33100."),
        try_en: Some("Where is my parcel? Tracking says delivered but nothing is here. Order A-100234, postcode 33100."),
        contradictions: &[DELIVERED_BUT_DRIVER_REPORTS_FAILURE, DELIVERY_LOCATION_MISMATCH, CUSTOMER_TOLD_OTHERWISE],
        salutation: Some(Salutation::Ms),
    },
    DemoStory {
        key: "cancelled_replacement",
        title_de: "Falscher Artikel: Ersatz storniert und erstattet, kommt trotzdem; Rücksendeetikett nie geschickt",
        title_en: "Wrong item: replacement cancelled and refunded, arrives anyway; return label never sent",
        order_number: "A-100250",
        tracking_number: "00340434169999999999",
        postcode: "33602",
        email: "malte.eickhoff@example.net",
        locale: Locale::De,
        try_de: Some("Mir wurde gesagt, die Ersatzlieferung sei storniert, jetzt ist sie doch da. Und wo bleibt das Rücksendeetikett? Bestellung A-100250, PLZ 33602."),
        try_en: Some("I was told the replacement was cancelled, but it arrived anyway. And where is my return label? Order A-100250, postcode 33602."),
        contradictions: &[SHIPPED_AFTER_CANCELLATION, REFUNDED_AND_DELIVERED, PROMISE_OVERDUE, CUSTOMER_TOLD_OTHERWISE],
        salutation: Some(Salutation::Mr),
    },
    DemoStory {
        key: "english_plain",
        title_de: "Englischsprachige Kundin in Köln: ganz normal zugestellt",
        title_en: "English-speaking customer in Cologne: a plain delivery",
        order_number: "A-100261",
        tracking_number: "81002610261",
        postcode: "50667",
        email: "olivia.hartley@example.com",
        locale: Locale::En,
        try_de: Some("Ist meine Bestellung A-100261 angekommen? PLZ 50667."),
        try_en: Some("Hi, has my order A-100261 arrived? My postcode is 50667."),
        contradictions: &[],
        salutation: Some(Salutation::Ms),
    },
    DemoStory {
        key: "neighbour",
        title_de: "Beim Nachbarn abgegeben – Scan und Fahrer sind sich einig",
        title_en: "Left with a neighbour – scan and driver agree",
        order_number: "A-100272",
        tracking_number: "40100272027201",
        postcode: "80331",
        email: "stefan.reimers@example.org",
        locale: Locale::De,
        try_de: Some("Mein Paket soll beim Nachbarn sein – bei wem genau? Bestellung A-100272, PLZ 80331."),
        try_en: Some("My parcel was left with a neighbour – which one? Order A-100272, postcode 80331."),
        contradictions: &[],
        salutation: Some(Salutation::Mr),
    },
    DemoStory {
        key: "parcel_shop",
        title_de: "Nicht angetroffen, liegt im Paketshop zur Abholung bereit",
        title_en: "Nobody home, waiting at a parcel shop for pick-up",
        order_number: "A-100283",
        tracking_number: "01510028302830",
        postcode: "20095",
        email: "frieda.hanewinkel@example.net",
        locale: Locale::De,
        try_de: Some("Wo kann ich mein Paket abholen und bis wann? Bestellung A-100283, PLZ 20095."),
        try_en: Some("Where can I pick up my parcel, and until when? Order A-100283, postcode 20095."),
        contradictions: &[],
        salutation: Some(Salutation::Ms),
    },
    DemoStory {
        key: "stale",
        title_de: "Seit Tagen kein Scan: Sendung hängt im Paketzentrum",
        title_en: "No scan for days: parcel stuck at a sorting centre",
        order_number: "A-100294",
        tracking_number: "810029402941",
        postcode: "10115",
        email: "hendrik.tewes@example.com",
        locale: Locale::De,
        try_de: Some("Meine Sendung bewegt sich seit Tagen nicht. Bestellung A-100294, PLZ 10115."),
        try_en: Some("My parcel hasn't moved for days. Order A-100294, postcode 10115."),
        contradictions: &[STALE_TRACKING],
        salutation: Some(Salutation::Mr),
    },
];

/// Builds the named stories: their customers, orders, shipments and events.
pub fn build(b: &mut Builder, rng: &mut Rng, reg: &mut Registry) {
    scripts::three_truths(b, rng, reg, &STORIES[0]);
    scripts::cancelled_replacement(b, rng, reg, &STORIES[1]);
    plain::english_plain(b, rng, reg, &STORIES[2]);
    plain::neighbour(b, rng, reg, &STORIES[3]);
    plain::parcel_shop(b, rng, reg, &STORIES[4]);
    plain::stale(b, rng, reg, &STORIES[5]);
}
