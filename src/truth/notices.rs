//! The rules for notices (what Verity tells a person first when a contradiction opens):
//! which codes are told, quiet hours, the daily cap, the age limit, and the fingerprint
//! that makes one story one notice. Pure: `now` is a parameter.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use super::view::{Contradiction, ContradictionCode, OrderView};
use crate::domain::{ContactRole, Locale};

/// `[notices]` in `policy.toml`; every key optional.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticePolicy {
    /// Whether notices are sent at all.
    pub enabled: bool,
    /// Per contradiction code, whether a notice is sent (codes not named: sent). The
    /// default names `customer_disputes_delivery` off (the customer said it themselves).
    #[serde(deserialize_with = "de_codes")]
    pub codes: BTreeMap<ContradictionCode, bool>,
    /// Local hours (the policy's time zone) in which no notice leaves; one waits until
    /// the end. `None`: any time.
    #[serde(deserialize_with = "de_quiet")]
    pub quiet_hours: Option<QuietHours>,
    /// At most this many notices to one person in 24 hours; the others are suppressed.
    pub max_per_person_per_day: u32,
    /// No notices about orders placed longer ago than this many days.
    pub max_order_age_days: u32,
    /// How long the order page link in a notice stays valid, in days.
    pub link_valid_days: u32,
    /// The time sweep re-reconciles orders placed within this many days (where tracking
    /// can go stale and promises fall due without new data).
    pub sweep_window_days: u32,
    /// The roles of an order's contacts that are told too (the customer always is).
    pub roles: Vec<ContactRole>,
    /// The approved WhatsApp template for notices outside the 24-hour window
    /// (`VERITY_WHATSAPP_NOTICE_TEMPLATE`, not `policy.toml`); `None`: email instead.
    #[serde(skip)]
    pub whatsapp_template: Option<WhatsAppTemplate>,
}

/// An approved WhatsApp message template (Cloud API `type: "template"`) whose body takes
/// two text parameters: the order number and a short summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhatsAppTemplate {
    pub name: String,
    /// The template's language code per locale (`VERITY_WHATSAPP_NOTICE_TEMPLATE_LANGUAGES`,
    /// `de=de,en=en_US`); a locale not named uses its own code (`de`, `en`).
    pub languages: Vec<(Locale, String)>,
}

impl WhatsAppTemplate {
    /// Parses the template name and the language list (`de=de,en=en_US`).
    pub fn parse(name: &str, languages: Option<&str>) -> Result<Self, String> {
        let mut out = Vec::new();
        for pair in languages
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            let (l, code) = pair.split_once('=').ok_or_else(|| {
                format!("expected locale=code pairs like \"de=de,en=en_US\", got {pair:?}")
            })?;
            let code = code.trim();
            if code.is_empty() {
                return Err(format!("an empty template language for {l:?}"));
            }
            out.push((Locale::parse(l.trim())?, code.to_string()));
        }
        Ok(Self {
            name: name.trim().to_string(),
            languages: out,
        })
    }

    /// The template language for a person's locale.
    pub fn language(&self, locale: Locale) -> &str {
        self.languages
            .iter()
            .find(|(l, _)| *l == locale)
            .map_or(locale.as_str(), |(_, c)| c.as_str())
    }
}

impl Default for NoticePolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            codes: BTreeMap::from([(ContradictionCode::CustomerDisputesDelivery, false)]),
            quiet_hours: Some(QuietHours {
                from: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
                until: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            }),
            max_per_person_per_day: 3,
            max_order_age_days: 90,
            link_valid_days: 14,
            sweep_window_days: 21,
            roles: vec![
                ContactRole::Orderer,
                ContactRole::Recipient,
                ContactRole::Stakeholder,
            ],
            whatsapp_template: None,
        }
    }
}

/// Quiet hours `[from, until)`, local time; may span midnight ("21:00-08:00").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

impl QuietHours {
    /// Parses `"21:00-08:00"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("expected quiet hours like \"21:00-08:00\" or \"none\", got {s:?}");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        let (from, until) = (t(a)?, t(b)?);
        if from == until {
            return Err(format!("quiet hours must not be empty, got {s:?}"));
        }
        Ok(Self { from, until })
    }

    fn contains(&self, t: NaiveTime) -> bool {
        if self.from < self.until {
            self.from <= t && t < self.until
        } else {
            t >= self.from || t < self.until
        }
    }
}

