//! The command line: clear one-line errors and a non-zero exit for bad set-ups, and `user` commands,
//! in Chinese unless `--lang` asks for English or Korean.

use std::io::Write as _;
use std::process::{Command, Stdio};

fn firecast(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_firecast"))
        .args(args)
        .env_remove("FIRECAST_DATABASE_URL")
        .env_remove("FIRECAST_LANG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one line that says what failed, in any of the three languages.
fn error_line(stderr: &str) -> &str {
    let lines: Vec<&str> =
        stderr.lines().filter(|l| ["错误：", "error: ", "오류: "].iter().any(|p| l.starts_with(p))).collect();
    assert_eq!(lines.len(), 1, "one error line: {stderr}");
    lines[0]
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("firecast-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let (ok, _, err) = firecast(&["--database-url", "mysql://root@localhost/x", "migrate"], None);
    assert!(!ok);
    assert!(
        error_line(&err).starts_with("错误：数据库地址“mysql://root@localhost/x”无效：应为sqlite://路径或postgres://"),
        "{err}"
    );
    let (ok, _, err) = firecast(&["--database-url", "mysql://root@localhost/x", "--lang", "en", "migrate"], None);
    assert!(!ok && error_line(&err).contains("expected sqlite://PATH or postgres://"), "{err}");
}

#[test]
fn an_unreadable_database_file_is_one_clear_line() {
    let path = temp("garbage.db");
    std::fs::write(&path, b"this is not a database, just some text that is long enough to matter").unwrap();
    let url = format!("sqlite://{}", path.display());
    let (ok, _, err) = firecast(&["--database-url", &url, "migrate"], None);
    assert!(!ok);
    // firecast's words in Chinese, the database's own reason after them as it gave it.
    assert!(error_line(&err).contains(&format!("无法打开数据库{url}：")), "{err}");
    let dir = temp("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, _, err) = firecast(&["--database-url", &format!("sqlite://{}", dir.display()), "migrate"], None);
    assert!(!ok);
    assert!(error_line(&err).contains("无法打开数据库"), "{err}");
    let (ok, _, err) =
        firecast(&["--lang", "ko", "--database-url", &format!("sqlite://{}", dir.display()), "migrate"], None);
    assert!(!ok && error_line(&err).starts_with("오류: 데이터베이스"), "{err}");
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let url = format!("sqlite://{}", temp("port.db").display());
    let (ok, _, err) = firecast(&["--database-url", &url, "--listen", &addr, "serve"], None);
    assert!(!ok);
    let line = error_line(&err);
    assert!(line.contains(&format!("无法在{addr}监听")) && line.to_lowercase().contains("in use"), "{line}");
}

#[test]
fn the_first_admin_is_made_at_the_command_line() {
    let url = format!("sqlite://{}", temp("users.db").display());
    let (ok, out, _) = firecast(&["--database-url", &url, "user", "list"], None);
    assert!(ok && out.contains("还没有账号。创建第一个账号：firecast user add"), "{out}");
    // `firecast --lang LANG user add NAME --role ROLE --unit UNIT`, the password on standard input.
    let add = |lang: &str, name: &str, role: &str, unit: &str, password: &str| {
        firecast(
            &[
                "--lang",
                lang,
                "--database-url",
                &url,
                "user",
                "add",
                name,
                "--role",
                role,
                "--unit",
                unit,
                "--password-stdin",
            ],
            Some(password),
        )
    };
    let corps = "吉林省消防救援总队";
    let (ok, out, err) = add("zh-CN", "chief", "admin", corps, "a-long-password\n");
    assert!(ok, "{err}");
    assert!(out.contains("已创建账号chief（管理员），单位：吉林省消防救援总队"), "{out}");
    let (ok, _, err) = add("zh-CN", "chief2", "volunteer", corps, "a-long-password\n");
    assert!(!ok && error_line(&err).contains("志愿者角色不能设在总队类单位"), "{err}");
    let (ok, _, err) = add("zh-CN", "chief2", "nobody", "1", "a-long-password\n");
    assert!(!ok && error_line(&err).contains("没有角色“nobody”，可选：admin, province_staff"), "{err}");
    let (ok, _, err) = add("zh-CN", "chief2", "admin", "总部", "a-long-password\n");
    assert!(!ok && error_line(&err).contains("没有名称或编号为“总部”的单位"), "{err}");
    let (ok, _, err) = add("en", "chief2", "volunteer", corps, "a-long-password\n");
    assert!(!ok && error_line(&err).contains("Volunteer does not belong to a unit of kind Provincial corps"), "{err}");
    let (ok, _, err) = add("zh-CN", "chief3", "admin", corps, "short\n");
    assert!(!ok && error_line(&err).contains("密码应为10至128个字符"), "{err}");
    let (ok, out, _) =
        firecast(&["--database-url", &url, "user", "passwd", "chief", "--password-stdin"], Some("another-long-one\n"));
    assert!(ok && out.contains("已为chief设置新密码"), "{out}");
    let (ok, _, err) =
        firecast(&["--database-url", &url, "user", "passwd", "nobody", "--password-stdin"], Some("another-long-one\n"));
    assert!(!ok && error_line(&err).contains("没有用户名为“nobody”的账号"), "{err}");
    // One line an account under its columns' names, the role in words.
    let (ok, out, _) = firecast(&["--database-url", &url, "user", "list"], None);
    let lines: Vec<&str> = out.lines().collect();
    assert!(ok && lines.len() == 2 && lines[0].contains("用户名") && lines[0].contains("角色"), "{out}");
    assert!(lines[1].contains("chief") && lines[1].contains("管理员") && lines[1].contains("正常"), "{out}");
    // A system locale's spelling of the language will do.
    let (ok, out, _) = firecast(&["--database-url", &url, "--lang", "en_US.UTF-8", "user", "list"], None);
    assert!(ok && out.contains("chief  ") && out.contains("Administrator  Active  "), "{out}");
}

/// Starts `firecast <command>` on the database at `url`, on a free port, logging JSON; the process
/// (its stdout and stderr piped) and the address it listens on.
fn spawn_json(url: &str, command: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_firecast"))
        .args(["--database-url", url, "--listen", &listen, "--log-format", "json", command])
        .env_remove("FIRECAST_LANG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, listen)
}

/// The whole HTTP reply to `GET path` at `listen`.
fn get(listen: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(listen).unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut stream, &mut reply).unwrap();
    reply
}

#[test]
fn serve_logs_json_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead as _, BufReader};
    let (mut child, listen) = spawn_json(&format!("sqlite://{}", temp("serve.db").display()), "serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with(&format!("服务已启动：http://{listen}（用时")), "{first}");
    let reply = get(&listen, "/healthz");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "a clean exit after SIGTERM: {:?}", out.status);
    let log = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() >= 2, "{log}");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
    }
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn the_demo_loads_in_a_process_of_its_own_then_serves_what_it_loaded() {
    use std::io::{BufRead as _, BufReader};
    let (mut child, listen) = spawn_json(&format!("sqlite://{}", temp("demo.db").display()), "demo");
    let mut printed = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let serving = line.starts_with("服务已启动");
        printed.push(line);
        if serving {
            break;
        }
    }
    let printed = printed.join("\n");
    assert!(
        printed.contains("可用以下任一账号登录（密码均为firecast-demo）") && printed.contains("yanbian"),
        "{printed}"
    );
    assert!(printed.contains("延边朝鲜族自治州消防救援支队（支队工作人员）"), "{printed}");
    // What the loader stored is what the server serves: the demo quiz's leaderboard.
    let reply = get(&listen, "/p/quiz/zhixiao-demo-2026/board");
    assert!(reply.starts_with("HTTP/1.1 200") && reply.contains("排行榜"), "{reply}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let out = child.wait_with_output().unwrap();
    // The loader logs as the server does: every line JSON, its data key's creation among them.
    let log = String::from_utf8_lossy(&out.stderr);
    for line in log.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(log.contains("created a new data key"), "{log}");

    // A database the loader cannot open stops the demo with the reason, and nothing serves.
    let dir = temp("demo-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, out, err) = firecast(&["--database-url", &format!("sqlite://{}", dir.display()), "demo"], None);
    assert!(!ok && !out.contains("服务已启动"), "{out}");
    assert!(err.contains("错误：无法打开数据库") && err.contains("错误：演示数据未能载入（原因见上文）"), "{err}");
}

#[test]
fn activities_import_from_the_command_line_all_or_nothing() {
    let path = temp("import.db");
    let url = format!("sqlite://{}", path.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (campaign, start) = rt.block_on(async {
        let db = firecast::db::Db::open(&url).await.unwrap();
        firecast::org::reference::load(&db).await.unwrap();
        firecast::demo::seed(&db, &firecast::config::Config::with_database("").data_key("").unwrap()).await.unwrap();
        let all = firecast::org::Scope::province();
        let c = firecast::campaign::store::campaigns(&db, &all)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == firecast::campaign::Status::Running)
            .unwrap();
        db.close().await;
        (c.id, firecast::clock::show_date(c.starts_on))
    });
    let good = temp("good.csv");
    std::fs::write(
        &good,
        format!("标题,类型,开始日期,区划代码,发放宣传资料\n九台区入户宣传,volunteer_service,{start},220113,500\n"),
    )
    .unwrap();
    let bad = temp("bad.csv");
    std::fs::write(
        &bad,
        format!("标题,类型,开始日期,区划代码,发放宣传资料\n坏,volunteer_service,{start},220113,很多\n"),
    )
    .unwrap();
    let id = campaign.to_string();
    let (ok, _, err) = firecast(
        &[
            "--database-url",
            &url,
            "import",
            "activities",
            bad.to_str().unwrap(),
            "--campaign",
            &id,
            "--as",
            "changchun",
        ],
        None,
    );
    assert!(!ok);
    // In Chinese unless asked otherwise, each problem with its row and column.
    assert!(
        err.contains("第2行“发放宣传资料”列：") && error_line(&err).contains("bad.csv有1处错误，未导入任何记录。"),
        "{err}"
    );
    let import = |file: &std::path::Path, lang: &str| {
        firecast(
            &[
                "--database-url",
                &url,
                "import",
                "activities",
                file.to_str().unwrap(),
                "--campaign",
                &id,
                "--as",
                "changchun",
                "--lang",
                lang,
            ],
            None,
        )
    };
    let (ok, _, err) = import(&bad, "en");
    assert!(!ok);
    assert!(err.contains("row 2, column 发放宣传资料: ") && error_line(&err).contains("nothing was imported"), "{err}");
    let (ok, _, err) = import(&bad, "ko");
    assert!(!ok && err.contains("2행 ‘发放宣传资料’ 열: "), "{err}");
    let (ok, _, err) = import(&good, "fr");
    assert!(!ok && error_line(&err).contains("不支持语言“fr”"), "{err}");
    let (ok, out, err) = firecast(
        &[
            "--database-url",
            &url,
            "import",
            "activities",
            good.to_str().unwrap(),
            "--campaign",
            &id,
            "--as",
            "changchun",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("已从good.csv导入1条活动记录") && out.contains("等待审核"), "{out}");
}

#[test]
fn the_report_is_written_from_the_command_line() {
    let path = temp("report.db");
    let url = format!("sqlite://{}", path.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let campaign = rt.block_on(async {
        let db = firecast::db::Db::open(&url).await.unwrap();
        firecast::org::reference::load(&db).await.unwrap();
        firecast::demo::seed(&db, &firecast::config::Config::with_database("").data_key("").unwrap()).await.unwrap();
        let all = firecast::org::Scope::province();
        let c = firecast::campaign::store::campaigns(&db, &all)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name.starts_with("2024"))
            .unwrap();
        db.close().await;
        c.id
    });
    let id = campaign.to_string();
    // PDF where a browser prints it (as in CI).
    let browser = std::process::Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    let formats: &[&str] =
        if browser { &["docx", "xlsx", "csv", "html", "pdf"] } else { &["docx", "xlsx", "csv", "html"] };
    for &format in formats {
        let out = temp(&format!("report.{format}"));
        let (ok, stdout, err) = firecast(
            &[
                "--database-url",
                &url,
                "report",
                "--campaign",
                &id,
                "--region",
                "220400",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
            None,
        );
        assert!(ok, "{err}");
        assert!(stdout.contains(&format!("已写入{}", out.display())), "{stdout}");
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.len() > 200, "{format}: {} bytes", bytes.len());
        if format == "html" {
            let html = String::from_utf8(bytes).unwrap();
            assert!(html.contains("辽源市") && html.contains("示意图"));
        } else if format == "pdf" {
            assert!(bytes.starts_with(b"%PDF"));
        }
    }
    let (ok, _, err) =
        firecast(&["--database-url", &url, "report", "--campaign", &id, "--format", "odt", "--out", "x.odt"], None);
    assert!(!ok && err.contains("odt"), "{err}");
    let (ok, _, err) = firecast(
        &[
            "--database-url",
            &url,
            "report",
            "--campaign",
            "999999",
            "--format",
            "csv",
            "--out",
            temp("none.csv").to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok);
    assert!(error_line(&err).contains("没有编号为999999的宣传活动"), "{err}");
}

#[test]
fn a_backup_taken_while_the_server_writes_restores_whole() {
    let path = temp("live.db");
    let url = format!("sqlite://{}", path.display());
    let key = temp("live.db.key");
    let copy = temp("copy.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = firecast::db::Db::open(&url).await.unwrap();
        firecast::org::reference::load(&db).await.unwrap();
        firecast::personal::DataKey::load_or_create(&key).unwrap();
        db
    });
    // Writers go on while the copy is taken.
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (db, writing) = (db.clone(), writing.clone());
        rt.spawn(async move {
            let actor = firecast::audit::Actor {
                user_id: None,
                name: "load".into(),
                ip: "127.0.0.1".into(),
                region_path: "/22/".into(),
            };
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                firecast::audit::record(
                    &db,
                    &actor,
                    "test.write",
                    ("row", &n.to_string()),
                    firecast::audit::Outcome::Ok,
                    "",
                )
                .await
                .unwrap();
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let key_arg = key.display().to_string();
    let out = copy.display().to_string();
    let (ok, stdout, err) =
        firecast(&["--database-url", &url, "--data-key-file", &key_arg, "backup", "--out", &out], None);
    assert!(ok, "{err}");
    assert!(stdout.contains("已写入") && stdout.contains("及其数据密钥") && stdout.contains("copy.db.key"), "{stdout}");
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    let written = rt.block_on(writer).unwrap();
    assert!(written > 0);
    // The copy opens, holds the same tables and columns, every region, the audit rows of its
    // moment, and the same data key.
    rt.block_on(async {
        let restored = firecast::db::Db::open(&format!("sqlite://{}", copy.display())).await.unwrap();
        assert_eq!(restored.columns().await.unwrap(), db.columns().await.unwrap());
        let count = |d: &firecast::db::Db, sql: &'static str| {
            let d = d.clone();
            async move {
                match d {
                    firecast::db::Db::Sqlite(p, _) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&p).await.unwrap(),
                    firecast::db::Db::Postgres(_) => unreachable!(),
                }
            }
        };
        assert_eq!(
            count(&restored, "select count(*) from region").await,
            count(&db, "select count(*) from region").await
        );
        let copied = count(&restored, "select count(*) from audit_log where action = 'test.write'").await;
        assert!(copied > 0 && copied <= written, "{copied} of {written}");
        assert_eq!(
            count(&restored, "select count(*) from pragma_integrity_check where integrity_check = 'ok'").await,
            1
        );
    });
    assert_eq!(std::fs::read(&key).unwrap(), std::fs::read(temp("copy.db.key")).unwrap());
    // The copy's audit chain holds, record for record.
    let copy_url = format!("sqlite://{}", copy.display());
    let (ok, stdout, err) = firecast(&["--database-url", &copy_url, "audit", "verify"], None);
    assert!(ok && stdout.contains("审计日志完好") && stdout.contains("启用哈希链之前写入0条"), "{stdout}{err}");
    // Its head, given back as a checkpoint, is found.
    let head = stdout.lines().find_map(|l| l.strip_prefix("链头：")).expect("the head is printed").to_owned();
    let (ok, stdout, err) =
        firecast(&["--database-url", &copy_url, "--lang", "en", "audit", "verify", "--checkpoint", &head], None);
    assert!(ok && stdout.contains("The checkpoint is among them"), "{stdout}{err}");
    // A second backup never overwrites the first.
    let (ok, _, err) = firecast(&["--database-url", &url, "--data-key-file", &key_arg, "backup", "--out", &out], None);
    assert!(!ok && error_line(&err).contains("copy.db已存在，请为副本另选一个新文件"), "{err}");
    // Nor is a copy written whose data key is missing: its phone numbers could not be read.
    let (lost, missing) = (temp("no-key.db"), temp("missing.key").display().to_string());
    let lost_arg = lost.display().to_string();
    let (ok, _, err) =
        firecast(&["--database-url", &url, "--data-key-file", &missing, "backup", "--out", &lost_arg], None);
    assert!(!ok && error_line(&err).contains("无法复制数据密钥") && !lost.exists(), "{err}");
    // PostgreSQL is copied with pg_dump: the command says how.
    match std::env::var("FIRECAST_TEST_POSTGRES_URL") {
        Ok(pg) => {
            let (ok, _, err) = firecast(&["--database-url", &pg, "backup", "--out", "x.dump"], None);
            assert!(
                !ok && error_line(&err).contains("请用其自带工具复制")
                    && err.contains("pg_dump --format=custom --file=x.dump"),
                "{err}"
            );
        }
        Err(_) => println!("FIRECAST_TEST_POSTGRES_URL is not set: the PostgreSQL backup advice is not checked"),
    }
}
