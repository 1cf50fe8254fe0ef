//! The 2024 Jilin Fire Safety Publicity Month, reconstructed from the source report: the plan as
//! duties, the named activities, filler records spread over the ten regions so that the province
//! totals equal every figure the report states, the news register and the airings. Also a
//! month running around the day the demo is loaded, with work in progress for the demo accounts.

use std::collections::HashMap;

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::Date;
use time::macros::date;

use crate::activity::store::{self as records, NewActivity, NewAiring, NewNews};
use crate::activity::{AiringKind, State};
use crate::campaign::store::{self as campaigns, NewDuty};
use crate::db::Db;
use crate::org::{Scope, store as org};

/// The figures of the report that the reconstruction must reproduce (province totals).
pub const REPORTED: &[(&str, i64)] = &[
    ("handouts", 1_050_000),
    ("posters", 450_000),
    ("venue_openings", 355),
    ("products_pushed", 582),
    ("livestream_views", 1_000_000),
    ("parcel_stickers", 40_000),
    ("quiz_finalists", 30),
    ("quiz_teams", 10),
    ("challenge_volunteers", 50),
    ("challenge_teams", 10),
    ("news_central", 45),
    ("news_provincial", 226),
    ("news_matrix", 1_832),
    ("airings", 28_560),
];

/// The 2024 campaign's name.
pub const NAME_2024: &str = "2024年全省消防宣传月";

const THEME: &str = "全民消防、生命至上";
const CORPS: &str = "吉林省消防救援总队";

/// Prefecture-level regions with their detachment: (region code, path, detachment name).
const REGIONS: &[(&str, &str, &str)] = &[
    ("220100", "/22/2201/", "长春市消防救援支队"),
    ("220200", "/22/2202/", "吉林市消防救援支队"),
    ("220300", "/22/2203/", "四平市消防救援支队"),
    ("220400", "/22/2204/", "辽源市消防救援支队"),
    ("220500", "/22/2205/", "通化市消防救援支队"),
    ("220600", "/22/2206/", "白山市消防救援支队"),
    ("220700", "/22/2207/", "松原市消防救援支队"),
    ("220800", "/22/2208/", "白城市消防救援支队"),
    ("222400", "/22/2224/", "延边朝鲜族自治州消防救援支队"),
    ("229900", "/22/2299/", "长白山消防救援支队"),
];

/// A named activity of the report: (organiser, region, kind, title, day, venue, co-organisers,
/// figures).
type Named = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u8,
    &'static str,
    &'static str,
    &'static [(&'static str, i64)],
);

