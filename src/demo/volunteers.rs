//! Demo volunteers: the report's teams (美团小哥, 苏宁易购, 公交车, 社区消防宣传大使, 老妈妈防火团 and
//! others, one in each of the ten regions) with members whose phone numbers are sealed, their
//! trainings and certificates, this winter's 100-day period, service events past and upcoming
//! with sign-ups, check-ins and hours, and the 2024 orienteering and skills challenge of 50
//! volunteers from 10 teams with punches and station scores. Loading twice changes nothing.

use std::collections::HashSet;

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

use crate::activity::State;
use crate::activity::store::{self as records, NewActivity};
use crate::campaign::store as campaigns;
use crate::clock;
use crate::db::Db;
use crate::org::{Scope, UnitKind, store as org};
use crate::personal::{DataKey, PhoneNumber};
use crate::volunteer::store::{self, NewEvent, NewMember, TeamDetails};
use crate::volunteer::{CONSENT_VERSION, EventState, SignupStatus, credit_minutes, service_day};

/// The name of the winter period.
pub const WINTER: &str = "冬季消防志愿服务百日行动";

/// The 2024 challenge's name.
pub const CHALLENGE_2024: &str = "2024年吉林省消防志愿者定向赛暨技能PK赛";

/// The teams: (name, region code, sponsor, founded, description). The first and the sixth exist
/// among the demo units already.
const TEAMS: &[(&str, &str, &str, &str, &str)] = &[
    ("美团小哥消防志愿服务队", "220100", "美团吉林", "2021-06-01", "外卖骑手走街串巷，顺路查火患、送平安"),
    ("苏宁易购消防志愿服务队", "220200", "苏宁易购吉林", "2022-03-15", "送装师傅入户时检查电器线路和燃气"),
    ("公交车消防志愿服务队", "220300", "四平市公交集团", "2020-09-01", "公交司乘人员车厢宣传、站台发放宣传品"),
    ("社区消防宣传大使队", "220400", "辽源市龙山区社区", "2019-11-09", "社区宣传大使入户宣讲"),
    ("通化红色消防志愿服务队", "220500", "通化市志愿者联合会", "2021-11-09", "党员志愿者结对帮扶独居老人"),
    ("老妈妈防火团", "220600", "白山市妇女联合会", "2018-05-20", "退休阿姨们在小区楼道查火患、劝阻飞线充电"),
    ("松原查干湖消防志愿服务队", "220700", "松原市志愿者联合会", "2022-01-10", "冬捕季节景区防火宣传"),
    ("白城鹤乡消防志愿服务队", "220800", "白城市团委", "2023-04-01", "大学生志愿者进校园、进社区"),
    ("延边朝汉双语消防志愿服务队", "222400", "延边州志愿者联合会", "2020-10-01", "朝汉双语宣讲，服务朝鲜族聚居村屯"),
    ("长白山景区消防志愿服务队", "229900", "长白山管委会", "2021-07-01", "景区和林区防火宣传"),
];

const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
const KOREAN_SURNAMES: &[&str] = &["金", "朴", "崔", "李", "郑", "姜"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "海燕", "建华", "玉梅", "志强", "春生", "晓东", "丽华",
];
const PREFIXES: &[&str] = &["138", "139", "135", "136", "137", "150", "151", "158", "159", "186", "187", "188", "189"];
const SKILLS: &[&str] = &["first_aid", "extinguisher", "electrical", "gas", "publicity", "driving", "photography"];

/// Members per team.
const PER_TEAM: usize = 8;

fn cst(day: Date, hour: u8, minute: u8) -> OffsetDateTime {
    day.with_time(Time::from_hms(hour, minute, 0).unwrap_or(Time::MIDNIGHT))
        .assume_offset(clock::CST)
        .to_offset(UtcOffset::UTC)
}

fn date(s: &str) -> Option<Date> {
    crate::clock::parse_date("date", s).ok()
}

