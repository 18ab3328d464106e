//! Staff accounts and console sessions: argon2id password hashes (checked on the
//! blocking pool, one at a time), logins throttled per client address after repeated
//! failures (never the account itself: nobody can lock a staff member out), session
//! tokens of which only the SHA-256 is stored, and a CSRF token per session.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::store::staff::{self, SessionRow, StaffUser};
use crate::store::{Store, new_id};

/// Failed logins from one client address (in a day) before logins from it are refused
/// for a while: 30 minutes, each further time twice as long.
pub const MAX_FAILED_LOGINS: i64 = 10;

/// Password checks run one at a time on the blocking pool, so that a flood of logins
/// takes at most one core from the chat.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
/// How long a login waits for its turn before it is told to try again.
const PASSWORD_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks a password against a PHC string on the blocking pool, in turn with every
/// other check; `None` when the queue was too long to wait.
async fn check_password(phc: String, password: String) -> anyhow::Result<Option<bool>> {
    let Ok(permit) = tokio::time::timeout(PASSWORD_CHECK_WAIT, PASSWORD_CHECKS.acquire()).await
    else {
        return Ok(None);
    };
    let _permit = permit?;
    Ok(Some(
        tokio::task::spawn_blocking(move || verify_password(&phc, &password)).await?,
    ))
}
/// The shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A staff role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Agent,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "agent" => Ok(Self::Agent),
            "admin" => Ok(Self::Admin),
            other => Err(format!("unknown role '{other}': use agent or admin")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }
}

/// Hashes a password with argon2id (the crate's default parameters) and a random salt,
/// as a PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| anyhow::anyhow!("encoding a password salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the PHC string.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so that an unknown account
/// takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
}

/// Checks an email address just enough to catch typos.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e)
    } else {
        Err(format!("'{}' is not an email address", email.trim()))
    }
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}")]
    Invalid(String),
    #[error("a staff account with this email exists already")]
    Exists,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Creates a staff account; returns its id.
pub async fn create_staff(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
    now_ms: i64,
) -> Result<String, CreateError> {
    create_named_staff(store, email, password, role, None, now_ms).await
}

/// The longest display name.
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// [`create_staff`] with the name shown in transcripts and the audit log.
pub async fn create_named_staff(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
    display_name: Option<&str>,
    now_ms: i64,
) -> Result<String, CreateError> {
    let display_name = display_name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = display_name
        && (n.chars().count() > MAX_DISPLAY_NAME_CHARS || n.chars().any(char::is_control))
    {
        return Err(CreateError::Invalid(format!(
            "the name must have at most {MAX_DISPLAY_NAME_CHARS} characters and no control characters"
        )));
    }
    let email = normalize_email(email).map_err(CreateError::Invalid)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CreateError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let user = StaffUser {
        id: new_id("staff"),
        email,
        password_hash: hash_password(password)?,
        role: role.as_str().to_string(),
        failed_logins: 0,
        locked_until_ms: None,
        created_ms: now_ms,
        display_name: display_name.map(str::to_string),
        language: None,
    };
    let mut tx = store.begin().await?;
    let created = staff::insert_staff_user(tx.conn(), &user).await?;
    tx.commit().await?;
    if !created {
        return Err(CreateError::Exists);
    }
    let mut tx = store.begin().await?;
    crate::store::audit::insert_audit(
        tx.conn(),
        now_ms,
        "system",
        "staff.create",
        Some(&format!("staff:{}", user.id)),
        &serde_json::json!({"role": user.role}),
    )
    .await?;
    tx.commit().await?;
    Ok(user.id)
}

/// The SHA-256 (hex) of a session token: all the store keeps.
pub fn session_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new session: the cookie value (shown to the browser once) and its CSRF token.
pub struct NewSession {
    pub token: Secret,
    pub staff: StaffUser,
}

/// How a login attempt ended.
pub enum LoginOutcome {
    LoggedIn(Box<NewSession>),
    /// Wrong email or password (one message for both).
    Refused,
    /// Too many failures from this client address: refused until then.
    Locked {
        until_ms: i64,
    },
    /// Too many logins waiting for their password check: try again in a moment.
    Busy,
}

