//! Demo hazard reports: a few thousand over the last four months across all ten regions, in every
//! state, with their timelines; some overdue and escalated; some reported by the demo accounts
//! `volunteer` and `grid`, many by residents with tracking codes (some with a phone number). The
//! 华阳社区 of 南关区 gets a set of reports for `nanguan` and `grid` to act on. None falls in the
//! 2024 publicity month. Loading twice adds nothing.

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::{Duration, OffsetDateTime};

use crate::db::Db;
use crate::hazard::store::{self, NewEvent, NewHazard};
use crate::hazard::{ReporterKind, State, add_working_days, due_in, escalation_for};
use crate::org::{Scope, UnitKind, store as org};
use crate::personal::DataKey;

/// How many hazards the demo spreads over the province (besides the 华阳社区 set).
pub const SPREAD: usize = 3000;

/// The community whose reports the demo accounts act on.
pub const HUAYANG: &str = "220102001001";

const CATEGORIES: &[(&str, i64, &[&str])] = &[
    ("fire_lane", 24, &["小区消防车通道被私家车长期占用", "消防通道堆放装修垃圾"]),
    ("exit", 24, &["商铺安全出口上锁", "楼道堆放杂物堵塞疏散通道"]),
    ("ebike", 72, &["居民从楼上飞线给电动自行车充电", "电动自行车停放在楼道内充电"]),
    ("extinguisher", 72, &["小超市灭火器过期未换", "出租屋未配置灭火器"]),
    ("wiring", 72, &["门市电线私拉乱接、老化破损", "配电箱周围堆放纸箱"]),
    ("gas", 72, &["饭店燃气软管老化开裂", "餐馆未安装燃气报警器"]),
    ("three_in_one", 72, &["小作坊楼上住人，生产经营与居住混在一起", "仓库内设员工宿舍"]),
    ("flammable", 72, &["店内存放大量烟花爆竹", "车库存放汽油桶"]),
    ("facilities", 72, &["小区室外消火栓无水", "商场喷淋系统关闭，报警主机故障"]),
    ("other", 72, &["冬季取暖炉烟囱紧贴木质墙体", "楼道内私设煤炉"]),
];

/// Who handles the steps of one demo hazard.
struct Cast {
    responsible: (i64, String, String),
    assignee: (i64, String),
    department: Option<(i64, String)>,
}

struct Step {
    state: State,
    action: &'static str,
    after_hours: (i64, i64),
    note: &'static str,
}

const PATH: &[Step] = &[
    Step { state: State::Verified, action: "verify", after_hours: (2, 20), note: "经现场核实，隐患属实" },
    Step { state: State::Assigned, action: "assign", after_hours: (1, 40), note: "已交办责任单位限期整改" },
    Step {
        state: State::Rectifying, action: "start_rectifying", after_hours: (4, 72), note: "已通知业主，正在整改"
    },
    Step { state: State::Rectified, action: "mark_rectified", after_hours: (24, 240), note: "已整改完毕" },
    Step { state: State::Closed, action: "close", after_hours: (12, 96), note: "复查合格，感谢您的报告" },
];

