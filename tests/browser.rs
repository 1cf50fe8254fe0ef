//! Journeys in real headless Chromium (Debian `chromium` + `chromium-driver`), driven through
//! chromedriver. Skips, saying why, when chromedriver is not installed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use firecast::app;
use firecast::config::Config;
use firecast::db::Db;
use firecast::web::AppState;
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::prelude::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn chromedriver() -> Option<PathBuf> {
    let candidates = [PathBuf::from("/usr/bin/chromedriver"), PathBuf::from("/usr/lib/chromium/chromedriver")];
    candidates.into_iter().find(|p| p.exists())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts chromedriver and a browser session sized like a desktop or a phone.
async fn browser(width: u32, height: u32) -> Option<(Driver, WebDriver)> {
    let Some(binary) = chromedriver() else {
        eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = free_port();
    let child =
        Command::new(binary).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let driver = Driver(child);
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=zh-CN",
        &format!("--window-size={width},{height}"),
    ] {
        caps.add_arg(arg).unwrap();
    }
    if width < 500 {
        // Headless windows have a minimum width; emulate the phone's screen instead.
        let metrics = serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2 } });
        caps.add_experimental_option("mobileEmulation", metrics).unwrap();
    }
    if Path::new("/usr/bin/chromium").exists() {
        caps.set_binary("/usr/bin/chromium").unwrap();
    }
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        match WebDriver::new(&url, caps.clone()).await {
            Ok(session) => return Some((driver, session)),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("chromedriver did not start");
}

