//! Email addresses, checked with the same rule the store uses for customers.

use std::sync::LazyLock;

use regex::Regex;

use super::{Found, mask};
use crate::domain::record::parse_email;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+").expect("email pattern compiles")
});

/// Takes every email address out of the working text.
pub(super) fn emails(work: &mut String) -> Found<String> {
    let spans: Vec<_> = EMAIL.find_iter(work).map(|m| m.range()).collect();
    let mut out = Vec::new();
    for range in spans {
        let candidate = work[range.clone()].trim_matches(|c| c == '.' || c == '-');
        if let Ok(email) = parse_email(candidate) {
            out.push((range.start, email));
            mask(work, range);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(text: &str) -> (Vec<String>, String) {
        let mut work = text.to_string();
        let found = emails(&mut work).into_iter().map(|(_, e)| e).collect();
        (found, work)
    }

    #[test]
    fn an_email_is_found_lower_cased_and_masked() {
        let (found, work) = take("meine mail: jana.beispiel+shop@example.org.");
        assert_eq!(found, ["jana.beispiel+shop@example.org"]);
        assert!(!work.contains("example"), "{work}");
    }

    #[test]
    fn an_at_sign_without_a_domain_is_no_email() {
        assert!(take("treffen @ 10 uhr, jana@localhost").0.is_empty());
    }
}