/// Builds one hazard that ends in `last`, reported at `created`, with its steps after it.
#[allow(clippy::too_many_arguments)]
fn build(
    rng: &mut StdRng,
    place: (&str, &str, &str),
    category: usize,
    last: State,
    created: OffsetDateTime,
    cast: &Cast,
    reporter: (ReporterKind, Option<i64>, String),
    phone: Option<(String, String, String)>,
) -> NewHazard {
    let (code, path, name) = place;
    let (category_code, verify_hours, texts) = CATEGORIES[category % CATEGORIES.len()];
    let verify_due_at = created + Duration::hours(verify_hours);
    let mut h = NewHazard {
        tracking_code: crate::code::new(),
        category: category_code.to_owned(),
        region: (code.to_owned(), path.to_owned()),
        address: format!("{name}{}号楼{}单元", rng.random_range(1..40), rng.random_range(1..6)),
        coordinates: None,
        description: texts[rng.random_range(0..texts.len())].to_owned(),
        state: State::Reported,
        reporter_kind: reporter.0,
        reporter_user_id: reporter.1,
        reporter_name: reporter.2.clone(),
        phone,
        ip_hash: None,
        responsible: (cast.responsible.0, cast.responsible.1.clone()),
        assigned_unit_id: None,
        referred_unit_id: None,
        duplicate_of: None,
        verify_due_at,
        answer_due_at: add_working_days(created, crate::hazard::ANSWER_WORKING_DAYS),
        rectify_due_on: None,
        due_at: Some(verify_due_at),
        escalation_level: 0,
        created_at: created,
        verified_at: None,
        answered_at: None,
        rectified_at: None,
        closed_at: None,
        events: vec![NewEvent {
            at: created,
            actor_user_id: reporter.1,
            actor_name: if reporter.1.is_some() { reporter.2 } else { "reporter".to_owned() },
            action: "report".to_owned(),
            from_state: None,
            to_state: State::Reported,
            note: String::new(),
            public: true,
        }],
    };
    let mut at = created;
    let push = |h: &mut NewHazard, at: OffsetDateTime, to: State, action: &str, actor: &str, note: String| {
        let from = h.state;
        h.events.push(NewEvent {
            at,
            actor_user_id: None,
            actor_name: actor.to_owned(),
            action: action.to_owned(),
            from_state: Some(from),
            to_state: to,
            note,
            public: true,
        });
        h.state = to;
        h.answered_at.get_or_insert(at);
    };
    let fire = cast.responsible.2.clone();
    match last {
        State::Rejected | State::Duplicate => {
            at += Duration::hours(rng.random_range(2..20));
            let (action, note) = if last == State::Rejected {
                ("reject", "现场核查未发现所报隐患")
            } else {
                ("duplicate", "与此前的报告为同一处隐患，已合并办理")
            };
            push(&mut h, at, last, action, &fire, note.to_owned());
            h.closed_at = Some(at);
        }
        State::Reported => {}
        _ => {
            let referred = cast.department.is_some() && rng.random_range(0..100) < 12;
            let stop = match last {
                State::Verified => 1,
                State::Assigned | State::Referred => 2,
                State::Rectifying | State::ClosedNotFixed => 3,
                State::Rectified => 4,
                _ => 5,
            };
            for step in &PATH[..stop] {
                at += Duration::hours(rng.random_range(step.after_hours.0..step.after_hours.1));
                let (mut to, mut action, mut note, mut actor) =
                    (step.state, step.action, step.note.to_owned(), fire.clone());
                match step.state {
                    State::Verified => h.verified_at = Some(at),
                    State::Assigned => {
                        h.rectify_due_on = Some((at + Duration::days(15)).to_offset(crate::clock::CST).date());
                        if let (true, Some((id, dept))) = (referred, &cast.department) {
                            h.referred_unit_id = Some(*id);
                            (to, action, note) = (State::Referred, "refer", format!("属{dept}职责，已移交"));
                        } else {
                            h.assigned_unit_id = Some(cast.assignee.0);
                            note = format!("{note}：{}", cast.assignee.1);
                        }
                    }
                    State::Rectifying | State::Rectified => {
                        actor = match (&cast.department, h.referred_unit_id) {
                            (Some((_, dept)), Some(_)) => dept.clone(),
                            _ => cast.assignee.1.clone(),
                        };
                        if step.state == State::Rectified {
                            h.rectified_at = Some(at);
                        }
                    }
                    State::Closed => h.closed_at = Some(at),
                    _ => {}
                }
                push(&mut h, at, to, action, &actor, note);
            }
            if last == State::ClosedNotFixed {
                at += Duration::hours(rng.random_range(48..200));
                push(
                    &mut h,
                    at,
                    State::ClosedNotFixed,
                    "close_not_fixed",
                    &fire,
                    "业主拒不整改，已移交执法部门依法处理".to_owned(),
                );
                h.closed_at = Some(at);
            }
        }
    }
    h.due_at = due_in(h.state, at, verify_due_at, h.rectify_due_on);
    h
}

