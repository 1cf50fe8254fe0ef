//! The quiz in the demo: the starting bank in the corps' bank, and this year's provincial online
//! quiz, open all month, with 120 residents across the ten regions who have taken it
//! (so the leaderboard, the participation per 10,000 residents and the flags have something to
//! show). Loading twice changes nothing.

use anyhow::Context as _;
use futures_util::future::try_join_all;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use time::{Date, Time};

use crate::db::Db;
use crate::org::{Scope, store as org};
use crate::personal::DataKey;
use crate::quiz::actions::{self, JoinInput};
use crate::quiz::store::{self, NewQuiz};
use crate::quiz::{Answer, Blueprint, Defaults, Format, Scoring};

/// The title of the demo quiz.
pub const QUIZ_TITLE: &str = "全省消防安全知识网络竞答（知消杯）";

const NICKNAMES: &[&str] =
    &["小消防", "平安家", "长白山下", "松花江畔", "防火达人", "红门卫士", "雪乡人", "查德", "吉林姑娘", "延吉阿爸妮"];

/// Loads the bank and the quiz (once), with `participants` residents who finished an attempt.
pub async fn load(db: &Db, key: &DataKey, by: i64, participants: usize) -> anyhow::Result<()> {
    let corps = org::unit_by_name_or_id(db, crate::org::reference::CORPS).await?;
    if store::stems(db, &corps.region_path).await?.is_empty() {
        let questions = crate::quiz::plain(
            crate::quiz::read(Format::Csv, crate::quiz::BANK_CSV.as_bytes(), &Defaults::default())
                .map_err(|e| anyhow::anyhow!("the starting bank: {e:?}"))?,
        );
        store::insert_questions(db, (corps.id, &corps.region_path), Some(by), &questions, &[]).await?;
    }
    if store::quizzes(db, &Scope::province()).await?.iter().any(|q| q.title == QUIZ_TITLE) {
        return Ok(());
    }
    let today = crate::clock::today();
    let first = Date::from_calendar_date(today.year(), today.month(), 1)?;
    let last =
        Date::from_calendar_date(today.year(), today.month(), time::util::days_in_month(today.month(), today.year()))?;
    let at = |d: Date, h: u8| {
        d.with_time(Time::from_hms(h, 0, 0).unwrap_or(Time::MIDNIGHT))
            .assume_offset(crate::clock::CST)
            .to_offset(time::UtcOffset::UTC)
    };
    let id = store::insert_quiz(
        db,
        &NewQuiz {
            title: QUIZ_TITLE.to_owned(),
            description: "围绕“全民消防、生命至上”，每次随机抽取10道题，10分钟内作答。答题成绩排名前30名的选手将组成10支代表队参加全省知消杯知识竞赛。".to_owned(),
            campaign_id: None,
            opens_at: at(first, 0),
            closes_at: at(last, 23),
            blueprint: Blueprint::parse("* 1 4\n* 2 4\n* 3 2")?,
            time_limit_seconds: 600,
            attempts_per_day: 3,
            audience_path: "/22/".to_owned(),
            scoring: Scoring::Accuracy,
            prize_min_score: 60,
            owner: (corps.id, corps.region_path.clone()),
            created_by: by,
            phone_required: false,
        },
        "zhixiao-demo-2026",
    )
    .await?;
    let quiz = store::quiz_by_id(db, id).await?;
    let counties = org::counties(db).await?;
    let mut rng = StdRng::seed_from_u64(119);
    let writers = crate::quiz::writer::Writers::start(db);
    // The players join, start, answer and finish all at once, as a quiz's opening hour would
    // bring them: the quiz's writers store each step for everyone in a few batches.
    let address = |n: usize| format!("10.0.{}.{}", n / 250, n % 250);
    let joins = (0..participants).map(|n| {
        let (code, _, _) = &counties[rng.random_range(0..counties.len())];
        let input = JoinInput {
            nickname: format!("{}{}", NICKNAMES[n % NICKNAMES.len()], n + 1),
            region_code: code.clone(),
            school: String::new(),
        };
        let (device, traits, ip) = (format!("demo-device-{n:06}"), format!("demo-phone-{n:06}"), address(n));
        let writers = &writers;
        async move { actions::join(writers, key, &device, &traits, &input, &ip).await }
    });
    let players = try_join_all(joins).await?;
    let starts = players.iter().enumerate().map(|(n, p)| {
        let (writers, quiz, ip) = (&writers, &quiz, address(n));
        async move { actions::start(writers, key, quiz, p, &ip).await }
    });
    let tokens = try_join_all(starts).await?;
    let mut shown = Vec::new();
    let mut answers = Vec::new();
    let mut finished = Vec::new();
    // Each player's questions as drawn, read side by side (the reads take turns on no lock).
    let drawn = try_join_all(tokens.iter().map(|token| async move {
        let attempt = store::attempt_by_token(db, token).await?;
        let drawn = store::drawn(db, attempt.id, None).await?;
        Ok::<_, crate::Error>((attempt, drawn))
    }))
    .await?;
    for (n, (token, (attempt, drawn))) in tokens.iter().zip(drawn).enumerate() {
        let skill = rng.random_range(0.4..0.98);
        for d in drawn {
            let q = d.q.question().context("demo question")?;
            let order = d.order();
            let right = rng.random_bool(skill);
            // The answer as the participant would pick it among the options as shown.
            let shown_as = |stored: usize| order.iter().position(|&o| o == stored).unwrap_or(0);
            let given = match (&q.answer, right) {
                (Answer::Choice(c), true) => Answer::Choice(c.iter().map(|&i| shown_as(i)).collect()),
                (Answer::Choice(_), false) => Answer::Choice(vec![
                    (0..q.options.len()).find(|i| !q.is_right(&Answer::Choice(vec![*i]))).map_or(0, shown_as),
                ]),
                (Answer::Truth(t), r) => Answer::Truth(*t == r),
                (Answer::Text(t), true) => Answer::Text(vec![t[0].clone()]),
                (Answer::Text(_), false) => Answer::Text(vec!["不知道".to_owned()]),
                (Answer::Number(keys), r) => {
                    Answer::Text(vec![(keys[0].value + if r { 0.0 } else { keys[0].tolerance + 1.0 }).to_string()])
                }
                (Answer::Match { pairs, .. }, r) => {
                    let mut given: Vec<String> =
                        order.iter().map(|&i| pairs.get(i).cloned().unwrap_or_default()).collect();
                    if !r {
                        given.rotate_left(1);
                    }
                    Answer::Text(given)
                }
                // Never drawn: a quiz scores these kinds by no program.
                (Answer::Open, _) => continue,
            };
            // Most read each question for a few seconds; one in forty answers faster than anyone
            // reads, and is flagged for review.
            let read = if n % 40 == 7 { 0 } else { rng.random_range(4..40) };
            shown.push((attempt.id, d.position, crate::clock::now_ms() - time::Duration::seconds(read)));
            answers.push((token, d.position, given));
        }
        finished.push((token, attempt.started_at + time::Duration::seconds(rng.random_range(90..590))));
    }
    store::mark_shown(db, &shown).await?;
    try_join_all(answers.iter().map(|(token, position, given)| actions::answer(&writers, token, *position, given)))
        .await?;
    try_join_all(finished.iter().map(|(token, at)| actions::finish_at(db, token, *at))).await?;
    Ok(())
}
