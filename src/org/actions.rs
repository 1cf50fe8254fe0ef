//! What people do to units and accounts, shared by the JSON API and the pages: each action checks
//! the role and the scope, stores the change, and writes the audit record (refusals included).

use serde::Deserialize;
use utoipa::ToSchema;

use super::caller::Principal;
use super::{Password, Permission, RegionCode, Role, UnitKind, Username, check_role_fits, parse_name, store};
use crate::db::Db;
use crate::{Error, Result};

async fn hash(password: Password) -> Result<String> {
    tokio::task::spawn_blocking(move || password.hash()).await.map_err(|e| anyhow::anyhow!("password hash: {e}"))?
}

/// A new unit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUnit {
    /// Name (unique).
    pub name: String,
    /// Kind: corps, detachment, brigade, station, department, partner, school, `community_office`,
    /// `volunteer_team`.
    #[schema(value_type = super::UnitKind)]
    pub kind: String,
    /// The region it works in.
    pub region_code: String,
    /// The unit above it.
    pub parent_id: Option<i64>,
}

/// Makes a unit inside the caller's scope.
pub async fn create_unit(db: &Db, me: &Principal, input: &NewUnit) -> Result<i64> {
    me.audited(
        db,
        "unit.create",
        ("unit", &input.name),
        async {
            me.require(Permission::ManageUnits)?;
            let name = parse_name("name", &input.name)?;
            let kind = UnitKind::parse(&input.kind).ok_or_else(|| Error::invalid("kind", "error.unit_kind"))?;
            let code = RegionCode::parse(&input.region_code)
                .map_err(|_| Error::invalid("region_code", "error.region_code_digits"))?;
            let region = store::region(db, &me.scope, code.as_str())
                .await
                .map_err(|_| Error::invalid("region_code", "error.region_outside"))?;
            if !kind.levels().contains(&region.level) {
                return Err(Error::invalid(
                    "kind",
                    crate::i18n::keyed(
                        "error.kind_level",
                        &[&crate::i18n::term("unit_kind", kind), &crate::i18n::term("level", region.level)],
                    ),
                ));
            }
            if let Some(parent_id) = input.parent_id {
                let parent = store::unit(db, &me.scope, parent_id)
                    .await
                    .map_err(|_| Error::invalid("parent_id", "error.unit_outside"))?;
                if !region.path.starts_with(&parent.region_path) {
                    return Err(Error::invalid("region_code", "error.region_outside_parent"));
                }
            }
            store::insert_unit(db, &name, kind, &region, input.parent_id).await
        }
        .await,
    )
    .await
}

/// Renames a unit inside the caller's scope.
pub async fn rename_unit(db: &Db, me: &Principal, id: i64, name: &str) -> Result<()> {
    me.audited(
        db,
        "unit.update",
        ("unit", &id.to_string()),
        async {
            me.require(Permission::ManageUnits)?;
            store::unit(db, &me.scope, id).await?;
            store::rename_unit(db, &me.scope, id, &parse_name("name", name)?).await
        }
        .await,
    )
    .await
}

/// A new user account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    #[schema(value_type = super::Role)]
    pub(crate) role: String,
    /// Unit id.
    pub unit_id: i64,
    /// Initial password (10–128 characters).
    pub password: String,
}

/// Changes to a user account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserChange {
    /// Name shown.
    pub display_name: Option<String>,
    #[schema(value_type = Option<super::Role>)]
    pub(crate) role: Option<String>,
    /// Unit id.
    pub unit_id: Option<i64>,
    /// Disable or enable the account.
    pub disabled: Option<bool>,
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| Error::invalid("role", "error.role"))
}

/// The unit a user is to belong to: inside the scope, and fitting the role.
async fn unit_for(db: &Db, me: &Principal, unit_id: i64, role: Role) -> Result<()> {
    let unit =
        store::unit(db, &me.scope, unit_id).await.map_err(|_| Error::invalid("unit_id", "error.unit_outside"))?;
    check_role_fits(role, unit.kind)
}

