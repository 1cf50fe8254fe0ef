//! What quiz staff and participants do, shared by the JSON API and the pages: import and export
//! the bank, retire questions, set up a quiz; and, for participants, register, start an attempt,
//! answer the questions drawn for it (each once, before the deadline) and finish. The server
//! times and scores everything; a score sent by a client is never read.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::store::{self, Attempt, NewAttempt, NewParticipant, NewQuiz, Participant, Quiz};
use super::writer::{Sent, Start, Writers};
use super::{
    Answer, Blueprint, DEVICE_ATTEMPTS_FLAG, Defaults, Format, FormatError, Kind, QuestionStatus, Scoring, TOO_FAST_RUN,
};
use crate::config::SmsConfig;
use crate::db::Db;
use crate::org::caller::Principal;
use crate::org::{self, Role, parse_name};
use crate::personal::DataKey;
use crate::{Error, Result, clock};

/// Who sets up quizzes and keeps the bank: admins and fire-service staff.
pub fn can_manage(role: Role) -> bool {
    role.is_fire_staff()
}

fn manager(me: &Principal) -> Result<()> {
    if can_manage(me.role) { Ok(()) } else { Err(Error::Forbidden) }
}

/// What an import added: how many questions, and what the file held that the bank does not keep.
#[derive(Clone, Debug)]
pub struct Added {
    /// Questions added.
    pub count: usize,
    /// Questions already in the bank as the file has them, left as they are.
    pub skipped: usize,
    /// What was not kept, by line and part.
    pub warnings: Vec<FormatError>,
}

