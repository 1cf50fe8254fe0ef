//! Demo pushes: the 582 publicity products of the 2024 month in the library, each pushed by the
//! corps during November 2024 and signed and forwarded by every detachment and brigade at
//! realistic hours; and three pushes of this week still on their way down, with a few units
//! overdue and 南关区's communities (华阳社区 among them) waiting to confirm. `subscribers` adds
//! 30,000 demo households for `firecast demo`. Loading twice adds nothing.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::db::Db;
use crate::org::Scope;
use crate::push::store::{self, NewProduct, NewPush, NewVariant, NodeRow, Variant};
use crate::push::{Audience, Place, ProductKind, Theme, join_tags};

/// Products of the 2024 month.
pub const PRODUCTS: usize = 582;
/// Demo households subscribed directly.
pub const SUBSCRIBERS: i64 = 30_000;

const THEMES: &[(Theme, &str, &[&str])] = &[
    (
        Theme::Heating,
        "冬季取暖",
        &["电暖器远离可燃物，人走断电。", "不要在取暖器上烘烤衣物。", "火炕火墙定期检查，严防一氧化碳中毒。"],
    ),
    (
        Theme::Ebike,
        "电动自行车",
        &["电动自行车不进楼入户，不飞线充电。", "充电时间不宜过长，不要整夜充电。", "选购合格电池，切勿私自改装。"],
    ),
    (
        Theme::Gas,
        "燃气安全",
        &["用气时人不离火，用后关闭阀门。", "发现燃气泄漏，开窗通风，切勿开关电器。", "燃气软管定期更换，安装报警器。"],
    ),
    (
        Theme::SpringFestival,
        "烟花爆竹",
        &["在指定地点燃放烟花爆竹，远离易燃物。", "儿童燃放须有大人陪同。", "不购买、不燃放非法烟花爆竹。"],
    ),
    (
        Theme::ForestFire,
        "森林防火",
        &["进入林区不带火种，不野外用火。", "清明祭扫文明低碳，严禁林区烧纸。", "发现山火立即拨打12119。"],
    ),
    (
        Theme::FireLanes,
        "生命通道",
        &["消防车通道是生命通道，请勿占用。", "楼道不堆放杂物，保持疏散通道畅通。", "安全出口严禁上锁。"],
    ),
];

const AUDIENCES: &[(Audience, &str)] = &[
    (Audience::Elderly, "独居老人"),
    (Audience::Students, "中小学生"),
    (Audience::MigrantWorkers, "外来务工人员"),
    (Audience::Riders, "外卖骑手"),
    (Audience::VenueOwners, "“三小场所”业主"),
    (Audience::HighRiseResidents, "高层住户"),
    (Audience::Rural, "农村家庭"),
    (Audience::Enterprises, "企业员工"),
];

const PLACES: &[Place] =
    &[Place::Homes, Place::HighRises, Place::SmallVenues, Place::Schools, Place::Markets, Place::Factories];

const KINDS: &[(ProductKind, &str)] = &[
    (ProductKind::Video, "短视频"),
    (ProductKind::Poster, "海报"),
    (ProductKind::Article, "图文"),
    (ProductKind::Tip, "安全提示"),
    (ProductKind::Audio, "广播稿"),
];

/// 延边朝鲜族自治州: its products have Korean variants.
const YANBIAN: &str = "222400";

