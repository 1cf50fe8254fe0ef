//! The dashboard and the written report: the text states the source's figures, the files open in
//! real readers, and the map follows the chosen metric.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Client, TestApp};

async fn demo_month(c: &Client) -> i64 {
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    list.as_array().unwrap().iter().find(|x| x["name"].as_str().unwrap().starts_with("2024年")).unwrap()["id"]
        .as_i64()
        .unwrap()
}

fn plain(report: &Value) -> String {
    let mut out = String::new();
    for s in report["sections"].as_array().unwrap() {
        for p in s["paragraphs"].as_array().unwrap() {
            for seg in p["segments"].as_array().unwrap() {
                out.push_str(seg["text"].as_str().unwrap());
            }
            out.push('\n');
        }
    }
    out
}

/// The source report's figures as the written report states them.
const STATED: &[&str] = &[
    "80余名党政领导",
    "700余人",
    "投放消防安全提示贴纸4万份",
    "投放快递安全提示贴纸40000份",
    "1000余名群众",
    "100万人次",
    "30名消防安全达人",
    "10支代表队",
    "10支消防志愿服务队",
    "50名消防志愿者",
    "发放宣传资料105万份",
    "标语45万份",
    "开放消防场馆355场（次）",
    "深入42家单位开展培训授课",
    "出动消防宣传车23场次",
    "培训5000余人",
    "中央级媒体发布新闻45条",
    "省级媒体发布新闻226条",
    "消防宣传矩阵发布新闻1832条",
    "提示字幕28560条（次）",
    "消防宣传产品582部",
    // Where the carnival's registrations and the livestream's views came from: their records.
    "活动报名者分别来自微博（412名）、微信（356名）、抖音（231名）和活动页面（47名）。",
    "直播观看量由抖音（61.2万人次）、快手（25.1万人次）和微信视频号（13.7万人次）报送。",
];

pub async fn the_report_states_every_figure_of_the_source(app: TestApp) {
    let c = app.login("province").await;
    let id = demo_month(&c).await;
    let report: Value = c.get(&format!("/api/v1/campaigns/{id}/report")).await.json().await.unwrap();
    let text = plain(&report);
    for phrase in STATED {
        assert!(text.contains(phrase), "the report lacks «{phrase}»:\n{text}");
    }
    // Every figure links to its records.
    let links: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().unwrap())
        .flat_map(|p| p["segments"].as_array().unwrap())
        .filter(|s| s["kind"] == "figure")
        .map(|s| s["href"].as_str().unwrap())
        .collect();
    assert!(links.len() >= 20, "{links:?}");
    for href in links.iter().take(5) {
        assert_eq!(c.get(href).await.status(), StatusCode::OK, "{href}");
    }
    // The proofreading pass finds nothing in the province's text, nor in two regions'.
    let proofread = |report: &Value| -> Vec<String> {
        plain(report)
            .lines()
            .flat_map(|p| {
                firecast::report::proof::check(p).into_iter().map(move |f| format!("{}: {} in «{p}»", f.rule, f.at))
            })
            .collect()
    };
    assert_eq!(proofread(&report), Vec::<String>::new());
    for region in ["220100", "220400"] {
        let r: Value = c.get(&format!("/api/v1/campaigns/{id}/report?region={region}")).await.json().await.unwrap();
        assert_eq!(proofread(&r), Vec::<String>::new(), "{region}");
    }
    // The table of regions, and a region's own report.
    assert_eq!(report["tables"][0]["rows"].as_array().unwrap().len(), 11, "ten regions and the total");
    let liaoyuan: Value = c.get(&format!("/api/v1/campaigns/{id}/report?region=220400")).await.json().await.unwrap();
    assert!(plain(&liaoyuan).contains("辽源市"), "{}", plain(&liaoyuan));
    assert!(
        plain(&liaoyuan).contains("共在消防宣传矩阵发布新闻183条"),
        "each media clause stands alone: {}",
        plain(&liaoyuan)
    );
    assert_eq!(liaoyuan["title"], "辽源市2024年消防宣传月工作总结", "a region's own title, never 全省");
    assert_eq!(liaoyuan["signer"], "辽源市消防救援支队", "{liaoyuan}");
    assert!(liaoyuan["date"].as_str().unwrap().ends_with('日'), "{liaoyuan}");
    assert!(!plain(&liaoyuan).contains("活动报名者"), "the carnival was in 长春, not 辽源");
    let changchun = app.login("changchun").await;
    assert_eq!(
        changchun.get(&format!("/api/v1/campaigns/{id}/report?region=220400")).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside Changchun"
    );
    // The current month compares itself with the 2024 month.
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = list.as_array().unwrap().iter().find(|x| x["status"] == "running").unwrap()["id"].as_i64().unwrap();
    let now: Value = c.get(&format!("/api/v1/campaigns/{running}/report")).await.json().await.unwrap();
    assert!(plain(&now).contains("与2024年全省消防宣传月相比"), "{}", plain(&now));
    assert!(!plain(&now).contains('+') && !plain(&now).contains("-100"), "changes are worded: {}", plain(&now));
    assert_eq!(proofread(&now), Vec::<String>::new());
}

