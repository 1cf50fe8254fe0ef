//! The region tree: levels, drill-down, search by name and pinyin initials, and scope.

use reqwest::StatusCode;

use crate::helpers::TestApp;

pub async fn the_tree_has_jilin_s_five_levels(app: TestApp) {
    assert_eq!(app.scalar("select count(*) from region").await, 1 + 10 + 69 + 1075 + 11_860);
    let c = app.login("province").await;
    let root: serde_json::Value = c.get("/api/v1/regions").await.json().await.unwrap();
    assert_eq!(root[0]["code"], "220000");
    assert_eq!(root[0]["children"], 10);
    assert_eq!(root[0]["households"], 9_426_822);
    let prefectures: serde_json::Value = c.get("/api/v1/regions?parent=220000").await.json().await.unwrap();
    let names: Vec<&str> = prefectures.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 10);
    assert!(names.contains(&"长白山保护开发区") && names.contains(&"延边朝鲜族自治州"));
    let zones: serde_json::Value = c.get("/api/v1/regions?parent=220100").await.json().await.unwrap();
    let dev = zones.as_array().unwrap().iter().filter(|r| r["kind"] == "dev_zone").count();
    assert_eq!(dev, 4, "Changchun has four development zones");
    let page = c.get("/regions/220102").await.text().await.unwrap();
    assert!(page.contains("南关区") && page.contains("长春市") && page.contains("南岭街道"));
    assert!(page.contains("村（社区）"), "counts per level are shown");
}

pub async fn search_by_name_and_pinyin_initials(app: TestApp) {
    let c = app.login("province").await;
    let found: serde_json::Value = c.get("/api/v1/regions?q=ccs").await.json().await.unwrap();
    assert_eq!(found[0]["name"], "长春市");
    let found: serde_json::Value = c.get("/api/v1/regions?q=%E5%8D%97%E5%85%B3").await.json().await.unwrap();
    assert!(found.as_array().unwrap().iter().any(|r| r["code"] == "220102"));
    let page = c.get("/regions?q=yb").await.text().await.unwrap();
    assert!(page.contains("延边朝鲜族自治州"));
    let page = c.get("/regions?q=zzzzzz").await.text().await.unwrap();
    assert!(page.contains("没有找到匹配的区划"), "a helpful empty state");
}

pub async fn a_detachment_sees_only_its_subtree(app: TestApp) {
    let c = app.login("changchun").await;
    let root: serde_json::Value = c.get("/api/v1/regions").await.json().await.unwrap();
    assert_eq!(root[0]["code"], "220100");
    assert_eq!(c.get("/api/v1/regions/220200").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.get("/api/v1/regions?parent=220000").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.get("/regions/222400").await.status(), StatusCode::NOT_FOUND);
    let found: serde_json::Value = c.get("/api/v1/regions?q=yb").await.json().await.unwrap();
    assert!(found.as_array().unwrap().iter().all(|r| r["path"].as_str().unwrap().starts_with("/22/2201/")));
    let units: serde_json::Value = c.get("/api/v1/units").await.json().await.unwrap();
    let units = units.as_array().unwrap();
    assert!(units.iter().all(|u| u["region_path"].as_str().unwrap().starts_with("/22/2201/")));
    assert!(units.len() > 14, "the detachment and its brigades");
}

crate::on_both_backends!(
    the_tree_has_jilin_s_five_levels,
    search_by_name_and_pinyin_initials,
    a_detachment_sees_only_its_subtree
);