/// Imports a bank file into the bank of the caller's unit: all or nothing. A question already in
/// the bank just as the file has it is left as it is (so a bank exported and imported again stays
/// the same); one whose text is in the bank with other answers, or in the file twice, is refused
/// by its line.
pub async fn import(
    db: &Db,
    me: &Principal,
    format: Format,
    bytes: &[u8],
    defaults: &Defaults,
) -> Result<Result<Added, Vec<FormatError>>> {
    let r = async {
        manager(me)?;
        if bytes.len() > 20 * 1024 * 1024 {
            return Ok(Err(vec![super::error_at(0, "", "error.file_too_large")]));
        }
        // Parsing is CPU work, done on a thread for blocking work as spreadsheets are.
        let (owned, defaults) = (bytes.to_vec(), defaults.clone());
        let read = tokio::task::spawn_blocking(move || super::read(format, &owned, &defaults))
            .await
            .map_err(|e| anyhow::anyhow!("reading the bank: {e}"))?;
        let read = match read {
            Ok(r) => r,
            Err(errors) => return Ok(Err(errors)),
        };
        let mut read = read;
        if read.questions.is_empty() {
            return Ok(Err(vec![super::error_at(0, "", "error.no_questions")]));
        }
        let images = pictures(db, &mut read).await?;
        let existing: std::collections::HashMap<String, super::Question> =
            own_bank(db, me, None).await?.into_iter().map(|q| (q.stem.clone(), q)).collect();
        let mut seen = std::collections::HashMap::new();
        let mut errors = Vec::new();
        let mut questions = Vec::with_capacity(read.questions.len());
        for (line, q) in read.questions {
            if let Some(first) = seen.insert(q.stem.clone(), line) {
                let message = crate::i18n::keyed("error.question_repeated", &[&first.to_string()]);
                errors.push(super::error_at(line, "stem", message));
            } else if let Some(there) = existing.get(&q.stem) {
                if *there != q {
                    errors.push(super::error_at(line, "stem", "error.question_in_bank"));
                }
            } else {
                questions.push(q);
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let skipped = seen.len() - questions.len();
        let count =
            store::insert_questions(db, (me.user.unit_id, &me.user.region_path), Some(me.user.id), &questions, &images)
                .await?;
        Ok(Ok(Added { count, skipped, warnings: read.warnings }))
    }
    .await;
    let r = me.audited(db, "quiz.bank_import", ("question", format.to_string().as_str()), r).await?;
    Ok(r)
}

/// The pictures a file's questions show, as the bank keeps them: each cleaned and re-encoded like
/// a photo and named by the SHA-256 of its JPEG, unless the bank holds those very bytes already
/// (a picture it exported). A picture that cannot be read, or one of the bank's that it does not
/// hold (a GIFT file from another installation), is left out of its question, and said.
async fn pictures(db: &Db, read: &mut super::Read) -> Result<Vec<store::NewImage>> {
    use sha2::Digest as _;
    let mut kept: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
    let mut new = Vec::new();
    for image in std::mem::take(&mut read.images) {
        if kept.contains_key(&image.sha256) {
            continue;
        }
        if store::image_held(db, &image.sha256).await? {
            kept.insert(image.sha256.clone(), Some(image.sha256));
            continue;
        }
        let bytes = image.bytes;
        let photo = tokio::task::spawn_blocking(move || crate::photo::process(&bytes))
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        match photo {
            Ok(photo) => {
                let sha256 = format!("{:x}", sha2::Sha256::digest(&photo.jpeg));
                kept.insert(image.sha256, Some(sha256.clone()));
                new.push((sha256, photo));
            }
            Err(_) => {
                kept.insert(image.sha256, None);
                read.warnings.push(super::error_at(image.line, "stem", "error.image_unread"));
            }
        }
    }
    for (line, q) in &mut read.questions {
        let mut html = q.html.clone();
        for shown in super::html::images(&q.html) {
            let tag = format!("<img src=\"{}\" alt=\"\">", super::html::image_src(shown));
            let keep = match kept.get(shown) {
                Some(k) => k.clone(),
                None if store::image_held(db, shown).await? => Some(shown.to_owned()),
                None => {
                    read.warnings.push(super::error_at(*line, "stem", "error.image_elsewhere"));
                    None
                }
            };
            let with = keep.map(|k| format!("<img src=\"{}\" alt=\"\">", super::html::image_src(&k)));
            html = html.replace(&tag, &with.unwrap_or_default());
        }
        q.html = super::html::formatted(&html);
    }
    read.warnings.sort_by_key(|w| w.row);
    Ok(new)
}

/// The questions of the caller's own unit's bank (not those above it), of a status or any.
async fn own_bank(db: &Db, me: &Principal, status: Option<QuestionStatus>) -> Result<Vec<super::Question>> {
    let filter = store::BankFilter {
        status: status.map(|s| s.as_str().to_owned()),
        owner_unit: Some(me.user.unit_id),
        ..Default::default()
    };
    let rows = store::questions(db, &me.scope, &filter, 100_000, 0).await?;
    rows.iter().map(store::QuestionRow::question).collect()
}

/// The bank of the caller's own unit (not the banks above it, which it cannot import into), in
/// `format`: re-imported where those questions are not, it gives the same bank.
pub async fn export(db: &Db, me: &Principal, format: Format) -> Result<Vec<u8>> {
    manager(me)?;
    let questions = own_bank(db, me, Some(QuestionStatus::Active)).await?;
    let questions: Vec<_> = if format == Format::Aiken {
        questions.into_iter().filter(|q| q.kind == Kind::Single).collect()
    } else {
        questions
    };
    let mut pictures = std::collections::HashMap::new();
    if format == Format::Moodle {
        for q in &questions {
            for sha256 in super::html::images(&q.html) {
                if !pictures.contains_key(sha256) {
                    pictures.insert(sha256.to_owned(), store::image(db, sha256).await?);
                }
            }
        }
    }
    super::write(format, &questions, &pictures).map_err(|e| Error::invalid("format", e))
}

/// Retires a question (it is no longer drawn) or makes it active again.
pub async fn set_status(db: &Db, me: &Principal, id: i64, active: bool) -> Result<()> {
    let r = async {
        manager(me)?;
        store::set_status(db, &me.scope, id, if active { QuestionStatus::Active } else { QuestionStatus::Retired })
            .await
    }
    .await;
    me.audited(
        db,
        if active { "quiz.question_restore" } else { "quiz.question_retire" },
        ("question", &id.to_string()),
        r,
    )
    .await
}

/// A quiz as set up in a form or a JSON body.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct QuizInput {
    pub(crate) title: String,
    /// What it is about.
    #[serde(default)]
    pub description: String,
    /// The campaign it belongs to.
    #[serde(default)]
    pub campaign_id: Option<i64>,
    /// Opens, `2024-11-01 08:00` (China Standard Time).
    pub opens_at: String,
    pub(crate) closes_at: String,
    /// One line per draw: `category difficulty count`, `*` for any (`home 1 3`).
    pub blueprint: String,
    /// Seconds an attempt has (30 to 7200).
    pub time_limit_seconds: i64,
    /// Attempts a participant may start a day (1 to 50).
    pub attempts_per_day: i64,
    /// Who may take it: residents of this region code and below (`220000` for everyone).
    pub audience_region: String,
    /// accuracy (default) or speed.
    #[serde(default)]
    pub scoring: Option<String>,
    /// The least score that makes an attempt eligible for prizes.
    #[serde(default)]
    pub prize_min_score: i64,
    /// Only participants who prove a phone by a code sent to it take it: one phone is one
    /// person, whichever device they play on (needs an SMS account that sends codes).
    #[serde(default)]
    pub phone_required: bool,
}

/// Sets up a quiz owned by the caller's unit; the bank must hold enough questions for the
/// blueprint, and a quiz that takes only proved phones needs `sms` to send codes. Returns its id.
pub async fn create(db: &Db, me: &Principal, sms: &SmsConfig, input: &QuizInput) -> Result<i64> {
    let r = async {
        manager(me)?;
        if input.phone_required && !sms.sends_codes() {
            return Err(Error::invalid("phone_required", "error.quiz_sms_off"));
        }
        let opens_at = clock::parse_time("opens_at", &input.opens_at)?;
        let closes_at = clock::parse_time("closes_at", &input.closes_at)?;
        if closes_at <= opens_at {
            return Err(Error::invalid("closes_at", "error.quiz_closes_early"));
        }
        let blueprint = Blueprint::parse(&input.blueprint)?;
        super::draw(&blueprint, &store::pool(db, &me.user.region_path).await?, &mut rand::rng())?;
        if !(30..=7200).contains(&input.time_limit_seconds) {
            return Err(Error::invalid("time_limit_seconds", "error.time_limit"));
        }
        if !(1..=50).contains(&input.attempts_per_day) {
            return Err(Error::invalid("attempts_per_day", "error.attempts_per_day"));
        }
        let audience = org::RegionCode::parse(&input.audience_region)
            .map_err(|_| Error::invalid("audience_region", "error.audience_code"))?;
        let audience_path = org::store::region(db, &me.scope, audience.as_str())
            .await
            .map_err(|_| Error::invalid("audience_region", "error.audience_outside"))?
            .path;
        let scoring = match input.scoring.as_deref().filter(|s| !s.is_empty()) {
            None => Scoring::Accuracy,
            Some(s) => Scoring::parse(s).ok_or_else(|| Error::invalid("scoring", "error.scoring"))?,
        };
        if let Some(c) = input.campaign_id {
            crate::campaign::store::campaign(db, &me.scope, c)
                .await
                .map_err(|_| Error::invalid("campaign_id", "error.no_campaign"))?;
        }
        if input.prize_min_score < 0 {
            return Err(Error::invalid("prize_min_score", "error.not_negative"));
        }
        let q = NewQuiz {
            title: parse_name("title", &input.title)?,
            description: input.description.trim().chars().take(2000).collect(),
            campaign_id: input.campaign_id,
            opens_at,
            closes_at,
            blueprint,
            time_limit_seconds: input.time_limit_seconds,
            attempts_per_day: input.attempts_per_day,
            audience_path,
            scoring,
            prize_min_score: input.prize_min_score,
            owner: (me.user.unit_id, me.user.region_path.clone()),
            created_by: me.user.id,
            phone_required: input.phone_required,
        };
        store::insert_quiz(db, &q, &org::new_secret()[..16]).await
    }
    .await;
    me.audited(db, "quiz.create", ("quiz", &input.title), r).await
}

// ---- participants ----

/// How a participant identifies without an account: a nickname, where they live, and the token
/// their browser keeps (and, for a quiz that asks for it, a phone proved by a code: see
/// [`send_code`] and [`prove_phone`]).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct JoinInput {
    /// Shown on leaderboards (1 to 20 characters).
    pub nickname: String,
    /// Where they live: a region code (county, township or village).
    pub region_code: String,
    /// School or unit (optional).
    #[serde(default)]
    pub school: String,
}

