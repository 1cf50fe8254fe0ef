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
    "培训700余人",
    "投放快递安全提示贴纸40000份",
    "1000余名群众报名参加，其中微博412名、微信356名、抖音231名、活动页面47名",
    "累计线上观看量达100万人次，其中抖音61.2万人次、快手25.1万人次、微信视频号13.7万人次",
    "选拔出30名消防安全达人，组成10支代表队参赛",
    "来自10支消防志愿服务队的50名消防志愿者同台竞技",
    "累计发放宣传资料105万份，张贴宣传海报、挂图、标语45万份，开放消防场馆355场（次）",
    "辽源市消防救援支队开展消防宣讲团“送安全”活动，深入42家行业、单位、企业、学校、社区开展培训授课，出动消防宣传车23场次，培训5000余人",
    "在中央级媒体发布新闻45条，在省级媒体发布新闻226条，通过消防宣传矩阵发布新闻1832条",
    "提示字幕28560条（次）",
    "利用四级推送系统向社区居民推送消防宣传产品582部",
];

/// The source's named activities, partners, documents and systems, told from the demo's records.
const NAMED: &[&str] = &[
    "按照应急管理部和国家消防救援局的统一部署",
    "省委、省政府相关领导出席2024年全省消防宣传月启动仪式",
    "省安全委员会和省消防救援委员会首次联合下发通知",
    "省委社会工作部将消防志愿服务纳入全省志愿者联合会体系",
    "在长春人文学院举办消防宣传教育“进校园”活动暨消防文化作品展",
    "“畅通生命通道”专项行动",
    "市县两级党政领导干部和公职人员消防安全大培训",
    "联合邮政部门",
    "“平安寄递”",
    "第四届“吉林消防”科普嘉年华",
    "吉林消防安全云直播",
    "吉林省首届“知消杯”消防知识竞赛",
    "美团、共享单车、大众点评",
    "共同派送“安全餐”至千家万户",
    "在大众点评App开屏页上线消防提示",
    "美团小哥消防志愿服务队、苏宁易购消防志愿服务队、公交车消防志愿服务队参与服务",
    "全州中小学生消防主题演讲比赛",
    "全州行业部门消防安全“明白人”培训授课业务竞赛",
    "全州微型消防站业务技能比武竞赛",
    "全州消防元素“亮屏”行动",
    "联合吉林师范大学举办消防安全游园会",
    "消防月长白山集邮展览",
    "《吉林省关于推动消防志愿服务工作高质量发展的意见》",
    "消防志愿者冬季百日宣传活动",
    "全省消防志愿者消防技能定向挑战赛",
    "以“查火患”“送平安”为主要内容",
    "老妈妈防火团",
    "标志性建筑户外大屏",
    "发动基层网格力量，利用社区消防科普服务e站集中发布消防公益广告",
    "国家二级演员宋晓峰",
    "影老板",
    "《检察官到消防站体验的一天》《消防连着你我他 警察叔叔来喊话》",
    "白城市中级人民检察院、白城市公安局",
];

fn headings(report: &Value) -> Vec<&str> {
    report["sections"].as_array().unwrap().iter().map(|s| s["heading"].as_str().unwrap()).collect()
}

/// The proofreading pass's findings, and the same pass run here over every paragraph.
fn proofread(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["findings"].as_array().unwrap().iter().map(ToString::to_string).collect();
    out.extend(plain(report).lines().flat_map(|p| {
        firecast::report::proof::check(p).into_iter().map(move |f| format!("{}: {} in «{p}»", f.rule, f.at))
    }));
    out
}