/// A demo server on a fresh `SQLite` file: its address, database, config and database URL.
async fn demo_server(name: &str) -> (String, Db, Config, String) {
    let dir = std::env::temp_dir().join(format!("firecast-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let db = Db::open(&url).await.unwrap();
    firecast::org::reference::load(&db).await.unwrap();
    firecast::demo::seed(&db, &firecast::config::Config::with_database("").data_key("").unwrap()).await.unwrap();
    let listener = app::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::with_database(&url);
    let key = config.data_key(&url).unwrap();
    tokio::spawn(app::serve(listener, AppState::new(db.clone(), config.clone(), key), std::future::pending()));
    (base, db, config, url)
}

fn screenshot_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Clicks something that loads a new page, and waits until the new page is there.
async fn click_to_load(driver: &WebDriver, by: By) -> WebDriverResult<()> {
    // A live page may reload itself on a server event between finding the button and clicking
    // it: then the button is stale, and it is found again on the new page.
    let mut tries = 0;
    let old = loop {
        let old = driver.find(By::Tag("html")).await?;
        match driver.find(by.clone()).await?.click().await {
            Ok(()) => break old,
            Err(e) if tries < 5 && matches!(e.as_inner(), WebDriverErrorInner::StaleElementReference(_)) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    };
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the click did not load a page");
}

async fn sign_in(driver: &WebDriver, base: &str, username: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/login")).await?;
    driver.find(By::Id("username")).await?.send_keys(username).await?;
    driver.find(By::Id("password")).await?.send_keys(firecast::demo::PASSWORD).await?;
    click_to_load(driver, By::Css("form.stack button[type=submit]")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detachment_user_sees_only_their_subtree() {
    let Some((_chromedriver, driver)) = browser(1280, 900).await else {
        return;
    };
    let (base, ..) = demo_server("subtree").await;
    sign_in(&driver, &base, "changchun").await.unwrap();
    let welcome = driver.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert!(welcome.contains("长春支队宣传科"), "{welcome}");

    click_to_load(&driver, By::LinkText("区划")).await.unwrap();
    let title = driver.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert!(title.starts_with("长春市"), "the tree opens at the user's own region: {title}");
    let rows = driver.find_all(By::Css("table.list tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 15, "Changchun's eleven districts, counties and cities and four development zones");
    let table = driver.find(By::Css("table.list")).await.unwrap().text().await.unwrap();
    assert!(table.contains("南关区") && table.contains("长春经济技术开发区"));
    assert!(!table.contains("吉林市") && !table.contains("延边"), "no other prefecture");

    // Drill down two levels.
    click_to_load(&driver, By::LinkText("南关区")).await.unwrap();
    click_to_load(&driver, By::LinkText("南岭街道")).await.unwrap();
    let crumbs = driver.find(By::Css("nav.crumbs")).await.unwrap().text().await.unwrap();
    assert_eq!(crumbs, "长春市 › 南关区 › 南岭街道", "the trail starts at the user's own region");

    // Search by pinyin initials stays inside the subtree.
    driver.goto(format!("{base}/regions?q=yb")).await.unwrap();
    let results = driver.find(By::Css("main section.card")).await.unwrap().text().await.unwrap();
    assert!(!results.contains("延边朝鲜族自治州"), "{results}");

    // Another prefecture is not there at all.
    driver.goto(format!("{base}/regions/220200")).await.unwrap();
    let page = driver.source().await.unwrap();
    assert!(page.contains("页面不存在"));

    driver.goto(format!("{base}/regions")).await.unwrap();
    driver.screenshot(&screenshot_path("detachment-region-tree.png")).await.unwrap();
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_works_on_a_phone() {
    let Some((_chromedriver, driver)) = browser(390, 844).await else {
        return;
    };
    let (base, ..) = demo_server("phone").await;
    sign_in(&driver, &base, "admin").await.unwrap();
    // The navigation folds behind the menu button on a narrow screen.
    let nav = driver.find(By::Id("main-nav")).await.unwrap();
    assert!(!nav.is_displayed().await.unwrap());
    driver.find(By::Css("button.nav-toggle")).await.unwrap().click().await.unwrap();
    assert!(nav.is_displayed().await.unwrap());
    click_to_load(&driver, By::LinkText("单位")).await.unwrap();
    driver.screenshot(&screenshot_path("phone-units-zh.png")).await.unwrap();
    let width: i64 =
        driver.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().convert().unwrap();
    let viewport: i64 = driver.execute("return window.innerWidth", vec![]).await.unwrap().convert().unwrap();
    assert_eq!(viewport, 390, "a phone-sized screen");
    assert!(width <= viewport, "no sideways scrolling on a phone: {width}px");
    // Switch to English and back.
    click_to_load(&driver, By::LinkText("English")).await.unwrap();
    let h1 = driver.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Units");
    driver.screenshot(&screenshot_path("phone-units.png")).await.unwrap();
    driver.quit().await.unwrap();
}

fn test_photo() -> PathBuf {
    let path = std::env::temp_dir().join(format!("firecast-photo-{}.png", std::process::id()));
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([u8::try_from(x * 4).unwrap(), u8::try_from(y * 5).unwrap(), 120])
    });
    img.save(&path).unwrap();
    path
}

async fn sign_out(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    // On a phone the button sits in the folded menu.
    if let Ok(toggle) = driver.find(By::Css("button.nav-toggle")).await
        && toggle.is_displayed().await?
    {
        toggle.click().await?;
    }
    click_to_load(driver, By::Css("form[action='/logout'] button")).await?;
    assert!(driver.current_url().await?.as_str().starts_with(&format!("{base}/login")));
    Ok(())
}

async fn province_people_trained(driver: &WebDriver, base: &str, campaign: &str) -> i64 {
    driver.goto(format!("{base}/campaigns/{campaign}")).await.unwrap();
    let tiles = driver.find_all(By::Css(".tiles .tile")).await.unwrap();
    for tile in tiles {
        let text = tile.text().await.unwrap();
        if text.contains("培训人数") {
            return text.lines().next().unwrap().replace(',', "").parse().unwrap();
        }
    }
    0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brigade_reports_the_detachment_approves_and_the_province_total_moves() {
    let Some((_chromedriver, driver)) = browser(390, 844).await else { return };
    let (base, ..) = demo_server("report").await;
    let photo = test_photo();

    // The province's figure before.
    sign_in(&driver, &base, "province").await.unwrap();
    driver.goto(format!("{base}/campaigns")).await.unwrap();
    let link = driver.find(By::Css("table.list tbody tr td a")).await.unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    let campaign = href.trim_start_matches("/campaigns/").to_owned();
    let before = province_people_trained(&driver, &base, &campaign).await;
    sign_out(&driver, &base).await.unwrap();

    // A brigade user reports a training with a photo, from a phone.
    sign_in(&driver, &base, "nanguan").await.unwrap();
    driver.goto(format!("{base}/activities/new?campaign={campaign}")).await.unwrap();
    driver.find(By::Id("title")).await.unwrap().send_keys("南岭街道老旧小区消防培训").await.unwrap();
    driver.find(By::Css("#kind option[value='training']")).await.unwrap().click().await.unwrap();
    let starts = driver.find(By::Id("starts_on")).await.unwrap().value().await.unwrap().unwrap();
    assert_eq!(starts, firecast::clock::today().to_string(), "the form offers today, inside the running month");
    driver.find(By::Id("fig_people_trained")).await.unwrap().send_keys("137").await.unwrap();
    click_to_load(&driver, By::Css("button[name='save']")).await.unwrap();
    let state = driver.find(By::Css("main h1 .state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "草稿");
    driver.find(By::Id("photo")).await.unwrap().send_keys(photo.display().to_string()).await.unwrap();
    click_to_load(&driver, By::Css("form[enctype='multipart/form-data'] button")).await.unwrap();
    let photos = driver.find_all(By::Css(".photos img")).await.unwrap();
    assert_eq!(photos.len(), 1, "the photo is attached");
    click_to_load(&driver, By::Css("input[value='submit'] + button")).await.unwrap();
    let state = driver.find(By::Css("main h1 .state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "待审核");
    driver.screenshot(&screenshot_path("brigade-activity-submitted.png")).await.unwrap();
    sign_out(&driver, &base).await.unwrap();

    // The detachment approves it from the review queue.
    sign_in(&driver, &base, "changchun").await.unwrap();
    driver.goto(format!("{base}/review")).await.unwrap();
    click_to_load(&driver, By::LinkText("南岭街道老旧小区消防培训")).await.unwrap();
    click_to_load(&driver, By::Id("approve")).await.unwrap();
    let state = driver.find(By::Css("main h1 .state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "已通过");
    sign_out(&driver, &base).await.unwrap();

    // The province's total has moved by exactly the reported figure.
    sign_in(&driver, &base, "province").await.unwrap();
    let after = province_people_trained(&driver, &base, &campaign).await;
    assert_eq!(after, before + 137);
    driver.screenshot(&screenshot_path("province-campaign-overview.png")).await.unwrap();
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_map_follows_the_metric_and_the_report_downloads() {
    let Some((_chromedriver, driver)) = browser(1280, 1000).await else { return };
    let (base, ..) = demo_server("dashboard").await;
    sign_in(&driver, &base, "province").await.unwrap();
    driver.goto(format!("{base}/campaigns")).await.unwrap();
    let href = driver.find(By::LinkText("2024年全省消防宣传月")).await.unwrap().attr("href").await.unwrap().unwrap();
    let campaign = href.trim_start_matches("/campaigns/").to_owned();
    driver.goto(format!("{base}/dashboard?campaign={campaign}")).await.unwrap();
    let tiles = driver.find(By::Id("headline")).await.unwrap().text().await.unwrap();
    assert!(tiles.contains("1,050,000") && tiles.contains("28,560"), "{tiles}");
    let fill = |code: &'static str| {
        let driver = driver.clone();
        async move {
            driver.find(By::Css(format!("[data-code='{code}']"))).await.unwrap().attr("fill").await.unwrap().unwrap()
        }
    };
    let changchun_handouts = fill("220100").await;
    driver.screenshot(&screenshot_path("dashboard-handouts.png")).await.unwrap();
    driver.find(By::Css("#metric option[value='parcel_stickers']")).await.unwrap().click().await.unwrap();
    click_to_load(&driver, By::Css("#dashboard-form button[type=submit]")).await.unwrap();
    let changchun_stickers = fill("220100").await;
    let songyuan_stickers = fill("220700").await;
    assert_ne!(changchun_handouts, changchun_stickers, "the map's colours follow the metric");
    assert_ne!(songyuan_stickers, changchun_stickers, "only Songyuan put up stickers");
    driver.screenshot(&screenshot_path("dashboard-stickers.png")).await.unwrap();

    // The report, and its Word file.
    driver.goto(format!("{base}/reports?campaign={campaign}")).await.unwrap();
    let text = driver.find(By::Css(".report-view")).await.unwrap().text().await.unwrap();
    assert!(text.contains("发放宣传资料105万份"), "{text}");
    let link = driver.find(By::Id("download-docx")).await.unwrap().attr("href").await.unwrap().unwrap();
    let cookies: Vec<String> =
        driver.get_all_cookies().await.unwrap().into_iter().map(|c| format!("{}={}", c.name, c.value)).collect();
    let download =
        reqwest::Client::new().get(format!("{base}{link}")).header("cookie", cookies.join("; ")).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"].to_str().unwrap().contains(".docx"));
    assert_eq!(&download.bytes().await.unwrap()[..2], b"PK");

    // The office rewrites a paragraph in the page: kept, marked, its figures still links.
    let edit = driver.find(By::Css("[id='p-volunteers.2'] + details")).await.unwrap();
    edit.find(By::Css("summary")).await.unwrap().click().await.unwrap();
    let area = edit.find(By::Css("textarea")).await.unwrap();
    let generated = area.prop("value").await.unwrap().unwrap();
    assert!(generated.contains("105万"), "{generated}");
    area.clear().await.unwrap();
    area.send_keys(format!("{generated}志愿服务覆盖全省城乡社区。")).await.unwrap();
    click_to_load(&driver, By::Css("[id='p-volunteers.2'] + details button[type=submit]")).await.unwrap();
    let para = driver.find(By::Css("[id='p-volunteers.2']")).await.unwrap();
    assert!(para.text().await.unwrap().ends_with("志愿服务覆盖全省城乡社区。"));
    assert!(para.class_name().await.unwrap().unwrap().contains("edited"));
    let linked = para.find(By::LinkText("105万")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(linked.starts_with("/activities"), "{linked}");
    driver.screenshot(&screenshot_path("report-edited.png")).await.unwrap();
    // And hides a record from the text.
    driver.find(By::Css("#choices summary")).await.unwrap().click().await.unwrap();
    let row = driver.find(By::XPath("//details[@id='choices']//tr[contains(., '检察官')]")).await.unwrap();
    row.find(By::Css("button[value=hidden]")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = driver.find(By::Css(".report-view")).await.unwrap().text().await.unwrap();
    assert!(!text.contains("检察官到消防站") && text.contains("志愿服务覆盖全省城乡社区"), "{text}");
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_takes_the_quiz_on_a_phone_and_sees_their_rank() {
    let Some((_chromedriver, driver)) = browser(390, 844).await else {
        return;
    };
    let (base, ..) = demo_server("quiz").await;
    driver.goto(format!("{base}/p/quiz/zhixiao-demo-2026")).await.unwrap();
    driver.find(By::Id("nickname")).await.unwrap().send_keys("手机答题者").await.unwrap();
    driver.find(By::Css("#region_code-l1 option[value='220100']")).await.unwrap().click().await.unwrap();
    appears(&driver, By::Css("#region_code-l2 option[value='220102']")).await.click().await.unwrap();
    click_to_load(&driver, By::Css("form#join button[type=submit]")).await.unwrap();
    click_to_load(&driver, By::Css("form[action$='/start'] button")).await.unwrap();
    driver.screenshot(&screenshot_path("phone-quiz-question.png")).await.unwrap();
    let mut answered = 0;
    while !driver.current_url().await.unwrap().as_str().ends_with("/result") {
        assert!(answered < 20, "the quiz ends");
        let no_scroll: bool = driver
            .execute("return document.documentElement.scrollWidth <= window.innerWidth", vec![])
            .await
            .unwrap()
            .convert()
            .unwrap();
        assert!(no_scroll, "no sideways scrolling on a question");
        let lists = driver.find_all(By::Css("form#answer select[name=match]")).await.unwrap();
        if let Ok(text) = driver.find(By::Id("text")).await {
            text.send_keys("119").await.unwrap();
        } else if !lists.is_empty() {
            for list in lists {
                list.find(By::Css("option:nth-child(2)")).await.unwrap().click().await.unwrap();
            }
        } else {
            driver
                .find(By::Css("form#answer input[type=radio], form#answer input[type=checkbox]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        click_to_load(&driver, By::Css("form#answer button[type=submit]")).await.unwrap();
        answered += 1;
    }
    assert_eq!(answered, 10, "the demo quiz draws ten questions");
    let rank: i64 = driver.find(By::Id("rank")).await.unwrap().text().await.unwrap().parse().unwrap();
    assert!((1..=121).contains(&rank), "ranked among the demo's 120 and this resident: {rank}");
    let page = driver.source().await.unwrap();
    assert!(page.contains("答题解析"), "the explanations follow the quiz");
    driver.screenshot(&screenshot_path("phone-quiz-result.png")).await.unwrap();
    // The start page now shows the best result.
    driver.goto(format!("{base}/p/quiz/zhixiao-demo-2026")).await.unwrap();
    let best = driver.find(By::Css("p.rank")).await.unwrap().text().await.unwrap();
    assert!(best.contains(&rank.to_string()), "{best}");
    driver.quit().await.unwrap();
}

/// Waits (up to ten seconds) for a field that a script sets to hold `value`; returns what it holds.
async fn field_becomes(driver: &WebDriver, id: &str, value: &str) -> String {
    let mut now = String::new();
    for _ in 0..100 {
        now = driver.find(By::Id(id)).await.unwrap().attr("value").await.unwrap().unwrap_or_default();
        if now == value {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    now
}

/// Waits for an element that a script adds to the page.
async fn appears(driver: &WebDriver, by: By) -> WebElement {
    for _ in 0..100 {
        if let Ok(el) = driver.find(by.clone()).await {
            return el;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{by:?} did not appear");
}

async fn no_sideways_scroll(driver: &WebDriver, what: &str) {
    let width: i64 =
        driver.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().convert().unwrap();
    let viewport: i64 = driver.execute("return window.innerWidth", vec![]).await.unwrap().convert().unwrap();
    assert!(width <= viewport, "{what}: no sideways scrolling on a phone ({width}px in {viewport}px)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volunteer_reports_a_hazard_the_brigade_closes_it_and_the_reporter_sees_it() {
    let Some((_chromedriver, driver)) = browser(390, 844).await else { return };
    let (base, ..) = demo_server("hazard").await;
    let photo = test_photo();

    // A volunteer reports an e-bike charged by a flying lead, from a phone, picking the place level by level.
    sign_in(&driver, &base, "volunteer").await.unwrap();
    driver.goto(format!("{base}/hazards/new")).await.unwrap();
    no_sideways_scroll(&driver, "the report form").await;
    driver.find(By::Css("#category option[value='ebike']")).await.unwrap().click().await.unwrap();
    driver.find(By::Css("#region_code-l2 option[value='220102']")).await.unwrap().click().await.unwrap();
    appears(&driver, By::Css("#region_code-l3 option[value='220102001']")).await.click().await.unwrap();
    appears(&driver, By::Css("#region_code-l4 option[value='220102001002']")).await.click().await.unwrap();
    driver.find(By::Id("address")).await.unwrap().send_keys("恒安社区6号楼2单元").await.unwrap();
    driver.find(By::Id("description")).await.unwrap().send_keys("三楼窗口飞线给楼下电动车充电").await.unwrap();
    driver.find(By::Id("photos")).await.unwrap().send_keys(photo.display().to_string()).await.unwrap();
    driver.screenshot(&screenshot_path("hazard-phone-form.png")).await.unwrap();
    click_to_load(&driver, By::Id("send")).await.unwrap();
    let code = driver.find(By::Id("tracking-code")).await.unwrap().text().await.unwrap();
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "a code read over the phone: {code}");
    let open = driver.find(By::Css("a[href^='/hazards/']")).await.unwrap().attr("href").await.unwrap().unwrap();
    no_sideways_scroll(&driver, "the receipt").await;
    sign_out(&driver, &base).await.unwrap();

    // The brigade verifies, assigns it to itself, has it rectified, re-inspects and closes it.
    sign_in(&driver, &base, "nanguan").await.unwrap();
    driver.goto(format!("{base}{open}")).await.unwrap();
    assert_eq!(driver.find(By::Css(".photos img")).await.unwrap().tag_name().await.unwrap(), "img");
    click_to_load(&driver, By::Id("t-verify")).await.unwrap();
    driver
        .find(By::XPath("//select[@id='unit-assign']/option[text()='长春市南关区消防救援大队']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click_to_load(&driver, By::Id("t-assign")).await.unwrap();
    click_to_load(&driver, By::Id("t-start_rectifying")).await.unwrap();
    click_to_load(&driver, By::Id("t-mark_rectified")).await.unwrap();
    driver.find(By::Id("note-close")).await.unwrap().send_keys("复查合格，飞线已拆除").await.unwrap();
    click_to_load(&driver, By::Id("t-close")).await.unwrap();
    let state = driver.find(By::Id("state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "复查合格已办结");
    let timeline = driver.find(By::Id("timeline")).await.unwrap().text().await.unwrap();
    assert!(timeline.contains("南关区大队") && timeline.contains("飞线已拆除"), "{timeline}");
    no_sideways_scroll(&driver, "the hazard page").await;
    sign_out(&driver, &base).await.unwrap();

    // The reporter follows it with the code as a neighbour read it out (small letters, a space),
    // no account needed, and sees the closure.
    driver.goto(format!("{base}/p/hazards/track")).await.unwrap();
    let spoken = code.replace('-', " ").to_lowercase();
    driver.find(By::Id("code")).await.unwrap().send_keys(&spoken).await.unwrap();
    click_to_load(&driver, By::Css("main form button[type=submit]")).await.unwrap();
    let state = driver.find(By::Id("track-state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "复查合格已办结");
    let timeline = driver.find(By::Id("timeline")).await.unwrap().text().await.unwrap();
    assert!(timeline.contains("飞线已拆除") && !timeline.contains("南关区大队"), "{timeline}");
    no_sideways_scroll(&driver, "the tracking page").await;
    driver.screenshot(&screenshot_path("hazard-phone-tracking-closed.png")).await.unwrap();
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_round_with_three_team_phones_and_a_host_screen() {
    let Some((_host_driver, host)) = browser(1280, 900).await else {
        return;
    };
    let (base, ..) = demo_server("live").await;
    sign_in(&host, &base, "province").await.unwrap();
    host.goto(format!("{base}/quiz/live")).await.unwrap();
    host.find(By::Id("title")).await.unwrap().send_keys("知消杯现场赛").await.unwrap();
    let teams = host.find(By::Id("teams")).await.unwrap();
    teams.clear().await.unwrap();
    teams.send_keys("长春队, 长春, 张伟 李娜\n吉林队, 吉林, 赵磊 孙丽\n延边队, 延边, 金哲 朴敏").await.unwrap();
    // One round: compulsory, the same question for all, 120 seconds; the other rows not used.
    host.find(By::Css("select[name=round0_mode] option[value=all]")).await.unwrap().click().await.unwrap();
    let seconds = host.find(By::Css("input[name=round0_seconds]")).await.unwrap();
    seconds.clear().await.unwrap();
    seconds.send_keys("120").await.unwrap();
    for row in 1..3 {
        host.find(By::Css(&format!("select[name=round{row}_kind] option[value='']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    click_to_load(&host, By::Css("form[action='/quiz/live'] button[type=submit]")).await.unwrap();
    let setup = host.current_url().await.unwrap().to_string();
    let id: i64 = setup.rsplit('/').next().unwrap().parse().unwrap();
    let found: Vec<String> = host
        .execute(
            "return [...document.querySelectorAll(\"a[href*='/p/live/']\")].map(a => a.getAttribute('href'))",
            vec![],
        )
        .await
        .unwrap()
        .convert()
        .unwrap();
    let mut links = Vec::new();
    for href in found {
        if !links.contains(&href) {
            links.push(href);
        }
    }
    assert_eq!(links.len(), 3, "a link for each team: {links:?}");
    host.goto(format!("{base}/quiz/live/{id}/host")).await.unwrap();
    click_to_load(&host, By::Css("button[value=start]")).await.unwrap();
    click_to_load(&host, By::Id("open")).await.unwrap();
    // Mark this page: a reload would lose the mark.
    host.execute("window.liveMark = 1", vec![]).await.unwrap();

    let mut phones = Vec::new();
    for link in &links {
        let (driver, phone) = browser(390, 844).await.unwrap();
        // The set-up page prints full links for the teams' phones; this server listens elsewhere.
        let url = format!("{base}{}", &link[link.find("/p/live/").unwrap()..]);
        phone.goto(url).await.unwrap();
        // The page re-renders itself on every event of the match, so answer in one script.
        appears(&phone, By::Id("send")).await;
        phone
            .execute(
                "const i = document.querySelector('form#answer input[type=radio], form#answer input[type=checkbox]');\
                 if (i) { i.checked = true; } else { document.querySelector('form#answer input[name=text]').value = '119'; }\
                 document.getElementById('send').click();",
                vec![],
            )
            .await
            .unwrap();
        appears(&phone, By::Id("mine")).await;
        phones.push((driver, phone));
    }
    phones[0].1.screenshot(&screenshot_path("live-team-phone.png")).await.unwrap();

    // The host's count reaches 3 through server-sent events, without a reload.
    let mut answered = String::new();
    for _ in 0..100 {
        answered = host.find(By::Id("answered")).await.unwrap().text().await.unwrap();
        if answered == "3" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, "3", "the live answer count");
    let mark: Option<i64> = host.execute("return window.liveMark", vec![]).await.unwrap().convert().unwrap();
    assert_eq!(mark, Some(1), "the host page was not reloaded");

    click_to_load(&host, By::Id("reveal-button")).await.unwrap();
    assert!(host.find(By::Id("reveal")).await.is_ok(), "the right answer is revealed");
    let board: serde_json::Value = host
        .execute(&format!("return fetch('/api/v1/live-matches/{id}').then(r => r.json())"), vec![])
        .await
        .unwrap()
        .json()
        .clone();
    let scores = host.find(By::Id("scores")).await.unwrap().text().await.unwrap();
    for line in board["scores"].as_array().unwrap() {
        let total = line["answered"].as_i64().unwrap() + line["corrected"].as_i64().unwrap();
        assert!(total == 0 || total == 10, "one question of 10 points: {line}");
        let name = line["name"].as_str().unwrap();
        let row =
            scores.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} on the scoreboard: {scores}"));
        assert!(row.contains(&total.to_string()), "{row}");
    }
    host.screenshot(&screenshot_path("live-host-revealed.png")).await.unwrap();
    for (_, phone) in phones {
        phone.quit().await.unwrap();
    }
    host.quit().await.unwrap();
}

/// The state shown on the push page for the node of a region.
async fn node_state(driver: &WebDriver, region: &str) -> (String, String) {
    let xpath = format!("//li[contains(@class,'pu-node')][.//strong[text()='{region}']]");
    let li = driver.find(By::XPath(xpath)).await.unwrap();
    let state = li.attr("data-state").await.unwrap().unwrap_or_default();
    let text = li.find(By::Css(".pu-state")).await.unwrap().text().await.unwrap();
    (state, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tip_goes_down_four_levels_and_reaches_a_subscribed_household() {
    let Some((_chromedriver, driver)) = browser(1280, 900).await else { return };
    let (base, db, config, url) = demo_server("push").await;

    // A resident of 华阳社区 subscribes first and keeps the inbox address.
    driver.goto(format!("{base}/p/subscribe")).await.unwrap();
    driver.find(By::Css("#region_code-l1 option[value='220100']")).await.unwrap().click().await.unwrap();
    appears(&driver, By::Css("#region_code-l2 option[value='220102']")).await.click().await.unwrap();
    appears(&driver, By::Css("#region_code-l3 option[value='220102001']")).await.click().await.unwrap();
    appears(&driver, By::Css("#region_code-l4 option[value='220102001001']")).await.click().await.unwrap();
    driver.find(By::Id("consent")).await.unwrap().click().await.unwrap();
    click_to_load(&driver, By::Id("subscribe")).await.unwrap();
    let bookmark = driver.find(By::Id("bookmark")).await.unwrap().text().await.unwrap();
    assert!(bookmark.contains("收藏"), "{bookmark}");
    assert!(driver.find(By::Id("no-tips")).await.is_ok(), "an empty inbox says so");
    let inbox = driver.current_url().await.unwrap().path().to_owned();
    assert!(inbox.starts_with("/p/inbox/"), "{inbox}");

    // The province writes a tip, approves it and pushes it to 长春市 by inbox.
    sign_in(&driver, &base, "province").await.unwrap();
    driver.goto(format!("{base}/pushes/products/new")).await.unwrap();
    driver.find(By::Css("#kind option[value='tip']")).await.unwrap().click().await.unwrap();
    driver.find(By::Id("title")).await.unwrap().send_keys("冬季取暖提示").await.unwrap();
    driver
        .find(By::Id("body"))
        .await
        .unwrap()
        .send_keys("冬季取暖注意安全，电暖器远离可燃物，人走断电。")
        .await
        .unwrap();
    driver.find(By::Css("input[name='themes'][value='heating']")).await.unwrap().click().await.unwrap();
    click_to_load(&driver, By::Id("save-product")).await.unwrap();
    assert_eq!(driver.find(By::Id("product-state")).await.unwrap().text().await.unwrap(), "草稿");
    click_to_load(&driver, By::Id("approve")).await.unwrap();
    assert_eq!(driver.find(By::Id("product-state")).await.unwrap().text().await.unwrap(), "已审核");
    click_to_load(&driver, By::Id("push-this")).await.unwrap();
    let reach = driver.find(By::Id("reach")).await.unwrap();
    let whole = reach.text().await.unwrap();
    driver.find(By::Css("input.pu-target[value='220100']")).await.unwrap().click().await.unwrap();
    let mut counted = String::new();
    for _ in 0..100 {
        counted = reach.text().await.unwrap();
        if counted != whole {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        counted.starts_with("1 个支队") && counted.contains("1 订阅户"),
        "the live count follows the boxes: {counted}"
    );
    assert!(driver.find(By::Id("channel-inbox")).await.unwrap().is_selected().await.unwrap());
    click_to_load(&driver, By::Id("send")).await.unwrap();
    let push = driver.current_url().await.unwrap().path().to_owned();
    assert_eq!(node_state(&driver, "长春市").await, ("pending".to_owned(), "待签收".to_owned()));
    sign_out(&driver, &base).await.unwrap();

    // The detachment forwards it from its list, then the brigade.
    for user in ["changchun", "nanguan"] {
        sign_in(&driver, &base, user).await.unwrap();
        driver.goto(format!("{base}/pushes")).await.unwrap();
        let task = driver.find(By::Css("#tasks .pu-task")).await.unwrap().text().await.unwrap();
        assert!(task.contains("冬季取暖提示") && task.contains("待签收"), "{user}: {task}");
        click_to_load(&driver, By::Css("#tasks .pu-forward-button")).await.unwrap();
        assert!(driver.find(By::Css("#tasks .empty")).await.is_ok(), "{user}: nothing left to sign");
        sign_out(&driver, &base).await.unwrap();
    }

    // The community confirms on the phone-sized form.
    sign_in(&driver, &base, "grid").await.unwrap();
    driver.goto(format!("{base}/pushes")).await.unwrap();
    // (The demo's own pushes of this week wait there too: take this one.)
    let ours = "//*[@id='tasks']//*[contains(concat(' ', @class, ' '), ' pu-task ')][contains(., '冬季取暖提示')]//a[contains(@class,'pu-confirm')]";
    click_to_load(&driver, By::XPath(ours)).await.unwrap();
    driver.find(By::Id("way-chat_group")).await.unwrap().click().await.unwrap();
    driver.find(By::Id("way-notice_board")).await.unwrap().click().await.unwrap();
    driver.find(By::Id("reach")).await.unwrap().send_keys("300").await.unwrap();
    click_to_load(&driver, By::Id("confirm")).await.unwrap();
    assert_eq!(node_state(&driver, "华阳社区").await, ("confirmed".to_owned(), "已落实".to_owned()));
    sign_out(&driver, &base).await.unwrap();

    // The direct delivery goes out.
    let key = std::sync::Arc::new(config.data_key(&url).unwrap());
    let dispatcher = firecast::push::delivery::dispatch::Dispatcher::new(
        db.clone(),
        key,
        &firecast::push::delivery::dispatch::Settings::from_config(&config).unwrap(),
    )
    .unwrap();
    dispatcher.drain(firecast::clock::now()).await.unwrap();

    // The resident sees it unread, opens it, and back in the inbox it is read.
    driver.goto(format!("{base}{inbox}")).await.unwrap();
    let tip = driver.find(By::Css("#tips li.pu-tip")).await.unwrap();
    assert!(tip.class_name().await.unwrap().unwrap_or_default().contains("unread"));
    assert!(tip.text().await.unwrap().contains("未读"));
    click_to_load(&driver, By::Css("#tips li.pu-tip a")).await.unwrap();
    assert_eq!(driver.find(By::Css("main h1")).await.unwrap().text().await.unwrap(), "冬季取暖提示");
    click_to_load(&driver, By::Id("back")).await.unwrap();
    let tip = driver.find(By::Css("#tips li.pu-tip")).await.unwrap();
    assert!(tip.class_name().await.unwrap().unwrap_or_default().contains(" read"));
    assert!(tip.text().await.unwrap().contains("已读"));

    // On the tree the units changed colour and state.
    sign_in(&driver, &base, "province").await.unwrap();
    driver.goto(format!("{base}{push}")).await.unwrap();
    assert_eq!(node_state(&driver, "长春市").await, ("forwarded".to_owned(), "已转发".to_owned()));
    assert_eq!(node_state(&driver, "南关区").await, ("forwarded".to_owned(), "已转发".to_owned()));
    assert_eq!(node_state(&driver, "朝阳区").await, ("pending".to_owned(), "待签收".to_owned()));
    let city = driver.find(By::XPath("//li[contains(@class,'pu-node')][.//strong[text()='长春市']]")).await.unwrap();
    assert!(city.class_name().await.unwrap().unwrap_or_default().contains("pu-st-forwarded"));
    let summary = driver.find(By::Css(".pu-summary")).await.unwrap().text().await.unwrap();
    assert!(summary.contains("已落实 1"), "{summary}");
    let deliveries = driver.find(By::Id("deliveries")).await.unwrap().text().await.unwrap();
    assert!(deliveries.contains("长春市") && deliveries.contains("收件箱"), "{deliveries}");
    driver.screenshot(&screenshot_path("push-tree.png")).await.unwrap();
    driver.quit().await.unwrap();
}

/// axe-core, run in the page: the rules with serious or critical findings, and where.
async fn serious_findings(driver: &WebDriver) -> Vec<String> {
    const AXE: &str = include_str!("vendor/axe.min.js");
    driver.execute(AXE, vec![]).await.unwrap();
    let found = driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then((r) => done(r.violations
               .filter((v) => v.impact === 'serious' || v.impact === 'critical')
               .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .unwrap();
    found.convert().unwrap()
}

/// A whole number as a page shows it (`1,234`).
fn shown_number(s: &str) -> i64 {
    s.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

/// Tries to change the password and expects a refusal containing `says` ("两次": the new
/// password typed differently the second time).
async fn refused_password(driver: &WebDriver, base: &str, current: &str, new: &str, says: &str) {
    driver.goto(format!("{base}/account/password")).await.unwrap();
    driver.find(By::Id("current")).await.unwrap().send_keys(current).await.unwrap();
    driver.find(By::Id("new")).await.unwrap().send_keys(new).await.unwrap();
    let repeat = if says == "两次" { "another-password-9" } else { new };
    driver.find(By::Id("repeat")).await.unwrap().send_keys(repeat).await.unwrap();
    click_to_load(driver, By::Css("main form button[type=submit]")).await.unwrap();
    let alert = driver.find(By::Css("[role=alert]")).await.unwrap().text().await.unwrap();
    assert!(alert.contains(says), "{alert}");
}

/// Each role on a desktop and on a 390 px phone: the home page's to-do list and the header's count
/// agree, a form is filled with the region picker and a refused input answers in Chinese naming
/// the field, and axe-core finds nothing serious or critical on any of these pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_works_its_list_and_forms_on_desktop_and_phone() {
    if chromedriver().is_none() {
        eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return;
    }
    let (base, db, ..) = demo_server("roles").await;
    for (width, height) in [(1366, 900), (390, 844)] {
        let Some((_chromedriver, driver)) = browser(width, height).await else { return };
        let mut checked = 0;
        for role in ["province", "changchun", "nanguan", "grid", "volunteer", "leader"] {
            // Signing in as the next role while the last is signed in works at once.
            sign_in(&driver, &base, role).await.unwrap();
            assert!(driver.current_url().await.unwrap().path() == "/", "{role} is signed in");
            let counts = driver.find_all(By::Css(".todo-item .n")).await.unwrap();
            let mut sum = 0;
            for c in &counts {
                sum += shown_number(&c.text().await.unwrap());
            }
            let badge = driver.find(By::Id("todo-count")).await.unwrap();
            if sum > 0 {
                // The header fills its count after the page has loaded.
                let mut header = 0;
                for _ in 0..60 {
                    header = shown_number(&badge.find(By::Tag("b")).await.unwrap().text().await.unwrap());
                    if header == sum {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                assert_eq!(header, sum, "{role}: the header counts what the list holds");
            } else {
                assert!(driver.find(By::Id("todo-none")).await.is_ok(), "{role}: an empty list says so");
            }
            if width < 500 {
                no_sideways_scroll(&driver, &format!("{role}'s home")).await;
            }
            driver.screenshot(&screenshot_path(&format!("role-{role}-{width}-home.png"))).await.unwrap();
            assert_eq!(serious_findings(&driver).await, Vec::<String>::new(), "{role}'s home at {width} px");
            checked += 1;
        }

        // A detachment clerk picks the place by its pinyin initials and is told, in Chinese, what
        // is wrong with a figure (the browser itself keeps out what is not a whole number).
        sign_in(&driver, &base, "changchun").await.unwrap();
        driver.goto(format!("{base}/activities/new")).await.unwrap();
        driver.find(By::Id("region_code-q")).await.unwrap().send_keys("zqjd").await.unwrap();
        appears(&driver, By::Css(".rp-matches button")).await.click().await.unwrap();
        let chosen = appears(&driver, By::Css("#region_code-l3 option[value='220102002']")).await;
        assert!(chosen.is_selected().await.unwrap(), "the search sets the selects");
        assert_eq!(field_becomes(&driver, "region_code", "220102002").await, "220102002");
        driver.find(By::Id("title")).await.unwrap().send_keys("自强街道冬季消防宣讲").await.unwrap();
        driver.find(By::Id("fig_participants")).await.unwrap().send_keys("90000000").await.unwrap();
        click_to_load(&driver, By::Css("button[name='save']")).await.unwrap();
        let alert = driver.find(By::Css("[role=alert]")).await.unwrap().text().await.unwrap();
        assert!(alert.contains("参与人数") && alert.contains("不合常理"), "{alert}");
        driver.screenshot(&screenshot_path(&format!("activity-refused-{width}.png"))).await.unwrap();
        assert_eq!(serious_findings(&driver).await, Vec::<String>::new(), "the refused activity form at {width} px");

        // A grid worker's report form knows the community; a bad coordinate is named in Chinese.
        sign_in(&driver, &base, "grid").await.unwrap();
        driver.goto(format!("{base}/hazards/new")).await.unwrap();
        assert!(driver.find(By::Css(".rp-fixed")).await.unwrap().text().await.unwrap().contains("华阳社区"));
        driver.find(By::Css("#category option[value='ebike']")).await.unwrap().click().await.unwrap();
        driver.find(By::Id("address")).await.unwrap().send_keys("华阳社区3号楼").await.unwrap();
        driver.find(By::Id("description")).await.unwrap().send_keys("楼道内电动车充电").await.unwrap();
        driver.find(By::Css("details.hz-coords summary")).await.unwrap().click().await.unwrap();
        driver.find(By::Id("latitude")).await.unwrap().send_keys("北纬43度").await.unwrap();
        click_to_load(&driver, By::Id("send")).await.unwrap();
        let alert = driver.find(By::Css("[role=alert]")).await.unwrap().text().await.unwrap();
        assert!(alert.contains("坐标") && alert.contains("不是数字"), "{alert}");
        assert_eq!(serious_findings(&driver).await, Vec::<String>::new(), "the refused hazard form at {width} px");

        // The province looks at 延边 on the dashboard, found by its pinyin; a wrong current
        // password is refused in Chinese.
        sign_in(&driver, &base, "province").await.unwrap();
        driver.goto(format!("{base}/dashboard")).await.unwrap();
        driver.find(By::Id("region-q")).await.unwrap().send_keys("yanbian").await.unwrap();
        appears(&driver, By::Css(".rp-matches button")).await.click().await.unwrap();
        // The picker sets its field once the match's levels have loaded.
        assert_eq!(field_becomes(&driver, "region", "222400").await, "222400");
        click_to_load(&driver, By::Css("#dashboard-form button[type=submit]")).await.unwrap();
        let url = driver.current_url().await.unwrap();
        assert!(url.query().is_some_and(|q| q.contains("region=222400")), "{url}");
        assert!(driver.find(By::Tag("h1")).await.unwrap().text().await.unwrap().contains("延边"));
        driver.screenshot(&screenshot_path(&format!("role-province-{width}-dashboard.png"))).await.unwrap();
        refused_password(&driver, &base, "wrong-password-1", "new-password-123", "当前密码不正确").await;

        // A brigade reports in one of its own streets; the picker starts below the brigade's
        // district, and an implausible figure is named.
        sign_in(&driver, &base, "nanguan").await.unwrap();
        driver.goto(format!("{base}/activities/new")).await.unwrap();
        assert!(driver.find(By::Id("region_code-l1")).await.is_err(), "no city to choose for a brigade");
        driver.find(By::Id("region_code-q")).await.unwrap().send_keys("zqjd").await.unwrap();
        appears(&driver, By::Css(".rp-matches button")).await.click().await.unwrap();
        let chosen = appears(&driver, By::Css("#region_code-l3 option[value='220102002']")).await;
        assert!(chosen.is_selected().await.unwrap(), "the search sets the street");
        assert_eq!(field_becomes(&driver, "region_code", "220102002").await, "220102002");
        driver.find(By::Id("title")).await.unwrap().send_keys("自强街道消防宣传进社区").await.unwrap();
        driver.find(By::Id("fig_participants")).await.unwrap().send_keys("90000000").await.unwrap();
        click_to_load(&driver, By::Css("button[name='save']")).await.unwrap();
        let alert = driver.find(By::Css("[role=alert]")).await.unwrap().text().await.unwrap();
        assert!(alert.contains("参与人数") && alert.contains("不合常理"), "{alert}");

        // A volunteer team plans an event at a place chosen level by level; an end before the
        // start is refused in Chinese.
        sign_in(&driver, &base, "volunteer").await.unwrap();
        let team = firecast::org::store::user_by_username(&db, "volunteer").await.unwrap().unwrap().unit_id;
        driver.goto(format!("{base}/volunteers/teams/{team}")).await.unwrap();
        let first = driver.find(By::Css(".rp-level")).await.unwrap();
        let option = first.find(By::Css("option:nth-child(2)")).await.unwrap();
        let code = option.value().await.unwrap().unwrap();
        option.click().await.unwrap();
        let hidden = driver.find(By::Id("region_code")).await.unwrap();
        assert_eq!(hidden.attr("value").await.unwrap(), Some(code), "a select sets the place");
        driver.find(By::Id("title")).await.unwrap().send_keys("社区消防安全宣讲").await.unwrap();
        driver
            .execute(
                "document.getElementById('starts_at').value = '2026-12-20T10:00';\
                 document.getElementById('ends_at').value = '2026-12-20T09:00';",
                Vec::new(),
            )
            .await
            .unwrap();
        click_to_load(&driver, By::Css("form[action$='/events'] button[type=submit]")).await.unwrap();
        let alert = driver.find(By::Css("[role=alert]")).await.unwrap().text().await.unwrap();
        assert!(alert.contains("结束时间须晚于开始时间"), "{alert}");
        driver.screenshot(&screenshot_path(&format!("role-volunteer-{width}-event-refused.png"))).await.unwrap();
        assert_eq!(serious_findings(&driver).await, Vec::<String>::new(), "the refused event form at {width} px");

        // On a phone each of the hazard list's filters has its name on the line of its control.
        if width == 390 {
            sign_in(&driver, &base, "province").await.unwrap();
            driver.goto(format!("{base}/hazards")).await.unwrap();
            let side_by_side: Vec<bool> = driver
                .execute(
                    "return [...document.querySelectorAll('form.search.filters > label[for]')].map(l => { \
                     const a = l.getBoundingClientRect(), b = document.getElementById(l.htmlFor).getBoundingClientRect(); \
                     return a.top < b.bottom && b.top < a.bottom && b.right <= window.innerWidth; })",
                    vec![],
                )
                .await
                .unwrap()
                .convert()
                .unwrap();
            assert!(side_by_side.len() >= 4 && side_by_side.iter().all(|&b| b), "{side_by_side:?}");
        }

        // A leader narrows the dashboard to a city with the selects; mismatched new passwords
        // are refused in Chinese.
        sign_in(&driver, &base, "leader").await.unwrap();
        driver.goto(format!("{base}/dashboard")).await.unwrap();
        driver.find(By::Css("#region-l1 option[value='220100']")).await.unwrap().click().await.unwrap();
        click_to_load(&driver, By::Css("#dashboard-form button[type=submit]")).await.unwrap();
        assert!(driver.find(By::Tag("h1")).await.unwrap().text().await.unwrap().contains("长春"));
        refused_password(&driver, &base, "firecast-demo", "new-password-123", "两次").await;

        // The pages a leader and the public open most.
        sign_in(&driver, &base, "leader").await.unwrap();
        for path in ["/dashboard", "/reports", "/p/subscribe", "/p/quiz/zhixiao-demo-2026"] {
            if path == "/p/subscribe" {
                sign_out(&driver, &base).await.unwrap();
            }
            driver.goto(format!("{base}{path}")).await.unwrap();
            assert_eq!(serious_findings(&driver).await, Vec::<String>::new(), "{path} at {width} px");
            checked += 1;
        }
        assert!(checked + 2 >= 10, "axe-core looked at {} pages", checked + 2);
        // The browser ends with the test.
        driver.quit().await.unwrap();
    }
}

/// Registers on an event's page (reached through `link`) and returns the ticket page's address.
async fn register_on_phone(driver: &WebDriver, link: &str, name: &str, phone: &str) -> String {
    driver.goto(link).await.unwrap();
    driver.find(By::Id("name")).await.unwrap().send_keys(name).await.unwrap();
    driver.find(By::Id("phone")).await.unwrap().send_keys(phone).await.unwrap();
    driver.find(By::Id("consent")).await.unwrap().click().await.unwrap();
    click_to_load(driver, By::Id("register")).await.unwrap();
    let url = driver.current_url().await.unwrap().to_string();
    assert!(url.contains("/p/tickets/"), "{url}");
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_registers_from_a_douyin_link_waits_moves_up_and_is_checked_in_at_the_door() {
    let Some((_chromedriver, driver)) = browser(390, 844).await else {
        return;
    };
    let (base, ..) = demo_server("events").await;
    // The province sets an event up on a phone: one place, starting in an hour.
    sign_in(&driver, &base, "province").await.unwrap();
    driver.goto(format!("{base}/events")).await.unwrap();
    driver.find(By::Id("title")).await.unwrap().send_keys("消防体验日").await.unwrap();
    driver.find(By::Css("#region_code-l1 option[value='220100']")).await.unwrap().click().await.unwrap();
    appears(&driver, By::Css("#region_code-l2 option[value='220102']")).await.click().await.unwrap();
    let soon = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap());
    let local = |t: time::OffsetDateTime| {
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    };
    let set = format!(
        "document.getElementById('starts_at').value = '{}'; document.getElementById('ends_at').value = '{}'; \
         document.getElementById('closes_at').value = ''; document.getElementById('capacity').value = '1';",
        local(soon + time::Duration::hours(1)),
        local(soon + time::Duration::hours(3))
    );
    driver.execute(&set, vec![]).await.unwrap();
    click_to_load(&driver, By::Css("#new-event button[type=submit]")).await.unwrap();
    let event_url = driver.current_url().await.unwrap().to_string();
    assert!(event_url.contains("/events/"), "{event_url}");
    let href = driver
        .find(By::Css("a.channel-link[data-channel='douyin']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // The link names the configured public address; this server listens elsewhere.
    let douyin = format!("{base}{}", &href[href.find("/p/events/").unwrap()..]);
    assert!(douyin.contains("?from="), "{douyin}");
    sign_out(&driver, &base).await.unwrap();

    // Two residents come through the 抖音 link: the first gets the place, the second waits.
    let first = register_on_phone(&driver, &douyin, "金美玉", "13904331234").await;
    assert!(driver.find(By::Id("status")).await.unwrap().text().await.unwrap().contains("报名成功"));
    let second = register_on_phone(&driver, &douyin, "王强", "13800000003").await;
    let status = driver.find(By::Id("status")).await.unwrap().text().await.unwrap();
    assert!(status.contains("候补"), "{status}");
    assert!(driver.find(By::Css(".qr-code svg")).await.is_err(), "a waiting ticket has no QR code yet");
    no_sideways_scroll(&driver, "a waiting ticket").await;
    driver.screenshot(&screenshot_path("phone-event-waitlisted.png")).await.unwrap();

    // The first cancels; the second moves up and gets the QR code and the door code.
    driver.goto(&first).await.unwrap();
    click_to_load(&driver, By::Id("cancel")).await.unwrap();
    assert!(driver.find(By::Id("notice")).await.unwrap().text().await.unwrap().contains("已取消报名"));
    driver.goto(&second).await.unwrap();
    assert!(driver.find(By::Id("status")).await.unwrap().text().await.unwrap().contains("报名成功"));
    assert!(driver.find(By::Css(".qr-code svg")).await.is_ok());
    let code = driver.find(By::Id("code")).await.unwrap().text().await.unwrap();
    assert_eq!(code.len(), 9, "shown as K7PM-3QXA: {code}");
    driver.screenshot(&screenshot_path("phone-event-ticket.png")).await.unwrap();

    // At the door, the brigade's phone opens the QR code's link: the code is filled in.
    sign_in(&driver, &base, "nanguan").await.unwrap();
    let id = event_url.rsplit('/').next().unwrap().to_owned();
    driver.goto(format!("{base}/events/{id}/door?code={}", code.replace('-', ""))).await.unwrap();
    assert_eq!(driver.find(By::Id("code")).await.unwrap().value().await.unwrap().unwrap(), code);
    click_to_load(&driver, By::Css("#door-form button[type=submit]")).await.unwrap();
    let done = driver.find(By::Id("done")).await.unwrap().text().await.unwrap();
    assert!(done.contains("王强"), "{done}");
    no_sideways_scroll(&driver, "the door page").await;
    driver.screenshot(&screenshot_path("phone-event-door.png")).await.unwrap();
    // The same ticket again is refused, in Chinese.
    driver.goto(format!("{base}/events/{id}/door?code={code}")).await.unwrap();
    click_to_load(&driver, By::Css("#door-form button[type=submit]")).await.unwrap();
    assert!(driver.find(By::Id("error")).await.unwrap().text().await.unwrap().contains("已于"));

    // The event's source table counts the 抖音 registration that holds the place, checked in.
    driver.goto(&event_url).await.unwrap();
    let row = driver.find(By::XPath("//table//tr[th[contains(., '抖音')]]")).await.unwrap().text().await.unwrap();
    assert!(row.contains('1'), "{row}");
    let checked: i64 = driver.find(By::Id("checked-in")).await.unwrap().text().await.unwrap().parse().unwrap();
    assert_eq!(checked, 1);
    no_sideways_scroll(&driver, "the event page").await;
    driver.quit().await.unwrap();
}