const NAMED: &[Named] = &[
    (
        CORPS,
        "220000",
        "launch_ceremony",
        "2024年全省消防宣传月启动仪式",
        8,
        "长春市",
        "省委、省政府",
        &[("leaders", 12), ("participants", 600)],
    ),
    (
        CORPS,
        "220000",
        "campus",
        "消防宣传教育“进校园”活动暨消防文化作品展",
        12,
        "长春人文学院",
        "吉林省教育厅",
        &[("participants", 1_500), ("leaders", 3)],
    ),
    (
        CORPS,
        "220000",
        "carnival",
        super::events::CARNIVAL_TITLE,
        16,
        "长春市",
        "",
        &[("registrations", super::events::carnival_registered()), ("participants", super::events::CARNIVAL_CAME)],
    ),
    (CORPS, "220000", "contest", "吉林消防新媒体消防文化作品征集大赛", 18, "", "", &[("short_videos", 126)]),
    (
        CORPS,
        "220000",
        "livestream",
        super::streams::LIVESTREAM_TITLE,
        9,
        "线上",
        "",
        &[("livestream_views", super::streams::reported_views())],
    ),
    (
        CORPS,
        "220000",
        "contest",
        "吉林省首届“知消杯”消防知识竞赛",
        26,
        "长春市",
        "知消APP",
        &[("quiz_finalists", 30), ("quiz_teams", 10), ("participants", 300)],
    ),
    (
        CORPS,
        "220000",
        "partner_placement",
        "联合美团、共享单车、大众点评打造移动宣传阵地",
        11,
        "线上",
        "美团、共享单车、大众点评",
        &[],
    ),
    (
        CORPS,
        "220000",
        "volunteer_service",
        "全省消防志愿者消防技能定向挑战赛",
        29,
        "长春市",
        "省委社会工作部",
        &[("challenge_volunteers", 50), ("challenge_teams", 10), ("participants", 120)],
    ),
    (
        CORPS,
        "220000",
        "other",
        "发动基层网格力量，利用社区消防科普服务e站集中发布消防公益广告，向居民家庭精准发送消防安全提示信息",
        30,
        "全省各社区",
        "",
        &[],
    ),
    (
        CORPS,
        "220000",
        "other",
        "利用标志性建筑户外大屏、楼宇滚动字幕屏不间断播放消防安全常识",
        12,
        "",
        "各级文旅、商业、交通等部门",
        &[],
    ),
    (
        "延边朝鲜族自治州消防救援支队",
        "222400",
        "contest",
        "全州微型消防站业务技能比武竞赛",
        25,
        "延吉市",
        "",
        &[("participants", 260)],
    ),
    ("延边朝鲜族自治州消防救援支队", "222400", "exhibition", "全州消防元素“亮屏”行动", 10, "延边州各县市", "", &[]),
    (
        "吉林省商务厅",
        "220000",
        "street_campaign",
        "在全省商贸领域经营场所开展消防安全检查和“畅通生命通道”专项行动",
        15,
        "",
        "",
        &[("participants", 2_400)],
    ),
    (
        "通化市消防救援支队",
        "220500",
        "training",
        "市县两级党政领导干部和公职人员消防安全大培训",
        14,
        "通化市",
        "市、县两级政府机关、行业部门",
        &[("people_trained", 712), ("leaders", 9)],
    ),
    (
        "松原市消防救援支队",
        "220700",
        "partner_placement",
        "“平安寄递”消防安全提示贴纸投放",
        11,
        "松原市快递网点",
        "邮政部门",
        &[("parcel_stickers", 40_000)],
    ),
    (
        "辽源市消防救援支队",
        "220400",
        "lecture",
        "消防宣讲团“送安全”活动",
        20,
        "辽源市",
        "",
        &[("units_trained", 42), ("vehicle_outings", 23), ("people_trained", 5_160)],
    ),
    (
        "延边朝鲜族自治州消防救援支队",
        "222400",
        "contest",
        "全州中小学生消防主题演讲比赛",
        19,
        "延吉市",
        "州教育局",
        &[("participants", 420)],
    ),
    (
        "延边朝鲜族自治州消防救援支队",
        "222400",
        "contest",
        "全州行业部门消防安全“明白人”培训授课业务竞赛",
        21,
        "延吉市",
        "",
        &[("people_trained", 180)],
    ),
    (
        "四平市消防救援支队",
        "220300",
        "carnival",
        "消防安全游园会",
        22,
        "吉林师范大学",
        "吉林师范大学",
        &[("participants", 1_800)],
    ),
    (
        "长白山消防救援支队",
        "229900",
        "exhibition",
        "“全民消防，生命至上”消防月长白山集邮展览",
        17,
        "长白山自然博物馆",
        "地震局、火山监测站、安委会、自然博物馆、生态文化协会",
        &[("visitors", 3_200)],
    ),
    (
        "长春市消防救援支队",
        "220100",
        "short_video",
        "邀请国家二级演员宋晓峰拍摄打通“生命通道”主题短剧",
        13,
        "长春市",
        "",
        &[("short_videos", 1)],
    ),
    (
        "吉林市消防救援支队",
        "220200",
        "short_video",
        "联合抖音大V影老板拍摄列车消防安全科普视频",
        15,
        "特勤一站",
        "",
        &[("short_videos", 2)],
    ),
    (
        "白城市消防救援支队",
        "220800",
        "short_video",
        "《检察官到消防站体验的一天》《消防连着你我他 警察叔叔来喊话》",
        23,
        "白城市",
        "白城市中级人民检察院、白城市公安局",
        &[("short_videos", 2)],
    ),
    (
        "白山市消防救援支队",
        "220600",
        "training",
        "走进社区对社区工作者开展培训演练",
        24,
        "白山市",
        "老妈妈防火团、社区消防宣传大使",
        &[("people_trained", 260)],
    ),
];

/// What a named record's platforms carried, as the source report tells it.
const DESCRIBED: &[(&str, &str)] = &[(
    "联合美团、共享单车、大众点评打造移动宣传阵地",
    "共同派送“安全餐”至千家万户，将消防安全提示语音植入共享单车扫码解锁和骑行途中定时播放，在大众点评App开屏页上线消防提示",
)];