fn product(i: usize) -> (NewProduct, Vec<NewVariant>, Option<String>) {
    let (theme, theme_name, tips) = THEMES[i % THEMES.len()];
    let (audience, audience_name) = AUDIENCES[(i / THEMES.len()) % AUDIENCES.len()];
    let (kind, kind_name) = KINDS[i % KINDS.len()];
    let place = PLACES[i % PLACES.len()];
    let issue = i / (THEMES.len() * AUDIENCES.len()) + 1;
    let title = format!("{theme_name}{kind_name}：致{audience_name}（第{issue}期）");
    let body = tips[i % tips.len()].to_owned();
    let mut variants = vec![NewVariant {
        variant: Variant {
            lang: crate::push::Lang::Zh,
            title: title.clone(),
            body: body.clone(),
            link: if kind == ProductKind::Video { format!("https://video.example.cn/jlxf/{i}") } else { String::new() },
            file_name: String::new(),
            file_type: String::new(),
            file_size: 0,
        },
        file: None,
    }];
    let korean = i.is_multiple_of(7);
    if korean {
        variants.push(NewVariant {
            variant: Variant {
                lang: crate::push::Lang::Ko,
                title: format!(
                    "{} 안전 안내 ({issue})",
                    crate::i18n::Lang::Ko.t(&format!("push_tag.{}", theme.as_str()))
                ),
                body: "화재 예방 수칙을 지키고, 불이 나면 119에 신고하세요.".into(),
                link: String::new(),
                file_name: String::new(),
                file_type: String::new(),
                file_size: 0,
            },
            file: None,
        });
    }
    let tags = join_tags([audience.as_str(), place.as_str(), theme.as_str()]);
    let search = crate::push::actions::search_text(
        &title,
        variants.iter().flat_map(|v| [v.variant.title.as_str(), v.variant.body.as_str()]),
        &tags,
    );
    let new = NewProduct {
        kind,
        title: title.clone(),
        tags,
        state: crate::push::ProductState::Approved,
        search,
        unit_id: 0,
        region_path: "/22/".into(),
        created_by: 0,
        created_at: datetime!(2024-10-25 01:00 UTC) + Duration::minutes(i64::try_from(i).unwrap_or(0) * 7),
        reviewed: None,
    };
    (new, variants, korean.then(|| YANBIAN.to_owned()))
}

/// Loads the library and the pushes (once).
pub async fn load(db: &Db, author_id: i64, corps_unit: i64, now: OffsetDateTime) -> anyhow::Result<()> {
    if store::product_total(db).await? > 0 {
        return Ok(());
    }
    let regions = store::cities_and_counties(db).await?;
    let mut rng = StdRng::seed_from_u64(582);
    let library: Vec<_> = (0..PRODUCTS)
        .map(|i| {
            let (mut p, variants, _) = product(i);
            p.unit_id = corps_unit;
            p.created_by = author_id;
            p.reviewed = Some((author_id, p.created_at + Duration::hours(4)));
            (p, variants)
        })
        .collect();
    let month = datetime!(2024-11-01 01:00 UTC);
    let mut tx = db.begin().await?;
    let products = store::insert_products(&mut tx, &library).await?;
    let pushes: Vec<NewPush> = products
        .iter()
        .enumerate()
        .map(|(i, product_id)| {
            let sent = month
                + Duration::minutes(
                    i64::try_from(i).unwrap_or(0) * 29 * 24 * 60 / i64::try_from(PRODUCTS).unwrap_or(1),
                );
            let mut p = new_push(*product_id, corps_unit, author_id, sent, &format!("demo-2024-{i}"));
            p.fanned_out_at = Some(sent);
            p
        })
        .collect();
    let made = store::insert_pushes(&mut tx, &pushes).await?;
    let push_ids: Vec<(i64, OffsetDateTime)> =
        made.iter().zip(&pushes).map(|((id, _), p)| (*id, p.scheduled_at)).collect();
    let mut nodes = Vec::new();
    let total = push_ids.len() * regions.len();
    let first = tx.reserve_ids("push_node", total).await?;
    let mut next = first;
    for (push_id, sent) in &push_ids {
        let mut city_done = (None, *sent);
        for (code, path, level, households) in &regions {
            let received = if *level == 1 { *sent } else { city_done.1 };
            let signed = received + Duration::minutes(rng.random_range(20..(if *level == 1 { 600 } else { 1200 })));
            let forwarded = signed + Duration::minutes(rng.random_range(5..240));
            let due = received + Duration::hours(if *level == 1 { 24 } else { 48 });
            let (state, confirmed, times) = if *level == 1 {
                ("forwarded", None, [Some(received), Some(due), Some(signed), Some(forwarded), None])
            } else {
                let reach = households.unwrap_or(10_000) * rng.random_range(35..90) / 100;
                (
                    "confirmed",
                    Some((",chat_group,notice_board,screen,".to_owned(), reach)),
                    [Some(received), Some(due), Some(signed), None, Some(forwarded)],
                )
            };
            let parent_id = if *level == 1 { None } else { city_done.0 };
            nodes.push(NodeRow {
                id: next,
                push_id: *push_id,
                parent_id,
                level: *level,
                region: (code.clone(), path.clone()),
                state,
                times,
                confirmed,
            });
            if *level == 1 {
                city_done = (Some(next), forwarded);
            }
            next += 1;
        }
    }
    store::insert_node_rows(&mut tx, &nodes).await?;
    tx.commit().await?;
    recent(db, &products, corps_unit, author_id, now).await
}