/// Registers (or finds) the participant of a device token; one address registers at most
/// [`super::NEW_PLAYERS_PER_HOUR`] new participants an hour, and the participants one browser
/// (`traits`: what it tells of itself and its network) registers beyond
/// [`super::FINGERPRINT_PLAYERS`] a day are held back for staff.
pub async fn join(
    writers: &Writers,
    key: &DataKey,
    device_token: &str,
    traits: &str,
    input: &JoinInput,
    ip: &str,
) -> Result<Participant> {
    let nickname = input.nickname.trim();
    if nickname.is_empty() || nickname.chars().count() > 20 || nickname.chars().any(char::is_control) {
        return Err(Error::invalid("nickname", "error.nickname_length"));
    }
    let school = input.school.trim();
    if school.chars().count() > 40 || school.chars().any(char::is_control) {
        return Err(Error::invalid("school", crate::i18n::keyed("error.at_most_chars", &["40"])));
    }
    if input.region_code.trim().is_empty() {
        return Err(Error::invalid("region_code", "error.choose_region"));
    }
    let region = org::RegionCode::parse(&input.region_code)?;
    writers
        .joins
        .run(NewParticipant {
            device_hash: device_hash(key, device_token),
            nickname: nickname.to_owned(),
            region_code: region.as_str().to_owned(),
            school: school.to_owned(),
            fingerprint: key.index(&format!("quiz-fingerprint:{traits}")),
            per_fingerprint: super::FINGERPRINT_PLAYERS,
            address: (key.index(&format!("quiz-join:{ip}")), super::NEW_PLAYERS_PER_HOUR),
        })
        .await
}

