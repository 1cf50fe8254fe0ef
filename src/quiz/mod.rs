//! The knowledge quiz: questions and their banks. A [`Question`] is single choice, multiple
//! choice, true/false, fill-in-the-blank or numerical (the kinds a quiz scores and draws), or an
//! essay or a description (kept, never drawn), with a category, a difficulty, an explanation shown
//! after the quiz and the source it rests on. Banks move in and out as CSV/XLSX ([`table`]),
//! Moodle GIFT ([`gift`]), Moodle XML ([`moodle`]) and Aiken ([`aiken`]); every reader checks the
//! whole file and names each bad row or line, so a refused file imports nothing, and says what it
//! read but could not keep ([`Read`]).

pub mod actions;
pub mod aiken;
pub mod api;
pub mod gift;
pub mod live;
pub mod moodle;
pub mod pages;
pub mod public;
pub mod selection;
pub mod store;
pub mod table;
pub mod writer;

use std::fmt;

use rand::Rng;
use rand::seq::SliceRandom as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::{keyed, term};
use crate::org::text_enum;
use crate::sheet::CellError;
use crate::{Error, Result};

text_enum! {
    /// Whether a question of the bank is drawn.
    QuestionStatus {
        /// Drawn into quizzes.
        Active = "active",
        /// Kept, never drawn.
        Retired = "retired",
    }
}

/// The kind of a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One correct option.
    Single,
    /// Two or more correct options; all of them and nothing else scores.
    Multiple,
    /// A statement that is true or false.
    TrueFalse,
    /// A blank (`____` in the stem) filled with one of the accepted answers.
    Fill,
    /// A number, right within a tolerance of one of the accepted values.
    Numerical,
    /// An answer in the participant's own words, which no program scores: kept in the bank, never
    /// drawn.
    Essay,
    /// A text among the questions (a passage, an instruction), asking nothing: kept, never drawn.
    Description,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Self; 7] =
        [Self::Single, Self::Multiple, Self::TrueFalse, Self::Fill, Self::Numerical, Self::Essay, Self::Description];

    /// The kinds a quiz scores by itself, and so draws.
    pub const SCORED: [Self; 5] = [Self::Single, Self::Multiple, Self::TrueFalse, Self::Fill, Self::Numerical];

    /// Whether a quiz scores this kind by itself (and may draw it).
    pub fn is_scored(self) -> bool {
        Self::SCORED.contains(&self)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::TrueFalse => "true_false",
            Self::Fill => "fill",
            Self::Numerical => "numerical",
            Self::Essay => "essay",
            Self::Description => "description",
        }
    }

    /// Parses the stored name (or its Chinese label).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "single" | "单选" | "单选题" => Some(Self::Single),
            "multiple" | "多选" | "多选题" => Some(Self::Multiple),
            "true_false" | "判断" | "判断题" => Some(Self::TrueFalse),
            "fill" | "填空" | "填空题" => Some(Self::Fill),
            "numerical" | "数值题" | "数字题" => Some(Self::Numerical),
            "essay" | "问答" | "问答题" | "简答题" => Some(Self::Essay),
            "description" | "说明" | "阅读材料" => Some(Self::Description),
            _ => None,
        }
    }
}

/// The categories of the fire-safety bank.
pub const CATEGORIES: &[&str] = &[
    "home",
    "ebike",
    "gas",
    "escape",
    "extinguisher",
    "fire_lane",
    "high_rise",
    "small_venue",
    "forest",
    "regulation",
    "electric",
    "fireworks",
    "heating",
];

/// The blank of a fill-in question's stem.
pub const BLANK: &str = "____";

/// What counts as the right answer (and what a participant gives).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// The positions of the correct options, ascending.
    Choice(Vec<usize>),
    /// Whether the statement is true.
    Truth(bool),
    /// The accepted texts of the blank.
    Text(Vec<String>),
    /// The accepted numbers, each with its tolerance.
    Number(Vec<NumberKey>),
    /// None that a program scores (an essay, a description).
    Open,
}

/// An accepted number: right when the answer lies within `tolerance` of `value`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NumberKey {
    /// The value.
    pub value: f64,
    /// How far off an answer may be (0: exactly).
    pub tolerance: f64,
}

// A stored key is finite (`Question::check` refuses any other), so equality is an equivalence.
impl Eq for NumberKey {}

