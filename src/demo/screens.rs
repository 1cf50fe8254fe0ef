//! Screens of the demo, with keys written here so that the tour can pull them
//! (`/feeds/screen.txt?key=fcs_demo_changchun_station`): an LED board at Changchun station and the
//! 华阳 community e-station that pulled minutes ago, and an outdoor screen in 延吉 that went silent;
//! Changchun's schedule for the winter (rush-hour captions at its stations, the evening on every
//! screen); and a key of 美团吉林 (`fcp_demo_meituan`) for trying the partner API.

use anyhow::Context as _;
use time::Duration;

use crate::db::Db;
use crate::org::{Scope, store as org};
use crate::partner::{self, KeyScope};
use crate::screen::Kind;
use crate::screen::store::{self, NewScreen, NewSlot};

/// The demo screens: unit, region, name, kind, key, minutes since the last pull.
const SCREENS: &[(&str, &str, &str, Kind, &str, i64)] = &[
    ("长春市消防救援支队", "220100", "长春站北广场LED字幕屏", Kind::Caption, "fcs_demo_changchun_station", 4),
    ("长春市南关区消防救援大队", "220102001001", "华阳社区科普服务e站", Kind::Estation, "fcs_demo_huayang_estation", 1),
    ("延边朝鲜族自治州消防救援支队", "222401", "延吉市人民广场户外大屏", Kind::Outdoor, "fcs_demo_yanji_square", 300),
];

/// Changchun's winter schedule: kind (every kind when none), from and to (minutes), caption.
const SLOTS: &[(Option<Kind>, i64, i64, &str)] = &[
    (Some(Kind::Caption), 7 * 60, 9 * 60, "电动自行车不进楼入户，不飞线充电"),
    (Some(Kind::Caption), 17 * 60, 19 * 60, "离家关电源，用火不离人"),
    (None, 19 * 60, 22 * 60, "冬季取暖防火灾，谨防一氧化碳中毒"),
];

/// The demo partner's key.
pub const PARTNER_KEY: &str = "fcp_demo_meituan";

/// Loads the screens, the schedule and the partner's key (once).
pub async fn load(db: &Db, by: i64) -> anyhow::Result<()> {
    if !store::screens(db, &Scope::province()).await?.is_empty() {
        return Ok(());
    }
    let now = crate::clock::now();
    for (unit, region, name, kind, key, minutes) in SCREENS {
        let unit = org::unit_by_name_or_id(db, unit).await.with_context(|| format!("demo unit {unit}"))?;
        let region = org::region(db, &Scope::province(), region).await?;
        let s = NewScreen {
            unit: (unit.id, unit.region_path.clone()),
            region: (region.code, region.path),
            what: ((*name).to_owned(), *kind, kind.default_chars()),
            key: (crate::org::hash_secret(key), key[key.len() - 4..].to_owned()),
            created_by: by,
        };
        store::insert(db, &s, now - Duration::days(30)).await?;
        store::pull(db, &crate::org::hash_secret(key), now - Duration::minutes(*minutes)).await?;
    }
    let changchun = org::unit_by_name_or_id(db, "长春市消防救援支队").await?;
    let region = org::region(db, &Scope::province(), "220100").await?;
    let today = crate::clock::today();
    for (kind, from, to, text) in SLOTS {
        let slot = NewSlot {
            unit: (changchun.id, changchun.region_path.clone()),
            region: (region.code.clone(), region.path.clone()),
            kind: *kind,
            campaign_id: None,
            text: (*text).to_owned(),
            days: (today - Duration::days(2), today + Duration::days(88)),
            minutes: (*from, *to),
            created_by: by,
        };
        store::insert_slot(db, &slot, now - Duration::days(2)).await?;
    }
    let meituan = org::unit_by_name_or_id(db, "美团吉林").await?;
    let key = partner::store::NewKey {
        unit: (meituan.id, meituan.region_path),
        name: "美团App首页安全提示".to_owned(),
        scopes: partner::store_scopes(KeyScope::ALL),
        key: (crate::org::hash_secret(PARTNER_KEY), PARTNER_KEY[PARTNER_KEY.len() - 4..].to_owned()),
        created_by: by,
    };
    partner::store::insert(db, &key, now - Duration::days(30)).await?;
    Ok(())
}