/// The volunteer teams the source names, by the region whose services they joined.
const SERVING_TEAMS: &[(&str, &str)] =
    &[("220100", "美团小哥消防志愿服务队"), ("220200", "苏宁易购消防志愿服务队"), ("220300", "公交车消防志愿服务队")];

/// The documents of the 2024 month, as the source report tells them.
const DOCUMENTS: &[&str] = &[
    "全省消防宣传月活动方案进一步明确行业部门消防宣传教育职责，细化具体措施任务",
    "省安全委员会和省消防救援委员会首次联合下发通知，明确各行业主管部门宣传职责和具体任务",
    "总队联合省委社会工作部下发《吉林省关于推动消防志愿服务工作高质量发展的意见》，部署开展消防志愿者冬季百日宣传活动，进一步鼓励和规范消防志愿服务",
];

/// The next steps of the 2024 month, as the source report closes.
const NEXT_STEPS: &str = "全省各地将认真总结借鉴消防宣传月的经验做法，建立健全消防宣传教育长效工作机制，针对取暖季火灾易发的重点时段、重点人群、重点场所和部位，组织开展常态化和有针对性的宣传教育活动，进一步提升公众消防安全意识，为预防和遏制重特大火灾事故、确保全省今冬明春火灾形势稳定发挥更大作用。";

/// Splits `total` into `n` positive parts (n ≤ total) with seeded random weights.
fn split(total: i64, n: usize, rng: &mut StdRng) -> Vec<i64> {
    let n_i = i64::try_from(n).unwrap_or(1).max(1);
    let weights: Vec<i64> = (0..n).map(|_| rng.random_range(50..150)).collect();
    let sum: i64 = weights.iter().sum();
    let mut parts: Vec<i64> = weights.iter().map(|w| 1 + (total - n_i) * w / sum).collect();
    let mut rest = total - parts.iter().sum::<i64>();
    let mut i = 0;
    while rest > 0 {
        parts[i % n] += 1;
        rest -= 1;
        i += 1;
    }
    parts
}

fn day(d: u8) -> Date {
    Date::from_calendar_date(2024, time::Month::November, d).unwrap_or(date!(2024 - 11 - 01))
}

struct Lookup {
    units: HashMap<String, (i64, String)>,
    regions: HashMap<String, String>,
    counties: HashMap<String, Vec<String>>,
}

impl Lookup {
    async fn load(db: &Db) -> anyhow::Result<Self> {
        let all = Scope::province();
        let units = org::units(db, &all, &org::UnitFilter::default(), 100_000)
            .await?
            .into_iter()
            .map(|u| (u.name, (u.id, u.region_path)))
            .collect();
        let regions: HashMap<String, String> = org::regions_in(db, &all, 3).await?.into_iter().collect();
        let mut counties: HashMap<String, Vec<String>> = HashMap::new();
        for (code, path) in &regions {
            if code.len() == 6 && path.len() == 16 {
                counties.entry(path[..9].to_owned()).or_default().push(code.clone());
            }
        }
        for list in counties.values_mut() {
            list.sort();
        }
        Ok(Self { units, regions, counties })
    }

    fn unit(&self, name: &str) -> anyhow::Result<(i64, String)> {
        self.units.get(name).cloned().with_context(|| format!("demo unit {name}"))
    }

    fn region(&self, code: &str) -> anyhow::Result<(String, String)> {
        self.regions.get(code).map(|p| (code.to_owned(), p.clone())).with_context(|| format!("demo region {code}"))
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    campaign: i64,
    duty: Option<i64>,
    organiser: (i64, String),
    region: (String, String),
    kind: &str,
    title: String,
    on: Date,
    figures: Vec<(String, i64)>,
    state: State,
    by: i64,
) -> NewActivity {
    NewActivity {
        campaign_id: campaign,
        duty_id: duty,
        kind: kind.to_owned(),
        title,
        starts_on: on,
        ends_on: on,
        region,
        organiser,
        co_organisers: String::new(),
        venue: String::new(),
        description: String::new(),
        figures,
        state,
        created_by: by,
    }
}

/// Loads the 2024 month and the current one (once). `by` is the author of the records. Returns
/// the named records by title when the month was loaded now (empty when it was there already).
pub async fn load(db: &Db, by: i64) -> anyhow::Result<HashMap<&'static str, i64>> {
    let all = Scope::province();
    if campaigns::campaigns(db, &all).await?.iter().any(|c| c.name == NAME_2024) {
        return Ok(HashMap::new());
    }
    let look = Lookup::load(db).await?;
    let mut rng = StdRng::seed_from_u64(202_411);
    let corps = look.unit(CORPS)?;
    let id = campaigns::insert_campaign(db, NAME_2024, THEME, (day(1), day(30)), (corps.0, &corps.1), None).await?;