impl NumberKey {
    /// Reads `119`, `3:0.5` (value and tolerance) or `1..5` (a range), as GIFT writes them.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let key = if let Some((low, high)) = s.split_once("..") {
            let (low, high): (f64, f64) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
            Self { value: f64::midpoint(low, high), tolerance: (high - low).abs() / 2.0 }
        } else if let Some((v, t)) = s.split_once(':') {
            Self { value: v.trim().parse().ok()?, tolerance: t.trim().parse().ok()? }
        } else {
            Self { value: s.parse().ok()?, tolerance: 0.0 }
        };
        (key.value.is_finite() && key.tolerance.is_finite() && key.tolerance >= 0.0).then_some(key)
    }

    /// As GIFT and the table write it: `119`, `3:0.5`.
    pub fn text(self) -> String {
        if self.tolerance == 0.0 { self.value.to_string() } else { format!("{}:{}", self.value, self.tolerance) }
    }

    /// Whether a typed answer hits it (full-width digits, a full-width point and minus accepted).
    pub fn hit(self, typed: &str) -> bool {
        let t: String = typed
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c),
                '．' | '。' => '.',
                '－' | '−' => '-',
                c => c,
            })
            .collect();
        t.parse::<f64>().is_ok_and(|x| (x - self.value).abs() <= self.tolerance + 1e-9)
    }
}

/// One question of a bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Its kind.
    pub kind: Kind,
    /// Its category (one of [`CATEGORIES`]).
    pub category: String,
    /// 1 easy, 2 medium, 3 hard.
    pub difficulty: u8,
    /// The question; a fill-in question holds one [`BLANK`].
    pub stem: String,
    /// The options of a choice question, in order (empty for the other kinds).
    pub options: Vec<String>,
    /// The right answer.
    pub answer: Answer,
    /// Why, shown after the quiz.
    pub explanation: String,
    /// What it rests on (a law's article, a standard, official guidance).
    pub source: String,
}

/// Letters of options: A for the first.
pub fn letter(i: usize) -> char {
    char::from(b'A' + u8::try_from(i % 26).unwrap_or(0))
}

/// The most options a choice question may have.
pub const MAX_OPTIONS: usize = 8;