/// Moves a built hazard in time so that its last step happens at `end`.
fn shift_to(h: &mut NewHazard, end: OffsetDateTime) {
    let last = h.events.last().map_or(h.created_at, |e| e.at);
    let d = end - last;
    let add = |t: &mut OffsetDateTime| *t += d;
    add(&mut h.created_at);
    add(&mut h.verify_due_at);
    add(&mut h.answer_due_at);
    for t in [&mut h.due_at, &mut h.verified_at, &mut h.answered_at, &mut h.rectified_at, &mut h.closed_at] {
        if let Some(t) = t.as_mut() {
            *t += d;
        }
    }
    if let Some(day) = h.rectify_due_on.as_mut() {
        *day += Duration::days(d.whole_days());
    }
    for e in &mut h.events {
        e.at += d;
    }
}

/// Marks an open demo hazard overdue at `now` as escalated, with its timeline entries.
fn escalate(h: &mut NewHazard, now: OffsetDateTime) {
    let Some(due) = h.due_at.filter(|_| h.closed_at.is_none()) else { return };
    let level = escalation_for(due, now);
    for l in 1..=level {
        h.events.push(NewEvent {
            at: (due + Duration::hours(l * 24)).min(now),
            actor_user_id: None,
            actor_name: "system".to_owned(),
            action: "escalate".to_owned(),
            from_state: Some(h.state),
            to_state: h.state,
            note: String::new(),
            public: false,
        });
    }
    h.escalation_level = level;
}

fn pick_state(rng: &mut StdRng) -> State {
    match rng.random_range(0..100) {
        0..6 => State::Reported,
        6..12 => State::Verified,
        12..22 => State::Assigned,
        22..30 => State::Rectifying,
        30..38 => State::Rectified,
        38..84 => State::Closed,
        84..90 => State::Rejected,
        90..95 => State::Duplicate,
        _ => State::ClosedNotFixed,
    }
}

/// Hours the steps up to `state` take at most, so that a hazard ending there was reported early enough.
fn span_hours(state: State) -> i64 {
    match state {
        State::Reported => 0,
        State::Rejected | State::Duplicate | State::Verified => 20,
        State::Assigned | State::Referred => 60,
        State::Rectifying => 132,
        State::Rectified => 372,
        State::Closed => 468,
        State::ClosedNotFixed => 332,
    }
}