impl NoticePolicy {
    /// Whether a contradiction of this code is told to the people of its order.
    pub fn tells(&self, code: ContradictionCode) -> bool {
        self.enabled && self.codes.get(&code).copied().unwrap_or(true)
    }

    /// When a notice decided at `now` may leave: `now`, or the end of the quiet hours
    /// in `tz` when `now` falls in them.
    pub fn send_after(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let Some(q) = self.quiet_hours else {
            return now;
        };
        let local = now.with_timezone(&tz);
        if !q.contains(local.time()) {
            return now;
        }
        let mut day = local.date_naive();
        if q.from >= q.until && local.time() >= q.from {
            day = day.succ_opt().unwrap_or(day);
        }
        // A local time that does not exist (a DST gap) moves on by an hour.
        let end = day.and_time(q.until);
        tz.from_local_datetime(&end)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(end + TimeDelta::hours(1)))
                    .earliest()
            })
            .map_or(now, |t| t.with_timezone(&Utc))
    }

    /// Whether an order placed at `placed` is too old for notices at `now`.
    pub fn too_old(&self, placed: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - placed > TimeDelta::days(i64::from(self.max_order_age_days))
    }
}

/// What makes a contradiction the same story: its code, its shipment and its evidence
/// (sorted), hashed. New evidence (a second failed scan, a new report) is a new story.
pub fn fingerprint(c: &Contradiction) -> String {
    let mut ids: Vec<&str> = c.evidence.iter().map(|e| e.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut h = Sha256::new();
    h.update(c.code.as_str());
    h.update([0]);
    h.update(c.tracking_number.as_ref().map_or("", |t| t.as_str()));
    for id in ids {
        h.update([0]);
        h.update(id);
    }
    hex::encode(h.finalize())
}

/// Whether an order's truth can change with time alone, so that the sweep must look at
/// it again: a shipment not in a final state (its tracking can go stale, a redelivery
/// day can pass) or a return label promised and not issued (it can fall due).
pub fn changes_with_time(view: &OrderView) -> bool {
    view.shipments.iter().any(|s| !s.status.is_final())
        || (view.order_state.return_label_promised && !view.order_state.return_label_issued)
}

/// How long the sweep leaves a watched order unlooked at, at least: a safety net under
/// [`next_change`], whose instants are the rules' own. Each order adds a share of it
/// again by its number, so that orders decided together do not all come due at once.
pub const RECHECK_AT_LEAST_EVERY: TimeDelta = TimeDelta::hours(1);

/// When the truth of a watched order can next change with time alone, so that the
/// sweep looks at it then and not before: the earliest instant after `now` at which a
/// rule that depends on the clock can turn (tracking goes stale 72 h after the last
/// scan, or after the pick-up deadline or a redelivery day; a driver's "delivered"
/// waits for its scan until a grace time; a promised return label falls due), and
/// never later than twice [`RECHECK_AT_LEAST_EVERY`] from now. `events` are the order's.
pub fn next_change(
    view: &OrderView,
    events: &[crate::domain::Event],
    policy: &super::Policy,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    use super::view::NextStep;
    use crate::domain::{EventBody, OrderEventKind};
    let stale = super::Policy::hours(policy.stale_tracking_hours);
    let day_after = |d: chrono::NaiveDate| {
        d.succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| d.and_local_timezone(policy.time_zone).earliest())
            .map(|d| d.with_timezone(&Utc))
    };
    // FNV-1a of the order number: a spread that is the same on every instance.
    let spread = view
        .order
        .number
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let share = RECHECK_AT_LEAST_EVERY.num_milliseconds().unsigned_abs();
    let mut at = now
        + RECHECK_AT_LEAST_EVERY
        + TimeDelta::milliseconds(i64::try_from(spread % share).unwrap_or(0));
    // A rule turns just after its instant ("more than 72 hours", "past the due time").
    let mut consider = |t: Option<DateTime<Utc>>| {
        if let Some(t) = t.map(|t| t + TimeDelta::milliseconds(1))
            && t > now
            && t < at
        {
            at = t;
        }
    };
    for s in &view.shipments {
        if !s.status.is_final() {
            consider(s.last_scan_at.map(|t| t + stale));
        }
        for n in &s.next {
            match n {
                NextStep::NextAttempt { on, .. } => consider(day_after(*on)),
                NextStep::AwaitingScan { until, .. } => consider(Some(*until)),
                NextStep::Pickup { until, .. } => {
                    consider(day_after(*until));
                    consider(day_after(*until).map(|t| t + stale));
                }
            }
        }
    }
    for e in events {
        if let EventBody::OrderEvent(o) = &e.body
            && let OrderEventKind::ReturnLabelPromised { due_by: Some(due) } = &o.kind
        {
            consider(Some(due.with_timezone(&Utc)));
        }
    }
    at
}