impl Question {
    /// Checks the question is whole and consistent; the message names the part at fault.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let text_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= 2000;
        if !text_ok(&self.stem) {
            return Err(("stem", "error.stem_length".into()));
        }
        // Invisible control characters (a NUL, say) come from damaged files; PostgreSQL refuses them.
        let clean = |s: &str| !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        let accepted = match &self.answer {
            Answer::Text(accepted) => accepted.as_slice(),
            _ => &[],
        };
        for (part, texts) in [
            ("stem", std::slice::from_ref(&self.stem)),
            ("options", self.options.as_slice()),
            ("answer", accepted),
            ("explanation", std::slice::from_ref(&self.explanation)),
            ("source", std::slice::from_ref(&self.source)),
        ] {
            if !texts.iter().all(|t| clean(t)) {
                return Err((part, "error.control_character".into()));
            }
        }
        if !CATEGORIES.contains(&self.category.as_str()) {
            return Err(("category", keyed("error.quiz_category", &[&self.category, &CATEGORIES.join(", ")])));
        }
        if !(1..=3).contains(&self.difficulty) {
            return Err(("difficulty", "error.difficulty_named".into()));
        }
        match (self.kind, &self.answer) {
            (Kind::Single | Kind::Multiple, Answer::Choice(picked)) => {
                let n = self.options.len();
                if !(2..=MAX_OPTIONS).contains(&n) {
                    return Err(("options", keyed("error.options_count", &[&MAX_OPTIONS.to_string(), &n.to_string()])));
                }
                if self.options.iter().any(|o| !text_ok(o)) {
                    return Err(("options", "error.option_empty".into()));
                }
                let mut distinct = self.options.clone();
                distinct.sort();
                distinct.dedup();
                if distinct.len() != n {
                    return Err(("options", "error.options_same".into()));
                }
                if picked.iter().any(|&i| i >= n) || picked.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(("answer", keyed("error.answer_letters", &[&letter(n - 1).to_string()])));
                }
                match (self.kind, picked.len()) {
                    (Kind::Single, 1) => {}
                    (Kind::Single, k) => {
                        return Err(("answer", keyed("error.single_answer", &[&k.to_string()])));
                    }
                    (_, 0 | 1) => return Err(("answer", "error.multiple_answers".into())),
                    _ => {}
                }
            }
            (Kind::TrueFalse, Answer::Truth(_)) => {
                if !self.options.is_empty() {
                    return Err(("options", "error.truth_options".into()));
                }
            }
            (Kind::Fill, Answer::Text(accepted)) => {
                if self.stem.matches(BLANK).count() != 1 {
                    return Err(("stem", keyed("error.fill_blank", &[BLANK])));
                }
                if accepted.is_empty() || accepted.iter().any(|a| a.trim().is_empty() || a.chars().count() > 100) {
                    return Err(("answer", "error.fill_answers".into()));
                }
                if !self.options.is_empty() {
                    return Err(("options", "error.fill_options".into()));
                }
            }
            (Kind::Numerical, Answer::Number(keys)) => {
                if keys.is_empty() || keys.iter().any(|k| NumberKey::parse(&k.text()).is_none()) {
                    return Err(("answer", "error.number_answers".into()));
                }
                if !self.options.is_empty() {
                    return Err(("options", "error.fill_options".into()));
                }
            }
            (Kind::Essay | Kind::Description, Answer::Open) => {
                if !self.options.is_empty() {
                    return Err(("options", "error.open_options".into()));
                }
            }
            _ => return Err(("answer", keyed("error.answer_fits", &[&term("quiz_kind", self.kind.as_str())]))),
        }
        Ok(())
    }

    /// Whether a participant's answer is right: options by position, `true`/`false`, or text
    /// (compared without surrounding spaces and case).
    pub fn is_right(&self, given: &Answer) -> bool {
        match (&self.answer, given) {
            (Answer::Choice(right), Answer::Choice(picked)) => {
                let mut picked = picked.clone();
                picked.sort_unstable();
                picked.dedup();
                &picked == right
            }
            (Answer::Truth(right), Answer::Truth(said)) => right == said,
            (Answer::Text(accepted), Answer::Text(typed)) => typed.first().is_some_and(|t| {
                let t = normalise(t);
                accepted.iter().any(|a| normalise(a) == t)
            }),
            (Answer::Number(keys), Answer::Text(typed)) => typed.first().is_some_and(|t| keys.iter().any(|k| k.hit(t))),
            _ => false,
        }
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<String>().to_lowercase()
}

/// Where a bank file was wrong: the row or line, the part, what was expected.
pub type FormatError = CellError;

/// A problem at a line (or row) of a file, in a part of a question (`stem`, `answer`, … or none),
/// which is shown by its name in the reader's language.
pub fn error_at(line: usize, part: &str, message: impl Into<String>) -> FormatError {
    CellError { row: line, column: part_label(part), message: message.into() }
}

/// The name of a part of a question as a message key (`error.quiz_part.stem`), or nothing.
pub fn part_label(part: &str) -> String {
    if part.is_empty() { String::new() } else { format!("error.quiz_part.{part}") }
}

/// What a format reader needs beyond the file: the category and difficulty of questions that do
/// not say (Aiken cannot; GIFT and XML files from elsewhere usually do not).
#[derive(Clone, Debug)]
pub struct Defaults {
    /// Category for questions without one.
    pub category: String,
    /// Difficulty for questions without one.
    pub difficulty: u8,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { category: "home".into(), difficulty: 2 }
    }
}

/// What a reader made of a file: its questions with the line each starts at, and what it read but
/// could not keep (a title, an answer's feedback, an image, formatting), by line and part, so
/// that nothing is lost silently.
#[derive(Clone, Debug, Default)]
pub struct Read {
    /// The questions and their lines.
    pub questions: Vec<(usize, Question)>,
    /// What was not kept.
    pub warnings: Vec<FormatError>,
}

