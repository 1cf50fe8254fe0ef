//! Who is asking: the signed-in [`Principal`] with the scope every action takes, how a session or
//! an API token becomes one, password sign-in with lock-out, and the one way an action is audited.

use time::Duration;

use super::{Permission, Role, Scope, store};
use crate::audit::{self, Actor, Outcome};
use crate::db::Db;
use crate::{Error, Result, clock};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// Failed logins for one name within [`LOCK_WINDOW`] that lock it.
pub const MAX_FAILURES_PER_NAME: i64 = 5;
/// Failed logins from one address within [`LOCK_WINDOW`] that lock it.
pub const MAX_FAILURES_PER_IP: i64 = 30;
/// How far back failures count.
pub const LOCK_WINDOW: Duration = Duration::minutes(15);

/// A signed-in user, with the scope every query takes.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The account.
    pub user: store::User,
    /// Its role.
    pub role: Role,
    /// Its scope: the region subtree of its unit.
    pub scope: Scope,
    /// Client address.
    pub ip: String,
    session_hash: Option<String>,
}

impl Principal {
    fn new(user: store::User, ip: &str, session_hash: Option<String>) -> Self {
        let (role, scope) = (user.role, Scope::under(&user.region_path));
        Self { user, role, scope, ip: ip.to_owned(), session_hash }
    }

    /// A principal for work done at the command line on behalf of a user.
    pub fn acting_as(user: store::User, ip: &str) -> Self {
        Self::new(user, ip, None)
    }

    /// The holder of an API token (`Unauthorized` for an unknown or revoked one).
    pub async fn from_token(db: &Db, token: &str, ip: &str) -> Result<Self> {
        let user = store::token_user(db, &super::hash_secret(token)).await?.ok_or(Error::Unauthorized)?;
        Ok(Self::new(user, ip, None))
    }

    /// The holder of a live session, with the session's CSRF token; an expired session ends here.
    pub async fn from_session(db: &Db, token: &str, ip: &str) -> Result<Option<(Self, String)>> {
        let hash = super::hash_secret(token);
        let Some(s) = store::session_user(db, &hash).await? else {
            return Ok(None);
        };
        let now = clock::now();
        if now - s.last_seen_at > IDLE || now - s.session_created_at > ABSOLUTE {
            store::delete_session(db, &hash).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > Duration::minutes(1) {
            store::touch_session(db, &hash).await?;
        }
        Ok(Some((Self::new(s.user, ip, Some(hash)), s.csrf_token)))
    }

    /// The hash of the session token, when signed in through a session.
    pub fn session_hash(&self) -> Option<&str> {
        self.session_hash.as_deref()
    }

    /// Refuses unless the role has `p`.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.role.can(p) { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// The principal as the actor of an audit record.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            name: self.user.username.clone(),
            ip: self.ip.clone(),
            region_path: self.user.region_path.clone(),
        }
    }

    /// Audits the result of a change made by this principal and passes it on (see
    /// [`audit::outcome`]): `action` (such as `push.recall`) on `object` (kind, id).
    pub async fn audited<T>(&self, db: &Db, action: &str, object: (&str, &str), result: Result<T>) -> Result<T> {
        audit::outcome(db, &self.actor(), action, object, result).await
    }
}

/// Why a password sign-in failed; the message never says whether the account exists.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInError {
    /// Wrong name or password (or a disabled account).
    Wrong,
    /// Too many failures: locked for a while.
    Locked,
}

/// Checks a password sign-in with throttling and lock-out, records it in the audit trail, and on
/// success starts a session whose token is returned (for the session cookie).
pub async fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<std::result::Result<String, SignInError>> {
    let name = username.trim().to_lowercase();
    let (by_name, by_ip) = store::recent_failures(db, &name, ip, clock::now() - LOCK_WINDOW).await?;
    let unknown = Actor {
        user_id: None,
        name: name.clone(),
        ip: ip.to_owned(),
        region_path: Scope::province().path().to_owned(),
    };
    if by_name >= MAX_FAILURES_PER_NAME || by_ip >= MAX_FAILURES_PER_IP {
        store::record_login_attempt(db, &name, ip, false).await?;
        audit::record(db, &unknown, "session.login", ("user", &name), Outcome::Denied, "locked").await?;
        return Ok(Err(SignInError::Locked));
    }
    let creds = store::credentials(db, &name).await?;
    let hash = creds.as_ref().map_or(super::DECOY_HASH, |c| c.password_hash.as_str()).to_owned();
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || super::verify_password(&password, &hash))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    let user = match creds {
        Some(c) if matches && !c.disabled => store::user_by_username(db, &name).await?,
        _ => None,
    };
    let Some(user) = user else {
        store::record_login_attempt(db, &name, ip, false).await?;
        audit::record(db, &unknown, "session.login", ("user", &name), Outcome::Denied, "wrong name or password")
            .await?;
        return Ok(Err(SignInError::Wrong));
    };
    store::record_login_attempt(db, &name, ip, true).await?;
    let token = super::new_secret();
    let hash = super::hash_secret(&token);
    store::insert_session(
        db,
        &hash,
        user.id,
        &super::new_secret(),
        ip,
        &user_agent.chars().take(200).collect::<String>(),
    )
    .await?;
    let actor = Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        ip: ip.to_owned(),
        region_path: user.region_path.clone(),
    };
    audit::record(db, &actor, "session.login", ("user", &user.id.to_string()), Outcome::Ok, "").await?;
    Ok(Ok(token))
}

/// Ends the caller's session (when signed in through one) and audits it.
pub async fn sign_out(db: &Db, principal: &Principal) -> Result<()> {
    if let Some(hash) = principal.session_hash() {
        store::delete_session(db, hash).await?;
    }
    let object = principal.user.id.to_string();
    audit::record(db, &principal.actor(), "session.logout", ("user", &object), Outcome::Ok, "").await
}
