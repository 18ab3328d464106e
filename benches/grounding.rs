//! The grounding check on a typical German contradiction reply (non-ASCII text: „“, –,
//! umlauts, €), with the evidence of one tracked shipment. Every bot reply of every
//! engine goes through it.
//!
//! Run: `cargo bench --bench grounding`.

use criterion::{Criterion, criterion_group, criterion_main};
use verity::assistant::grounding::{Evidence, check};
use verity::domain::Locale;

const REPLY: &str = "Zu Ihrer Sendung 00340434161234567890 (Bestellung A-100234) gibt es zwei \
    Angaben, die sich widersprechen: Laut Scan des Paketdienstes wurde sie am 11.09.2025 um \
    06:48 Uhr „zugestellt“. Der Fahrer meldet dagegen um 06:50 Uhr, dass niemand angetroffen \
    wurde, und plant einen neuen Versuch am 12.09.2025. Welche Angabe stimmt, können wir \
    gerade nicht sicher sagen. Ich kann Ihnen einen Rückruf anbieten – zum Beispiel morgen \
    zwischen 10:00 und 12:00 Uhr. Der Bestellwert beträgt 59,80 € (Lindenstraße 4, 33100 \
    Paderborn).";

fn evidence() -> Evidence {
    let mut e = Evidence::new(chrono_tz::Europe::Berlin);
    e.add_tool_result(&serde_json::json!({
        "order_number": "A-100234", "total": "59.80", "currency": "EUR",
        "shipping_address": {"street": "Lindenstraße 4", "postcode": "33100", "city": "Paderborn"},
        "shipments": [{
            "tracking_number": "00340434161234567890", "status": "delivered", "in_dispute": true,
            "timeline": [
                {"at": "2025-09-11T04:48:00Z", "source": "scan", "status": "delivered"},
                {"at": "2025-09-11T04:50:00Z", "source": "driver", "outcome": "recipient_absent",
                 "next_attempt_on": "2025-09-12"}
            ]
        }],
        "callback_slots": [{"start": "2025-09-12T08:00:00Z", "end": "2025-09-12T10:00:00Z"}]
    }));
    e.add_customer_text("Mein Paket ist nicht da, obwohl es zugestellt sein soll.");
    e
}

fn bench(c: &mut Criterion) {
    let e = evidence();
    let verdict = check(REPLY, &e, Locale::De);
    assert!(
        verdict.passed,
        "the reply is grounded: {}",
        verdict.reasons()
    );
    c.bench_function("grounding check, German contradiction reply", |b| {
        b.iter(|| check(std::hint::black_box(REPLY), &e, Locale::De))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