/// Checks every question a reader produced, keeping the line each started at, after the
/// problems the reader found itself (`errors`); all problems are returned together, by line.
/// `part_name` says what the file calls a part of a question (a column header, say, or
/// [`part_label`]); `warnings` are what the reader could not keep.
pub fn check_all(
    read: Vec<(usize, Question)>,
    mut errors: Vec<FormatError>,
    mut warnings: Vec<FormatError>,
    part_name: impl Fn(&str) -> String,
) -> Result<Read, Vec<FormatError>> {
    let mut out = Vec::with_capacity(read.len());
    for (line, q) in read {
        match q.check() {
            Ok(()) => out.push((line, q)),
            Err((part, message)) => errors.push(CellError { row: line, column: part_name(part), message }),
        }
    }
    if errors.is_empty() {
        warnings.sort_by_key(|e| e.row);
        Ok(Read { questions: out, warnings })
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// The interchange formats of a bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV with the template's columns (UTF-8 or GBK).
    Csv,
    /// XLSX with the template's columns.
    Xlsx,
    /// Moodle GIFT text.
    Gift,
    /// Moodle XML.
    Moodle,
    /// Aiken text (single-choice questions only).
    Aiken,
}

impl Format {
    /// Every format, in the order of the import form.
    pub const ALL: [Self; 5] = [Self::Xlsx, Self::Csv, Self::Gift, Self::Moodle, Self::Aiken];

    /// Parses a name as [`fmt::Display`] writes it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.to_string() == s)
    }

    /// The file name ending and media type of an export.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            Self::Csv => ("csv", "text/csv; charset=utf-8"),
            Self::Xlsx => ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Self::Gift => ("gift.txt", "text/plain; charset=utf-8"),
            Self::Moodle => ("xml", "application/xml"),
            Self::Aiken => ("aiken.txt", "text/plain; charset=utf-8"),
        }
    }

    /// The name of a downloaded bank in this format.
    pub fn file_name(self) -> String {
        format!("question-bank.{}", self.file().0)
    }
}

/// Drops the lines a reader kept.
pub fn plain(read: Read) -> Vec<Question> {
    read.questions.into_iter().map(|(_, q)| q).collect()
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Gift => "gift",
            Self::Moodle => "moodle",
            Self::Aiken => "aiken",
        })
    }
}

/// Reads a bank file in `format`: every question with the line or row it starts at, or every
/// problem found.
pub fn read(format: Format, bytes: &[u8], defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let text = || {
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|_| vec![error_at(0, "", "error.file_not_utf")])
    };
    match format {
        Format::Csv | Format::Xlsx => table::read(bytes, defaults),
        Format::Gift => gift::read(text()?, defaults),
        Format::Moodle => moodle::read(text()?, defaults),
        Format::Aiken => aiken::read(text()?, defaults),
    }
}

/// Writes a bank in `format`. Aiken holds single-choice questions only: the others are refused,
/// by position.
pub fn write(format: Format, questions: &[Question]) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => Ok(table::csv(questions)),
        Format::Xlsx => table::xlsx(questions),
        Format::Gift => Ok(gift::write(questions).into_bytes()),
        Format::Moodle => Ok(moodle::write(questions).into_bytes()),
        Format::Aiken => aiken::write(questions).map(String::into_bytes),
    }
}

/// One line of a blueprint: `count` questions of a category and difficulty (any when `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlueprintLine {
    /// Category, or any.
    pub category: Option<String>,
    /// Difficulty, or any.
    pub difficulty: Option<u8>,
    /// How many questions.
    pub count: u32,
}

/// What each attempt draws: lines of (category, difficulty, count), at most 100 questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Blueprint(pub Vec<BlueprintLine>);

