//! What staff and partners do with keys: issue one for a partner unit of the caller's area (the
//! key shown once), revoke it, and — with a key — use it within its hourly budget and file reach
//! figures as a record for review. Every change is audited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, NewKey, PartnerKey};
use super::{CALLS_PER_HOUR, KEY_PREFIX, KeyScope, read_scopes, store_scopes};
use crate::audit::{self, Actor, Outcome};
use crate::db::Db;
use crate::org::caller::Principal;
use crate::org::{self, Scope, UnitKind, parse_name};
use crate::{Error, Result, activity, clock};

/// Issues a key for a partner unit inside the caller's area; returns the key (shown once).
pub async fn issue(db: &Db, me: &Principal, unit_id: i64, name: &str, scopes: &[KeyScope]) -> Result<String> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        let unit = org::store::unit(db, &me.scope, unit_id)
            .await
            .ok()
            .filter(|u| u.kind == UnitKind::Partner)
            .ok_or_else(|| Error::invalid("unit_id", "error.partner_unit"))?;
        let name = parse_name("name", name)?;
        if scopes.is_empty() {
            return Err(Error::invalid("scopes", "error.partner_scopes"));
        }
        let key = format!("{KEY_PREFIX}{}", org::new_secret());
        let k = NewKey {
            unit: (unit.id, unit.region_path),
            name,
            scopes: store_scopes(scopes),
            key: (org::hash_secret(&key), key[key.len() - 4..].to_owned()),
            created_by: me.user.id,
        };
        store::insert(db, &k, clock::now()).await?;
        Ok(key)
    }
    .await;
    me.audited(db, "partner.key_create", ("unit", &unit_id.to_string()), r).await
}

/// Revokes a key of a partner unit inside the caller's area.
pub async fn revoke(db: &Db, me: &Principal, id: i64) -> Result<()> {
    let r = async {
        if !me.role.is_fire_staff() {
            return Err(Error::Forbidden);
        }
        store::key(db, &me.scope, id).await?;
        store::revoke(db, id, clock::now()).await
    }
    .await;
    me.audited(db, "partner.key_revoke", ("partner_key", &id.to_string()), r).await
}

/// The live key `key` is, counting its use, within its hourly budget; unknown and revoked keys
/// are refused alike.
pub async fn authenticate(db: &Db, key: &str) -> Result<PartnerKey> {
    if !key.starts_with(KEY_PREFIX) {
        return Err(Error::Unauthorized);
    }
    let hash = org::hash_secret(key);
    let now = clock::now();
    org::store::spend(db, "partner_call", &hash, now, CALLS_PER_HOUR)
        .await?
        .ok_or_else(|| Error::TooMany("error.partner_calls_per_hour".into()))?;
    store::use_key(db, &hash, now).await.map_err(|e| if matches!(e, Error::NotFound) { Error::Unauthorized } else { e })
}

/// Refuses a key that lacks `scope`.
pub fn require(key: &PartnerKey, scope: KeyScope) -> Result<()> {
    if read_scopes(&key.scopes).contains(&scope) { Ok(()) } else { Err(Error::Forbidden) }
}

/// The area a key reads and reports in.
pub fn area(key: &PartnerKey) -> Scope {
    Scope::under(&key.unit_path)
}

/// The place a partner names (`field`): a region of its area, or with none the whole of it.
pub async fn place(db: &Db, key: &PartnerKey, field: &str, code: &str) -> Result<org::store::Region> {
    match code.trim() {
        "" => org::store::scope_root(db, &area(key)).await,
        code => org::picker::place(db, &area(key), field, code).await,
    }
}

/// Who acts when a key is used: the partner unit, from its address.
pub fn actor(key: &PartnerKey, ip: &str) -> Actor {
    Actor {
        user_id: None,
        name: format!("{}（{}…{}）", key.unit_name, key.name, key.key_hint),
        ip: ip.to_owned(),
        region_path: key.unit_path.clone(),
    }
}

/// Reach a partner platform reports for what it carried.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[schema(as = PartnerReachInput)]
pub struct ReachInput {
    /// What was carried and where, e.g. 美团App首页消防安全提示.
    pub title: String,
    /// First day, `2024-11-15`.
    pub starts_on: String,
    /// Last day (defaults to the first).
    #[serde(default)]
    pub ends_on: String,
    /// Where it was shown: a region code inside the partner's area (default the whole area).
    #[serde(default)]
    pub region_code: String,
    /// People reached (views, impressions) as the platform counts them.
    pub reach: i64,
    /// The approved product carried, if one.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// Where the figure can be checked: the platform's statistics page or report.
    pub evidence: String,
}

/// The record a report became.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PartnerReachFiled)]
pub struct Filed {
    /// The activity record, waiting for review.
    pub activity_id: i64,
    /// The campaign it counts in.
    pub campaign_id: i64,
}

/// Files a partner's reach as an activity record for review (kind `partner_placement`, metric
/// `partner_reach`), in the campaign running on its first day over the partner's area; the
/// record is filed in the name of the staff member who issued the key.
pub async fn file_reach(db: &Db, key: &PartnerKey, ip: &str, input: &ReachInput) -> Result<Filed> {
    let r = async {
        require(key, KeyScope::Reach)?;
        let title = parse_name("title", &input.title)?;
        let region = place(db, key, "region_code", &input.region_code).await?;
        let evidence = input.evidence.trim();
        if evidence.is_empty() || evidence.chars().count() > 500 || evidence.chars().any(char::is_control) {
            return Err(Error::invalid("evidence", "error.evidence_needed"));
        }
        let product = match input.product_id {
            None => None,
            Some(id) => Some(
                crate::push::store::public_tip(db, id, crate::push::Lang::Zh)
                    .await
                    .map_err(|_| Error::invalid("product_id", "error.partner_product"))?,
            ),
        };
        let mut description = format!("{}报送：{evidence}", key.unit_name);
        if let Some(p) = &product {
            description = format!("{description}\n宣传产品：{}", p.title);
        }
        let input = activity::actions::ActivityInput {
            kind: "partner_placement".to_owned(),
            title,
            starts_on: input.starts_on.clone(),
            ends_on: input.ends_on.clone(),
            region_code: region.code.clone(),
            co_organisers: key.unit_name.clone(),
            description,
            figures: BTreeMap::from([("partner_reach".to_owned(), input.reach)]),
            ..Default::default()
        };
        let filed = activity::actions::file_for_review(
            db,
            input,
            (region.code, region.path),
            (key.unit_id, &key.unit_path),
            key.created_by,
        )
        .await?
        .ok_or_else(|| Error::invalid("starts_on", "error.partner_no_campaign"))?;
        Ok(Filed { activity_id: filed.0, campaign_id: filed.1 })
    }
    .await;
    let outcome = match &r {
        Ok(_) => Outcome::Ok,
        Err(Error::Forbidden) => Outcome::Denied,
        Err(_) => return r,
    };
    let object = r.as_ref().map_or(String::new(), |f| f.activity_id.to_string());
    audit::record(db, &actor(key, ip), "partner.reach", ("activity", &object), outcome, "").await?;
    r
}
