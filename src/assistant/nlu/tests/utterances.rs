//! The utterance table's harness: each case is a message with what must be understood.
//! Unlisted entity kinds and flags must be empty / false, so a stray postcode or a false
//! injection alarm fails the case. The cases themselves are in `table_de.rs` and
//! `table_en.rs`.
//!
//! A case marked `.gap("why")` is a known weakness: it is reported, and it must still
//! fail — when it starts passing, the mark has to go, so the table never lies.

use chrono::{NaiveDate, NaiveTime};

use crate::assistant::nlu::{
    Detail, Expectation, Intent, NluContext, TimeMention, Topic, Unable, Understanding, understand,
};
use crate::domain::{Carrier, Locale};

/// The date every case is understood on: Thursday, 11 September 2025.
pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 11).expect("valid date")
}

pub(super) fn q(topic: Topic) -> Intent {
    Intent::GeneralQuestion { topic }
}

/// A question about one detail of the order in focus.
pub(super) fn d(detail: Detail) -> Intent {
    Intent::Detail { detail }
}

/// A request Verity cannot do here.
pub(super) fn no(what: Unable) -> Intent {
    Intent::CannotDo { what }
}

/// Start hour and minute, and the end of a window.
type TimeRow = (u32, u32, Option<(u32, u32)>);

