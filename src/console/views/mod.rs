//! What the console pages show, assembled from the store and the reconciled truth:
//! transcripts with tool calls, verdicts and the timelines of the shipments discussed
//! ([`transcript`]), the case queue and the contradiction overview ([`overview`]), and a
//! customer's or a shipment's history ([`history`]). Every page reads the same `lookup`
//! / `truth` functions as the bot and the status API. Shared here: timelines with the
//! evidence of each contradiction marked.

mod history;
mod overview;
mod transcript;

pub use history::{CustomerPage, HistoryItem, ShipmentPage, customer_page, shipment_page};
pub use overview::{
    CaseQueue, ContradictionsPage, OpenContradiction, SCAN_DAYS, case_queue, contradictions_page,
    customers_with_open_contradictions, open_contradictions,
};
pub use transcript::{MessageView, ToolCallView, TranscriptPage, transcript};

use serde::Serialize;

use crate::domain::CustomerId;
use crate::store::{Store, records};
use crate::truth::{Contradiction, OrderView, ShipmentView, TimelineEntry};

/// A timeline entry, with the contradictions it is evidence of.
#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: TimelineEntry,
    pub evidence_of: Vec<&'static str>,
}

fn entries<'a>(
    timeline: &[TimelineEntry],
    contradictions: impl Iterator<Item = &'a Contradiction> + Clone,
) -> Vec<EntryView> {
    timeline
        .iter()
        .map(|e| EntryView {
            entry: e.clone(),
            evidence_of: contradictions
                .clone()
                .filter(|c| c.evidence.contains(&e.event_id))
                .map(|c| c.code.as_str())
                .collect(),
        })
        .collect()
}

/// A shipment's reconciled timeline, evidence marked.
#[derive(Clone, Debug, Serialize)]
pub struct ShipmentPanel {
    pub view: ShipmentView,
    pub entries: Vec<EntryView>,
}

impl ShipmentPanel {
    pub fn new(view: ShipmentView, order_level: &[Contradiction]) -> Self {
        let entries = entries(
            &view.timeline,
            view.contradictions.iter().chain(order_level.iter()),
        );
        Self { view, entries }
    }
}

/// An order with its shipments' timelines and its own events, evidence marked.
#[derive(Clone, Debug, Serialize)]
pub struct OrderPanel {
    pub number: String,
    pub customer_id: String,
    pub in_dispute: bool,
    /// Contradictions about the order as a whole.
    pub contradictions: Vec<Contradiction>,
    pub shipments: Vec<ShipmentPanel>,
    /// Order events, notifications and customer reports, in time order.
    pub order_entries: Vec<EntryView>,
    /// The people the order names besides its customer (see [`Self::with_contacts`]).
    pub contacts: Vec<crate::store::contacts::ContactRow>,
}

impl OrderPanel {
    /// The panel with the order's contacts read from the store.
    pub async fn with_contacts(mut self, store: &Store) -> anyhow::Result<Self> {
        let mut conn = store.read().await?;
        self.contacts = crate::store::contacts::list_contacts(&mut conn, &self.number).await?;
        Ok(self)
    }

    pub fn new(view: OrderView) -> Self {
        let mut order_timeline: Vec<TimelineEntry> = view
            .order_events
            .iter()
            .chain(view.notifications.iter())
            .chain(view.customer_reports.iter())
            .cloned()
            .collect();
        order_timeline.sort_by_key(|e| e.at);
        let all: Vec<Contradiction> = view.all_contradictions().cloned().collect();
        let order_entries = entries(&order_timeline, all.iter());
        Self {
            number: view.order.number.to_string(),
            customer_id: view.order.customer_id.to_string(),
            in_dispute: view.in_dispute,
            shipments: view
                .shipments
                .into_iter()
                .map(|s| ShipmentPanel::new(s, &view.contradictions))
                .collect(),
            contradictions: view.contradictions,
            order_entries,
            contacts: Vec::new(),
        }
    }
}

/// A customer as staff see them.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerInfo {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locale: String,
}

pub(super) async fn customer_info(store: &Store, id: &str) -> anyhow::Result<Option<CustomerInfo>> {
    let Ok(cid) = CustomerId::parse(id) else {
        return Ok(None);
    };
    let mut conn = store.read().await?;
    Ok(records::get_customer(&mut conn, &cid)
        .await?
        .map(|c| CustomerInfo {
            id: c.id.to_string(),
            name: c.name,
            email: c.email,
            phone: c.phone,
            locale: c.locale.as_str().to_string(),
        }))
}
