//! Content negotiation by the rules of RFC 9110 §12.5.1: the `Accept` header's media
//! ranges with their q-values. A type gets the q of the most specific range that
//! matches it (`text/event-stream` before `text/*` before `*/*`); `q=0` means "not
//! this"; no header accepts everything.

/// How much a client wants a media type: its q-value (0 to 1) and how specific the
/// range that gave it was (3 the type itself, 2 `type/*`, 1 `*/*`, 0 no header).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Preference {
    pub q: f32,
    pub specificity: u8,
}

/// The preference of `accept` (the header's value, if any) for `media` (`type/subtype`,
/// lower case).
pub fn preference(accept: Option<&str>, media: &str) -> Preference {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Preference {
            q: 1.0,
            specificity: 0,
        };
    };
    let (ty, sub) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<Preference> = None;
    for range in accept.split(',') {
        let mut params = range.split(';');
        let name = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let Some((rty, rsub)) = name.split_once('/') else {
            continue;
        };
        let specificity = match (rty, rsub) {
            ("*", "*") => 1,
            (t, "*") if t == ty => 2,
            (t, s) if t == ty && s == sub => 3,
            _ => continue,
        };
        let Some(q) = quality(params) else {
            continue;
        };
        let this = Preference { q, specificity };
        best = match best {
            Some(b) if b.specificity > specificity => Some(b),
            Some(b) if b.specificity == specificity && b.q >= q => Some(b),
            _ => Some(this),
        };
    }
    best.unwrap_or(Preference {
        q: 0.0,
        specificity: 0,
    })
}

/// The `q` parameter of a range (1 when absent); `None` when it is malformed (the range
/// is then ignored).
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<f32> {
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("q") {
            let v = v.trim();
            let ok = !v.is_empty()
                && v.len() <= 5
                && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && (v.starts_with('0') || v.starts_with('1'));
            return v
                .parse::<f32>()
                .ok()
                .filter(|q| ok && (0.0..=1.0).contains(q));
        }
    }
    Some(1.0)
}

/// What the chat answers a message with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyFormat {
    Json,
    EventStream,
}

/// JSON or an event stream, whichever the client prefers. The stream needs to be named
/// (`text/event-stream` or `text/*`, not only `*/*`) with a q above 0 and not below
/// JSON's; a tie goes to the more specific range, then to the stream. `None` when the
/// client accepts neither (406).
pub fn reply_format(accept: Option<&str>) -> Option<ReplyFormat> {
    let json = preference(accept, "application/json");
    let sse = preference(accept, "text/event-stream");
    let sse_first = sse.q > json.q || (sse.q == json.q && sse.specificity >= json.specificity);
    if sse.q > 0.0 && sse.specificity >= 2 && sse_first {
        Some(ReplyFormat::EventStream)
    } else if json.q > 0.0 {
        Some(ReplyFormat::Json)
    } else if sse.q > 0.0 {
        Some(ReplyFormat::EventStream)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReplyFormat::*;

    #[test]
    fn the_reply_format_follows_the_accept_header() {
        let cases = [
            (None, Some(Json)),
            (Some(""), Some(Json)),
            (Some("*/*"), Some(Json)),
            (Some("application/json"), Some(Json)),
            (Some("text/event-stream"), Some(EventStream)),
            (Some("Text/Event-Stream"), Some(EventStream)),
            (Some("text/event-stream;q=0"), None),
            (Some("text/event-stream;q=0, */*"), Some(Json)),
            (
                Some("text/event-stream; q=0.0, application/json"),
                Some(Json),
            ),
            (
                Some("text/event-stream, application/json"),
                Some(EventStream),
            ),
            (
                Some("application/json, text/event-stream;q=0.5"),
                Some(Json),
            ),
            (
                Some("application/json;q=0.5, text/event-stream"),
                Some(EventStream),
            ),
            (Some("text/*"), Some(EventStream)),
            (Some("text/*, application/json"), Some(Json)),
            (Some("text/html"), None),
            (Some("text/event-stream;q=2"), None),
            (
                Some("text/event-stream;q=abc, application/json"),
                Some(Json),
            ),
            (Some("application/json;q=0, */*"), Some(EventStream)),
        ];
        for (accept, want) in cases {
            assert_eq!(reply_format(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn the_most_specific_range_gives_the_q_value() {
        let p = preference(
            Some("text/*;q=0.9, text/event-stream;q=0.1, */*"),
            "text/event-stream",
        );
        assert_eq!(p.q, 0.1);
        let p = preference(Some("text/*;q=0.9, */*;q=0.2"), "text/event-stream");
        assert_eq!(p.q, 0.9);
        let p = preference(Some("*/*;q=0.2"), "application/json");
        assert_eq!((p.q, p.specificity), (0.2, 1));
    }
}