    // The plan: a duty per detachment and per line department.
    let mut duties = Vec::new();
    for (i, (_, _, name)) in REGIONS.iter().enumerate() {
        let unit = look.unit(name)?;
        let due = if i % 4 == 3 { day(15) } else { day(30) };
        let mut targets = vec![("venue_openings".to_owned(), 30), ("handouts".to_owned(), 100_000)];
        if *name == "松原市消防救援支队" {
            targets.push(("parcel_stickers".to_owned(), 40_000));
        }
        duties.push(NewDuty {
            unit_id: unit.0,
            unit_path: unit.1,
            title: "开展消防宣传“五进”和场馆开放".to_owned(),
            description: "组织查火患、送平安志愿服务，开放消防站点".to_owned(),
            due_on: due,
            targets,
        });
    }
    for (name, title) in [
        ("吉林省教育厅", "组织消防宣传教育进校园"),
        ("吉林省商务厅", "在商贸领域开展“畅通生命通道”专项行动"),
        (
            "省委社会工作部",
            "将消防志愿服务纳入全省志愿者联合会体系，将消防安全知识和技能纳入全省志愿者能力提升培训内容",
        ),
        ("吉林省文化和旅游厅", "在景区景点、文化场馆播放消防安全提示"),
        ("吉林省应急管理厅", "协调安委会成员单位落实消防宣传职责"),
        ("吉林省邮政管理局", "在寄递渠道投放消防安全提示"),
    ] {
        let unit = look.unit(name)?;
        duties.push(NewDuty {
            unit_id: unit.0,
            unit_path: unit.1,
            title: title.to_owned(),
            description: String::new(),
            due_on: day(30),
            targets: Vec::new(),
        });
    }
    let duty_ids = campaigns::insert_duties(db, id, &duties).await?;
    let duty_of: HashMap<i64, i64> = duties.iter().zip(&duty_ids).map(|(d, id)| (d.unit_id, *id)).collect();

    let mut batch = Vec::new();
    for (organiser, region, kind, title, on, venue, co, figures) in NAMED {
        let unit = look.unit(organiser)?;
        let mut r = record(
            id,
            None,
            unit.clone(),
            look.region(region)?,
            kind,
            (*title).to_owned(),
            day(*on),
            figures.iter().map(|(m, v)| ((*m).to_owned(), *v)).collect(),
            State::Approved,
            by,
        );
        (*venue).clone_into(&mut r.venue);
        (*co).clone_into(&mut r.co_organisers);
        if let Some((_, what)) = DESCRIBED.iter().find(|(t, _)| t == title) {
            (*what).clone_into(&mut r.description);
        }
        if kind == &"launch_ceremony" || organiser.ends_with("支队") {
            r.duty_id = duty_of.get(&unit.0).copied();
        }
        batch.push(r);
    }
    // Leaders at the regional launches and drills: 83 in all with the named ones.
    let named_leaders: i64 =
        NAMED.iter().flat_map(|n| n.7.iter()).filter(|(m, _)| *m == "leaders").map(|(_, v)| v).sum();
    let leaders = split(83 - named_leaders, REGIONS.len(), &mut rng);
    // Volunteer service (查火患, 送平安): handouts and posters; open venues: openings.
    let per_region = 28;
    let handouts = split(1_050_000, REGIONS.len() * per_region, &mut rng);
    let posters = split(450_000, REGIONS.len() * per_region, &mut rng);
    let openings = split(355, REGIONS.len() * 6, &mut rng);
    for (r, (code, path, name)) in REGIONS.iter().enumerate() {
        let unit = look.unit(name)?;
        let duty = duty_of.get(&unit.0).copied();
        let places = look.counties.get(*path).cloned().unwrap_or_else(|| vec![(*code).to_owned()]);
        let place = |i: usize| look.region(&places[i % places.len()]);
        let short = name.trim_end_matches("消防救援支队");
        batch.push(record(
            id,
            duty,
            unit.clone(),
            look.region(code)?,
            "launch_ceremony",
            format!("{short}消防宣传月启动仪式暨消防演练"),
            day(8 + u8::try_from(r % 3).unwrap_or(0)),
            vec![("leaders".to_owned(), leaders[r]), ("participants".to_owned(), rng.random_range(200..800))],
            State::Approved,
            by,
        ));
        for i in 0..per_region {
            let k = r * per_region + i;
            let on = day(u8::try_from(1 + (k * 7) % 29).unwrap_or(1));
            let what = if i % 2 == 0 { "查火患" } else { "送平安" };
            let mut service = record(
                id,
                duty,
                unit.clone(),
                place(i)?,
                "volunteer_service",
                format!("{short}“{what}”消防志愿关爱服务（第{}批）", i + 1),
                on,
                vec![("handouts".to_owned(), handouts[k]), ("posters".to_owned(), posters[k])],
                State::Approved,
                by,
            );
            // The teams the source names served with their detachments.
            if let Some((_, team)) = SERVING_TEAMS.iter().find(|(c, _)| c == code) {
                (*team).clone_into(&mut service.co_organisers);
            }
            batch.push(service);
        }
        // A few regions fall short of their opening target: their duty shows as overdue.
        for i in 0..6 {
            let k = r * 6 + i;
            let on = day(u8::try_from(3 + (k * 5) % 27).unwrap_or(3));
            batch.push(record(
                id,
                duty,
                unit.clone(),
                place(i + 3)?,
                "open_venue",
                format!("{short}消防站开放日（第{}场）", i + 1),
                on,
                vec![("venue_openings".to_owned(), openings[k]), ("visitors".to_owned(), rng.random_range(80..400))],
                State::Approved,
                by,
            ));
        }
    }
    let ids = records::insert_many(db, &batch, &|_| {}).await?;
    let named: HashMap<&'static str, i64> = NAMED.iter().map(|n| n.3).zip(ids).collect();