pub async fn the_report_states_every_figure_of_the_source(app: TestApp) {
    let c = app.login("province").await;
    let id = demo_month(&c).await;
    let report: Value = c.get(&format!("/api/v1/campaigns/{id}/report")).await.json().await.unwrap();
    let text = plain(&report);
    for phrase in STATED.iter().chain(NAMED) {
        assert!(text.contains(phrase), "the report lacks «{phrase}»:\n{text}");
    }
    // The source's sections, numbered without gaps, and its closing paragraph.
    assert_eq!(
        headings(&report),
        [
            "",
            "一、周密部署，高位推进",
            "二、多方联动，凝聚力量",
            "三、创新引领，拓展领域",
            "四、志愿服务，精准发力",
            "五、媒体聚焦，产品共享",
            "六、下一步工作"
        ]
    );
    assert!(text.contains("建立健全消防宣传教育长效工作机制"), "{text}");
    // Routine series are summed, never told as highlights; a region's figure stays with it.
    assert!(!text.contains("开放日（第") && !text.contains("（第1批）"), "{text}");
    for line in text.lines().filter(|l| l.contains("42家")) {
        assert!(line.contains("辽源市消防救援支队开展消防宣讲团"), "辽源's 42 units are 辽源's: {line}");
    }
    // Full names first, short names after.
    assert!(text.contains("吉林省消防救援总队坚持部门联动") && text.contains("总队联合省委社会工作部下发"), "{text}");
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
    assert!(links.len() >= 30, "{links:?}");
    for href in links.iter().step_by(7) {
        assert_eq!(c.get(href).await.status(), StatusCode::OK, "{href}");
    }
    assert_eq!(proofread(&report), Vec::<String>::new());
    // The table of regions adds up: ten regions, the province's own row, the total; tables are
    // numbered without gaps.
    let rows = report["tables"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "ten regions, 省本级 and the total");
    assert_eq!(rows[10][0], "省本级");
    let headers = report["tables"][0]["headers"].as_array().unwrap();
    for col in 1..headers.len() {
        let cell = |r: &Value| r[col].as_str().unwrap().parse::<i64>().unwrap();
        if headers[col].as_str().unwrap().starts_with("四级推送") {
            // Distinct products: each region received the province's 582, and there is no own share.
            assert_eq!(rows[10][col], "—");
            assert!(rows[..10].iter().all(|r| cell(r) <= cell(&rows[11])));
            continue;
        }
        let parts: i64 = rows[..11].iter().map(cell).sum();
        assert_eq!(parts, cell(&rows[11]), "column {col} adds up");
    }
    let captions: Vec<&str> =
        report["tables"].as_array().unwrap().iter().map(|t| t["caption"].as_str().unwrap()).collect();
    assert_eq!(captions, ["表1 各地区主要数据", "表2 任务完成情况", "表3 每日数据"]);

    // Two regions' own reports: their records, their signature, figures in their scope.
    let changchun: Value = c.get(&format!("/api/v1/campaigns/{id}/report?region=220100")).await.json().await.unwrap();
    let cc = plain(&changchun);
    assert_eq!(changchun["title"], "长春市2024年消防宣传月工作总结");
    assert_eq!(changchun["signer"], "长春市消防救援支队");
    assert!(cc.contains("按照吉林省消防救援总队的统一部署，全市各地"), "{cc}");
    assert!(cc.contains("长春市消防救援支队举行长春市消防宣传月启动仪式暨消防演练，7名党政领导参加"), "{cc}");
    assert!(cc.contains("长春支队邀请国家二级演员宋晓峰拍摄打通“生命通道”主题短剧"), "the short name after: {cc}");
    assert!(cc.contains("通过全省四级推送系统，全市居民共收到消防宣传产品582部"), "the province's push: {cc}");
    assert!(!cc.contains("全省各地") && !cc.contains("向社区居民推送消防宣传产品582部"), "{cc}");
    assert!(cc.contains("各县（市、区）的主要数据见表1"), "no sentence repeated for every county: {cc}");
    assert_eq!(proofread(&changchun), Vec::<String>::new());
    let yanbian: Value = c.get(&format!("/api/v1/campaigns/{id}/report?region=222400")).await.json().await.unwrap();
    let yb = plain(&yanbian);
    assert_eq!(yanbian["signer"], "延边朝鲜族自治州消防救援支队");
    for contest in ["演讲比赛", "“明白人”培训授课业务竞赛", "比武竞赛", "“亮屏”行动"] {
        assert!(yb.contains(contest), "延边's four contests: {yb}");
    }
    assert!(yb.contains("延边支队在延边州各县市开展全州消防元素“亮屏”行动；11月19日，联合州教育局"), "{yb}");
    assert_eq!(proofread(&yanbian), Vec::<String>::new());
    assert!(!yb.contains("报名参加，其中微博"), "the carnival was in 长春, not 延边");
    let liaoyuan: Value = c.get(&format!("/api/v1/campaigns/{id}/report?region=220400")).await.json().await.unwrap();
    assert!(plain(&liaoyuan).contains("共通过消防宣传矩阵发布新闻183条"), "{}", plain(&liaoyuan));
    assert_eq!(liaoyuan["title"], "辽源市2024年消防宣传月工作总结", "a region's own title, never 全省");
    assert!(liaoyuan["date"].as_str().unwrap().ends_with('日'), "{liaoyuan}");
    assert_eq!(proofread(&liaoyuan), Vec::<String>::new());
    let changchun_staff = app.login("changchun").await;
    assert_eq!(
        changchun_staff.get(&format!("/api/v1/campaigns/{id}/report?region=220400")).await.status(),
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

/// The paragraph of a report with this key.
fn paragraph<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().unwrap())
        .find(|p| p["key"] == key)
        .unwrap_or_else(|| panic!("no paragraph {key}"))
}

