//! Warnings of the demo: a heating-season warning for the whole province in force (drafted by the
//! publicity office, signed off by the admin, in Chinese and Korean), and a forest-fire warning
//! for 延边 drafted by its detachment and waiting for sign-off.

use anyhow::Context as _;
use time::Duration;

use crate::alert::store::{self, NewAlert};
use crate::alert::{Certainty, DEFAULT_SECTOR, Kind, Severity, Urgency, sender_code};
use crate::db::Db;
use crate::org::{Scope, store as org};

/// Loads the warnings (once).
pub async fn load(db: &Db) -> anyhow::Result<()> {
    if !store::alerts(db, &Scope::province(), 1).await?.is_empty() {
        return Ok(());
    }
    let user = |name: &'static str| async move { org::user_by_username(db, name).await?.context(name) };
    let (province, admin, yanbian) = (user("province").await?, user("admin").await?, user("yanbian").await?);
    let now = crate::clock::now();
    let corps = org::unit(db, &Scope::province(), province.unit_id).await?;
    let heating = NewAlert {
        unit: (corps.id, corps.region_path.clone(), sender_code(&corps.region_code, DEFAULT_SECTOR)),
        class: (Kind::Heating, Severity::Moderate, Urgency::Expected, Certainty::Likely),
        zh: (
            "寒潮来袭，注意取暖用火用电安全".to_owned(),
            "受强冷空气影响，未来三天全省气温明显下降，取暖用火用电增多，火灾风险上升。".to_owned(),
            "电暖器远离可燃物，人走断电；不在楼道和室内给电动自行车充电；使用燃气注意通风，安装燃气报警器。".to_owned(),
        ),
        ko: (
            "한파 주의, 난방 화기·전기 안전에 유의하세요".to_owned(),
            "강한 찬 공기의 영향으로 앞으로 사흘 동안 기온이 크게 내려가 난방으로 인한 화재 위험이 높아집니다."
                .to_owned(),
            "전기난로는 가연물에서 멀리 두고 외출 시 전원을 끄세요. 실내와 복도에서 전동자전거를 충전하지 마세요."
                .to_owned(),
        ),
        area: ("220000".to_owned(), "吉林省".to_owned()),
        times: (now - Duration::hours(2), now + Duration::days(3)),
        created_by: province.id,
    };
    let id = store::insert(db, &heating, now - Duration::hours(3)).await?;
    let sent = now - Duration::hours(2);
    store::publish(db, id, admin.id, sent, &heating.unit.2).await?;
    let detachment = org::unit(db, &Scope::province(), yanbian.unit_id).await?;
    let forest = NewAlert {
        unit: (detachment.id, detachment.region_path.clone(), sender_code(&detachment.region_code, DEFAULT_SECTOR)),
        class: (Kind::ForestFire, Severity::Severe, Urgency::Future, Certainty::Likely),
        zh: (
            "延边州森林草原火险等级较高".to_owned(),
            "近期降水偏少、风力较大，林区和草原火险等级较高。".to_owned(),
            "进入林区严禁携带火种，不烧荒、不上坟烧纸，发现火情立即拨打119。".to_owned(),
        ),
        ko: (String::new(), String::new(), String::new()),
        area: ("222400".to_owned(), "延边朝鲜族自治州".to_owned()),
        times: (now, now + Duration::days(7)),
        created_by: yanbian.id,
    };
    store::insert(db, &forest, now - Duration::minutes(20)).await?;
    Ok(())
}
