//! Screens of the demo, with keys written here so that the tour can pull them
//! (`/feeds/screen.txt?key=fcs_demo_changchun_station`): an LED board at Changchun station and the
//! 华阳 community e-station that pulled minutes ago, and an outdoor screen in 延吉 that went silent.

use anyhow::Context as _;
use time::Duration;

use crate::db::Db;
use crate::org::{Scope, store as org};
use crate::screen::Kind;
use crate::screen::store::{self, NewScreen};

/// The demo screens: unit, region, name, kind, key, minutes since the last pull.
const SCREENS: &[(&str, &str, &str, Kind, &str, i64)] = &[
    ("长春市消防救援支队", "220100", "长春站北广场LED字幕屏", Kind::Caption, "fcs_demo_changchun_station", 4),
    ("长春市南关区消防救援大队", "220102001001", "华阳社区科普服务e站", Kind::Estation, "fcs_demo_huayang_estation", 1),
    ("延边朝鲜族自治州消防救援支队", "222401", "延吉市人民广场户外大屏", Kind::Outdoor, "fcs_demo_yanji_square", 300),
];

/// Loads the screens (once).
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
    Ok(())
}