/// What is kept of a device token: its keyed hash.
fn device_hash(key: &DataKey, device_token: &str) -> String {
    key.index(&format!("quiz-device:{device_token}"))
}

/// The participant of a device token, if registered.
pub async fn me(db: &Db, key: &DataKey, device_token: &str) -> Result<Option<Participant>> {
    store::participant_by_device(db, &device_hash(key, device_token)).await
}

/// Sends a code to `phone` for the participant of `device_token` to prove it with
/// ([`prove_phone`]): at most one a minute for a device, [`crate::push::CODES_PER_NUMBER_HOUR`]
/// an hour to a number and [`CODES_PER_ADDRESS_HOUR`] an hour from an address. Whether the
/// provider took it.
pub async fn send_code(
    db: &Db,
    key: &DataKey,
    sms: &SmsConfig,
    device_token: &str,
    phone: &str,
    ip: &str,
) -> Result<bool> {
    if !sms.sends_codes() {
        return Err(Error::invalid("phone", "error.quiz_code_off"));
    }
    let phone = crate::personal::PhoneNumber::parse("phone", phone)?;
    me(db, key, device_token).await?.ok_or_else(|| Error::invalid("phone", "error.quiz_join_first"))?;
    let device = device_hash(key, device_token);
    let now = clock::now();
    let waiting = store::waiting_check(db, &device).await?;
    if waiting.is_some_and(|(at, _)| now - at < Duration::seconds(crate::push::CODE_GAP_SECONDS)) {
        return Err(Error::TooMany("error.code_wait".into()));
    }
    let index = key.index(phone.as_str());
    let per_number = org::store::spend(db, "quiz_code_number", &index, now, crate::push::CODES_PER_NUMBER_HOUR).await?;
    per_number.ok_or_else(|| Error::TooMany("error.codes_per_number".into()))?;
    let address = key.index(&format!("quiz-code:{ip}"));
    let per_address = org::store::spend(db, "quiz_code_address", &address, now, CODES_PER_ADDRESS_HOUR).await?;
    per_address.ok_or_else(|| Error::TooMany("error.codes_per_address".into()))?;
    let code = crate::push::actions::random_code();
    let sealed = key.seal(phone.as_str());
    store::put_check(
        db,
        &store::NewCheck {
            device_hash: &device,
            phone_index: &index,
            phone_sealed: &sealed,
            phone_masked: &phone.masked(),
            code_hash: &key.index(&format!("quiz-code:{device}:{code}")),
            sent_at: now,
            expires_at: now + Duration::minutes(crate::push::CODE_MINUTES),
        },
    )
    .await?;
    crate::push::actions::send_code(sms, key, &sealed, &code).await
}

