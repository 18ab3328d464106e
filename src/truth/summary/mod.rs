//! Localized summaries of a shipment or an order: the sentence the bot, the status API
//! and the hotline all use. Rendered from the templates in `prompts/summary/` (embedded,
//! strict about undefined values). While contradictions are open, a summary shows both
//! facts with their times and sources and never states one delivery status as fact.

mod context;

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use crate::domain::{Currency, Locale};

use super::policy::Policy;
use super::view::{OrderView, ShipmentView};
use context::Fmt;

/// The embedded templates, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "macros.de.j2",
        include_str!("../../../prompts/summary/macros.de.j2"),
    ),
    (
        "macros.en.j2",
        include_str!("../../../prompts/summary/macros.en.j2"),
    ),
    (
        "shipment.de.j2",
        include_str!("../../../prompts/summary/shipment.de.j2"),
    ),
    (
        "shipment.en.j2",
        include_str!("../../../prompts/summary/shipment.en.j2"),
    ),
    (
        "order.de.j2",
        include_str!("../../../prompts/summary/order.de.j2"),
    ),
    (
        "order.en.j2",
        include_str!("../../../prompts/summary/order.en.j2"),
    ),
];

static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    for (name, src) in TEMPLATES {
        env.add_template(name, src)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
});

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
    let env = ENV.as_ref().map_err(Clone::clone)?;
    let name = format!("{kind}.{}.j2", locale.as_str());
    let text = env
        .get_template(&name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| format!("template {name}: {e:#}"))?;
    Ok(tidy(&text))
}

/// One sentence per line: trims every line and drops the empty ones, so templates need
/// no whitespace bookkeeping.
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
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