impl Blueprint {
    /// Parses the form's text: one line each, `category difficulty count`, with `*` for any
    /// (`home 1 3`, `* 2 5`, `ebike * 2`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad =
            |n: usize, what: String| Error::invalid("blueprint", keyed("error.on_line", &[&n.to_string(), &what]));
        let mut lines = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [cat, diff, count] = parts[..] else {
                return Err(bad(n + 1, "error.blueprint_line".into()));
            };
            let category = match cat {
                "*" => None,
                c if CATEGORIES.contains(&c) => Some(c.to_owned()),
                c => {
                    return Err(bad(n + 1, keyed("error.blueprint_category", &[c, &CATEGORIES.join(", ")])));
                }
            };
            let difficulty = match diff {
                "*" => None,
                d => Some(
                    d.parse()
                        .ok()
                        .filter(|d| (1..=3).contains(d))
                        .ok_or_else(|| bad(n + 1, keyed("error.blueprint_difficulty", &[d])))?,
                ),
            };
            let count = count
                .parse()
                .ok()
                .filter(|c| (1..=100).contains(c))
                .ok_or_else(|| bad(n + 1, keyed("error.blueprint_count", &[count])))?;
            lines.push(BlueprintLine { category, difficulty, count });
        }
        let b = Self(lines);
        b.check()?;
        Ok(b)
    }

    /// Checks the total: 1 to 100 questions.
    pub fn check(&self) -> Result<()> {
        let total = self.total();
        if total == 0 || total > 100 {
            return Err(Error::invalid("blueprint", keyed("error.blueprint_total", &[&total.to_string()])));
        }
        Ok(())
    }

    /// How many questions an attempt draws.
    pub fn total(&self) -> u32 {
        self.0.iter().map(|l| l.count).sum()
    }

    /// The form's text for this blueprint.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|l| {
                format!(
                    "{} {} {}",
                    l.category.as_deref().unwrap_or("*"),
                    l.difficulty.map_or_else(|| "*".to_owned(), |d| d.to_string()),
                    l.count
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A question in the pool an attempt draws from.
#[derive(Clone, Debug)]
pub struct PoolQuestion {
    /// The question.
    pub id: i64,
    pub(crate) category: String,
    pub(crate) difficulty: u8,
    /// How many options it has (0 for true/false and fill-in).
    pub options: usize,
}

/// Draws one attempt's questions: for each blueprint line in turn, `count` distinct questions of
/// its category and difficulty not drawn already, each with its options shuffled (a permutation:
/// position shown → option stored). The order of the questions is shuffled too.
pub fn draw(blueprint: &Blueprint, pool: &[PoolQuestion], rng: &mut impl Rng) -> Result<Vec<(i64, Vec<usize>)>> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in &blueprint.0 {
        let mut fits: Vec<&PoolQuestion> = pool
            .iter()
            .filter(|q| line.category.as_ref().is_none_or(|c| *c == q.category))
            .filter(|q| line.difficulty.is_none_or(|d| d == q.difficulty))
            .filter(|q| !taken.contains(&q.id))
            .collect();
        let want = usize::try_from(line.count).unwrap_or(usize::MAX);
        if fits.len() < want {
            return Err(Error::invalid(
                "blueprint",
                keyed(
                    "error.bank_short",
                    &[
                        &fits.len().to_string(),
                        &line
                            .category
                            .as_deref()
                            .map_or_else(|| term("error", "any_category"), |c| term("quiz_category", c)),
                        &line.difficulty.map_or_else(|| term("error", "any_difficulty"), |d| d.to_string()),
                        &want.to_string(),
                    ],
                ),
            ));
        }
        fits.shuffle(rng);
        for q in fits.into_iter().take(want) {
            taken.insert(q.id);
            let mut order: Vec<usize> = (0..q.options).collect();
            order.shuffle(rng);
            out.push((q.id, order));
        }
    }
    out.shuffle(rng);
    Ok(out)
}

/// How answers score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// 10 points a right answer; time only breaks ties.
    Accuracy,
    /// Up to 1000 points a right answer, fewer the longer it took (500 at the question's time).
    Speed,
}

impl Scoring {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accuracy => "accuracy",
            Self::Speed => "speed",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Accuracy, Self::Speed].into_iter().find(|x| x.as_str() == s)
    }

    /// The points of one answer: `elapsed_ms` since the question was shown, `per_question_ms`
    /// the time one question has on average.
    pub fn points(self, right: bool, elapsed_ms: i64, per_question_ms: i64) -> i64 {
        match (self, right) {
            (_, false) => 0,
            (Self::Accuracy, true) => 10,
            (Self::Speed, true) => {
                let t = elapsed_ms.clamp(0, per_question_ms.max(1));
                1000 - 500 * t / per_question_ms.max(1)
            }
        }
    }
}

/// Answers faster than this are not read: a run of them flags the attempt for review.
pub const TOO_FAST_MS: i64 = 1000;
/// New participants one address may register in an hour (a school's or a hall's shared
/// connection included; behind a proxy, see `--trusted-proxies`).
pub const NEW_PLAYERS_PER_HOUR: i64 = 200;
/// How many answers under [`TOO_FAST_MS`] flag an attempt.
pub const TOO_FAST_RUN: usize = 3;
/// Attempts from one device in one quiz beyond which it is flagged for review.
pub const DEVICE_ATTEMPTS_FLAG: i64 = 10;

