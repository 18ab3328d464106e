//! The tool registry shared by every engine: JSON schemas for the model, and the code
//! that runs each tool. Identity, scoping and policy live here, not in any engine: read
//! tools answer only about the verified customer's orders, whatever arguments they get;
//! `confirm_remedy` acts only on a proposal this conversation was shown.

mod identity;
pub mod output;
mod read;
mod write;

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::state::ConversationState;
use crate::domain::Locale;
use crate::store::Store;
use crate::store::conversations::ConversationRow;
use crate::truth::Policy;

pub use identity::{LOCK_MINUTES, MAX_FAILED_VERIFICATIONS};
pub use output::ToolOutput;

/// Everything a tool may use during one turn. Tools change `conversation` and `state`
/// in memory; the conversation service saves them with the reply.
pub struct ToolContext<'a> {
    pub store: &'a Store,
    pub policy: &'a Policy,
    pub now: DateTime<Utc>,
    pub conversation: &'a mut ConversationRow,
    pub state: &'a mut ConversationState,
    pub locale: Locale,
    /// What the tools of this turn read already.
    pub reads: Reads,
    /// The client's address on the web (failed verifications are counted per client);
    /// `None` on WhatsApp and Messenger, where the sender is the client.
    pub client: Option<String>,
}

/// The order views one engine run has read, so that its tools and its dialogue look
/// each order up once (several tools and the remedy check often want the same one).
/// A write tool empties it: what it wrote may change the views.
#[derive(Default)]
pub struct Reads {
    orders: std::collections::HashMap<String, std::sync::Arc<crate::lookup::OrderLookup>>,
}

impl ToolContext<'_> {
    pub fn now_ms(&self) -> i64 {
        self.now.timestamp_millis()
    }

    /// An order's reconciled view, read once per run (see [`Reads`]). Ownership is the
    /// caller's to check.
    pub async fn order_view(
        &mut self,
        n: &crate::domain::OrderNumber,
    ) -> anyhow::Result<Option<std::sync::Arc<crate::lookup::OrderLookup>>> {
        if let Some(found) = self.reads.orders.get(n.as_str()) {
            return Ok(Some(found.clone()));
        }
        let Some(found) = crate::lookup::order(self.store, self.policy, self.now, n).await? else {
            return Ok(None);
        };
        let found = std::sync::Arc::new(found);
        self.reads
            .orders
            .insert(n.as_str().to_string(), found.clone());
        Ok(Some(found))
    }

    /// An order's view when it belongs to the verified customer, read once per run
    /// like [`Self::order_view`]. Whoever asks whose an order is reads it next: one read
    /// of the store answers both (the owner is in the view). Another customer's order
    /// is read, found not theirs, and kept nowhere.
    /// A contact (see [`Self::contact_order`]) owns nothing but their one order.
    pub(crate) async fn owned_view(
        &mut self,
        n: &crate::domain::OrderNumber,
    ) -> anyhow::Result<Option<std::sync::Arc<crate::lookup::OrderLookup>>> {
        let Some(customer) = self.customer().map(str::to_string) else {
            return Ok(None);
        };
        let contact = crate::domain::contact::is_contact_id(&customer);
        if contact && self.contact_order().await?.as_deref() != Some(n.as_str()) {
            return Ok(None);
        }
        let owns = |found: &crate::lookup::OrderLookup| {
            contact || found.view.order.customer_id.as_str() == customer
        };
        if let Some(found) = self.reads.orders.get(n.as_str()) {
            return Ok(owns(found).then(|| found.clone()));
        }
        let Some(found) = crate::lookup::order(self.store, self.policy, self.now, n).await? else {
            return Ok(None);
        };
        if !owns(&found) {
            return Ok(None);
        }
        let found = std::sync::Arc::new(found);
        self.reads
            .orders
            .insert(n.as_str().to_string(), found.clone());
        Ok(Some(found))
    }

    /// What the remedy policy needs to know about an order beyond its events: from the
    /// order's view when it read them, else from the store.
    pub async fn remedy_context(
        &mut self,
        n: &crate::domain::OrderNumber,
    ) -> anyhow::Result<crate::truth::RemedyContext> {
        if let Some(found) = self.reads.orders.get(n.as_str())
            && let Some(r) = &found.remedy
        {
            return Ok(r.clone());
        }
        crate::lookup::remedy_context_for(self.store, n).await
    }

    /// Forgets what this run read (after a write).
    pub fn forget_reads(&mut self) {
        self.reads = Reads::default();
    }
    /// Who is asking: the address on the web, the sender on WhatsApp and Messenger.
    pub fn client(&self) -> Option<String> {
        match (&self.client, self.conversation.external_id.as_deref()) {
            (Some(addr), _) => Some(addr.clone()),
            (None, Some(sender)) => Some(format!("{}:{sender}", self.conversation.channel)),
            (None, None) => None,
        }
    }
    /// The verified customer, if any (or the verified contact's person id, which no
    /// store query takes for a customer's).
    pub fn customer(&self) -> Option<&str> {
        self.conversation.customer_id.as_deref()
    }

    /// The order of the verified contact, when the conversation speaks for a contact
    /// of an order (not its customer) and the order still names them.
    pub async fn contact_order(&self) -> anyhow::Result<Option<String>> {
        let Some(person) = self
            .customer()
            .filter(|p| crate::domain::contact::is_contact_id(p))
        else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        Ok(crate::store::contacts::get_contact(&mut conn, person)
            .await?
            .map(|c| c.order_number))
    }
}

