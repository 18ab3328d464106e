//! Email through SMTP (lettre): the outbox's `email` channel. An outbox row's payload is
//! an [`EmailPayload`] (JSON); [`Mailer::send`] builds a multipart text + HTML message
//! with a `Message-ID` from the row id and `List-Unsubscribe` (RFC 2369) with one-click
//! (RFC 8058), and sends it to `VERITY_SMTP_URL`: `smtp://` with STARTTLS when the
//! server offers it, `smtps://` for TLS, user and password in the URL.

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// What an email outbox row carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailPayload {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address (`List-Unsubscribe`).
    pub unsubscribe: String,
}

/// The row's payload as stored.
pub fn payload(p: &EmailPayload) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or(serde_json::Value::Null)
}

/// What one send did.
#[derive(Debug)]
pub enum Sent {
    /// Accepted by the server; the Message-ID.
    Accepted(String),
    /// Worth trying again (a 4xx reply, a connection or TLS failure, a timeout).
    Retry(String),
    /// Refused for good (a 5xx reply, an unusable address or payload).
    Refused(String),
}

/// The SMTP client.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of Message-IDs (the sender's).
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `VERITY_SMTP_URL` and `VERITY_MAIL_FROM`. A plain `smtp://` URL
    /// without `tls=` upgrades with STARTTLS when the server offers it.
    pub fn new(url: &str, from: &str, timeout: std::time::Duration) -> anyhow::Result<Self> {
        let url = if url.starts_with("smtp://") && !url.contains("tls=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}tls=opportunistic")
        } else {
            url.to_string()
        };
        // lettre's errors would repeat the URL and its password: say what is wrong only.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|_| {
                anyhow::anyhow!(
                    "VERITY_SMTP_URL is not a usable SMTP URL (smtp://user:password@host:port or smtps://…)"
                )
            })?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = from
            .parse()
            .map_err(|_| anyhow::anyhow!("VERITY_MAIL_FROM is not an email address"))?;
        let domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    /// The Message-ID of the email an outbox row carries.
    pub fn message_id(&self, row_id: &str) -> String {
        format!("<{row_id}@{}>", self.domain)
    }

    /// Builds the message of an outbox row.
    pub fn build(&self, row_id: &str, p: &EmailPayload) -> Result<Message, String> {
        let to: Mailbox =
            p.to.parse()
                .map_err(|_| "the recipient is not an email address".to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(p.subject.clone())
            .message_id(Some(self.message_id(row_id)))
            .header(ListUnsubscribe(format!("<{}>", p.unsubscribe)))
            .header(ListUnsubscribePost)
            .multipart(MultiPart::alternative_plain_html(
                p.text.clone(),
                p.html.clone(),
            ))
            .map_err(|e| format!("the email cannot be built: {e}"))
    }

    /// Sends an outbox row's payload.
    pub async fn send(&self, row_id: &str, payload: &str) -> Sent {
        let p: EmailPayload = match serde_json::from_str(payload) {
            Ok(p) => p,
            Err(_) => return Sent::Refused("the email payload is not readable".into()),
        };
        let message = match self.build(row_id, &p) {
            Ok(m) => m,
            Err(e) => return Sent::Refused(e),
        };
        match self.transport.send(message).await {
            Ok(_) => Sent::Accepted(self.message_id(row_id)),
            Err(e) if e.is_permanent() => Sent::Refused(format!(
                "SMTP refused it{}",
                e.status().map(|c| format!(" ({c})")).unwrap_or_default()
            )),
            Err(e) if e.is_transient() => Sent::Retry(format!(
                "SMTP asked to try later{}",
                e.status().map(|c| format!(" ({c})")).unwrap_or_default()
            )),
            Err(e) if e.is_timeout() => Sent::Retry("SMTP timeout".into()),
            Err(_) => Sent::Retry("SMTP connection failed".into()),
        }
    }
}

/// `List-Unsubscribe: <https://…>`.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_notice_email_has_both_parts_its_message_id_and_one_click_unsubscribe() {
        let m = Mailer::new(
            "smtp://127.0.0.1:2525",
            "Kundenservice <service@shop.example>",
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let p = EmailPayload {
            to: "erika@example.org".into(),
            subject: "Ihre Bestellung".into(),
            text: "Guten Tag".into(),
            html: "<p>Guten Tag</p>".into(),
            unsubscribe: "https://support.example/notices/unsubscribe/ab.cd".into(),
        };
        let raw = String::from_utf8(m.build("out_1", &p).unwrap().formatted()).unwrap();
        assert!(raw.contains("Message-ID: <out_1@shop.example>"), "{raw}");
        assert!(
            raw.contains("List-Unsubscribe: <https://support.example/notices/unsubscribe/ab.cd>")
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
    }

    #[tokio::test]
    async fn a_bad_smtp_url_is_refused_without_repeating_it() {
        let e = Mailer::new(
            "ftp://u:secretpw@host",
            "a@b.example",
            std::time::Duration::from_secs(1),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("secretpw"), "{e}");
    }
}