async fn report(c: &Client, id: i64, query: &str) -> Value {
    c.get(&format!("/api/v1/campaigns/{id}/report{query}")).await.json().await.unwrap()
}

fn text_of(p: &Value) -> String {
    p["segments"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap()).collect()
}

pub async fn report_authors_choose_edit_and_stay_in_scope(app: TestApp) {
    let c = app.login("province").await;
    let id = demo_month(&c).await;
    let before = report(&c, id, "").await;
    let choice = |r: &Value, title: &str| -> i64 {
        r["choices"].as_array().unwrap().iter().find(|x| x["title"].as_str().unwrap().contains(title)).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let video = choice(&before, "检察官");
    // Hidden, the record leaves the text; pinned, a routine record enters it; auto, all is back.
    let marks = format!("/api/v1/campaigns/{id}/report/marks");
    let hide =
        c.json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": video, "mark": "hidden"})).await;
    assert_eq!(hide.status(), StatusCode::NO_CONTENT);
    assert!(!plain(&report(&c, id, "").await).contains("检察官"));
    let routine: i64 = app
        .scalar(&format!("select min(id) from activity where campaign_id = {id} and title like '%开放日（第1场）'"))
        .await;
    let pin =
        c.json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": routine, "mark": "pinned"})).await;
    assert_eq!(pin.status(), StatusCode::NO_CONTENT);
    let pinned = plain(&report(&c, id, "").await);
    assert!(pinned.contains("开放日（第1场）"), "{pinned}");
    for activity_id in [video, routine] {
        let r = c
            .json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": activity_id, "mark": "auto"}))
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(plain(&report(&c, id, "").await), plain(&before));
    let bad = c.json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": video, "mark": "top"})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Scope: another region's report, another region's record, a record of another campaign, a
    // reader who does not plan.
    let changchun = app.login("changchun").await;
    let theirs = changchun
        .json(
            reqwest::Method::POST,
            &format!("{marks}?region=222400"),
            &serde_json::json!({"activity_id": video, "mark": "hidden"}),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::UNPROCESSABLE_ENTITY, "延边's report is outside 长春");
    let outside = changchun
        .json(
            reqwest::Method::POST,
            &format!("{marks}?region=220100"),
            &serde_json::json!({"activity_id": video, "mark": "hidden"}),
        )
        .await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY, "白城's record is not in 长春's report");
    assert!(outside.text().await.unwrap().contains("activity_id"));
    let other: i64 = app.scalar(&format!("select min(id) from activity where campaign_id <> {id}")).await;
    let r = c.json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": other, "mark": "pinned"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a record of another campaign");
    let volunteer = app.login("volunteer").await;
    let r = volunteer
        .json(reqwest::Method::POST, &marks, &serde_json::json!({"activity_id": video, "mark": "hidden"}))
        .await;
    assert!(r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.status());
    assert_eq!(app.scalar("select count(*) from report_mark").await, 0);

    // The authors' fields: checked, kept, told.
    let text = format!("/api/v1/campaigns/{id}/report/text?region=220100");
    let r = changchun.json(reqwest::Method::PUT, &text, &serde_json::json!({"deployed_by": "总队\u{0007}"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = serde_json::json!({"deployed_by": "吉林省消防救援总队和长春市安全生产委员会", "next_steps": "全市将持续开展冬春火灾防控宣传。"});
    assert_eq!(changchun.json(reqwest::Method::PUT, &text, &body).await.status(), StatusCode::NO_CONTENT);
    let cc = plain(&report(&changchun, id, "?region=220100").await);
    assert!(
        cc.contains("按照吉林省消防救援总队和长春市安全生产委员会的统一部署")
            && cc.contains("全市将持续开展冬春火灾防控宣传。"),
        "{cc}"
    );
    assert!(!plain(&report(&c, id, "").await).contains("长春市安全生产委员会"), "长春's fields are its report's only");

    // A paragraph rewritten by hand keeps its figures linked and follows the records: in the
    // running month, a news story changes the media paragraph under the edit.
    let list: Value = c.get("/api/v1/campaigns").await.json().await.unwrap();
    let running = list.as_array().unwrap().iter().find(|x| x["status"] == "running").unwrap()["id"].as_i64().unwrap();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let story = |n: i32| serde_json::json!({"campaign_id": running, "level": "central", "outlet": "新华网", "title": format!("冬季防火宣传见闻{n}"), "published_on": today});
    assert_eq!(c.json(reqwest::Method::POST, "/api/v1/news", &story(1)).await.status(), StatusCode::CREATED);
    let now_path = format!("/api/v1/campaigns/{running}/report");
    let now: Value = c.get(&now_path).await.json().await.unwrap();
    let media = paragraph(&now, "media.1");
    assert!(text_of(media).contains("在中央级媒体发布新闻1条"), "{media}");
    let edits = format!("/api/v1/campaigns/{running}/report/edits");
    let edited = "截至目前，全省共在中央级媒体发布新闻1条，社会反响良好。";
    let r = c.json(reqwest::Method::POST, &edits, &serde_json::json!({"paragraph": "media.1", "text": edited})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let now: Value = c.get(&now_path).await.json().await.unwrap();
    let media = paragraph(&now, "media.1");
    assert_eq!(text_of(media), edited);
    assert_eq!(media["edited"], true);
    assert_eq!(media["stale"], false);
    assert!(media["segments"].as_array().unwrap().iter().any(|s| s["kind"] == "figure" && s["text"] == "1"), "{media}");
    assert_eq!(c.json(reqwest::Method::POST, "/api/v1/news", &story(2)).await.status(), StatusCode::CREATED);
    let now: Value = c.get(&now_path).await.json().await.unwrap();
    let media = paragraph(&now, "media.1");
    assert_eq!(
        text_of(media),
        "截至目前，全省共在中央级媒体发布新闻2条，社会反响良好。",
        "the figure follows the records"
    );
    assert_eq!(media["stale"], true);
    assert!(media["generated"].as_str().unwrap().contains("在中央级媒体发布新闻2条"), "{media}");
    // A bad paragraph, two paragraphs in one, and going back to the generated text.
    let r = c.json(reqwest::Method::POST, &edits, &serde_json::json!({"paragraph": "media.9", "text": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .json(reqwest::Method::POST, &edits, &serde_json::json!({"paragraph": "media.1", "text": "一段。\n二段。"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c.json(reqwest::Method::POST, &edits, &serde_json::json!({"paragraph": "media.1", "text": ""})).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let now: Value = c.get(&now_path).await.json().await.unwrap();
    assert_eq!(paragraph(&now, "media.1")["edited"], false);
    // Audited, each with its outcome.
    // Audited: each change, and the reader refused.
    assert_eq!(app.scalar("select count(*) from audit_log where action = 'report.edit' and outcome = 'ok'").await, 2);
    assert_eq!(app.scalar("select count(*) from audit_log where action = 'report.mark' and outcome = 'ok'").await, 4);
    assert_eq!(
        app.scalar("select count(*) from audit_log where action = 'report.mark' and outcome = 'denied'").await,
        1
    );
    assert_eq!(app.scalar("select count(*) from audit_log where action = 'report.text' and outcome = 'ok'").await, 1);
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
    report_authors_choose_edit_and_stay_in_scope,
    the_report_downloads_open_in_real_readers,
    the_dashboard_draws_the_chosen_metric
);
