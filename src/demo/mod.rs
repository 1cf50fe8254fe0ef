//! Demo data on top of the reference data: a few partner, school, community and volunteer units,
//! one account for each role (all with the same password), and the 2024 publicity month with the
//! current one. Loading twice changes nothing.

pub mod alerts;
pub mod events;
pub mod hazards;
pub mod month;
pub mod push;
pub mod quiz;
pub mod quiz_selection;
pub mod screens;
pub mod streams;
pub mod volunteers;

use anyhow::Context as _;

use crate::db::Db;
use crate::org::{Role, Scope, UnitKind, store};
use crate::personal::DataKey;

/// The password of every demo account.
pub const PASSWORD: &str = "firecast-demo";

/// [`PASSWORD`]'s Argon2id hash (PHC, the parameters of [`crate::org::Password::hash`]), made once: hashing
/// it at each load took 25 ms of the demo's start.
const PASSWORD_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$rxllvoN7awkGavD+rwbjew$tT7DV74pkB8YVTZSTQ5WrNc8B3WmncSs/LgFeZh7x2w";

/// A demo account as printed at start-up.
#[derive(Debug)]
pub struct Account {
    /// Login name.
    pub username: &'static str,
    pub(crate) role: &'static str,
    /// Unit name.
    pub unit: &'static str,
}

/// Units beyond the standing organisation: (name, kind, region, parent).
const UNITS: &[(&str, UnitKind, &str, Option<&str>)] = &[
    ("美团吉林", UnitKind::Partner, "220000", None),
    ("苏宁易购吉林", UnitKind::Partner, "220000", None),
    ("长春人文学院", UnitKind::School, "220100", None),
    ("吉林师范大学", UnitKind::School, "220300", None),
    ("华阳社区居委会", UnitKind::CommunityOffice, "220102001001", Some("长春市南关区消防救援大队")),
    ("美团小哥消防志愿服务队", UnitKind::VolunteerTeam, "220100", None),
    ("老妈妈防火团", UnitKind::VolunteerTeam, "220600", None),
];

/// One account per role: (login, name, role, unit).
const ACCOUNTS: &[(&str, &str, Role, &str)] = &[
    ("admin", "系统管理员", Role::Admin, "吉林省消防救援总队"),
    ("province", "总队宣传处", Role::ProvinceStaff, "吉林省消防救援总队"),
    ("leader", "省级领导", Role::Leader, "吉林省消防救援总队"),
    ("changchun.admin", "长春支队管理员", Role::Admin, "长春市消防救援支队"),
    ("changchun", "长春支队宣传科", Role::DetachmentStaff, "长春市消防救援支队"),
    ("yanbian", "延边支队宣传科", Role::DetachmentStaff, "延边朝鲜族自治州消防救援支队"),
    ("nanguan", "南关区大队", Role::BrigadeStaff, "长春市南关区消防救援大队"),
    ("grid", "华阳社区网格员", Role::CommunityWorker, "华阳社区居委会"),
    ("yjt", "应急管理厅联络员", Role::DepartmentLiaison, "吉林省应急管理厅"),
    ("volunteer", "美团小哥志愿者", Role::Volunteer, "美团小哥消防志愿服务队"),
];

/// Loads the demo units, accounts ([`accounts`]) and data (once).
pub async fn seed(db: &Db, key: &DataKey) -> anyhow::Result<()> {
    let all = Scope::province();
    if store::user_by_username(db, ACCOUNTS[0].0).await?.is_none() {
        for (name, kind, region, parent) in UNITS {
            let region = store::region(db, &all, region).await.with_context(|| format!("demo region {region}"))?;
            let parent_id = match parent {
                Some(p) => Some(store::unit_by_name_or_id(db, p).await?.id),
                None => None,
            };
            store::insert_unit(db, name, *kind, &region, parent_id).await?;
        }
        for (username, display, role, unit) in ACCOUNTS {
            let unit = store::unit_by_name_or_id(db, unit).await.with_context(|| format!("demo unit {unit}"))?;
            store::insert_user(db, username, display, *role, unit.id, PASSWORD_HASH).await?;
        }
    }
    let author = store::user_by_username(db, "province").await?.context("demo account province")?;
    // Each part's time, for `FIRECAST_LOG=firecast::demo=debug` (where a slow start goes).
    let mut lap = std::time::Instant::now();
    let mut done = |part: &str| {
        tracing::debug!(part, ms = lap.elapsed().as_millis(), "demo part loaded");
        lap = std::time::Instant::now();
    };
    let named = month::load(db, author.id).await?;
    done("month");
    quiz::load(db, key, author.id, 120).await?;
    done("quiz");
    volunteers::load(db, key).await?;
    done("volunteers");
    hazards::load(db, key).await?;
    done("hazards");
    let corps = store::unit_by_name_or_id(db, crate::org::reference::CORPS).await?;
    push::load(db, author.id, corps.id, crate::clock::now()).await?;
    done("push");
    quiz_selection::load(db).await?;
    done("quiz_selection");
    events::load(db, key, author.id, named.get(events::CARNIVAL_TITLE).copied()).await?;
    done("events");
    streams::load(db, author.id, &named).await?;
    alerts::load(db).await?;
    screens::load(db, author.id).await?;
    done("streams, alerts, screens");
    Ok(())
}

/// The demo's accounts.
pub fn accounts() -> Vec<Account> {
    ACCOUNTS.iter().map(|(username, _, role, unit)| Account { username, role: role.as_str(), unit }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_is_the_demo_password_s() {
        assert!(crate::org::Password::parse(PASSWORD).is_ok());
        assert!(crate::org::verify_password(PASSWORD, PASSWORD_HASH));
        assert!(!crate::org::verify_password("firecast-demo!", PASSWORD_HASH));
    }
}
