//! Dates and times as customers read them: in the policy's time zone, in the locale's
//! format (de `11.09.2025, 06:48 Uhr`, en `11 Sep 2025, 06:48`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::Locale;

/// An instant, e.g. `11.09.2025, 06:48 Uhr` (de) or `11 Sep 2025, 06:48` (en).
pub fn datetime(at: DateTime<Utc>, tz: Tz, locale: Locale) -> String {
    let local = at.with_timezone(&tz);
    match locale {
        Locale::De => local.format("%d.%m.%Y, %H:%M Uhr").to_string(),
        Locale::En => local.format("%-d %b %Y, %H:%M").to_string(),
    }
}

/// A day, e.g. `12.09.2025` (de) or `12 Sep 2025` (en).
pub fn date(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::De => d.format("%d.%m.%Y").to_string(),
        Locale::En => d.format("%-d %b %Y").to_string(),
    }
}

/// A time of day, e.g. `14:00` (both locales).
pub fn time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_berlin_time_in_each_locales_format() {
        let at = DateTime::parse_from_rfc3339("2025-09-11T04:48:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(datetime(at, tz, Locale::De), "11.09.2025, 06:48 Uhr");
        assert_eq!(datetime(at, tz, Locale::En), "11 Sep 2025, 06:48");
        let winter = DateTime::parse_from_rfc3339("2025-01-02T04:48:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime(winter, tz, Locale::En), "2 Jan 2025, 05:48");
        let d = NaiveDate::from_ymd_opt(2025, 9, 2).unwrap();
        assert_eq!(date(d, Locale::De), "02.09.2025");
        assert_eq!(date(d, Locale::En), "2 Sep 2025");
    }
}