fn de_codes<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<ContradictionCode, bool>, D::Error> {
    let raw = BTreeMap::<String, bool>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            ContradictionCode::ALL
                .into_iter()
                .find(|c| c.as_str() == k)
                .map(|c| (c, v))
                .ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown contradiction code {k:?}"))
                })
        })
        .collect()
}

fn de_quiet<'de, D: Deserializer<'de>>(d: D) -> Result<Option<QuietHours>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    QuietHours::parse(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whatsapp_template_language_is_the_named_code_or_the_locales_own() {
        let t = WhatsAppTemplate::parse(" order_notice ", Some("en=en_US, de-AT=de")).unwrap();
        assert_eq!(t.name, "order_notice");
        assert_eq!(t.language(Locale::En), "en_US");
        assert_eq!(t.language(Locale::De), "de");
        let plain = WhatsAppTemplate::parse("n", None).unwrap();
        assert_eq!(plain.language(Locale::En), "en");
        assert!(WhatsAppTemplate::parse("n", Some("en")).is_err());
        assert!(WhatsAppTemplate::parse("n", Some("fr=fr")).is_err());
        assert!(WhatsAppTemplate::parse("n", Some("en=")).is_err());
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn a_notice_at_night_waits_until_the_morning_in_the_shops_time_zone() {
        let p = NoticePolicy::default();
        let tz = chrono_tz::Europe::Berlin;
        // 23:30 in Berlin (winter, UTC+1): waits until 08:00 the next day.
        assert_eq!(
            p.send_after(at("2026-12-01T22:30:00Z"), tz),
            at("2026-12-02T07:00:00Z")
        );
        // 06:00 in Berlin: waits until 08:00 the same day.
        assert_eq!(
            p.send_after(at("2026-12-02T05:00:00Z"), tz),
            at("2026-12-02T07:00:00Z")
        );
        // 10:00: leaves at once.
        assert_eq!(
            p.send_after(at("2026-12-02T09:00:00Z"), tz),
            at("2026-12-02T09:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_none_send_at_any_time() {
        let p: NoticePolicy = toml::from_str("quiet_hours = \"none\"").unwrap();
        let t = at("2026-12-01T23:30:00Z");
        assert_eq!(p.send_after(t, chrono_tz::Europe::Berlin), t);
    }

    #[test]
    fn codes_can_be_switched_off_and_unknown_codes_are_refused() {
        let p: NoticePolicy = toml::from_str("[codes]\nstale_tracking = false").unwrap();
        assert!(!p.tells(ContradictionCode::StaleTracking));
        assert!(p.tells(ContradictionCode::DeliveredButDriverReportsFailure));
        assert!(p.tells(ContradictionCode::CustomerDisputesDelivery));
        assert!(!NoticePolicy::default().tells(ContradictionCode::CustomerDisputesDelivery));
        let e = toml::from_str::<NoticePolicy>("[codes]\nno_such_code = true").unwrap_err();
        assert!(e.to_string().contains("no_such_code"), "{e}");
    }

    #[test]
    fn the_same_evidence_in_another_order_is_the_same_fingerprint() {
        use crate::domain::EventId;
        let id = |s: &str| EventId::parse(s).unwrap();
        let c = |ev: Vec<EventId>| Contradiction {
            code: ContradictionCode::StaleTracking,
            tracking_number: None,
            evidence: ev,
            facts: vec![],
            remedies: vec![],
        };
        let a = fingerprint(&c(vec![id("e-1"), id("e-2")]));
        assert_eq!(a, fingerprint(&c(vec![id("e-2"), id("e-1")])));
        assert_ne!(a, fingerprint(&c(vec![id("e-1"), id("e-3")])));
    }
}