/// The winter period that contains today, or the last one.
fn winter(today: Date) -> (Date, Date) {
    let year = if u8::from(today.month()) < 3 { today.year() - 1 } else { today.year() };
    let start = Date::from_calendar_date(year, time::Month::November, 1).unwrap_or(today);
    let end = Date::from_calendar_date(year + 1, time::Month::February, 8).unwrap_or(today);
    (start, end)
}

/// Loads the demo volunteers (once).
#[allow(clippy::too_many_lines)]
pub async fn load(db: &Db, key: &DataKey) -> anyhow::Result<()> {
    if store::periods(db).await?.iter().any(|p| p.name.starts_with(WINTER)) {
        return Ok(());
    }
    let all = Scope::province();
    let mut rng = StdRng::seed_from_u64(2024_1123);
    let today = clock::today();
    let province_user = org::user_by_username(db, "province").await?.context("demo account province")?;
    let volunteer_user = org::user_by_username(db, "volunteer").await?.map_or(province_user.id, |u| u.id);

    // Teams and their members.
    let mut teams = Vec::new();
    let mut members = Vec::new();
    let mut phones = HashSet::new();
    for (t, (team_name, code, _, founded, _)) in TEAMS.iter().enumerate() {
        let region = org::region(db, &all, code).await.with_context(|| format!("demo region {code}"))?;
        let unit = match org::unit_by_name_or_id(db, team_name).await {
            Ok(u) => u.id,
            Err(_) => org::insert_unit(db, team_name, UnitKind::VolunteerTeam, &region, None).await?,
        };
        teams.push((unit, region.path.clone(), region.code.clone(), *team_name));
        for i in 0..PER_TEAM {
            let phone = loop {
                let p =
                    format!("{}{:08}", PREFIXES[rng.random_range(0..PREFIXES.len())], rng.random_range(0..100_000_000));
                if phones.insert(p.clone()) {
                    break p;
                }
            };
            let phone = PhoneNumber::parse("phone", &phone)?;
            let surnames = if *code == "222400" { KOREAN_SURNAMES } else { SURNAMES };
            let person = format!(
                "{}{}",
                surnames[rng.random_range(0..surnames.len())],
                GIVEN[(t * PER_TEAM + i * 7 + rng.random_range(0..3)) % GIVEN.len()]
            );
            let mut skills: Vec<&str> = SKILLS.iter().copied().filter(|_| rng.random_bool(0.3)).collect();
            if *code == "222400" && i % 2 == 0 {
                skills.push("korean");
            }
            let joined = date(founded).unwrap_or(today) + Duration::days(i64::try_from(i * 40).unwrap_or(0));
            members.push(NewMember {
                team_id: unit,
                team_path: region.path.clone(),
                name: person,
                phone_sealed: key.seal(phone.as_str()),
                phone_index: key.index(phone.as_str()),
                phone_masked: phone.masked(),
                gender: Some(if *team_name == "老妈妈防火团" || i % 3 == 1 { "f" } else { "m" }.to_owned()),
                birth_year: Some(if *team_name == "老妈妈防火团" {
                    rng.random_range(1950..1965)
                } else {
                    rng.random_range(1975..2003)
                }),
                skills: skills.join(","),
                consent_version: CONSENT_VERSION.to_owned(),
                consent_at: cst(joined.min(today), 10, 0),
                joined_on: joined.min(today),
            });
        }
    }
    let member_ids = store::insert_members(db, &members).await?;
    let team_members = |t: usize| &member_ids[t * PER_TEAM..(t + 1) * PER_TEAM];
    for (t, (_, _, sponsor, founded, about)) in TEAMS.iter().enumerate() {
        let details = TeamDetails {
            sponsor: (*sponsor).to_owned(),
            leader_member_id: Some(team_members(t)[0]),
            founded_on: date(founded),
            description: (*about).to_owned(),
        };
        store::save_team(db, teams[t].0, &details).await?;
    }
    for (i, m) in member_ids.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let issued = date("2024-06-15").unwrap_or(today);
        store::insert_credential(db, *m, "training", "消防志愿者初级培训", "吉林省消防救援总队", issued, None).await?;
        if i % 2 == 0 {
            let until = date("2027-06-15");
            store::insert_credential(db, *m, "certificate", "应急救护员证", "吉林省红十字会", issued, until).await?;
        }
    }

    // The winter period.
    let (from, to) = winter(today);
    store::insert_period(db, &format!("{WINTER}（{}—{}）", from.year(), to.year()), from, to).await?;

    // Service events: in every team three done in the last weeks, and two to come.
    let kinds = ["home_check", "safety_visit", "handout", "lecture", "drill"];
    let titles = ["入户查火患", "“送平安”上门服务", "发放消防宣传品", "社区消防安全宣讲", "楼道疏散演练"];
    let mut events = Vec::new();
    let mut plan = Vec::new();
    for (t, (unit, path, code, name)) in teams.iter().enumerate() {
        let short = name.trim_end_matches("消防志愿服务队");
        for k in 0..5_usize {
            let past = k < 3;
            let offset = if past {
                -(i64::try_from(3 + 5 * k + t % 3).unwrap_or(3))
            } else {
                i64::try_from(4 + 6 * (k - 3) + t % 4).unwrap_or(4)
            };
            let day = today + Duration::days(offset);
            let kind = kinds[(t + k) % kinds.len()];
            events.push(NewEvent {
                team: (*unit, path.clone()),
                kind: kind.to_owned(),
                title: format!("{short}{}", titles[(t + k) % titles.len()]),
                region: (code.clone(), path.clone()),
                address: format!("{}社区活动中心", ["幸福", "和平", "光明", "新华", "长青"][k]),
                starts_at: cst(day, 9, 0),
                ends_at: cst(day, 12, 0),
                capacity: if past { 6 } else { 4 },
                token: crate::org::new_secret(),
                created_by: if t == 0 { volunteer_user } else { province_user.id },
            });
            plan.push((t, k, past, day, kind));
        }
    }
    let event_ids = store::insert_events(db, &events).await?;

    // Sign-ups, check-ins and hours; the past events completed, with their figures filed as
    // submitted records in the running campaign when it covers the day.
    let running =
        campaigns::campaigns(db, &all).await?.into_iter().find(|c| c.status == crate::campaign::Status::Running);
    let mut hours = Vec::new();
    let mut signups = Vec::new();
    let mut filed = Vec::new();
    for ((t, k, past, day, kind), event) in plan.iter().zip(&event_ids) {
        let mine = team_members(*t);
        let people = if *past { 5 } else { 6 };
        for (n, m) in mine.iter().take(people).enumerate() {
            let signed = cst(*day, 8, 0) - Duration::days(3) + Duration::minutes(i64::try_from(n).unwrap_or(0));
            let status = if n < 4 || *past { SignupStatus::Confirmed } else { SignupStatus::Waitlisted };
            let (checked_in, checked_out) = if *past {
                (
                    Some(cst(*day, 9, u8::try_from(n * 3).unwrap_or(0))),
                    Some(cst(*day, 11 + u8::try_from(n % 2).unwrap_or(0), 30)),
                )
            } else {
                (None, None)
            };
            if let (Some(i), Some(o)) = (checked_in, checked_out) {
                hours.push((*m, Some(*event), service_day(i), credit_minutes(i, o)?, String::new()));
            }
            signups.push((*event, *m, status, signed, checked_in, checked_out));
        }
        if *past {
            let figures = vec![
                ("handouts".to_owned(), rng.random_range(200..800)),
                ("posters".to_owned(), rng.random_range(20..120)),
                ("homes_checked".to_owned(), if *kind == "home_check" { rng.random_range(30..90) } else { 0 }),
                ("participants".to_owned(), rng.random_range(60..300)),
                ("volunteer_services".to_owned(), 1),
            ];
            let c = running.as_ref().filter(|c| c.starts_on <= *day && *day <= c.ends_on);
            match c {
                Some(c) => filed.push((
                    *event,
                    NewActivity {
                        campaign_id: c.id,
                        duty_id: None,
                        kind: "volunteer_service".to_owned(),
                        title: events[event_ids.iter().position(|e| e == event).unwrap_or(0)].title.clone(),
                        starts_on: *day,
                        ends_on: *day,
                        region: (teams[*t].2.clone(), teams[*t].1.clone()),
                        organiser: (teams[*t].0, teams[*t].1.clone()),
                        co_organisers: String::new(),
                        venue: String::new(),
                        description: String::new(),
                        figures: figures.into_iter().filter(|(_, v)| *v > 0).collect(),
                        // The oldest already approved by the detachment, the others waiting.
                        state: if *k == 2 { State::Approved } else { State::Submitted },
                        created_by: province_user.id,
                    },
                )),
                None => store::close_event(db, *event, EventState::Completed, None).await?,
            }
        }
    }
    store::insert_signups(db, &signups).await?;
    let batch: Vec<NewActivity> = filed.iter().map(|(_, a)| a.clone()).collect();
    let ids = records::insert_many(db, &batch, &|_| {}).await?;
    for ((event, _), activity) in filed.iter().zip(ids) {
        store::close_event(db, *event, EventState::Completed, Some(activity)).await?;
    }
    // A manual credit and a correction, as the ledger keeps them.
    let lead = team_members(0)[0];
    hours.push((lead, None, today - Duration::days(2), 120, "协助社区网格员张贴海报（补记）".to_owned()));
    hours.push((lead, None, today - Duration::days(2), -30, "更正：补记时长多算半小时".to_owned()));
    store::insert_hours(db, &hours, Some(volunteer_user)).await?;

    challenge(db, &teams, &member_ids, &mut rng).await
}

