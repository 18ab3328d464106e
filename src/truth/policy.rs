//! The shop's policy: thresholds for reconciliation and the rules for remedies, read
//! from `policy.toml` (every key optional; the defaults suit a German web shop).

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::domain::Money;

/// Everything reconciliation and the remedy decisions may depend on besides the
/// events. Built once at start-up; `Default` is the documented defaults (the same
/// values as the example `policy.toml` at the repository root).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Time zone of business hours, callback slots and every date shown to customers.
    #[serde(deserialize_with = "de_tz")]
    pub time_zone: Tz,
    /// Opening hours per weekday (when callbacks can happen).
    pub business_hours: BusinessHours,
    /// Length of one callback slot, in hours.
    pub callback_slot_hours: u32,
    /// How many callback slots are offered at most.
    pub callback_slots_offered: usize,
    /// The earliest slot starts at least this many hours from now.
    pub callback_earliest_after_hours: u32,
    /// How far ahead callback slots are searched, in days.
    pub callback_horizon_days: u32,
    /// A delivered scan further than this from the driver's reported position of the
    /// same delivery is a `delivery_location_mismatch`.
    pub delivery_location_max_distance_m: f64,
    /// A delivered scan and a driver report within this many hours of each other are
    /// about the same delivery.
    pub same_delivery_window_hours: u32,
    /// No scan for longer than this, while not in a final state, is `stale_tracking`.
    pub stale_tracking_hours: u32,
    /// A driver's delivery report that no delivered/parcel-shop scan confirms after this
    /// many hours is `driver_delivered_without_scan`.
    pub scan_confirmation_grace_hours: u32,
    /// A delivery this many hours (or less) before a refund still counts as "delivered
    /// around the refund" for `refunded_and_delivered`.
    pub refund_delivery_overlap_hours: u32,
    /// Working days (Monday to Saturday) a parcel shop keeps a parcel for pick-up.
    pub pickup_hold_working_days: u32,
    /// The highest value (in the order's currency) of the items a replacement may cover.
    #[serde(deserialize_with = "de_money")]
    pub replacement_max_value: Money,
    /// How many replacements one order may get (created ones count, even if cancelled).
    pub max_replacements_per_order: u32,
    /// No replacement or redelivery while the driver's next attempt is still ahead.
    pub wait_for_next_attempt: bool,
    /// `[notices]`: what Verity tells people first, and when.
    pub notices: super::notices::NoticePolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            time_zone: chrono_tz::Europe::Berlin,
            business_hours: BusinessHours::default(),
            callback_slot_hours: 2,
            callback_slots_offered: 3,
            callback_earliest_after_hours: 1,
            callback_horizon_days: 14,
            delivery_location_max_distance_m: 1000.0,
            same_delivery_window_hours: 12,
            stale_tracking_hours: 72,
            scan_confirmation_grace_hours: 6,
            refund_delivery_overlap_hours: 24,
            pickup_hold_working_days: 7,
            replacement_max_value: Money(15_000),
            max_replacements_per_order: 1,
            wait_for_next_attempt: true,
            notices: super::notices::NoticePolicy::default(),
        }
    }
}

impl Policy {
    /// Parses `policy.toml`. Missing keys take their defaults; unknown keys and values
    /// that make no sense (a slot of 0 hours, closing before opening) are refused with
    /// a message that names the key.
    pub fn from_toml_str(s: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(s).map_err(|e| format!("policy.toml: {e}"))?;
        p.check().map_err(|e| format!("policy.toml: {e}"))?;
        Ok(p)
    }

    fn check(&self) -> Result<(), String> {
        if self.callback_slot_hours == 0 {
            return Err("callback_slot_hours: must be at least 1".into());
        }
        if self.callback_slots_offered == 0 {
            return Err("callback_slots_offered: must be at least 1".into());
        }
        if self.callback_horizon_days == 0 {
            return Err("callback_horizon_days: must be at least 1".into());
        }
        if !(self.delivery_location_max_distance_m.is_finite()
            && self.delivery_location_max_distance_m > 0.0)
        {
            return Err("delivery_location_max_distance_m: must be a positive number".into());
        }
        if self.same_delivery_window_hours == 0 {
            return Err("same_delivery_window_hours: must be at least 1".into());
        }
        if self.stale_tracking_hours == 0 {
            return Err("stale_tracking_hours: must be at least 1".into());
        }
        Ok(())
    }

    /// `hours` as a chrono duration.
    pub(crate) fn hours(hours: u32) -> chrono::TimeDelta {
        chrono::TimeDelta::hours(i64::from(hours))
    }
}

/// Opening hours `[open, close)` per weekday; `None` is closed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessHours {
    #[serde(deserialize_with = "de_hours")]
    pub mon: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub tue: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub wed: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub thu: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub fri: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub sat: Option<OpeningHours>,
    #[serde(deserialize_with = "de_hours")]
    pub sun: Option<OpeningHours>,
}