/// One tool call as stored with the reply and shown to staff.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ToolCallRecord {
    pub name: String,
    pub arguments: Value,
    pub result: Value,
    pub duration_ms: f64,
}

/// A tool: its name, what it is for, and the JSON schema of its arguments.
#[derive(Clone, Debug, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Value,
}

/// Every tool, in a fixed order.
pub fn registry() -> Vec<ToolSpec> {
    let order = json!({"type": "string", "description": "order number, e.g. A-100234"});
    let tracking = json!({"type": "string", "description": "tracking number of a shipment"});
    let remedy = json!({"type": "string", "enum": ["callback", "redelivery", "replacement", "investigation", "return_label", "handoff"]});
    vec![
        ToolSpec {
            name: "verify_customer",
            description: "Verify the customer with the order number together with the delivery postcode or the account email (an email alone never verifies). Needed before any order data can be read.",
            parameters: json!({"type": "object", "properties": {
                "order_number": order, "postcode": {"type": "string"}, "email": {"type": "string"}},
                "required": ["order_number"], "additionalProperties": false}),
        },
        ToolSpec {
            name: "list_orders",
            description: "The verified customer's orders, newest first, with whether anything is in dispute.",
            parameters: json!({"type": "object", "properties": {}, "additionalProperties": false}),
        },
        ToolSpec {
            name: "get_order",
            description: "The reconciled view of one of the verified customer's orders, with its shipments, contradictions and a summary to present.",
            parameters: json!({"type": "object", "properties": {"order_number": order}, "required": ["order_number"], "additionalProperties": false}),
        },
        ToolSpec {
            name: "track_shipment",
            description: "The reconciled view of a shipment of the verified customer (by tracking number, or all shipments of an order), with contradictions and a summary to present.",
            parameters: json!({"type": "object", "properties": {"tracking_number": tracking, "order_number": order}, "additionalProperties": false}),
        },
        ToolSpec {
            name: "list_cases",
            description: "The verified customer's open and past cases (callbacks, replacements, investigations, …).",
            parameters: json!({"type": "object", "properties": {}, "additionalProperties": false}),
        },
        ToolSpec {
            name: "report_problem",
            description: "Record what the customer reports about an order or shipment: not received, wrong item, damaged.",
            parameters: json!({"type": "object", "properties": {
                "claim": {"type": "string", "enum": ["not_received", "wrong_item", "damaged"]},
                "order_number": order, "tracking_number": tracking},
                "required": ["claim"], "additionalProperties": false}),
        },
        ToolSpec {
            name: "propose_remedy",
            description: "Check whether the policy allows a remedy for an order (or shipment) and, if so, propose it to the customer. Nothing happens until the customer confirms.",
            parameters: json!({"type": "object", "properties": {"remedy": remedy, "order_number": order, "tracking_number": tracking},
                "required": ["remedy", "order_number"], "additionalProperties": false}),
        },
        ToolSpec {
            name: "confirm_remedy",
            description: "Carry out the pending proposal after the customer said yes. Creates the case once.",
            parameters: json!({"type": "object", "properties": {"proposal_id": {"type": "string"}, "slot_start": {"type": "string", "description": "RFC 3339 start of the chosen callback slot"}},
                "additionalProperties": false}),
        },
        ToolSpec {
            name: "handoff_to_human",
            description: "Hand the conversation to support staff.",
            parameters: json!({"type": "object", "properties": {"reason": {"type": "string"}}, "additionalProperties": false}),
        },
        ToolSpec {
            name: "search_help",
            description: "Answers to general questions (delivery times, returns, replacements, callbacks, why we ask for order number and postcode).",
            parameters: json!({"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"], "additionalProperties": false}),
        },
    ]
}

