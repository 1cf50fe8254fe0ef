//! Public events of the demo: the 2024 month's fourth 吉林消防 science carnival, whose 1,046
//! registrations through 微博, 微信, 抖音 and its own page are records (the campaign's figure is
//! their count), and three events around the day the demo is loaded — a 延吉 garden party under
//! way (tickets being checked at the door), an open day at 南关 that is full with a waiting list,
//! and the next carnival taking registrations, with a partner and a poster channel.

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::db::Db;
use crate::event::store::{self, LoadedRegistration, NewEvent, NewRegistration};
use crate::event::{Channel, Kind, State, Status};
use crate::org::{Scope, store as org};
use crate::personal::DataKey;

/// The 2024 carnival, as the report names it.
pub const CARNIVAL_TITLE: &str = "第四届“吉林消防”科普嘉年华";

/// The 2024 carnival's registrations by channel: 1,046 in all, as the report states.
pub const CARNIVAL_BY_CHANNEL: &[(Channel, i64)] =
    &[(Channel::Site, 47), (Channel::Weibo, 412), (Channel::Wechat, 356), (Channel::Douyin, 231)];

/// Of them, those who came (checked in at the door).
pub const CARNIVAL_CAME: i64 = 988;

/// The carnival's registrations (the sum of [`CARNIVAL_BY_CHANNEL`]).
pub const fn carnival_registered() -> i64 {
    let mut sum = 0;
    let mut i = 0;
    while i < CARNIVAL_BY_CHANNEL.len() {
        sum += CARNIVAL_BY_CHANNEL[i].1;
        i += 1;
    }
    sum
}

const SURNAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "朱", "马", "胡", "金", "朴", "崔"];
const GIVEN: &[&str] =
    &["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "海燕", "志强"];

/// An event to load: registration closes 12 hours before it starts; registrations by channel
/// (with a label), the first `came` of those with a place checked in.
struct Planned {
    organiser: &'static str,
    region: &'static str,
    kind: Kind,
    title: &'static str,
    venue: &'static str,
    starts_at: OffsetDateTime,
    hours: i64,
    capacity: i64,
    channels: Vec<(Channel, &'static str, i64)>,
    came: i64,
}

/// Loads the events (once). `carnival_record` is the 2024 carnival's activity record, when the
/// month was loaded just now.
pub async fn load(db: &Db, key: &DataKey, by: i64, carnival_record: Option<i64>) -> anyhow::Result<()> {
    if !store::events(db, &Scope::province(), 1).await?.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(2024_1116);
    // On the hour, around now.
    let now = crate::clock::now();
    let on_the_hour = now - Duration::seconds(i64::from(now.minute()) * 60 + i64::from(now.second()));
    let hour = |h: i64| on_the_hour + Duration::hours(h);
    let carnival = Planned {
        organiser: crate::org::reference::CORPS,
        region: "220100",
        kind: Kind::Carnival,
        title: CARNIVAL_TITLE,
        venue: "",
        starts_at: datetime!(2024-11-16 09:00 +8),
        hours: 7,
        capacity: 1_100,
        channels: CARNIVAL_BY_CHANNEL.iter().map(|(c, n)| (*c, "", *n)).collect(),
        came: CARNIVAL_CAME,
    };
    let id = plan(db, key, by, &carnival, &mut rng).await?;
    if let Some(record) = carnival_record {
        store::close(db, id, State::Finished, Some(record)).await?;
    }
    let now_planned = [
        Planned {
            organiser: "延边朝鲜族自治州消防救援支队",
            region: "222401",
            kind: Kind::GardenParty,
            title: "延吉市消防科普游园会",
            venue: "人民公园",
            starts_at: hour(-1),
            hours: 4,
            capacity: 300,
            channels: vec![
                (Channel::Site, "", 38),
                (Channel::Wechat, "", 121),
                (Channel::Douyin, "", 64),
                (Channel::Kuaishou, "", 37),
            ],
            came: 97,
        },
        Planned {
            organiser: "长春市南关区消防救援大队",
            region: "220102",
            kind: Kind::OpenDay,
            title: "消防站开放日：走进南关区消防救援站",
            venue: "南关区消防救援站",
            starts_at: hour(5 * 24),
            hours: 3,
            capacity: 40,
            channels: vec![(Channel::Site, "", 12), (Channel::Wechat, "", 26), (Channel::Poster, "华阳社区公告栏", 8)],
            came: 0,
        },
        Planned {
            organiser: crate::org::reference::CORPS,
            region: "220100",
            kind: Kind::Carnival,
            title: "第五届“吉林消防”科普嘉年华",
            venue: "长春市文化广场",
            starts_at: hour(12 * 24),
            hours: 7,
            capacity: 1_200,
            channels: vec![
                (Channel::Site, "", 41),
                (Channel::Weibo, "", 96),
                (Channel::Wechat, "", 88),
                (Channel::Douyin, "", 70),
                (Channel::Partner, "美团", 23),
            ],
            came: 0,
        },
    ];
    for p in &now_planned {
        plan(db, key, by, p, &mut rng).await?;
    }
    Ok(())
}

/// Stores one event with its channels and registrations (places first, then the waiting list;
/// the first `came` with a place checked in).
async fn plan(db: &Db, key: &DataKey, by: i64, p: &Planned, rng: &mut StdRng) -> anyhow::Result<i64> {
    let unit = org::unit_by_name_or_id(db, p.organiser).await.with_context(|| format!("demo unit {}", p.organiser))?;
    let region = org::region(db, &Scope::province(), p.region).await?;
    let starts_at = p.starts_at.to_offset(time::UtcOffset::UTC);
    let ends_at = starts_at + Duration::hours(p.hours);
    let closes_at = starts_at - Duration::hours(12);
    let now = crate::clock::now();
    let event = NewEvent {
        unit: (unit.id, unit.region_path.clone()),
        kind: p.kind,
        title: p.title.to_owned(),
        summary: String::new(),
        region: (region.code, region.path),
        venue: p.venue.to_owned(),
        times: (starts_at, ends_at, closes_at),
        capacity: p.capacity,
        created_by: by,
    };
    let channels: Vec<_> =
        p.channels.iter().map(|(c, label, _)| (*c, (*label).to_owned(), crate::code::new())).collect();
    let id = store::insert_event(db, &event, &channels, starts_at - Duration::days(20)).await?;
    let rows = store::channels(db, id).await?;
    let mut order: Vec<Option<i64>> = Vec::new();
    for ((_, _, n), row) in p.channels.iter().zip(&rows) {
        order.extend(std::iter::repeat_n(Some(row.id), usize::try_from(*n).unwrap_or(0)));
    }
    // Registrations arrive mixed from the channels over the days before the event.
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let between = |rng: &mut StdRng, from: OffsetDateTime, to: OffsetDateTime| {
        from + Duration::seconds(rng.random_range(0..(to - from).whole_seconds().max(1)))
    };
    let opened = starts_at - Duration::days(18);
    let mut times: Vec<OffsetDateTime> = (0..order.len()).map(|_| between(rng, opened, closes_at.min(now))).collect();
    times.sort();
    // Who came: `came` of those with a place, at random.
    let placed = usize::try_from(p.capacity).unwrap_or(0).min(times.len());
    let mut came: Vec<bool> = (0..placed).map(|i| i64::try_from(i).unwrap_or(i64::MAX) < p.came).collect();
    for i in (1..came.len()).rev() {
        came.swap(i, rng.random_range(0..=i));
    }
    let loaded: Vec<LoadedRegistration> = order
        .into_iter()
        .zip(times)
        .enumerate()
        .map(|(i, (channel_id, at))| {
            let n = i64::try_from(i).unwrap_or(0);
            let name =
                format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())]);
            let phone = format!("1{}{:09}", [3, 5, 8][i % 3], rng.random_range(0..1_000_000_000u32));
            let masked = format!("{}****{}", &phone[..3], &phone[7..]);
            let status = if n < p.capacity { Status::Confirmed } else { Status::Waitlisted };
            let checked_in = came
                .get(i)
                .copied()
                .unwrap_or(false)
                .then(|| between(rng, starts_at - Duration::hours(1), ends_at.min(now)));
            let new = NewRegistration {
                event_id: id,
                channel_id,
                name_sealed: key.seal(&name),
                phone: (key.seal(&phone), key.index(&format!("event:{phone}")), masked),
                code: crate::code::new(),
                ticket: crate::org::new_secret(),
            };
            (new, status, at, checked_in)
        })
        .collect();
    store::insert_registrations(db, &loaded).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_carnival_adds_up_to_the_report() {
        assert_eq!(carnival_registered(), 1_046);
        assert!(CARNIVAL_CAME <= carnival_registered());
    }
}
