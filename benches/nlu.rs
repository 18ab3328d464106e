//! The offline engine's understanding of one message (`nlu::understand`: tokens,
//! entities, intents with typo tolerance, language), on the messages of the chat load
//! benchmark and a few longer, colloquial ones. Every text turn of every channel runs it.
//!
//! Run: `cargo bench --bench nlu`.

use criterion::{Criterion, criterion_group, criterion_main};
use verity::assistant::nlu::{self, Intent, NluContext};
use verity::domain::Locale;

const MESSAGES: &[&str] = &[
    "A-100234 33100",
    "Wo ist mein Paket?",
    "Danke!",
    "Wie lange dauert die Lieferung?",
    "Ich möchte einen Rückruf",
    "nein",
    "Hallo, laut Trackng wurde mein Paket heute morgen zugestelt, aber hier ist nix angekommen!!",
    "I ordered a blue jacket but recieved a red one, can I get a replacment or my money back?",
    "A-1002 33100, wo bleibt das? und die andere Bestellung?",
];

fn bench(c: &mut Criterion) {
    let ctx = NluContext {
        language: Some(Locale::De),
        today: chrono::NaiveDate::from_ymd_opt(2025, 9, 11).expect("a date"),
        expecting: None,
    };
    let u = nlu::understand(MESSAGES[1], &ctx);
    assert_eq!(u.intents.first(), Some(&Intent::WhereIsMyParcel));
    c.bench_function("nlu, the chat load's six messages", |b| {
        b.iter(|| {
            for m in &MESSAGES[..6] {
                std::hint::black_box(nlu::understand(std::hint::black_box(m), &ctx));
            }
        })
    });
    c.bench_function("nlu, three long colloquial messages", |b| {
        b.iter(|| {
            for m in &MESSAGES[6..] {
                std::hint::black_box(nlu::understand(std::hint::black_box(m), &ctx));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