/// The participant's answer in the stored order of options, from what they picked among the
/// options as shown (`order[shown] = stored`); other answers pass through.
pub fn unshuffle(given: &Answer, order: &[usize]) -> Result<Answer> {
    match given {
        Answer::Choice(shown) => {
            let mut stored = Vec::with_capacity(shown.len());
            for s in shown {
                stored.push(
                    *order.get(*s).ok_or_else(|| {
                        Error::invalid("answer", keyed("error.no_option", &[&letter(*s).to_string()]))
                    })?,
                );
            }
            stored.sort_unstable();
            stored.dedup();
            Ok(Answer::Choice(stored))
        }
        Answer::Text(t) if t.len() != 1 || t[0].chars().count() > 100 => {
            Err(Error::invalid("answer", "error.text_answer"))
        }
        other => Ok(other.clone()),
    }
}

/// The starting bank shipped with firecast (see `data/README.md`).
pub const BANK_CSV: &str = include_str!("../../data/quiz/bank.csv");

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Texts that exercise every format's special characters.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z火灾安全消防{}~=#:%|,\"'<>&;\\\\ ]{1,12}")
            .unwrap()
            .prop_map(|s| s.trim().to_owned())
            .prop_filter("not blank", |s| !s.is_empty() && !s.contains(BLANK))
    }

    /// Any valid question.
    pub fn question() -> impl Strategy<Value = Question> {
        let kind = proptest::sample::select(Kind::ALL.to_vec());
        (
            kind,
            0..CATEGORIES.len(),
            1u8..=3,
            text(),
            proptest::collection::btree_set(text(), 2..6),
            any::<u64>(),
            text(),
            text(),
            proptest::collection::btree_set(text(), 1..3),
        )
            .prop_map(|(kind, cat, difficulty, stem, options, pick, explanation, source, accepted)| {
                let options: Vec<String> = options.into_iter().collect();
                let n = options.len();
                let (stem, options, answer) = match kind {
                    Kind::Single => (stem, options, Answer::Choice(vec![usize::try_from(pick).unwrap_or(0) % n])),
                    Kind::Multiple => {
                        let mut picked: Vec<usize> = (0..n).filter(|i| pick >> i & 1 == 1).collect();
                        if picked.len() < 2 {
                            picked = vec![0, n - 1];
                        }
                        (stem, options, Answer::Choice(picked))
                    }
                    Kind::TrueFalse => (stem, Vec::new(), Answer::Truth(pick % 2 == 0)),
                    Kind::Fill => (format!("{stem}{BLANK}"), Vec::new(), Answer::Text(accepted.into_iter().collect())),
                    Kind::Numerical => {
                        let value = f64::from(u32::try_from(pick % 2000).unwrap_or(0)) - 1000.0;
                        let tolerance = [0.0, 0.5, 2.0][usize::try_from(pick >> 12).unwrap_or(0) % 3];
                        (stem, Vec::new(), Answer::Number(vec![NumberKey { value, tolerance }]))
                    }
                    Kind::Essay | Kind::Description => (stem, Vec::new(), Answer::Open),
                };
                // A description asks nothing, so it has nothing to explain (GIFT could not hold it).
                let explanation = if kind == Kind::Description { String::new() } else { explanation };
                Question {
                    kind,
                    category: CATEGORIES[cat].to_owned(),
                    difficulty,
                    stem,
                    options,
                    answer,
                    explanation,
                    source,
                }
            })
    }

    proptest! {
        #[test]
        fn generated_questions_are_valid(q in question()) {
            prop_assert!(q.check().is_ok(), "{:?}: {:?}", q, q.check());
        }
    }

    pub fn sample() -> Vec<Question> {
        plain(table::read(BANK_CSV.as_bytes(), &Defaults::default()).unwrap())
    }

    #[test]
    fn the_shipped_bank_is_whole() {
        let bank = sample();
        assert!(bank.len() >= 200, "{} questions", bank.len());
        for cat in CATEGORIES {
            let n = bank.iter().filter(|q| q.category == *cat).count();
            assert!(n >= 10, "category {cat} has {n} questions");
        }
        for kind in [Kind::Single, Kind::Multiple, Kind::TrueFalse, Kind::Fill] {
            assert!(bank.iter().any(|q| q.kind == kind), "no {kind:?} question");
        }
        let mut stems: Vec<&str> = bank.iter().map(|q| q.stem.as_str()).collect();
        stems.sort_unstable();
        let before = stems.len();
        stems.dedup();
        assert_eq!(before, stems.len(), "a question appears twice");
        assert!(bank.iter().all(|q| !q.explanation.is_empty() && !q.source.is_empty()));
    }

    #[test]
    fn the_bank_round_trips_through_every_lossless_format() {
        let bank = sample();
        for format in [Format::Csv, Format::Xlsx, Format::Gift, Format::Moodle] {
            let bytes = write(format, &bank).unwrap();
            let back = plain(read(format, &bytes, &Defaults::default()).unwrap_or_else(|e| panic!("{format}: {e:?}")));
            assert_eq!(back, bank, "{format}");
        }
        let singles: Vec<Question> = bank.into_iter().filter(|q| q.kind == Kind::Single).collect();
        let bytes = write(Format::Aiken, &singles).unwrap();
        let back = plain(read(Format::Aiken, &bytes, &Defaults::default()).unwrap());
        assert_eq!(back.len(), singles.len());
        assert!(
            back.iter().zip(&singles).all(|(a, b)| a.stem == b.stem && a.options == b.options && a.answer == b.answer)
        );
    }

    #[test]
    fn blueprints_parse_and_draw_distinct_questions() {
        use rand::SeedableRng as _;
        let b = Blueprint::parse("home 1 2\n* * 3\n").unwrap();
        assert_eq!(b.total(), 5);
        assert_eq!(Blueprint::parse(&b.text()).unwrap(), b);
        for (bad, says) in [
            ("home 1", "expected category"),
            ("unicorn 1 2", "not a category"),
            ("home 4 2", "difficulty"),
            ("home 1 0", "count"),
            ("* * 100\n* * 1", "1 to 100"),
        ] {
            let e = Blueprint::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let pool: Vec<PoolQuestion> = (0..10)
            .map(|i| PoolQuestion {
                id: i,
                category: if i < 3 { "home".into() } else { "gas".into() },
                difficulty: 1,
                options: 4,
            })
            .collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let drawn = draw(&b, &pool, &mut rng).unwrap();
            assert_eq!(drawn.len(), 5);
            let mut ids: Vec<i64> = drawn.iter().map(|d| d.0).collect();
            assert!(ids.iter().filter(|i| **i < 3).count() >= 2, "two home questions");
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), 5, "distinct");
            assert!(drawn.iter().all(|(_, o)| {
                let mut o = o.clone();
                o.sort_unstable();
                o == vec![0, 1, 2, 3]
            }));
        }
        let e = draw(&Blueprint::parse("home 1 4").unwrap(), &pool, &mut rng).unwrap_err().to_string();
        assert!(e.contains("has 3 active questions"), "{e}");
    }

    #[test]
    fn scoring_and_unshuffling() {
        assert_eq!(Scoring::Accuracy.points(true, 99_999, 1000), 10);
        assert_eq!(Scoring::Accuracy.points(false, 1, 1000), 0);
        assert_eq!(Scoring::Speed.points(true, 0, 20_000), 1000);
        assert_eq!(Scoring::Speed.points(true, 10_000, 20_000), 750);
        assert_eq!(Scoring::Speed.points(true, 60_000, 20_000), 500);
        assert_eq!(unshuffle(&Answer::Choice(vec![0, 2]), &[2, 0, 1]).unwrap(), Answer::Choice(vec![1, 2]));
        assert!(unshuffle(&Answer::Choice(vec![3]), &[2, 0, 1]).is_err());
    }

    #[test]
    fn answers_are_marked() {
        let q = Question {
            kind: Kind::Multiple,
            category: "home".into(),
            difficulty: 1,
            stem: "家中应配备".into(),
            options: vec!["灭火器".into(), "烟感".into(), "汽油".into()],
            answer: Answer::Choice(vec![0, 1]),
            explanation: String::new(),
            source: String::new(),
        };
        assert!(q.is_right(&Answer::Choice(vec![1, 0])));
        assert!(!q.is_right(&Answer::Choice(vec![0])));
        assert!(!q.is_right(&Answer::Truth(true)));
        let fill = Question {
            kind: Kind::Fill,
            stem: format!("火警电话{BLANK}"),
            options: vec![],
            answer: Answer::Text(vec!["119".into()]),
            ..q
        };
        assert!(fill.is_right(&Answer::Text(vec![" 119 ".into()])));
        assert!(!fill.is_right(&Answer::Text(vec!["110".into()])));
        assert!(fill.check().is_ok());
        let mut bad = fill.clone();
        bad.stem = "no blank".into();
        assert_eq!(bad.check().unwrap_err().0, "stem");
    }
}