impl Default for BusinessHours {
    fn default() -> Self {
        let h = |o: u32, c: u32| {
            Some(OpeningHours {
                open: NaiveTime::from_hms_opt(o, 0, 0).unwrap_or(NaiveTime::MIN),
                close: NaiveTime::from_hms_opt(c, 0, 0).unwrap_or(NaiveTime::MIN),
            })
        };
        Self {
            mon: h(8, 18),
            tue: h(8, 18),
            wed: h(8, 18),
            thu: h(8, 18),
            fri: h(8, 18),
            sat: h(9, 13),
            sun: None,
        }
    }
}

impl BusinessHours {
    /// The hours of a weekday, `None` when closed.
    pub fn on(&self, day: Weekday) -> Option<OpeningHours> {
        match day {
            Weekday::Mon => self.mon,
            Weekday::Tue => self.tue,
            Weekday::Wed => self.wed,
            Weekday::Thu => self.thu,
            Weekday::Fri => self.fri,
            Weekday::Sat => self.sat,
            Weekday::Sun => self.sun,
        }
    }
}

/// One day's opening hours, local time in the policy's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpeningHours {
    pub open: NaiveTime,
    pub close: NaiveTime,
}

impl OpeningHours {
    /// Parses `"08:00-18:00"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad =
            || format!("expected opening hours like \"08:00-18:00\" or \"closed\", got {s:?}");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        let (open, close) = (t(a)?, t(b)?);
        if close <= open {
            return Err(format!(
                "closing time must be after opening time, got {s:?}"
            ));
        }
        Ok(Self { open, close })
    }
}

fn de_hours<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OpeningHours>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    OpeningHours::parse(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_tz<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.trim().parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown time zone {s:?}; expected an IANA name such as \"Europe/Berlin\""
        ))
    })
}

fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    let s = String::deserialize(d)?;
    Money::parse(&s).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../policy.toml");

    #[test]
    fn the_example_policy_file_parses_to_exactly_the_defaults() {
        assert_eq!(Policy::from_toml_str(EXAMPLE).unwrap(), Policy::default());
    }

    #[test]
    fn the_example_policy_file_names_every_key_with_a_comment() {
        let keys = [
            "time_zone",
            "callback_slot_hours",
            "callback_slots_offered",
            "callback_earliest_after_hours",
            "callback_horizon_days",
            "delivery_location_max_distance_m",
            "same_delivery_window_hours",
            "stale_tracking_hours",
            "scan_confirmation_grace_hours",
            "refund_delivery_overlap_hours",
            "pickup_hold_working_days",
            "replacement_max_value",
            "max_replacements_per_order",
            "wait_for_next_attempt",
            "mon",
            "tue",
            "wed",
            "thu",
            "fri",
            "sat",
            "sun",
            "enabled",
            "quiet_hours",
            "max_per_person_per_day",
            "max_order_age_days",
            "link_valid_days",
            "sweep_window_days",
            "customer_disputes_delivery",
        ];
        let lines: Vec<&str> = EXAMPLE.lines().collect();
        for key in keys {
            let i = lines
                .iter()
                .position(|l| l.starts_with(&format!("{key} =")))
                .unwrap_or_else(|| panic!("{key} missing"));
            assert!(
                i > 0 && lines[i - 1].trim_start().starts_with('#'),
                "{key} has no comment above it"
            );
        }
    }

    #[test]
    fn an_empty_policy_is_the_default_policy() {
        assert_eq!(Policy::from_toml_str("").unwrap(), Policy::default());
    }

    #[test]
    fn keys_override_the_defaults() {
        let p = Policy::from_toml_str(
            "time_zone = \"Europe/Vienna\"\nreplacement_max_value = \"99.5\"\n[business_hours]\nsat = \"closed\"\n",
        )
        .unwrap();
        assert_eq!(p.time_zone, chrono_tz::Europe::Vienna);
        assert_eq!(p.replacement_max_value, Money(9950));
        assert_eq!(p.business_hours.sat, None);
        assert_eq!(p.business_hours.mon, BusinessHours::default().mon);
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = Policy::from_toml_str("stale_hours = 3\n").unwrap_err();
        assert!(e.contains("stale_hours"), "{e}");
        let e = Policy::from_toml_str("[business_hours]\nmonday = \"08:00-18:00\"\n").unwrap_err();
        assert!(e.contains("monday"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_with_a_readable_reason() {
        let e = Policy::from_toml_str("time_zone = \"Mars/Olympus\"\n").unwrap_err();
        assert!(e.contains("unknown time zone \"Mars/Olympus\""), "{e}");
        let e = Policy::from_toml_str("[business_hours]\nmon = \"18:00-08:00\"\n").unwrap_err();
        assert!(e.contains("closing time must be after opening time"), "{e}");
        let e = Policy::from_toml_str("replacement_max_value = \"150,00\"\n").unwrap_err();
        assert!(e.contains("expected an amount"), "{e}");
        let e = Policy::from_toml_str("callback_slot_hours = 0\n").unwrap_err();
        assert!(e.contains("callback_slot_hours: must be at least 1"), "{e}");
        let e = Policy::from_toml_str("stale_tracking_hours = \"3\"\n").unwrap_err();
        assert!(e.contains("stale_tracking_hours"), "{e}");
    }
}