    // The news register: 45 central, 226 provincial and 1,832 own-media stories, plus reposts.
    let mut news = Vec::new();
    let outlets = [("central", "新华网", 45), ("provincial", "吉林日报", 226), ("matrix", "吉林消防", 1_832)];
    for (level, outlet, count) in outlets {
        for i in 0..count {
            let (code, _, name) = REGIONS[i % REGIONS.len()];
            let unit = if level == "matrix" { look.unit(name)? } else { corps.clone() };
            let on = day(u8::try_from(1 + i % 30).unwrap_or(1));
            news.push(NewNews {
                campaign_id: id,
                unit,
                level: level.to_owned(),
                outlet: outlet.to_owned(),
                title: format!("{}：全民消防、生命至上——消防宣传月见闻（{level}-{i}）", &code[..4]),
                url: String::new(),
                published_on: on,
                created_by: by,
            });
        }
    }
    let reposts: Vec<NewNews> = news
        .iter()
        .filter(|n| n.level == "central")
        .take(20)
        .map(|n| NewNews { outlet: "人民网".to_owned(), ..n.clone() })
        .collect();
    news.extend(reposts);
    records::insert_news(db, &news).await?;

    // Airings of public-service ads and captions: 28,560 in all.
    let counts = split(28_560, REGIONS.len() * 12, &mut rng);
    let mut airings = Vec::new();
    for (k, count) in counts.into_iter().enumerate() {
        let (_, _, name) = REGIONS[k % REGIONS.len()];
        let kind = if k % 3 == 0 { AiringKind::Caption } else { AiringKind::Psa };
        airings.push(NewAiring {
            campaign_id: id,
            unit: look.unit(name)?,
            kind,
            channel: if k % 2 == 0 { "市电视台" } else { "交通广播" }.to_owned(),
            slot: "黄金时段".to_owned(),
            aired_count: count,
            aired_on: day(u8::try_from(1 + k % 30).unwrap_or(1)),
            created_by: by,
        });
    }
    records::insert_airings(db, &airings).await?;
    // What the office wrote around the records: the deployment, the documents, the next steps.
    let authored = crate::report::store::Authored {
        deployed_by: "应急管理部和国家消防救援局".to_owned(),
        documents: DOCUMENTS.join("\n"),
        next_steps: NEXT_STEPS.to_owned(),
    };
    crate::report::store::set_authored(db, id, &corps.1, &authored, by).await?;
    campaigns::set_status(db, id, crate::campaign::Status::Closed).await?;
    current(db, &look, by).await?;
    Ok(named)
}

