//! Localized summaries of a shipment or an order: the sentence the bot, the status API
//! and the hotline all use. Rendered from the templates in `prompts/summary/` (embedded,
//! strict about undefined values; see [`crate::prompts`]). While contradictions are open, a summary shows both
//! facts with their times and sources and never states one delivery status as fact.

mod brief;
mod context;
mod details;

use minijinja::context;

use crate::domain::{Currency, Locale};

use super::policy::Policy;
use super::view::{OrderView, ShipmentView};
pub use brief::{Brief, BriefOptions, brief};
use context::Fmt;
pub use details::details;

/// A view a summary can be written for.
pub trait Summarize {
    /// Renders the summary, or says which template failed and why.
    fn try_summary(&self, locale: Locale, policy: &Policy) -> Result<String, String>;
}

impl Summarize for ShipmentView {
    fn try_summary(&self, locale: Locale, policy: &Policy) -> Result<String, String> {
        let fmt = Fmt {
            locale,
            policy,
            currency: self.currency.clone().unwrap_or_else(Currency::eur),
        };
        render("shipment", locale, context! { s => fmt.shipment(self) })
    }
}

impl Summarize for OrderView {
    fn try_summary(&self, locale: Locale, policy: &Policy) -> Result<String, String> {
        let fmt = Fmt {
            locale,
            policy,
            currency: self.order.currency.clone(),
        };
        render("order", locale, context! { o => fmt.order(self) })
    }
}

fn render(kind: &str, locale: Locale, ctx: minijinja::Value) -> Result<String, String> {
    let name = format!("summary/{kind}.{}.j2", locale.as_str());
    crate::prompts::render(&name, ctx).map(|t| crate::prompts::tidy(&t))
}

/// The summary of a shipment or an order in `locale`. A template failure (prevented by
/// the tests that render every template) yields a neutral sentence rather than a panic.
pub fn summary<V: Summarize + ?Sized>(view: &V, locale: Locale, policy: &Policy) -> String {
    view.try_summary(locale, policy)
        .unwrap_or_else(|_| match locale {
            Locale::De => "Zu dieser Anfrage kann gerade keine Zusammenfassung erstellt werden; bitte wenden Sie sich an den Support.".to_string(),
            Locale::En => "No summary can be produced for this request right now; please contact support.".to_string(),
        })
}

#[cfg(test)]
mod tests;