/// Checks a login from `client` (its address) and opens a session of `lifetime_ms`.
/// An unknown email and a wrong password get the same answer after the same work (a
/// password check, a count, an audit line).
pub async fn login(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
    now_ms: i64,
    lifetime_ms: i64,
) -> anyhow::Result<LoginOutcome> {
    use crate::domain::lockout;
    use crate::store::verification;
    let email = email.trim().to_lowercase();
    // The attempt counts before the password is checked (parallel guesses count too).
    let key = format!("login:{}", client.chars().take(200).collect::<String>());
    let count = {
        let mut conn = store.write_one().await?;
        verification::count_attempt(
            &mut conn,
            &key,
            now_ms,
            now_ms - lockout::WINDOW_MS,
            now_ms - lockout::LOCKOUT_MEMORY_MS,
        )
        .await?
    };
    if let Some(until) = count.locked_until_ms.filter(|u| *u > now_ms) {
        audit(store, now_ms, "anonymous", "login.throttled", None).await?;
        return Ok(LoginOutcome::Locked { until_ms: until });
    }
    let user = {
        let mut conn = store.read().await?;
        staff::get_staff_by_email(&mut conn, &email).await?
    };
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let Some(matched) = check_password(hash, password.to_string()).await? else {
        let mut conn = store.write_one().await?;
        verification::uncount_attempt(&mut conn, &key).await?;
        return Ok(LoginOutcome::Busy);
    };
    let user = match user {
        Some(u) if matched => u,
        found => {
            let subject = found.map(|u| format!("staff:{}", u.id));
            audit(
                store,
                now_ms,
                subject.as_deref().unwrap_or("anonymous"),
                "login.refused",
                None,
            )
            .await?;
            if count.failures >= MAX_FAILED_LOGINS {
                let until = now_ms + lockout::lock_minutes(count.lockouts) * 60_000;
                let mut conn = store.write_one().await?;
                verification::lock_key(&mut conn, &key, MAX_FAILED_LOGINS, until, now_ms).await?;
                tracing::warn!("logins from one client address throttled after repeated failures");
                return Ok(LoginOutcome::Locked { until_ms: until });
            }
            return Ok(LoginOutcome::Refused);
        }
    };
    let subject = format!("staff:{}", user.id);
    {
        let mut conn = store.write_one().await?;
        verification::uncount_attempt(&mut conn, &key).await?;
    }
    let mut tx = store.begin().await?;
    let token = Secret::generate();
    let csrf = Secret::generate();
    staff::reset_failed_logins(tx.conn(), &user.id).await?;
    staff::delete_expired_sessions(tx.conn(), now_ms).await?;
    staff::insert_session(
        tx.conn(),
        &session_hash(token.expose()),
        &user.id,
        csrf.expose(),
        now_ms,
        now_ms + lifetime_ms,
    )
    .await?;
    crate::store::audit::insert_audit(
        tx.conn(),
        now_ms,
        &subject,
        "login",
        None,
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOutcome::LoggedIn(Box::new(NewSession {
        token,
        staff: user,
    })))
}

async fn audit(
    store: &Store,
    now_ms: i64,
    actor: &str,
    action: &str,
    subject: Option<&str>,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    crate::store::audit::insert_audit(
        tx.conn(),
        now_ms,
        actor,
        action,
        subject,
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// The live session for a cookie value.
pub async fn session(
    store: &Store,
    token: &str,
    now_ms: i64,
) -> anyhow::Result<Option<SessionRow>> {
    let mut conn = store.read().await?;
    staff::get_session(&mut conn, &session_hash(token), now_ms).await
}

/// Ends a session.
pub async fn logout(store: &Store, token: &str, staff_id: &str, now_ms: i64) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    staff::delete_session(tx.conn(), &session_hash(token), now_ms).await?;
    crate::store::audit::insert_audit(
        tx.conn(),
        now_ms,
        &format!("staff:{staff_id}"),
        "logout",
        None,
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// Sets the console's language of a staff member.
pub async fn set_language(
    store: &Store,
    staff_id: &str,
    lang: crate::domain::Locale,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    staff::set_staff_language(tx.conn(), staff_id, Some(lang.as_str())).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            normalize_email(" Ida@Example.ORG ").unwrap(),
            "ida@example.org"
        );
        assert!(normalize_email("ida").is_err());
        assert!(normalize_email("ida@localhost").is_err());
        assert!(normalize_email("a b@example.org").is_err());
    }
}