/// Takes back the code sent for the participant of `device_token`: right, the phone is theirs,
/// and a phone is one person — when another participant proved it before, this device becomes
/// theirs (their nickname, attempts and limits); the participant the device had keeps its
/// attempts, with no device.
pub async fn prove_phone(db: &Db, key: &DataKey, device_token: &str, code: &str) -> Result<Participant> {
    let typed = crate::push::actions::typed_code(code)?;
    let me = me(db, key, device_token).await?.ok_or_else(|| Error::invalid("code", "error.quiz_join_first"))?;
    let device = device_hash(key, device_token);
    let hash = key.index(&format!("quiz-code:{device}:{typed}"));
    let outcome = store::prove_check(db, me.id, &device, &hash, clock::now(), crate::push::CODE_TRIES).await?;
    crate::push::actions::proved(outcome, Error::invalid("code", "error.code_none"))?;
    self::me(db, key, device_token).await?.ok_or(Error::NotFound)
}

/// The phone (masked) a code was sent to for the participant of `device_token`, while the code
/// waits to come back.
pub async fn code_sent_to(db: &Db, key: &DataKey, device_token: &str) -> Result<Option<String>> {
    let device = device_hash(key, device_token);
    Ok(store::waiting_check(db, &device).await?.map(|(_, masked)| masked))
}

/// Codes one address may have sent in an hour.
pub const CODES_PER_ADDRESS_HOUR: i64 = 30;

/// Attempts one address may start in an hour (a school behind one address has many students).
pub const STARTS_PER_IP_HOUR: i64 = 600;

/// Starts an attempt: the quiz must be open, the participant in its audience and within the
/// attempts of the day. Returns the attempt's token.
pub async fn start(writers: &Writers, key: &DataKey, quiz: &Quiz, p: &Participant, ip: &str) -> Result<String> {
    let now = clock::now_ms();
    if !quiz.is_open(now) {
        return Err(Error::Conflict("error.quiz_not_open".into()));
    }
    if !p.region_path.starts_with(&quiz.audience_path) {
        return Err(Error::Forbidden);
    }
    if quiz.phone_required && p.phone_masked.is_empty() {
        return Err(Error::Conflict("error.quiz_needs_phone".into()));
    }
    let token = org::new_secret();
    let attempt = NewAttempt {
        token: token.clone(),
        quiz_id: quiz.id,
        attempts_per_day: quiz.attempts_per_day,
        participant_id: p.id,
        region_path: p.region_path.clone(),
        school: p.school.clone(),
        day: now.to_offset(clock::CST).date(),
        started_at: now,
        deadline_at: now + Duration::seconds(quiz.time_limit_seconds),
        // A proved phone is one person, however many share its browser.
        flags: if p.phone_masked.is_empty() { p.flags.clone() } else { String::new() },
        many_attempts: DEVICE_ATTEMPTS_FLAG,
        ip: key.index(&format!("quiz-ip:{ip}")),
        per_address: STARTS_PER_IP_HOUR,
        drawn: Vec::new(),
    };
    let blueprint = quiz.blueprint()?;
    writers.starts.run(Start { attempt, blueprint, owner_path: quiz.owner_path.clone() }).await?;
    Ok(token)
}

