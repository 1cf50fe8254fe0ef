//! The scope matrix: every role at every level where it fits, against reading and changing the
//! units and users of its own unit, its parent, its siblings and its children, through the API and
//! through the pages. The expectation is written here from the rules, independently of the code:
//! a user's scope is their unit's region subtree; everyone reads units in scope; staff, admins and
//! leaders read users in scope; only admins change anything, and only in scope.

use std::collections::BTreeMap;

use firecast::org::store::{self, Unit, UnitFilter};
use firecast::org::{Role, Scope, UnitKind};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Client, PASSWORD, TestApp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Relation {
    Own,
    Parent,
    Sibling,
    Child,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    ReadUnit,
    ChangeUnit,
    ReadUser,
    ChangeUser,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Via {
    Api,
    Page,
}

fn expected(role: Role, in_scope: bool, op: Op) -> bool {
    let reads_users =
        matches!(role, Role::Admin | Role::ProvinceStaff | Role::DetachmentStaff | Role::BrigadeStaff | Role::Leader);
    in_scope
        && match op {
            Op::ReadUnit => true,
            Op::ReadUser => reads_users,
            Op::ChangeUnit | Op::ChangeUser => role == Role::Admin,
        }
}

/// One representative unit of each kind a subject can belong to.
const REPRESENTATIVES: &[(UnitKind, &str)] = &[
    (UnitKind::Corps, "吉林省消防救援总队"),
    (UnitKind::Detachment, "长春市消防救援支队"),
    (UnitKind::Brigade, "长春市南关区消防救援大队"),
    (UnitKind::Station, "南关区特勤消防站"),
    (UnitKind::Department, "吉林省应急管理厅"),
    (UnitKind::Partner, "美团吉林"),
    (UnitKind::School, "长春人文学院"),
    (UnitKind::CommunityOffice, "华阳社区居委会"),
    (UnitKind::VolunteerTeam, "美团小哥消防志愿服务队"),
];

fn member_role(kind: UnitKind) -> Role {
    match kind {
        UnitKind::Corps => Role::ProvinceStaff,
        UnitKind::Detachment => Role::DetachmentStaff,
        UnitKind::Brigade | UnitKind::Station => Role::BrigadeStaff,
        UnitKind::Department | UnitKind::Partner | UnitKind::School => Role::DepartmentLiaison,
        UnitKind::CommunityOffice => Role::CommunityWorker,
        UnitKind::VolunteerTeam => Role::Volunteer,
    }
}

async fn status(
    c: &Client,
    via: Via,
    op: Op,
    unit: &Unit,
    user_id: i64,
    user_unit: i64,
    user_role: Role,
) -> StatusCode {
    match (via, op) {
        (Via::Api, Op::ReadUnit) => c.get(&format!("/api/v1/units/{}", unit.id)).await.status(),
        (Via::Page, Op::ReadUnit) => c.get(&format!("/units/{}", unit.id)).await.status(),
        (Via::Api, Op::ChangeUnit) => {
            c.json(Method::PATCH, &format!("/api/v1/units/{}", unit.id), &json!({ "name": unit.name })).await.status()
        }
        (Via::Page, Op::ChangeUnit) => c.form(&format!("/units/{}", unit.id), &[("name", &unit.name)]).await.status(),
        (Via::Api, Op::ReadUser) => c.get(&format!("/api/v1/users/{user_id}")).await.status(),
        (Via::Page, Op::ReadUser) => c.get(&format!("/users/{user_id}")).await.status(),
        (Via::Api, Op::ChangeUser) => c
            .json(Method::PATCH, &format!("/api/v1/users/{user_id}"), &json!({ "display_name": "目标用户" }))
            .await
            .status(),
        (Via::Page, Op::ChangeUser) => {
            let unit = user_unit.to_string();
            c.form(
                &format!("/users/{user_id}"),
                &[("display_name", "目标用户"), ("role", user_role.as_str()), ("unit_id", &unit)],
            )
            .await
            .status()
        }
    }
}

pub async fn scope_matrix(app: TestApp) {
    let db = &app.db;
    let all = Scope::province();
    // A station under the Nanguan brigade, so that brigade staff at a station are covered too.
    let nanguan = app.unit_id("长春市南关区消防救援大队").await;
    let region = store::region(db, &all, "220102").await.unwrap();
    store::insert_unit(db, "南关区特勤消防站", UnitKind::Station, &region, Some(nanguan)).await.unwrap();
    let units = store::units(db, &all, &UnitFilter::default(), 10_000).await.unwrap();
    let by_id: BTreeMap<i64, &Unit> = units.iter().map(|u| (u.id, u)).collect();
    let hash = firecast::org::Password::parse(PASSWORD).unwrap().hash().unwrap();

    // One member of every unit that can be a target, made on demand.
    let mut members: BTreeMap<i64, (i64, Role)> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut differences = Vec::new();
    let (mut allowed, mut denied) = (0, 0);
    for (kind, unit_name) in REPRESENTATIVES {
        let own = units.iter().find(|u| u.name == *unit_name).unwrap();
        let siblings: Vec<&Unit> =
            units.iter().filter(|u| u.parent_id == own.parent_id && u.id != own.id).take(2).collect();
        let children: Vec<&Unit> = units.iter().filter(|u| u.parent_id == Some(own.id)).take(2).collect();
        let mut targets: Vec<(Relation, &Unit)> = vec![(Relation::Own, own)];
        targets.extend(own.parent_id.and_then(|p| by_id.get(&p)).map(|p| (Relation::Parent, *p)));
        targets.extend(siblings.into_iter().map(|u| (Relation::Sibling, u)));
        targets.extend(children.into_iter().map(|u| (Relation::Child, u)));
        for (_, target) in &targets {
            if let std::collections::btree_map::Entry::Vacant(e) = members.entry(target.id) {
                let role = member_role(target.kind);
                let id = store::insert_user(db, &format!("member{}", target.id), "成员", role, target.id, &hash)
                    .await
                    .unwrap();
                e.insert((id, role));
            }
        }
        for role in Role::ALL.iter().filter(|r| r.unit_kinds().contains(kind)) {
            let username = format!("s.{}.{}", role.as_str(), kind.as_str()).replace('_', "-");
            store::insert_user(db, &username, "主体", *role, own.id, &hash).await.unwrap();
            let client = app.login(&username).await;
            for (relation, target) in &targets {
                let in_scope = target.region_path.starts_with(&own.region_path);
                let (user_id, user_role) = members[&target.id];
                for op in [Op::ReadUnit, Op::ReadUser, Op::ChangeUnit, Op::ChangeUser] {
                    for via in [Via::Api, Via::Page] {
                        let got = status(&client, via, op, target, user_id, target.id, user_role).await;
                        let want = expected(*role, in_scope, op);
                        let ok = if want {
                            allowed += 1;
                            got == StatusCode::OK || got == StatusCode::SEE_OTHER
                        } else {
                            denied += 1;
                            got == StatusCode::FORBIDDEN || got == StatusCode::NOT_FOUND
                        };
                        let line = format!(
                            "{:<18} {:<16} {:<8} {:<24} {:?}/{:?}: want {}, got {}",
                            role.as_str(),
                            kind.as_str(),
                            format!("{relation:?}"),
                            target.name,
                            op,
                            via,
                            if want { "allow" } else { "deny" },
                            got.as_u16()
                        );
                        if !ok {
                            differences.push(line.clone());
                        }
                        rows.push(line);
                    }
                }
            }
        }
    }
    println!("scope matrix on {:?}: {} checks ({allowed} allowed, {denied} denied)", app.backend, rows.len());
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    assert!(
        allowed > 100 && denied > 100,
        "the matrix must exercise both outcomes: {allowed} allowed, {denied} denied"
    );
}

crate::on_both_backends!(scope_matrix);
