//! What the web chat shows beside a bot reply: a link to the carrier's tracking page for
//! each shipment the reply's tool calls looked at, where the carrier is known. Pure: it
//! reads the stored tool calls of the message.

use serde::Serialize;
use serde_json::Value;

use crate::domain::Carrier;

/// Links per reply at most.
const MAX_LINKS: usize = 3;

/// A carrier's tracking page for one shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrackingLink {
    pub tracking_number: String,
    /// The carrier's name as customers know it (`DHL`).
    pub carrier: String,
    /// The carrier's own tracking page (opened in a new tab).
    pub url: String,
}

/// The tracking links of a stored reply's tool calls (`messages.tool_calls`, JSON).
pub fn tracking_links(tool_calls: Option<&str>) -> Vec<TrackingLink> {
    let Some(calls) = tool_calls.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(calls) = calls.as_array() {
        for c in calls {
            collect(&c["result"], &mut out);
        }
    }
    out
}

fn collect(v: &Value, out: &mut Vec<TrackingLink>) {
    if out.len() >= MAX_LINKS {
        return;
    }
    match v {
        Value::Object(m) => {
            if let (Some(n), Some(c)) = (
                m.get("tracking_number").and_then(Value::as_str),
                m.get("carrier").and_then(Value::as_str),
            ) && let Ok(carrier) = Carrier::parse(c)
                && let Some(url) = carrier.tracking_url(n)
                && !out.iter().any(|l| l.tracking_number == n)
            {
                out.push(TrackingLink {
                    tracking_number: n.to_string(),
                    carrier: carrier.display_name().to_string(),
                    url,
                });
            }
            m.values().for_each(|v| collect(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_carriers_shipments_get_their_tracking_page_once_each() {
        let calls = serde_json::json!([
            {"name": "lookup_order", "arguments": {}, "result": {"order": {"shipments": [
                {"tracking_number": "00340434161234567890", "carrier": "dhl", "status": "delivered"},
                {"tracking_number": "05212345678901", "carrier": "dpd"},
                {"tracking_number": "X1", "carrier": "other"}
            ]}}},
            {"name": "lookup_shipment", "arguments": {}, "result": {"shipment":
                {"tracking_number": "00340434161234567890", "carrier": "dhl"}}}
        ])
        .to_string();
        let links = tracking_links(Some(&calls));
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(links[0].carrier, "DHL");
        assert_eq!(
            links[0].url,
            "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161234567890"
        );
        assert_eq!(
            links[1].url,
            "https://tracking.dpd.de/status/de_DE/parcel/05212345678901"
        );
        assert!(tracking_links(None).is_empty());
        assert!(tracking_links(Some("not json")).is_empty());
    }

    #[test]
    fn a_tracking_number_cannot_smuggle_anything_into_the_url() {
        assert_eq!(
            Carrier::Ups.tracking_url("1Z 999\"><script>").as_deref(),
            Some("https://www.ups.com/track?tracknum=1Z999script")
        );
        assert_eq!(Carrier::Dhl.tracking_url("--"), None);
    }
}