/// A question as a participant sees it.
#[derive(Clone, Debug, serde::Serialize, ToSchema)]
pub struct Shown {
    /// Position (0-based).
    pub position: i64,
    /// How many questions the attempt has.
    pub total: i64,
    pub(crate) kind: Kind,
    /// The question.
    pub stem: String,
    /// The question as formatted text (a safe subset of HTML), or empty.
    pub html: String,
    /// The options in the order shown (A first), or the items of a matching question.
    pub options: Vec<String>,
    /// The answers a matching question offers for each item, in an order that tells nothing.
    pub choices: Vec<String>,
    /// Whether it has been answered.
    pub answered: bool,
    /// Seconds left.
    pub seconds_left: i64,
}

/// The attempt of a token that still takes answers.
async fn open_attempt(db: &Db, token: &str, now: OffsetDateTime) -> Result<Attempt> {
    let a = store::attempt_by_token(db, token).await?;
    if a.submitted_at.is_some() {
        return Err(Error::Conflict("error.attempt_finished".into()));
    }
    if now > a.deadline_at {
        return Err(Error::Conflict("error.attempt_time_up".into()));
    }
    Ok(a)
}

/// Shows a question of an attempt (noting when it was first shown).
pub async fn show(db: &Db, token: &str, position: i64) -> Result<Shown> {
    let now = clock::now_ms();
    let a = open_attempt(db, token, now).await?;
    let d = store::drawn(db, a.id, Some(position)).await?.pop().ok_or(Error::NotFound)?;
    let total = store::drawn_count(db, a.id).await?;
    store::mark_shown(db, &[(a.id, position, now)]).await?;
    let q = d.q.question()?;
    let options = d.order().iter().filter_map(|&i| q.options.get(i).cloned()).collect();
    let mut choices = match q.answer {
        Answer::Match { pairs, extra } => [pairs, extra].concat(),
        _ => Vec::new(),
    };
    choices.sort();
    choices.dedup();
    Ok(Shown {
        position,
        total,
        kind: q.kind,
        stem: q.stem,
        html: super::html::clean(&q.html),
        options,
        choices,
        answered: d.answered_at.is_some(),
        seconds_left: (a.deadline_at - now).whole_seconds().max(0),
    })
}

/// An answer as sent: only the answer. Anything else in the body (a score, say) is refused.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Options picked as shown (0 = A), `true`/`false`, or the text of the blank.
    pub answer: Answer,
}

/// Records the answer to a question drawn for the attempt, once: a replay changes nothing and
/// says so (`false`). The writer judges it (see [`judge`]) and stores it with the answers that
/// arrive meanwhile.
pub async fn answer(writers: &Writers, token: &str, position: i64, given: &Answer) -> Result<bool> {
    let sent = Sent { token: token.to_owned(), position, given: given.clone(), at: clock::now_ms() };
    writers.answers.run(sent).await
}