/// A refusal the model (or the dialogue policy) reads; never a crash.
pub(crate) fn refusal(code: &'static str, message: &str) -> ToolOutput {
    ToolOutput::refused(code, message)
}

/// One tool call: its typed result, which the engine reads, and its record (the same
/// result serialized once), which is stored with the reply and read by a model.
pub struct Called {
    pub output: ToolOutput,
    pub record: ToolCallRecord,
}

/// Runs one tool and records the call. Bad arguments and refusals come back as results;
/// only failures of the store are errors.
pub async fn call(
    ctx: &mut ToolContext<'_>,
    name: &str,
    arguments: &Value,
) -> anyhow::Result<Called> {
    let started = Instant::now();
    let args = match arguments {
        Value::Object(_) => arguments.clone(),
        Value::Null => json!({}),
        _ => {
            let output = refusal("bad_arguments", "arguments must be a JSON object");
            return record(name, arguments, output, started);
        }
    };
    let output = match name {
        "verify_customer" => ToolOutput::Verification(identity::verify_customer(ctx, &args).await?),
        "list_orders" => read::list_orders(ctx).await?,
        "get_order" => read::get_order(ctx, &args).await?,
        "track_shipment" => read::track_shipment(ctx, &args).await?,
        "list_cases" => read::list_cases(ctx).await?,
        "search_help" => read::search_help(ctx, &args),
        "report_problem" => write::report_problem(ctx, &args).await?,
        "propose_remedy" => write::propose_remedy(ctx, &args).await?,
        "confirm_remedy" => write::confirm_remedy(ctx, &args).await?,
        "handoff_to_human" => write::handoff_to_human(ctx, &args).await?,
        other => refusal("unknown_tool", &format!("there is no tool named {other}")),
    };
    metrics::counter!("verity_tool_calls_total", "tool" => name.to_string()).increment(1);
    record(name, &args, output, started)
}

/// Runs one tool for an engine that reads the record only (the model's).
pub async fn call_tool(
    ctx: &mut ToolContext<'_>,
    name: &str,
    arguments: &Value,
) -> anyhow::Result<ToolCallRecord> {
    Ok(call(ctx, name, arguments).await?.record)
}

fn record(
    name: &str,
    arguments: &Value,
    output: ToolOutput,
    started: Instant,
) -> anyhow::Result<Called> {
    Called::new(
        name,
        arguments.clone(),
        output,
        started.elapsed().as_secs_f64() * 1000.0,
    )
}

impl Called {
    /// A call and its record: the output serialized once.
    pub fn new(
        name: &str,
        arguments: Value,
        output: ToolOutput,
        duration_ms: f64,
    ) -> anyhow::Result<Self> {
        let result = serde_json::to_value(&output)?;
        Ok(Self {
            output,
            record: ToolCallRecord {
                name: name.to_string(),
                arguments,
                result,
                duration_ms,
            },
        })
    }
}

/// Reads an optional string argument.
pub(crate) fn arg<'v>(args: &'v Value, key: &str) -> Option<&'v str> {
    args.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
