//! Demo time: moments as a day relative to the anchor and a minute of the local day in
//! Europe/Berlin, turned into instants with the offset that holds on that date.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Weekday};
use chrono_tz::Europe::Berlin;

/// A local moment: `day` relative to the anchor (0 = the anchor, -1 = the day before),
/// `min` the minute of that day (0..1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At {
    pub day: i64,
    pub min: i64,
}

impl At {
    pub const fn new(day: i64, h: i64, m: i64) -> Self {
        Self {
            day,
            min: h * 60 + m,
        }
    }

    pub fn plus(self, minutes: i64) -> Self {
        let t = self.day * 1440 + self.min + minutes;
        Self {
            day: t.div_euclid(1440),
            min: t.rem_euclid(1440),
        }
    }
}

/// The data end at 09:00 on the anchor day; stories are told from 09:30 on.
pub const CUTOFF: At = At::new(0, 9, 0);

/// The moment the stories are meant to be told: 09:30 on the anchor day.
pub const STORY_TIME: At = At::new(0, 9, 30);

/// Turns demo days into dates and instants.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    pub anchor: NaiveDate,
}

impl Calendar {
    pub fn date(&self, day: i64) -> NaiveDate {
        self.anchor
            .checked_add_signed(Duration::days(day))
            .unwrap_or(self.anchor)
    }

    /// The instant in Europe/Berlin, with the offset of that date (+02:00 in summer,
    /// +01:00 in winter). A time in the spring-forward gap moves on by an hour.
    pub fn instant(&self, at: At) -> DateTime<FixedOffset> {
        let naive = self
            .date(at.day)
            .and_hms_opt((at.min / 60) as u32, (at.min % 60) as u32, 0)
            .unwrap_or_default();
        match Berlin.from_local_datetime(&naive).earliest() {
            Some(t) => t.fixed_offset(),
            None => Berlin
                .from_utc_datetime(&(naive - Duration::hours(1)))
                .fixed_offset(),
        }
    }

    fn weekday(&self, day: i64) -> Weekday {
        self.date(day).weekday()
    }

    /// The first day from `day` on on which parcels are delivered (Monday to Saturday).
    pub fn delivery_day_from(&self, day: i64) -> i64 {
        if self.weekday(day) == Weekday::Sun {
            day + 1
        } else {
            day
        }
    }

    /// The first day from `day` on on which the warehouse ships (Monday to Friday).
    pub fn warehouse_day_from(&self, day: i64) -> i64 {
        match self.weekday(day) {
            Weekday::Sat => day + 2,
            Weekday::Sun => day + 1,
            _ => day,
        }
    }

    /// `dd.mm.yyyy`, as German carriers write dates.
    pub fn german_date(&self, day: i64) -> String {
        self.date(day).format("%d.%m.%Y").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_carry_the_berlin_offset_of_their_date() {
        let summer = Calendar {
            anchor: NaiveDate::from_ymd_opt(2025, 9, 11).unwrap(),
        };
        assert_eq!(
            summer.instant(At::new(0, 6, 48)).to_rfc3339(),
            "2025-09-11T06:48:00+02:00"
        );
        let winter = Calendar {
            anchor: NaiveDate::from_ymd_opt(2025, 12, 3).unwrap(),
        };
        assert_eq!(
            winter.instant(At::new(-1, 23, 5)).to_rfc3339(),
            "2025-12-02T23:05:00+01:00"
        );
        let spring = Calendar {
            anchor: NaiveDate::from_ymd_opt(2025, 3, 30).unwrap(),
        };
        assert_eq!(
            spring.instant(At::new(0, 2, 30)).to_rfc3339(),
            "2025-03-30T03:30:00+02:00"
        );
    }

    #[test]
    fn moments_add_minutes_across_midnight() {
        assert_eq!(At::new(-1, 23, 50).plus(20), At::new(0, 0, 10));
        assert_eq!(At::new(0, 0, 10).plus(-20), At::new(-1, 23, 50));
        assert_eq!(At::new(-1, 9, 0).plus(1440), At::new(0, 9, 0));
    }

    #[test]
    fn sundays_have_no_deliveries_and_weekends_no_dispatch() {
        let c = Calendar {
            anchor: NaiveDate::from_ymd_opt(2025, 9, 11).unwrap(),
        };
        // -4 is Sunday 7 Sep, -5 Saturday 6 Sep.
        assert_eq!(c.delivery_day_from(-4), -3);
        assert_eq!(c.warehouse_day_from(-5), -3);
        assert_eq!(c.german_date(-4), "07.09.2025");
    }
}