pub async fn the_report_downloads_open_in_real_readers(app: TestApp) {
    let c = app.login("province").await;
    let id = demo_month(&c).await;
    let c = &c;
    let get = |format: &str| {
        let path = format!("/reports/download?campaign={id}&format={format}");
        async move { c.get(&path).await }
    };
    let docx = get("docx").await;
    assert_eq!(docx.status(), StatusCode::OK);
    let docx = docx.bytes().await.unwrap();
    assert_eq!(&docx[..2], b"PK");
    let path = std::env::temp_dir().join(format!("firecast-report-{}-{:?}.docx", std::process::id(), app.backend));
    std::fs::write(&path, &docx).unwrap();
    let python = Command::new("python3")
        .args(["-c", "import docx, sys\nd = docx.Document(sys.argv[1])\nprint('\\n'.join(p.text for p in d.paragraphs))\nprint('TABLES', len(d.tables))\nprint('PICTURES', len(d.inline_shapes))", path.to_str().unwrap()])
        .output();
    match python {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("2024年全省消防宣传月工作总结"), "{text}");
            assert!(text.contains("发放宣传资料105万份"), "{text}");
            let tables: usize = text.lines().find_map(|l| l.strip_prefix("TABLES ")).unwrap().parse().unwrap();
            let pictures: usize = text.lines().find_map(|l| l.strip_prefix("PICTURES ")).unwrap().parse().unwrap();
            assert!(tables >= 2 && pictures >= 4, "{tables} tables, {pictures} pictures");
        }
        Ok(out) => eprintln!(
            "skipped the python-docx check: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
        ),
        Err(e) => eprintln!("skipped the python-docx check: no python3 ({e})"),
    }
    std::fs::remove_file(&path).ok();

    let xlsx = get("xlsx").await.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let names = calamine::Reader::sheet_names(&book);
    for sheet in ["正文", "各地区数据", "任务完成情况", "每日数据"] {
        assert!(names.iter().any(|n| n == sheet), "{names:?}");
    }
    let range = calamine::Reader::worksheet_range(&mut book, "各地区数据").unwrap();
    let cells: Vec<String> = range.rows().flat_map(|r| r.iter().map(ToString::to_string)).collect();
    assert!(cells.iter().any(|c| c == "1050000") && cells.iter().any(|c| c == "吉林省合计"), "{cells:?}");
    // Stored as numbers, so that the office's SUM works.
    assert!(range.rows().flatten().any(|c| *c == calamine::Data::Float(1_050_000.0)), "{cells:?}");

    let csv = get("csv").await.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}地区,"), "{csv}");
    let html = get("html").await.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("示意图") && html.contains(">105万</a>份"), "{html}");
    // PDF, printed by headless Chromium where it is installed (as in CI), with the wide table on a
    // landscape page; a clear refusal where it is not.
    let pdf = get("pdf").await;
    let browser = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    if browser {
        assert_eq!(pdf.status(), StatusCode::OK);
        let pdf = pdf.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let text = String::from_utf8_lossy(&pdf);
        let landscape = text.matches("/MediaBox [0 0 841").count();
        let portrait = text.matches("/MediaBox [0 0 594").count();
        assert!(landscape >= 1 && portrait >= 4, "{landscape} landscape, {portrait} portrait pages");
    } else {
        eprintln!("Chromium is not installed: the PDF export is checked as refused");
        assert_eq!(pdf.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(pdf.text().await.unwrap().contains("Chromium"));
    }
    let bad = c.get(&format!("/reports/download?campaign={id}&format=odt")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let exports = if browser { 5 } else { 4 };
    assert_eq!(app.scalar("select count(*) from audit_log where action = 'report.export'").await, exports);
}

fn fill_of(page: &str, code: &str) -> String {
    let at = page.find(&format!("data-code=\"{code}\"")).unwrap_or_else(|| panic!("no region {code} on the map"));
    let tag_start = page[..at].rfind('<').unwrap();
    let tag_end = at + page[at..].find('>').unwrap();
    let tag = &page[tag_start..tag_end];
    tag.split("fill=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

pub async fn the_dashboard_draws_the_chosen_metric(app: TestApp) {
    let c = app.login("province").await;
    let id = demo_month(&c).await;
    let handouts = c.get(&format!("/dashboard?campaign={id}&metric=handouts")).await.text().await.unwrap();
    assert!(handouts.contains("1,050,000") && handouts.contains("示意图"));
    assert!(handouts.matches("<svg").count() >= 5, "charts and the map");
    let stickers = c.get(&format!("/dashboard?campaign={id}&metric=parcel_stickers")).await.text().await.unwrap();
    // Only Songyuan has stickers: its colour differs from Changchun's, which it did not for handouts.
    assert_ne!(fill_of(&stickers, "220700"), fill_of(&stickers, "220100"));
    assert_ne!(fill_of(&handouts, "220100"), fill_of(&stickers, "220100"));
    let counties = c.get(&format!("/dashboard?campaign={id}&metric=handouts&level=county")).await.text().await.unwrap();
    assert!(counties.contains("data-code=\"220102\""));
    let r = c.get(&format!("/dashboard?campaign={id}&metric=unicorns")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A detachment's dashboard is its own region.
    let changchun = app.login("changchun").await;
    let page = changchun.get(&format!("/dashboard?campaign={id}")).await.text().await.unwrap();
    assert!(page.contains("长春市") && page.contains("108,761"), "Changchun's handouts");
}

crate::on_both_backends!(
    the_report_states_every_figure_of_the_source,
    the_report_downloads_open_in_real_readers,
    the_dashboard_draws_the_chosen_metric
);