/// Judges an answer (options as shown) that arrived `now` against what answering needs: the
/// answer to store, `None` for a question answered already, or why it is refused.
pub(super) fn judge(c: &store::AnswerContext, given: &Answer, now: OffsetDateTime) -> Result<Option<store::NewAnswer>> {
    if c.submitted_at.is_some() {
        return Err(Error::Conflict("error.attempt_finished".into()));
    }
    if now > c.deadline_at {
        return Err(Error::Conflict("error.attempt_time_up".into()));
    }
    let (Some(order), Some(kind), Some(options), Some(right_answer), Some(weights)) =
        (&c.option_order, &c.kind, &c.options, &c.answer, &c.weights)
    else {
        return Err(Error::invalid("position", "error.not_drawn"));
    };
    if c.answered_at.is_some() {
        return Ok(None);
    }
    let broken = || Error::Internal(anyhow::anyhow!("a stored question does not parse"));
    let kind = Kind::parse(kind).ok_or_else(broken)?;
    let fits = matches!(
        (kind, given),
        (Kind::Single | Kind::Multiple, Answer::Choice(_))
            | (Kind::TrueFalse, Answer::Truth(_))
            | (Kind::Fill | Kind::Numerical | Kind::Matching, Answer::Text(_))
    );
    if !fits {
        return Err(Error::invalid("answer", crate::i18n::keyed("error.answer_kind", &[kind.as_str()])));
    }
    let order: Vec<usize> = serde_json::from_str(order).map_err(|_| broken())?;
    let mut question = super::Question::new(
        kind,
        "",
        1,
        String::new(),
        serde_json::from_str(options).map_err(|_| broken())?,
        serde_json::from_str(right_answer).map_err(|_| broken())?,
    );
    question.weights = serde_json::from_str(weights).map_err(|_| broken())?;
    let stored = super::unshuffle(kind, given, &order)?;
    let credit = question.credit(&stored);
    let elapsed = c.shown_at.map_or(0, |s| i64::try_from((now - s).whole_milliseconds()).unwrap_or(0));
    let scoring = Scoring::parse(&c.scoring).unwrap_or(Scoring::Accuracy);
    let points = scoring.points(credit, elapsed, c.time_limit_seconds * 1000 / c.questions.max(1));
    let correct = credit >= 1.0;
    let position = c.position;
    Ok(Some(store::NewAnswer { attempt_id: c.attempt_id, position, given: stored, correct, points, at: now }))
}

/// The outcome of a finished attempt.
#[derive(Clone, Debug, serde::Serialize, ToSchema)]
pub struct Finished {
    pub(crate) score: i64,
    /// Right answers.
    pub correct: i64,
    pub(crate) total: i64,
    /// Time taken.
    pub duration_ms: i64,
    /// Rank among all participants by their best attempt.
    pub rank: Option<i64>,
    /// Participants ranked.
    pub ranked: i64,
}

/// Finishes an attempt (at the latest at its deadline): scores it, flags it when answers came
/// sooner than their questions can be read (see [`super::Question::reading_ms`]), and moves the
/// leaderboard; returns the result. Finishing twice changes nothing.
pub async fn finish(db: &Db, token: &str) -> Result<Finished> {
    finish_at(db, token, clock::now_ms()).await?;
    result(db, token).await
}

/// [`finish`] as of `now`, without reading the result back: for a page that shows it next, and
/// the demo's history (attempts finished in the past).
pub async fn finish_at(db: &Db, token: &str, now: OffsetDateTime) -> Result<()> {
    let a = store::attempt_by_token(db, token).await?;
    if a.submitted_at.is_none() {
        let drawn = store::drawn(db, a.id, None).await?;
        let mut fast = 0;
        for d in &drawn {
            if let (Some(s), Some(t)) = (d.shown_at, d.answered_at) {
                fast += usize::from((t - s).whole_milliseconds() < i128::from(d.q.question()?.reading_ms()));
            }
        }
        let mut flags: Vec<&str> = a.flags.split(',').filter(|f| !f.is_empty()).collect();
        if fast >= TOO_FAST_RUN {
            flags.push("too_fast");
        }
        let p = store::participant_of(db, a.participant_id).await?;
        let regions: Vec<String> = crate::org::path::ancestor_paths(&p.region_path).into_iter().take(3).collect();
        store::finish(db, &a, &flags.join(","), now, &regions).await?;
    }
    Ok(())
}

/// The result of a finished attempt.
pub async fn result(db: &Db, token: &str) -> Result<Finished> {
    let a = store::attempt_by_token(db, token).await?;
    if a.submitted_at.is_none() {
        return Err(Error::Conflict("error.attempt_not_finished".into()));
    }
    let total = store::drawn_count(db, a.id).await?;
    let rank = store::rank(db, a.quiz_id, a.participant_id).await?.map(|r| r.0);
    let (ranked, _, _) = store::counts(db, a.quiz_id).await?;
    Ok(Finished { score: a.score, correct: a.correct, total, duration_ms: a.duration_ms.unwrap_or(0), rank, ranked })
}