/// Makes a user account inside the caller's scope.
pub async fn create_user(db: &Db, me: &Principal, input: &NewUser) -> Result<i64> {
    me.audited(
        db,
        "user.create",
        ("user", &input.username),
        async {
            me.require(Permission::ManageUsers)?;
            let username = Username::parse(&input.username)?;
            let display_name = parse_name("display_name", &input.display_name)?;
            let role = parse_role(&input.role)?;
            unit_for(db, me, input.unit_id, role).await?;
            let hash = hash(Password::parse(&input.password)?).await?;
            store::insert_user(db, username.as_str(), &display_name, role, input.unit_id, &hash).await
        }
        .await,
    )
    .await
}

/// Changes a user account inside the caller's scope.
pub async fn update_user(db: &Db, me: &Principal, id: i64, change: &UserChange) -> Result<()> {
    me.audited(
        db,
        "user.update",
        ("user", &id.to_string()),
        async {
            me.require(Permission::ManageUsers)?;
            let user = store::user(db, &me.scope, id).await?;
            let display_name =
                parse_name("display_name", change.display_name.as_deref().unwrap_or(&user.display_name))?;
            let role = change.role.as_deref().map_or(Ok(user.role), parse_role)?;
            let unit_id = change.unit_id.unwrap_or(user.unit_id);
            let disabled = change.disabled.unwrap_or(user.disabled);
            if id == me.user.id && (disabled || role != me.role || unit_id != me.user.unit_id) {
                return Err(Error::invalid("role", "error.self_change"));
            }
            unit_for(db, me, unit_id, role).await?;
            store::update_user(db, &me.scope, id, &display_name, role, unit_id, disabled).await
        }
        .await,
    )
    .await
}

/// Sets another user's password (admin) and ends their sessions.
pub async fn reset_password(db: &Db, me: &Principal, id: i64, password: &str) -> Result<()> {
    me.audited(
        db,
        "user.password_reset",
        ("user", &id.to_string()),
        async {
            me.require(Permission::ManageUsers)?;
            store::user(db, &me.scope, id).await?;
            let hash = hash(Password::parse(password)?).await?;
            store::set_password(db, id, &hash, None).await
        }
        .await,
    )
    .await
}

/// Changes the caller's own password after checking the current one; other sessions end.
pub async fn change_own_password(db: &Db, me: &Principal, current: &str, new: &str) -> Result<()> {
    me.audited(
        db,
        "user.password_change",
        ("user", &me.user.id.to_string()),
        async {
            let creds = store::credentials(db, &me.user.username).await?.ok_or(Error::NotFound)?;
            let current = current.to_owned();
            let ok = tokio::task::spawn_blocking(move || super::verify_password(&current, &creds.password_hash))
                .await
                .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
            if !ok {
                return Err(Error::invalid("current", "error.password_wrong"));
            }
            let hash = hash(Password::parse(new)?).await?;
            store::set_password(db, me.user.id, &hash, me.session_hash()).await
        }
        .await,
    )
    .await
}

/// Makes an API token for a user inside the caller's scope; returns the token, shown once.
pub async fn create_token(db: &Db, me: &Principal, user_id: i64, name: &str) -> Result<(i64, String)> {
    me.audited(
        db,
        "token.create",
        ("user", &user_id.to_string()),
        async {
            me.require(Permission::ManageUsers)?;
            store::user(db, &me.scope, user_id).await?;
            let name = parse_name("name", name)?;
            let token = format!("fct_{}", super::new_secret());
            let id = store::insert_token(db, user_id, me.user.id, &name, &super::hash_secret(&token)).await?;
            Ok((id, token))
        }
        .await,
    )
    .await
}

/// Revokes an API token whose owner is inside the caller's scope; returns the owner's id.
pub async fn revoke_token(db: &Db, me: &Principal, id: i64) -> Result<i64> {
    me.audited(
        db,
        "token.revoke",
        ("token", &id.to_string()),
        async {
            me.require(Permission::ManageUsers)?;
            store::revoke_token(db, &me.scope, id).await
        }
        .await,
    )
    .await
}