/// The running month, laid around the day the demo is loaded (its day 15 is today, so the tour
/// works on any date): a few duties and records in every state for the demo accounts.
async fn current(db: &Db, look: &Lookup, by: i64) -> anyhow::Result<()> {
    let today = crate::clock::today();
    let year = today.year();
    let on = |d: u8| today + time::Duration::days(i64::from(d) - 15);
    let corps = look.unit(CORPS)?;
    let id = campaigns::insert_campaign(
        db,
        &format!("{year}年全省消防宣传月"),
        THEME,
        (on(1), on(30)),
        (corps.0, &corps.1),
        None,
    )
    .await?;
    campaigns::set_status(db, id, crate::campaign::Status::Running).await?;
    let changchun = look.unit("长春市消防救援支队")?;
    let nanguan = look.unit("长春市南关区消防救援大队")?;
    let duties = vec![
        NewDuty {
            unit_id: changchun.0,
            unit_path: changchun.1.clone(),
            title: "开展冬季消防宣传“五进”活动".into(),
            description: "每个大队至少组织一次场馆开放".into(),
            due_on: on(30),
            targets: vec![("venue_openings".into(), 30), ("handouts".into(), 100_000)],
        },
        NewDuty {
            unit_id: nanguan.0,
            unit_path: nanguan.1.clone(),
            title: "社区消防安全培训".into(),
            description: "覆盖辖区所有街道".into(),
            due_on: on(25),
            targets: vec![("people_trained".into(), 2_000)],
        },
        NewDuty {
            unit_id: nanguan.0,
            unit_path: nanguan.1.clone(),
            title: "消防站开放日".into(),
            description: String::new(),
            due_on: on(15),
            targets: vec![("venue_openings".into(), 4)],
        },
    ];
    let duty_ids = campaigns::insert_duties(db, id, &duties).await?;
    let place = look.region("220102001")?;
    let records = vec![
        record(
            id,
            Some(duty_ids[1]),
            nanguan.clone(),
            place.clone(),
            "training",
            "南岭街道居民消防安全培训".into(),
            on(6),
            vec![("people_trained".into(), 320)],
            State::Approved,
            by,
        ),
        record(
            id,
            Some(duty_ids[2]),
            nanguan.clone(),
            place.clone(),
            "open_venue",
            "南关区消防站开放日".into(),
            on(9),
            vec![("venue_openings".into(), 1), ("visitors".into(), 150)],
            State::Submitted,
            by,
        ),
        record(
            id,
            Some(duty_ids[1]),
            nanguan.clone(),
            place,
            "training",
            "自强街道沿街商户培训".into(),
            on(12),
            vec![("people_trained".into(), 85)],
            State::Draft,
            by,
        ),
        record(
            id,
            Some(duty_ids[0]),
            changchun.clone(),
            look.region("220104")?,
            "street_campaign",
            "朝阳区街头消防宣传".into(),
            on(10),
            vec![("handouts".into(), 8_000), ("posters".into(), 1_200)],
            State::Approved,
            by,
        ),
    ];
    records::insert_many(db, &records, &|_| {}).await?;
    // One record went back to its brigade for a photo.
    let mut back = record(
        id,
        Some(duty_ids[1]),
        nanguan,
        look.region("220102002")?,
        "lecture",
        "自强街道消防安全宣讲".into(),
        on(11),
        vec![("participants".into(), 60)],
        State::Submitted,
        by,
    );
    back.description = "社区活动室宣讲，发放宣传单".into();
    let returned = records::insert_many(db, &[back], &|_| {}).await?;
    let changchun_staff = org::user_by_username(db, "changchun").await?.map_or(by, |u| u.id);
    records::transition(
        db,
        returned[0],
        State::Submitted,
        State::Returned,
        Some(changchun_staff),
        "请补充活动现场照片",
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_add_up_and_stay_positive() {
        let mut rng = StdRng::seed_from_u64(1);
        for (total, n) in [(1_050_000, 280), (355, 60), (28_560, 120), (10, 10)] {
            let parts = split(total, n, &mut rng);
            assert_eq!(parts.len(), n);
            assert_eq!(parts.iter().sum::<i64>(), total);
            assert!(parts.iter().all(|p| *p >= 1));
        }
    }
}
