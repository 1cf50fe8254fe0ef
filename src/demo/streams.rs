//! Livestreams of the demo: the 2024 month's cloud livestream, whose 1,000,000 views were reported
//! by the platforms it ran on (entered with their evidence; its record's figure is their sum), and a
//! broadcast on air around the day the demo is loaded, with viewers counted by this site's page,
//! comments shown and comments waiting for staff.

use std::collections::HashMap;

use anyhow::Context as _;
use time::Duration;
use time::macros::datetime;

use crate::db::Db;
use crate::org::{Scope, store as org};
use crate::stream::CommentState;
use crate::stream::store::{self, NewStream};

/// The 2024 cloud livestream, as the report names it.
pub const LIVESTREAM_TITLE: &str = "吉林消防安全云直播";

/// The views the platforms reported for it: 1,000,000 in all, as the report states.
pub const REPORTED: &[(&str, i64)] = &[("抖音", 612_000), ("快手", 251_000), ("微信视频号", 137_000)];

/// The sum of [`REPORTED`].
pub const fn reported_views() -> i64 {
    let mut sum = 0;
    let mut i = 0;
    while i < REPORTED.len() {
        sum += REPORTED[i].1;
        i += 1;
    }
    sum
}

/// Viewers this site's page counted today for the broadcast on air.
const VIEWERS_TODAY: usize = 2_380;

const COMMENTS: &[(&str, &str, CommentState)] = &[
    ("长春市民", "家里用电暖器，晚上睡觉要不要拔掉插头？", CommentState::Shown),
    ("延吉金女士", "老房子电线老化，找谁来检查？", CommentState::Shown),
    ("华阳社区网格员", "社区已组织居民一起收看，感谢讲解！", CommentState::Shown),
    ("吉林大学学生", "宿舍能用小功率电器吗？", CommentState::Shown),
    ("通化刘师傅", "燃气报警器多久换一次？", CommentState::Waiting),
    ("四平王老师", "学校想请消防员进校园，怎么联系？", CommentState::Waiting),
    ("白城观众", "电动自行车能在楼道充电吗？", CommentState::Waiting),
    ("松原居民", "快递柜旁边堆放纸箱安全吗？", CommentState::Waiting),
];

/// Loads the livestreams (once). `named` holds the 2024 month's named records by title, when the
/// month was loaded just now.
pub async fn load(db: &Db, by: i64, named: &HashMap<&'static str, i64>) -> anyhow::Result<()> {
    if !store::streams(db, &Scope::province(), 1).await?.is_empty() {
        return Ok(());
    }
    let corps = org::unit_by_name_or_id(db, crate::org::reference::CORPS).await.context("demo corps")?;
    let province = org::region(db, &Scope::province(), "220000").await?;
    let stream = |title: &str, url: &str, quiz: &str, times| NewStream {
        unit: (corps.id, corps.region_path.clone()),
        text: (title.to_owned(), String::new()),
        region: (province.code.clone(), province.path.clone()),
        links: (url.to_owned(), quiz.to_owned()),
        times,
        created_by: by,
    };
    let starts = datetime!(2024-11-09 19:00 +8).to_offset(time::UtcOffset::UTC);
    let id =
        store::insert(db, &stream(LIVESTREAM_TITLE, "", "", (starts, starts + Duration::hours(2))), starts).await?;
    for (platform, views) in REPORTED {
        let evidence = format!("{platform}后台直播数据截图（2024年11月10日导出）");
        store::insert_reported(db, id, (platform, *views, &evidence), by, starts + Duration::days(1)).await?;
    }
    if let Some(record) = named.get(LIVESTREAM_TITLE) {
        store::finish(db, id, Some(*record)).await?;
    }

    // On air now: started half an hour ago, watched here and on 抖音, with the quiz alongside.
    let now = crate::clock::now();
    let times = (now - Duration::minutes(30), now + Duration::minutes(90));
    let live = stream(
        "吉林消防安全云直播：冬季用火用电安全",
        "https://live.douyin.com/jilinxiaofang",
        "zhixiao-demo-2026",
        times,
    );
    let id = store::insert(db, &live, now - Duration::days(3)).await?;
    let today = crate::clock::today();
    let viewers: Vec<(i64, time::Date, String)> =
        (0..VIEWERS_TODAY).map(|i| (id, today, format!("demo-viewer-{i:05}"))).collect();
    store::insert_viewers(db, &viewers).await?;
    for (i, (nickname, body, state)) in COMMENTS.iter().enumerate() {
        let at = times.0 + Duration::minutes(3 * i64::try_from(i).unwrap_or(0));
        let comment = store::insert_comment(db, id, nickname, body, at).await?;
        if *state != CommentState::Waiting {
            store::moderate(db, id, comment, *state, by).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_livestream_adds_up_to_the_report() {
        assert_eq!(super::reported_views(), 1_000_000);
    }
}