/// One row of the table.
#[derive(Clone, Debug, Default)]
pub(super) struct Case {
    text: &'static str,
    lang: Option<Locale>,
    confident: Option<bool>,
    intents: Vec<Intent>,
    absent: Vec<Intent>,
    orders: Vec<&'static str>,
    tracking: Vec<(&'static str, Option<Carrier>)>,
    postcodes: Vec<&'static str>,
    emails: Vec<&'static str>,
    phones: Vec<&'static str>,
    dates: Vec<(u32, u32)>,
    times: Vec<TimeRow>,
    refers_back: bool,
    refers_other: bool,
    injection: bool,
    all_others: bool,
    hesitant: bool,
    doubtful_report: bool,
    ctx_lang: Option<Locale>,
    expecting: Option<Expectation>,
    gap: Option<&'static str>,
}

/// A German message whose intents must start with `intents`.
pub(super) fn de(text: &'static str, intents: &[Intent]) -> Case {
    Case {
        text,
        lang: Some(Locale::De),
        intents: intents.to_vec(),
        ..Case::default()
    }
}

/// An English message whose intents must start with `intents`.
pub(super) fn en(text: &'static str, intents: &[Intent]) -> Case {
    Case {
        text,
        lang: Some(Locale::En),
        intents: intents.to_vec(),
        ..Case::default()
    }
}

impl Case {
    pub fn not(mut self, intents: &[Intent]) -> Self {
        self.absent = intents.to_vec();
        self
    }
    pub fn orders(mut self, v: &[&'static str]) -> Self {
        self.orders = v.to_vec();
        self
    }
    pub fn tracking(mut self, value: &'static str, carrier: Option<Carrier>) -> Self {
        self.tracking.push((value, carrier));
        self
    }
    pub fn postcodes(mut self, v: &[&'static str]) -> Self {
        self.postcodes = v.to_vec();
        self
    }
    pub fn emails(mut self, v: &[&'static str]) -> Self {
        self.emails = v.to_vec();
        self
    }
    pub fn phones(mut self, v: &[&'static str]) -> Self {
        self.phones = v.to_vec();
        self
    }
    /// Month and day in 2025.
    pub fn dates(mut self, v: &[(u32, u32)]) -> Self {
        self.dates = v.to_vec();
        self
    }
    pub fn at(mut self, h: u32, m: u32) -> Self {
        self.times.push((h, m, None));
        self
    }
    pub fn window(mut self, from: u32, to: u32) -> Self {
        self.times.push((from, 0, Some((to, 0))));
        self
    }
    pub fn back(mut self) -> Self {
        self.refers_back = true;
        self
    }
    pub fn other(mut self) -> Self {
        self.refers_other = true;
        self
    }
    pub fn injection(mut self) -> Self {
        self.injection = true;
        self
    }
    /// "und die anderen beiden?": every other order (which is also "another").
    pub fn all_others(mut self) -> Self {
        self.all_others = true;
        self.refers_other = true;
        self
    }
    /// A hesitant answer: neither yes nor no.
    pub fn hesitant(mut self) -> Self {
        self.hesitant = true;
        self
    }
    /// A report that may not be about the order: asked about before it is recorded.
    pub fn doubtful_report(mut self) -> Self {
        self.doubtful_report = true;
        self
    }
    pub fn unsure(mut self) -> Self {
        self.confident = Some(false);
        self
    }
    pub fn sure(mut self) -> Self {
        self.confident = Some(true);
        self
    }
    /// The conversation so far was in this language.
    pub fn after(mut self, lang: Locale) -> Self {
        self.ctx_lang = Some(lang);
        self
    }
    /// The language to answer in differs from the one written ("auf Englisch bitte").
    pub fn answer_in(mut self, lang: Locale) -> Self {
        self.lang = Some(lang);
        self
    }
    pub fn expecting(mut self, e: Expectation) -> Self {
        self.expecting = Some(e);
        self
    }
    pub fn gap(mut self, why: &'static str) -> Self {
        self.gap = Some(why);
        self
    }

    fn understand(&self) -> Understanding {
        let ctx = NluContext {
            language: self.ctx_lang,
            today: today(),
            expecting: self.expecting,
        };
        understand(self.text, &ctx)
    }

    /// What is wrong with the understanding of this case; empty when all is right.
    pub fn problems(&self) -> Vec<String> {
        let u = self.understand();
        let mut p = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                p.push(what);
            }
        };
        check(
            Some(u.language) == self.lang,
            format!("language {:?}", u.language),
        );
        if let Some(c) = self.confident {
            check(
                u.language_confident == c,
                format!("language_confident {}", u.language_confident),
            );
        }
        check(
            u.intents.first() == self.intents.first(),
            format!("main intent {:?}", u.intents),
        );
        for i in &self.intents {
            check(
                u.intents.contains(i),
                format!("missing {i:?} in {:?}", u.intents),
            );
        }
        for i in &self.absent {
            check(
                !u.intents.contains(i),
                format!("unwanted {i:?} in {:?}", u.intents),
            );
        }
        let e = &u.entities;
        let orders: Vec<_> = e.order_numbers.iter().map(|o| o.as_str()).collect();
        check(orders == self.orders, format!("orders {orders:?}"));
        let tracking: Vec<_> = e
            .tracking_numbers
            .iter()
            .map(|t| (t.value.as_str(), t.carrier_guess))
            .collect();
        check(tracking == self.tracking, format!("tracking {tracking:?}"));
        check(
            e.postcodes == self.postcodes,
            format!("postcodes {:?}", e.postcodes),
        );
        check(e.emails == self.emails, format!("emails {:?}", e.emails));
        check(e.phones == self.phones, format!("phones {:?}", e.phones));
        let dates: Vec<_> = self
            .dates
            .iter()
            .filter_map(|(m, d)| NaiveDate::from_ymd_opt(2025, *m, *d))
            .collect();
        check(e.dates == dates, format!("dates {:?}", e.dates));
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        let times: Vec<_> = self
            .times
            .iter()
            .map(|(h, m, end)| TimeMention {
                start: hm(*h, *m),
                end: end.map(|(h, m)| hm(h, m)),
            })
            .collect();
        check(e.times == times, format!("times {:?}", e.times));
        check(
            u.refers_back == self.refers_back,
            format!("refers_back {}", u.refers_back),
        );
        check(
            u.refers_to_other == self.refers_other,
            format!("refers_to_other {}", u.refers_to_other),
        );
        check(
            u.injection_suspected == self.injection,
            format!("injection_suspected {}", u.injection_suspected),
        );
        check(
            u.refers_to_all_others == self.all_others,
            format!("refers_to_all_others {}", u.refers_to_all_others),
        );
        check(
            u.hesitant == self.hesitant,
            format!("hesitant {}", u.hesitant),
        );
        check(
            u.report_unsure == self.doubtful_report,
            format!("report_unsure {}", u.report_unsure),
        );
        p
    }
}

fn all_cases() -> Vec<Case> {
    let mut cases = super::table_de::cases();
    cases.extend(super::table_en::cases());
    cases.extend(super::table_dialogue::cases());
    cases
}

#[test]
fn the_table_has_at_least_150_utterances_about_half_in_each_language() {
    let cases = all_cases();
    let de = cases.iter().filter(|c| c.lang == Some(Locale::De)).count();
    let en = cases.iter().filter(|c| c.lang == Some(Locale::En)).count();
    assert!(cases.len() >= 150, "{} cases", cases.len());
    assert!(de >= 70 && en >= 70, "{de} German, {en} English");
}

#[test]
fn every_utterance_in_the_table_is_understood_as_written_down() {
    let cases = all_cases();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    for case in &cases {
        let problems = case.problems();
        match (case.gap, problems.is_empty()) {
            (None, true) => {}
            (None, false) => failures.push(format!("{:?}: {}", case.text, problems.join("; "))),
            (Some(why), false) => gaps.push(format!("{:?} ({why})", case.text)),
            (Some(_), true) => {
                failures.push(format!("{:?} passes now: remove its gap mark", case.text))
            }
        }
    }
    let passed = cases.len() - failures.len() - gaps.len();
    println!(
        "{passed}/{} utterances understood; known gaps:\n  {}",
        cases.len(),
        gaps.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