/// The 2024 challenge: 50 volunteers, five from each of the ten teams.
async fn challenge(
    db: &Db,
    teams: &[(i64, String, String, &str)],
    member_ids: &[i64],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let held = date("2024-11-23").context("date")?;
    let checkpoints: Vec<(String, String, i64)> =
        ["消防栓", "灭火器箱", "安全出口", "疏散楼梯", "消防车通道", "微型消防站", "应急广播", "集合点"]
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("K{}", i + 1), (*n).to_owned(), 300))
            .collect();
    let stations: Vec<(String, String, i64)> =
        [("S1", "灭火器灭火", 25), ("S2", "心肺复苏", 25), ("S3", "水带连接", 25), ("S4", "火场逃生", 25)]
            .iter()
            .map(|(c, n, m)| ((*c).to_owned(), (*n).to_owned(), *m))
            .collect();
    let id = store::insert_challenge(db, CHALLENGE_2024, held, ("220000", "/22/"), &checkpoints, &stations).await?;
    let mut entrants = Vec::new();
    for (t, team) in teams.iter().enumerate() {
        for m in &member_ids[t * PER_TEAM..t * PER_TEAM + 5] {
            entrants.push((*m, team.0));
        }
    }
    let entries = store::insert_entries(db, id, &entrants).await?;
    let course = store::checkpoints(db, id).await?;
    let booths = store::stations(db, id).await?;
    let mut times = Vec::new();
    let mut punches = Vec::new();
    let mut scores = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        let start = cst(held, 9, 0) + Duration::seconds(i64::try_from(n * 30).unwrap_or(0));
        let run = rng.random_range(1_500..2_700);
        times.push((*entry, Some(start), Some(start + Duration::seconds(run))));
        for (k, point) in course.iter().enumerate() {
            if rng.random_bool(0.93) {
                let at = start + Duration::seconds(run * i64::try_from(k + 1).unwrap_or(1) / 9);
                punches.push((*entry, point.id, at));
            }
        }
        for s in &booths {
            scores.push((*entry, s.id, rng.random_range(12..=s.max_score)));
        }
    }
    store::set_times(db, id, &times).await?;
    store::upsert_punches(db, &punches).await?;
    store::upsert_scores(db, &scores).await?;
    Ok(())
}
