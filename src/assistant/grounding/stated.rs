//! The plain values a text states — times of day, dates, postcodes, amounts — read with
//! the check's own extractors, for readers outside the check: the eval runner reads
//! from a delivered reply which facts it presents.

use chrono::{NaiveDate, NaiveTime, Timelike};

use super::claims::{self, DateClaim, Fact, Opts};
use crate::domain::Locale;

/// What a text states, by kind.
#[derive(Clone, Debug, Default)]
pub struct Stated {
    times: Vec<NaiveTime>,
    dates: Vec<DateClaim>,
    postcodes: Vec<String>,
    amounts: Vec<i64>,
}

impl Stated {
    /// Reads `text` as a reply in `locale` is read by the check.
    pub fn read(text: &str, locale: Locale) -> Self {
        let mut s = Stated::default();
        for f in claims::extract(text, Opts::for_locale(locale)) {
            match f.fact {
                Fact::Time(t) => s.times.extend(t.times()),
                Fact::Date(d) => s.dates.push(d),
                Fact::Postcode(p) => s.postcodes.push(p),
                Fact::Address(a) => s.postcodes.push(a.postcode),
                Fact::Amount(cents, _) => s.amounts.push(cents),
                Fact::Id(_) | Fact::Status(_) => {}
            }
        }
        s
    }

    /// Whether the text states this time of day (to the minute).
    pub fn time(&self, t: NaiveTime) -> bool {
        let minute = |t: NaiveTime| (t.hour(), t.minute());
        self.times.iter().any(|x| minute(*x) == minute(t))
    }

    /// Whether the text states this day (a date written without its year counts).
    pub fn date(&self, d: NaiveDate) -> bool {
        self.dates.iter().any(|x| x.matches(d))
    }

    pub fn postcode(&self, p: &str) -> bool {
        self.postcodes.iter().any(|x| x == p)
    }

    pub fn amount(&self, cents: i64) -> bool {
        self.amounts.contains(&cents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_values_of_a_reply_are_read_in_either_language() {
        let de = Stated::read(
            "Scan von DHL, 11.09.2025, 06:48 Uhr: „zugestellt“ in Ffeld (PLZ 33154); 49,90 €.",
            Locale::De,
        );
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let d = |m, dd| NaiveDate::from_ymd_opt(2025, m, dd).unwrap();
        assert!(de.time(t(6, 48)) && !de.time(t(6, 51)));
        assert!(de.date(d(9, 11)) && !de.date(d(9, 12)));
        assert!(de.postcode("33154") && !de.postcode("33100"));
        assert!(de.amount(4990));
        let en = Stated::read("The driver came on 12 Sep at 6:51 am.", Locale::En);
        assert!(en.time(t(6, 51)) && en.date(d(9, 12)));
        assert!(!Stated::read("Danke!", Locale::De).time(t(6, 48)));
    }
}