/// Loads the demo hazards once.
pub async fn load(db: &Db, key: &DataKey) -> anyhow::Result<()> {
    if store::hazard_count_total(db).await? > 0 {
        return Ok(());
    }
    let all = Scope::province();
    let now = crate::clock::now();
    let mut rng = StdRng::seed_from_u64(20_261_101);
    let fire = store::fire_units(db).await?;
    let units = org::units(db, &all, &org::UnitFilter::default(), 10_000).await?;
    let name_of = |id: i64| units.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_default();
    let departments: Vec<(i64, String)> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Department && u.region_path == "/22/")
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let responsible = |path: &str| {
        fire.iter()
            .filter(|(_, _, p)| path.starts_with(p.as_str()))
            .max_by_key(|(_, kind, p)| (p.len(), kind == "brigade"))
            .map(|(id, _, p)| (*id, p.clone(), name_of(*id)))
    };
    let volunteer = org::user_by_username(db, "volunteer").await?.context("demo account volunteer")?;
    let grid = org::user_by_username(db, "grid").await?.context("demo account grid")?;
    let mut by_prefecture: std::collections::BTreeMap<String, Vec<(String, String, String)>> =
        std::collections::BTreeMap::new();
    for c in org::communities(db, &all).await? {
        by_prefecture.entry(c.0[..4].to_owned()).or_default().push(c);
    }
    let groups: Vec<Vec<(String, String, String)>> = by_prefecture.into_values().collect();
    let mut hazards = Vec::with_capacity(SPREAD + 20);
    let mut phone_seq = 0_u32;
    let mut phone = |rng: &mut StdRng| {
        phone_seq += 1;
        (rng.random_range(0..3) == 0).then(|| {
            let plain = format!("138{:08}", 40_000_000 + phone_seq);
            (key.seal(&plain), key.index(&plain), crate::personal::mask(&plain))
        })
    };
    for i in 0..SPREAD {
        let group = &groups[i % groups.len()];
        let (code, name, path) = &group[rng.random_range(0..group.len())];
        let Some(resp) = responsible(path) else { continue };
        let state = pick_state(&mut rng);
        // Open items are recent; a few are late and escalate.
        let slack = match state {
            State::Reported => rng.random_range(0..30),
            State::Verified => rng.random_range(0..60),
            State::Rectified => rng.random_range(0..190),
            s if s.is_closed() => rng.random_range(0..2400),
            _ => rng.random_range(0..400),
        };
        let created = now - Duration::hours(span_hours(state) + slack + 1);
        let end = now - Duration::hours(slack + 1);
        let changchun = path.starts_with("/22/2201/");
        let reporter = match rng.random_range(0..100) {
            0..45 => (ReporterKind::Resident, None, "群众".to_owned()),
            45..60 if changchun => (ReporterKind::Volunteer, Some(volunteer.id), volunteer.display_name.clone()),
            45..70 => (ReporterKind::Volunteer, None, "志愿者".to_owned()),
            70..88 => (ReporterKind::GridWorker, None, "网格员".to_owned()),
            _ => (ReporterKind::Staff, None, resp.2.clone()),
        };
        let cast = Cast {
            assignee: (resp.0, resp.2.clone()),
            responsible: resp,
            department: departments.get(i % departments.len().max(1)).cloned(),
        };
        let ph = if reporter.0 == ReporterKind::Resident { phone(&mut rng) } else { None };
        let mut h = build(&mut rng, (code, path, name), i, state, created, &cast, reporter, ph);
        shift_to(&mut h, end);
        escalate(&mut h, now);
        hazards.push(h);
    }
    // 华阳社区: reports for the brigade and the grid worker to act on.
    let huayang = org::region(db, &all, HUAYANG).await?;
    let resp = responsible(&huayang.path).context("a brigade over 华阳社区")?;
    let office = org::unit_by_name_or_id(db, "华阳社区居委会").await?;
    let plan: &[(State, ReporterKind, i64, bool)] = &[
        (State::Reported, ReporterKind::GridWorker, 30, false),
        (State::Reported, ReporterKind::Volunteer, 6, false),
        (State::Reported, ReporterKind::Resident, 3, false),
        (State::Verified, ReporterKind::Resident, 10, false),
        (State::Assigned, ReporterKind::GridWorker, 30, true),
        (State::Assigned, ReporterKind::Resident, 40, false),
        (State::Rectifying, ReporterKind::Volunteer, 200, false),
        (State::Rectified, ReporterKind::Resident, 48, false),
        (State::Rectified, ReporterKind::GridWorker, 20, true),
        (State::Closed, ReporterKind::Volunteer, 900, false),
        (State::Closed, ReporterKind::Resident, 1200, false),
        (State::Rejected, ReporterKind::Resident, 60, false),
    ];
    for (i, (state, kind, hours, to_office)) in plan.iter().enumerate() {
        let reporter = match kind {
            ReporterKind::GridWorker => (*kind, Some(grid.id), grid.display_name.clone()),
            ReporterKind::Volunteer => (*kind, Some(volunteer.id), volunteer.display_name.clone()),
            _ => (*kind, None, "群众".to_owned()),
        };
        let assignee = if *to_office { (office.id, office.name.clone()) } else { (resp.0, resp.2.clone()) };
        let cast = Cast { responsible: resp.clone(), assignee, department: None };
        let ph = if *kind == ReporterKind::Resident { phone(&mut rng) } else { None };
        let created = now - Duration::hours(span_hours(*state) + hours);
        let mut h = build(&mut rng, (HUAYANG, &huayang.path, &huayang.name), i, *state, created, &cast, reporter, ph);
        shift_to(&mut h, now - Duration::hours(*hours));
        escalate(&mut h, now);
        hazards.push(h);
    }
    store::insert_many(db, &hazards, &|_| {}).await?;
    Ok(())
}
