//! Callback slots: fixed-length windows inside the business hours of the policy's time
//! zone, the earliest starting some time after now.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::super::policy::Policy;
use super::super::reconcile::local_date;

/// One callback window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The next callback slots (at most `callback_slots_offered`), in business hours in
/// the policy's time zone, starting no earlier than `callback_earliest_after_hours`
/// from `now`, searched `callback_horizon_days` ahead.
pub fn callback_slots(now: DateTime<Utc>, policy: &Policy) -> Vec<Slot> {
    let tz = policy.time_zone;
    let earliest = now + Policy::hours(policy.callback_earliest_after_hours);
    let len = Policy::hours(policy.callback_slot_hours);
    let to_utc = |t: NaiveDateTime| {
        t.and_local_timezone(tz)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
    };
    let mut out = Vec::new();
    let mut day = local_date(now, policy);
    for _ in 0..policy.callback_horizon_days {
        if let Some(h) = policy.business_hours.on(chrono::Datelike::weekday(&day)) {
            let close = day.and_time(h.close);
            let mut t = day.and_time(h.open);
            while t + len <= close {
                if let (Some(start), Some(end)) = (to_utc(t), to_utc(t + len))
                    && start >= earliest
                {
                    out.push(Slot { start, end });
                    if out.len() >= policy.callback_slots_offered {
                        return out;
                    }
                }
                t += len;
            }
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn local(slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.start
                        .with_timezone(&chrono_tz::Europe::Berlin)
                        .format("%a %H:%M"),
                    s.end
                        .with_timezone(&chrono_tz::Europe::Berlin)
                        .format("%H:%M")
                )
            })
            .collect()
    }

    #[test]
    fn slots_start_at_least_an_hour_from_now_on_the_business_hours_grid() {
        // Thursday 11 Sep 2025, 09:30 in Berlin.
        let s = callback_slots(at("2025-09-11T09:30:00+02:00"), &Policy::default());
        assert_eq!(
            local(&s),
            ["Thu 12:00 14:00", "Thu 14:00 16:00", "Thu 16:00 18:00"]
        );
    }

    #[test]
    fn after_friday_closing_the_next_slots_are_on_saturday_morning_then_monday() {
        let s = callback_slots(at("2025-09-12T17:30:00+02:00"), &Policy::default());
        assert_eq!(
            local(&s),
            ["Sat 09:00 11:00", "Sat 11:00 13:00", "Mon 08:00 10:00"]
        );
    }

    #[test]
    fn a_policy_without_business_hours_offers_no_slot() {
        let p = Policy::from_toml_str(
            "[business_hours]\nmon=\"closed\"\ntue=\"closed\"\nwed=\"closed\"\nthu=\"closed\"\nfri=\"closed\"\nsat=\"closed\"\n",
        )
        .unwrap();
        assert!(callback_slots(at("2025-09-11T09:30:00+02:00"), &p).is_empty());
    }
}