fn new_push(product_id: i64, unit: i64, by: i64, at: OffsetDateTime, key: &str) -> NewPush {
    NewPush {
        product_id,
        origin_unit_id: unit,
        origin_path: "/22/".into(),
        targets: vec![("220000".into(), "/22/".into())],
        audiences: String::new(),
        places: String::new(),
        channels: String::new(),
        note: "请各支队于24小时内签收并转发至各大队、社区".into(),
        scheduled_at: at,
        sign_hours: "24,48,72".into(),
        state: crate::push::PushState::Active,
        idempotency_key: key.into(),
        created_by: by,
        created_at: at,
        fanned_out_at: None,
    }
}

/// This week's three pushes, on their way down: most detachments forwarded, two overdue; 长春's
/// brigades forwarding; 南关区's communities waiting, 华阳社区 among them.
async fn recent(db: &Db, products: &[i64], unit: i64, by: i64, now: OffsetDateTime) -> anyhow::Result<()> {
    let ages = [Duration::hours(50), Duration::hours(26), Duration::hours(3)];
    for (k, age) in ages.iter().enumerate() {
        let at = crate::clock::truncate(now - *age);
        let mut p = new_push(products[k * 3 + 3], unit, by, at, &format!("demo-week-{k}"));
        p.channels = ",inbox,".into();
        let mut tx = db.begin().await?;
        let (id, _) = store::insert_push(&mut tx, &p).await?;
        store::insert_nodes(&mut tx, id, None, 1, "/22/", at, at + Duration::hours(24)).await?;
        tx.commit().await?;
        let cities = store::nodes(db, &Scope::province(), id, 1, None).await?;
        for (j, city) in cities.iter().enumerate() {
            // Two detachments have not signed the oldest push: overdue.
            if k == 0 && j >= cities.len() - 2 {
                continue;
            }
            let t = at + Duration::minutes(i64::try_from(30 + j * 40).unwrap_or(30));
            if t > now {
                continue;
            }
            let mut tx = db.begin().await?;
            store::mark_forwarded(&mut tx, city.id, by, t, "请各大队抓紧转发", "zh").await?;
            store::insert_nodes(&mut tx, id, Some(city.id), 2, &city.region_path, t, t + Duration::hours(48)).await?;
            tx.commit().await?;
        }
        let counties = store::nodes(db, &Scope::under("/22/2201/"), id, 2, None).await?;
        for county in counties.iter().filter(|c| c.level == 2 && c.region_code == "220102") {
            let t = county.received_at + Duration::hours(2);
            if t > now {
                continue;
            }
            let mut tx = db.begin().await?;
            store::mark_forwarded(&mut tx, county.id, by, t, "请各社区通过居民群和e站屏幕转发", "zh").await?;
            store::insert_nodes(&mut tx, id, Some(county.id), 4, &county.region_path, t, t + Duration::hours(72))
                .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// 30,000 demo households subscribed directly across the province (one in ten in 延边
/// reading Korean is approximated as one in twelve overall; one in twenty by SMS), then this
/// week's pushes fanned out to them, a third of the tips already read.
pub async fn subscribers(db: &Db, now: OffsetDateTime) -> anyhow::Result<()> {
    if store::any_subscriber(db).await? {
        return Ok(());
    }
    let themes: Vec<&str> = Theme::ALL.iter().map(|t| t.as_str()).collect();
    store::generate_subscribers(db, "/22/", SUBSCRIBERS, 12, 20, &themes, now - Duration::days(30)).await?;
    for due in store::due_pushes(db, now).await? {
        let at = due.scheduled_at;
        if store::fan_out(db, &due, &[], at, at, crate::push::week_start(at)).await?.is_some() {
            store::mark_some_read(db, due.id, 3, at + Duration::hours(1)).await?;
        }
    }
    Ok(())
}
