//! The knowledge quiz: questions and their banks. A [`Question`] is single choice, multiple
//! choice, true/false, fill-in-the-blank, numerical or matching (the kinds a quiz scores and
//! draws), or an essay or a description (kept, never drawn), with a title, a category (a path in a
//! tree of categories), a difficulty, the weight and feedback of each answer, an explanation shown
//! after the quiz and the source it rests on. Banks move in and out as CSV/XLSX ([`table`]),
//! Moodle GIFT ([`gift`]), Moodle XML ([`moodle`]) and Aiken ([`aiken`]); every reader checks the
//! whole file and names each bad row or line, so a refused file imports nothing, and says what it
//! read but could not keep ([`Read`]).

pub mod actions;
pub mod aiken;
pub mod api;
pub mod gift;
pub mod html;
pub mod live;
pub mod moodle;
pub mod pages;
pub mod pools;
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
    /// Items each matched to one of a list of answers; each right pair scores its share.
    Matching,
    /// An answer in the participant's own words, which no program scores: kept in the bank, never
    /// drawn.
    Essay,
    /// A text among the questions (a passage, an instruction), asking nothing: kept, never drawn.
    Description,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Self; 8] = [
        Self::Single,
        Self::Multiple,
        Self::TrueFalse,
        Self::Fill,
        Self::Numerical,
        Self::Matching,
        Self::Essay,
        Self::Description,
    ];

    /// The kinds a quiz scores by itself, and so draws.
    pub const SCORED: [Self; 6] =
        [Self::Single, Self::Multiple, Self::TrueFalse, Self::Fill, Self::Numerical, Self::Matching];

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
            Self::Matching => "matching",
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
            "matching" | "配对" | "配对题" | "连线题" => Some(Self::Matching),
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

/// The most levels of a category path, and the longest name of one level.
pub const CATEGORY_DEPTH: usize = 5;
const CATEGORY_NAME_CHARS: usize = 40;

/// A category as the bank keeps it, from the name or path a file or form gives, or nothing when
/// it names none. Categories form a tree written as a path (`home/电气`); any name is taken, so
/// a file from elsewhere is never refused for its categories. The rule:
/// - levels are apart by `/`, each trimmed, empty ones dropped;
/// - Moodle's context (`$course$`, `$system$`, `$module$`, `$cat1$`…) and its top level (`top`,
///   `Default for …`, `默认…`) are left out, as is the `firecast` level of earlier exports;
/// - a level named as one of the built-in [`CATEGORIES`] (by its code or its name in any
///   language, 家庭防火 say) is written as that code, so 家庭防火/电气 and `home/电气` are one.
pub fn category_path(raw: &str) -> Option<String> {
    let mut levels: Vec<&str> = raw.split('/').map(str::trim).filter(|l| !l.is_empty()).collect();
    if levels.first().is_some_and(|l| l.len() > 2 && l.starts_with('$') && l.ends_with('$')) {
        levels.remove(0);
    }
    let top = |l: &str| {
        l.eq_ignore_ascii_case("top") || l.starts_with("Default for ") || l.starts_with("默认") || l == "firecast"
    };
    while levels.len() > 1 && levels.first().is_some_and(|l| top(l)) {
        levels.remove(0);
    }
    let levels: Vec<String> = levels
        .into_iter()
        .map(|l| {
            CATEGORIES
                .iter()
                .find(|code| {
                    l.eq_ignore_ascii_case(code)
                        || crate::i18n::Lang::ALL.iter().any(|lang| lang.t(&format!("quiz_category.{code}")) == l)
                })
                .map_or_else(|| l.to_owned(), |code| (*code).to_owned())
        })
        .collect();
    (!levels.is_empty()).then(|| levels.join("/"))
}

/// A category path as people read it: built-in levels by their name in `lang`
/// (`home/电气` is 家庭防火 › 电气).
pub fn category_label(lang: impl std::borrow::Borrow<crate::i18n::Lang>, path: &str) -> String {
    let lang = *lang.borrow();
    path.split('/')
        .map(|l| if CATEGORIES.contains(&l) { lang.t(&format!("quiz_category.{l}")).to_owned() } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join(" › ")
}

/// A category as the argument of a message: a built-in one by its name in the reader's
/// language, any other as written.
pub fn category_term(path: &str) -> String {
    if CATEGORIES.contains(&path) { term("quiz_category", path) } else { path.to_owned() }
}

/// Whether a question of category `path` falls under `within` (itself or a level below it).
pub fn category_within(path: &str, within: &str) -> bool {
    path.strip_prefix(within).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

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
    /// The answer of each item of a matching question, in the order of its items, and further
    /// answers that match none (distractors).
    Match {
        /// The answer of each item.
        pairs: Vec<String>,
        /// Answers offered that belong to no item.
        extra: Vec<String>,
    },
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Its kind.
    pub kind: Kind,
    /// Its name in the bank (GIFT's `::title::`, Moodle's `<name>`), or empty.
    #[serde(default)]
    pub title: String,
    /// Its category: a path in the tree of categories (see [`category_path`]).
    pub category: String,
    /// 1 easy, 2 medium, 3 hard.
    pub difficulty: u8,
    /// The question; a fill-in question holds one [`BLANK`]. When it has [`Question::html`],
    /// the words that shows.
    pub stem: String,
    /// The question as formatted text, a safe subset of HTML (see [`html`]), or empty for a
    /// plain one.
    #[serde(default)]
    pub html: String,
    /// The options of a choice question, in order (empty for the other kinds).
    pub options: Vec<String>,
    /// The right answer.
    pub answer: Answer,
    /// The share of the question's points each answer earns, in percent (−100…100): one weight
    /// an option of a choice question, or an answer of a fill-in or numerical question (where a
    /// weight of 0 or less keeps a wrong answer for its feedback). Empty: the bank's own rule,
    /// the right option, all right options and no other, or any accepted answer.
    #[serde(default)]
    pub weights: Vec<f64>,
    /// What the participant reads after giving an answer: one text an option of a choice
    /// question, or an answer of a fill-in or numerical question; for true/false, after
    /// answering true and after answering false. Empty when there is none.
    #[serde(default)]
    pub feedback: Vec<String>,
    /// Why, shown after the quiz.
    pub explanation: String,
    /// What it rests on (a law's article, a standard, official guidance).
    pub source: String,
}

// Weights are checked finite (`Question::check`), so equality is an equivalence.
impl Eq for Question {}

/// How close a weight must come to 100 % to give full marks (Moodle writes a third as 33.33333).
const FULL: f64 = 99.99;

/// Letters of options: A for the first.
pub fn letter(i: usize) -> char {
    char::from(b'A' + u8::try_from(i % 26).unwrap_or(0))
}

/// A matching question's items each with its answer: 甲 → 1；乙 → 2.
pub fn pairs_text(items: &[String], answers: &[String]) -> String {
    items.iter().zip(answers).map(|(i, a)| format!("{i} → {a}")).collect::<Vec<_>>().join("；")
}

/// The most options a choice question may have.
pub const MAX_OPTIONS: usize = 8;

impl Question {
    /// A question with no title, weights, feedback, explanation or source.
    pub fn new(kind: Kind, category: &str, difficulty: u8, stem: String, options: Vec<String>, answer: Answer) -> Self {
        Self {
            kind,
            title: String::new(),
            category: category.to_owned(),
            difficulty,
            stem,
            html: String::new(),
            options,
            answer,
            weights: Vec::new(),
            feedback: Vec::new(),
            explanation: String::new(),
            source: String::new(),
        }
    }

    /// Checks the question is whole and consistent; the message names the part at fault.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let text_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= 2000;
        if !text_ok(&self.stem) {
            return Err(("stem", "error.stem_length".into()));
        }
        if !self.html.is_empty() && (html::clean(&self.html) != self.html || html::text(&self.html) != self.stem) {
            return Err(("stem", "error.html_stem".into()));
        }
        if self.title.chars().count() > 200 {
            return Err(("title", "error.title_length".into()));
        }
        // Invisible control characters (a NUL, say) come from damaged files; PostgreSQL refuses them.
        let clean = |s: &String| !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        let answers: Vec<&String> = match &self.answer {
            Answer::Text(accepted) => accepted.iter().collect(),
            Answer::Match { pairs, extra } => pairs.iter().chain(extra).collect(),
            _ => Vec::new(),
        };
        for (part, texts) in [
            ("title", vec![&self.title]),
            ("stem", vec![&self.stem, &self.html]),
            ("options", self.options.iter().collect()),
            ("answer", answers),
            ("feedback", self.feedback.iter().collect()),
            ("explanation", vec![&self.explanation]),
            ("source", vec![&self.source]),
        ] {
            if !texts.into_iter().all(clean) {
                return Err((part, "error.control_character".into()));
            }
        }
        let levels_ok = |p: &str| {
            p.split('/').count() <= CATEGORY_DEPTH && p.split('/').all(|l| l.chars().count() <= CATEGORY_NAME_CHARS)
        };
        if category_path(&self.category).as_deref() != Some(self.category.as_str()) || !levels_ok(&self.category) {
            let (depth, chars) = (CATEGORY_DEPTH.to_string(), CATEGORY_NAME_CHARS.to_string());
            return Err(("category", keyed("error.quiz_category", &[&self.category, &depth, &chars])));
        }
        if !(1..=3).contains(&self.difficulty) {
            return Err(("difficulty", "error.difficulty_named".into()));
        }
        self.check_answer(text_ok)?;
        self.check_weights_and_feedback()
    }

    fn check_answer(&self, text_ok: impl Fn(&str) -> bool) -> Result<(), (&'static str, String)> {
        let items_ok = |min: usize| {
            let n = self.options.len();
            if !(min..=MAX_OPTIONS).contains(&n) {
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
            Ok(())
        };
        let no_options = |key: &str| if self.options.is_empty() { Ok(()) } else { Err(("options", key.to_owned())) };
        let short = |a: &String| !a.trim().is_empty() && a.chars().count() <= 100;
        match (self.kind, &self.answer) {
            (Kind::Single | Kind::Multiple, Answer::Choice(picked)) => {
                items_ok(2)?;
                let n = self.options.len();
                if picked.iter().any(|&i| i >= n) || picked.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(("answer", keyed("error.answer_letters", &[&letter(n - 1).to_string()])));
                }
                // Weights may make several options worth full marks (Moodle's `=a =b ~c`).
                match (self.kind, picked.len()) {
                    (Kind::Single, 1) => {}
                    (Kind::Single, k) if k > 1 && !self.weights.is_empty() => {}
                    (Kind::Single, k) => {
                        return Err(("answer", keyed("error.single_answer", &[&k.to_string()])));
                    }
                    (_, 0 | 1) => return Err(("answer", "error.multiple_answers".into())),
                    _ => {}
                }
            }
            (Kind::TrueFalse, Answer::Truth(_)) => no_options("error.truth_options")?,
            (Kind::Fill, Answer::Text(accepted)) => {
                if self.stem.matches(BLANK).count() != 1 {
                    return Err(("stem", keyed("error.fill_blank", &[BLANK])));
                }
                if accepted.is_empty() || !accepted.iter().all(short) {
                    return Err(("answer", "error.fill_answers".into()));
                }
                no_options("error.fill_options")?;
            }
            (Kind::Numerical, Answer::Number(keys)) => {
                if keys.is_empty() || keys.iter().any(|k| NumberKey::parse(&k.text()).is_none()) {
                    return Err(("answer", "error.number_answers".into()));
                }
                no_options("error.fill_options")?;
            }
            (Kind::Matching, Answer::Match { pairs, extra }) => {
                items_ok(2)?;
                if pairs.len() != self.options.len() || !pairs.iter().chain(extra).all(short) {
                    return Err(("answer", "error.match_answers".into()));
                }
                if extra.iter().any(|e| pairs.contains(e)) {
                    return Err(("answer", "error.match_extra".into()));
                }
            }
            (Kind::Essay | Kind::Description, Answer::Open) => no_options("error.open_options")?,
            _ => return Err(("answer", keyed("error.answer_fits", &[&term("quiz_kind", self.kind.as_str())]))),
        }
        Ok(())
    }

    /// How many weights or feedback texts the answer takes (one an option or accepted answer);
    /// for feedback, true/false takes two.
    fn per_answer(&self, feedback: bool) -> usize {
        match &self.answer {
            Answer::Choice(_) => self.options.len(),
            Answer::Text(accepted) => accepted.len(),
            Answer::Number(keys) => keys.len(),
            Answer::Truth(_) if feedback => 2,
            Answer::Truth(_) | Answer::Match { .. } | Answer::Open => 0,
        }
    }

    fn check_weights_and_feedback(&self) -> Result<(), (&'static str, String)> {
        let n = self.per_answer(true);
        if !(self.feedback.is_empty() || self.feedback.len() == n)
            || self.feedback.iter().any(|f| f.chars().count() > 2000)
        {
            return Err(("feedback", keyed("error.feedback_count", &[&n.to_string()])));
        }
        let w = &self.weights;
        if w.is_empty() {
            return Ok(());
        }
        let n = self.per_answer(false);
        if n == 0 || w.len() != n {
            return Err(("weights", keyed("error.weights_count", &[&n.to_string()])));
        }
        if w.iter().any(|w| !w.is_finite() || !(-100.0..=100.0).contains(w)) {
            return Err(("weights", "error.weights_range".into()));
        }
        let positive: f64 = w.iter().filter(|w| **w > 0.0).sum();
        let ok = match (&self.answer, self.kind) {
            (Answer::Choice(picked), Kind::Multiple) => {
                (positive - 100.0).abs() <= 0.5 && *picked == (0..n).filter(|&i| w[i] > 0.0).collect::<Vec<_>>()
            }
            (Answer::Choice(picked), _) => *picked == (0..n).filter(|&i| w[i] >= FULL).collect::<Vec<_>>(),
            _ => w.iter().any(|w| *w >= FULL),
        };
        if ok { Ok(()) } else { Err(("weights", "error.weights_full".into())) }
    }

    /// The share of the question's points an answer earns, 0 to 1: by the weights when the
    /// question has them (a multiple choice adds the weights of the options picked, a matching
    /// question scores each right pair its share), else 1 for the right answer and 0 for any other.
    pub fn credit(&self, given: &Answer) -> f64 {
        let share = |w: f64| if w >= FULL { 1.0 } else { (w / 100.0).clamp(0.0, 1.0) };
        let weight = |i: usize| self.weights.get(i).map_or(1.0, |w| share(*w));
        match (&self.answer, given) {
            (Answer::Choice(right), Answer::Choice(picked)) => {
                let mut picked = picked.clone();
                picked.sort_unstable();
                picked.dedup();
                match (self.weights.is_empty(), self.kind) {
                    (true, _) => f64::from(u8::from(&picked == right)),
                    (false, Kind::Single) => match picked[..] {
                        [i] => weight(i),
                        _ => 0.0,
                    },
                    (false, _) => share(picked.iter().filter_map(|&i| self.weights.get(i)).sum()),
                }
            }
            (Answer::Truth(right), Answer::Truth(said)) => f64::from(u8::from(right == said)),
            (Answer::Text(accepted), Answer::Text(typed)) => typed.first().map_or(0.0, |t| {
                let t = normalise(t);
                accepted
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| normalise(a) == t)
                    .map(|(i, _)| weight(i))
                    .fold(0.0, f64::max)
            }),
            (Answer::Number(keys), Answer::Text(typed)) => typed.first().map_or(0.0, |t| {
                keys.iter().enumerate().filter(|(_, k)| k.hit(t)).map(|(i, _)| weight(i)).fold(0.0, f64::max)
            }),
            (Answer::Match { pairs, .. }, Answer::Text(given)) if given.len() == pairs.len() && !pairs.is_empty() => {
                let right = pairs.iter().zip(given).filter(|(p, g)| normalise(p) == normalise(g)).count();
                f64::from(u32::try_from(right).unwrap_or(0)) / f64::from(u32::try_from(pairs.len()).unwrap_or(1))
            }
            _ => 0.0,
        }
    }

    /// The least time, in milliseconds, anyone takes to read this question and answer it; an
    /// answer sooner than this was not read.
    pub fn reading_ms(&self) -> i64 {
        let answers: usize = match &self.answer {
            Answer::Match { pairs, extra } => pairs.iter().chain(extra).map(|a| a.chars().count()).sum(),
            _ => 0,
        };
        let chars = self.stem.chars().count() + self.options.iter().map(|o| o.chars().count()).sum::<usize>() + answers;
        TOO_FAST_MS + READ_MS_PER_CHAR * i64::try_from(chars).unwrap_or(i64::MAX / READ_MS_PER_CHAR)
    }

    /// The answers that earn full marks, to show as the right answer: without the answers a
    /// short answer or numerical question keeps for part marks or for their feedback.
    pub fn full_marks(&self) -> Answer {
        let full = |i: usize| self.weights.get(i).is_none_or(|w| *w >= FULL);
        match &self.answer {
            Answer::Text(accepted) => {
                Answer::Text(accepted.iter().enumerate().filter(|(i, _)| full(*i)).map(|(_, a)| a.clone()).collect())
            }
            Answer::Number(keys) => {
                Answer::Number(keys.iter().enumerate().filter(|(i, _)| full(*i)).map(|(_, k)| *k).collect())
            }
            other => other.clone(),
        }
    }

    /// Whether a participant's answer earns full marks: options by position, `true`/`false`, or
    /// text (compared without surrounding spaces and case).
    pub fn is_right(&self, given: &Answer) -> bool {
        self.credit(given) >= 1.0
    }

    /// The feedback on the answer given (each option picked, the accepted answer typed, true or
    /// false), where the question has some.
    pub fn feedback_on(&self, given: &Answer) -> Vec<&str> {
        let at = |i: usize| self.feedback.get(i).map(String::as_str).filter(|f| !f.is_empty());
        match (&self.answer, given) {
            (Answer::Choice(_), Answer::Choice(picked)) => picked.iter().filter_map(|&i| at(i)).collect(),
            (Answer::Truth(_), Answer::Truth(said)) => at(usize::from(!*said)).into_iter().collect(),
            (Answer::Text(accepted), Answer::Text(typed)) => typed
                .first()
                .and_then(|t| accepted.iter().position(|a| normalise(a) == normalise(t)))
                .and_then(at)
                .into_iter()
                .collect(),
            (Answer::Number(keys), Answer::Text(typed)) => {
                typed.first().and_then(|t| keys.iter().position(|k| k.hit(t))).and_then(at).into_iter().collect()
            }
            _ => Vec::new(),
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

/// The category a form or query names for questions that do not say, as the bank keeps it
/// (see [`category_path`]); home fire safety when it names none.
pub fn default_category(named: Option<&str>) -> String {
    named.and_then(category_path).unwrap_or_else(|| Defaults::default().category)
}

/// What a reader made of a file: its questions with the line each starts at, the pictures they
/// show, and what it read but could not keep (an image outside the question text, Markdown), by
/// line and part, so that nothing is lost silently.
#[derive(Clone, Debug, Default)]
pub struct Read {
    /// The questions and their lines.
    pub questions: Vec<(usize, Question)>,
    /// What was not kept.
    pub warnings: Vec<FormatError>,
    /// The pictures the questions' HTML shows (as [`html::image_src`] of [`Image::sha256`]), as
    /// the file holds them: an import cleans each before it is kept.
    pub images: Vec<Image>,
}

/// A picture a file holds for a question.
#[derive(Clone, Debug)]
pub struct Image {
    /// The line of its question.
    pub line: usize,
    /// The SHA-256 (hex) of its bytes as the file holds them.
    pub sha256: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Image {
    /// A picture by its bytes.
    pub fn new(line: usize, bytes: Vec<u8>) -> Self {
        use sha2::Digest as _;
        Self { line, sha256: format!("{:x}", sha2::Sha256::digest(&bytes)), bytes }
    }
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
        Ok(Read { questions: out, warnings, images: Vec::new() })
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
/// `pictures` are the JPEGs of the pictures the questions show, by their SHA-256: Moodle XML
/// carries them in the file; the other formats name them by their address in this installation.
pub fn write(
    format: Format,
    questions: &[Question],
    pictures: &std::collections::HashMap<String, Vec<u8>>,
) -> Result<Vec<u8>, String> {
    match format {
        Format::Csv => Ok(table::csv(questions)),
        Format::Xlsx => table::xlsx(questions),
        Format::Gift => Ok(gift::write(questions).into_bytes()),
        Format::Moodle => Ok(moodle::write(questions, pictures).into_bytes()),
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
                c => Some(category_path(c).ok_or_else(|| bad(n + 1, keyed("error.blueprint_category", &[c])))?),
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
    pub(crate) kind: Kind,
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
            .filter(|q| line.category.as_ref().is_none_or(|c| category_within(&q.category, c)))
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
                        &line.category.as_deref().map_or_else(|| term("error", "any_category"), |c| category_term(c)),
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

    /// The points of one answer earning `credit` (0 to 1, see [`Question::credit`]):
    /// `elapsed_ms` since the question was shown, `per_question_ms` the time one question has on
    /// average.
    pub fn points(self, credit: f64, elapsed_ms: i64, per_question_ms: i64) -> i64 {
        let full = match self {
            Self::Accuracy => 10,
            Self::Speed => {
                let t = elapsed_ms.clamp(0, per_question_ms.max(1));
                1000 - 500 * t / per_question_ms.max(1)
            }
        };
        // At most 1000 points, so the product is exact in an f64.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let points = (full as f64 * credit.clamp(0.0, 1.0)).round() as i64;
        points
    }
}

/// The least time anyone takes to read a question and answer it: this much, and
/// [`READ_MS_PER_CHAR`] more for each character of its text, options and answers offered.
pub const TOO_FAST_MS: i64 = 800;
/// What each character of a question adds to the least time it takes (3,000 characters a
/// minute: faster than anyone reads, so a person is never flagged for reading quickly).
pub const READ_MS_PER_CHAR: i64 = 20;
/// New participants one address may register in an hour (a school's or a hall's shared
/// connection included; behind a proxy, see `--trusted-proxies`).
pub const NEW_PLAYERS_PER_HOUR: i64 = 200;
/// How many answers given sooner than their question can be read (see [`Question::reading_ms`])
/// flag an attempt.
pub const TOO_FAST_RUN: usize = 3;
/// Attempts from one device in one quiz beyond which it is flagged for review.
pub const DEVICE_ATTEMPTS_FLAG: i64 = 10;
/// Participants one browser (its keyed fingerprint: user agent, languages and network) registers
/// in a day; the attempts of the ones after are held back for staff to clear (`shared_device`),
/// since a cleared cookie is the cheapest way to a second identity (a school's room of identical
/// computers is held too, until staff clear it).
pub const FINGERPRINT_PLAYERS: i64 = 3;

/// The participant's answer in the stored order of options, from what they picked among the
/// options as shown (`order[shown] = stored`): for a matching question, the answer chosen for
/// each item as shown. Other answers pass through.
pub fn unshuffle(kind: Kind, given: &Answer, order: &[usize]) -> Result<Answer> {
    let bad_text = || Error::invalid("answer", "error.text_answer");
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
        Answer::Text(t) if t.iter().any(|t| t.chars().count() > 100) => Err(bad_text()),
        Answer::Text(shown) if kind == Kind::Matching => {
            if shown.len() != order.len() {
                return Err(bad_text());
            }
            let mut stored = vec![String::new(); order.len()];
            for (s, text) in order.iter().zip(shown) {
                *stored.get_mut(*s).ok_or_else(bad_text)? = text.clone();
            }
            Ok(Answer::Text(stored))
        }
        Answer::Text(t) if t.len() != 1 => Err(bad_text()),
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

    /// Any valid question: every kind, category paths, titles, weights and feedback.
    pub fn question() -> impl Strategy<Value = Question> {
        let kind = proptest::sample::select(Kind::ALL.to_vec());
        (
            kind,
            0..CATEGORIES.len(),
            1u8..=3,
            text(),
            proptest::collection::btree_set(text(), 2..6),
            any::<u64>(),
            (text(), text(), text()),
            proptest::collection::btree_set(text(), 1..3),
        )
            .prop_map(
                |(kind, cat, difficulty, stem, options, pick, (explanation, source, title), accepted)| {
                    let options: Vec<String> = options.into_iter().collect();
                    let accepted: Vec<String> = accepted.into_iter().collect();
                    let n = options.len();
                    let bit = |i: u32| pick >> i & 1 == 1;
                    let weighted = bit(20);
                    let (stem, options, answer, weights) = match kind {
                        Kind::Single => {
                            let right = usize::try_from(pick).unwrap_or(0) % n;
                            let weights: Vec<f64> = (0..n)
                                .map(|i| {
                                    if i == right {
                                        100.0
                                    } else if i == (right + 1) % n {
                                        50.0
                                    } else {
                                        0.0
                                    }
                                })
                                .collect();
                            (stem, options, Answer::Choice(vec![right]), if weighted { weights } else { Vec::new() })
                        }
                        Kind::Multiple => {
                            let mut picked: Vec<usize> = (0..n).filter(|i| pick >> i & 1 == 1).collect();
                            if picked.len() < 2 {
                                picked = vec![0, n - 1];
                            }
                            let share = (100.0 / picked.len() as f64 * 100_000.0).round() / 100_000.0;
                            let weights: Vec<f64> = (0..n)
                                .map(|i| {
                                    if picked.contains(&i) {
                                        share
                                    } else if bit(21) {
                                        -100.0
                                    } else {
                                        0.0
                                    }
                                })
                                .collect();
                            (stem, options, Answer::Choice(picked), if weighted { weights } else { Vec::new() })
                        }
                        Kind::TrueFalse => (stem, Vec::new(), Answer::Truth(pick % 2 == 0), Vec::new()),
                        Kind::Fill => {
                            let weights = if weighted && accepted.len() > 1 { vec![100.0, 0.0] } else { Vec::new() };
                            (format!("{stem}{BLANK}"), Vec::new(), Answer::Text(accepted.clone()), weights)
                        }
                        Kind::Numerical => {
                            let value = f64::from(u32::try_from(pick % 2000).unwrap_or(0)) - 1000.0;
                            let tolerance = [0.0, 0.5, 2.0][usize::try_from(pick >> 12).unwrap_or(0) % 3];
                            let mut keys = vec![NumberKey { value, tolerance }];
                            let mut weights = Vec::new();
                            if weighted {
                                keys.push(NumberKey { value: value + 10.0, tolerance: 1.0 });
                                weights = vec![100.0, 50.0];
                            }
                            (stem, Vec::new(), Answer::Number(keys), weights)
                        }
                        Kind::Matching => {
                            let pairs: Vec<String> = options.iter().map(|o| format!("{o}义")).collect();
                            let extra = accepted.iter().filter(|a| !pairs.contains(a)).cloned().collect();
                            (stem, options, Answer::Match { pairs, extra }, Vec::new())
                        }
                        Kind::Essay | Kind::Description => (stem, Vec::new(), Answer::Open, Vec::new()),
                    };
                    let category = match pick >> 24 & 3 {
                        0 | 1 => CATEGORIES[cat].to_owned(),
                        2 => format!("{}/电气 线路", CATEGORIES[cat]),
                        _ => "校园安全/实验室".to_owned(),
                    };
                    // A description asks nothing, so it has nothing to explain (GIFT could not hold it).
                    let explanation = if kind == Kind::Description { String::new() } else { explanation };
                    let html = if bit(25) && !stem.contains("  ") {
                        let escaped = stem.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                        format!("<p><b>{escaped}</b></p>")
                    } else {
                        String::new()
                    };
                    let mut q = Question {
                        kind,
                        title: if bit(22) { title } else { String::new() },
                        category,
                        difficulty,
                        html,
                        stem,
                        options,
                        answer,
                        weights,
                        feedback: Vec::new(),
                        explanation,
                        source,
                    };
                    if bit(23) {
                        q.feedback = (0..q.per_answer(true)).map(|i| format!("反馈{i}")).collect();
                    }
                    q
                },
            )
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
            let bytes = write(format, &bank, &Default::default()).unwrap();
            let back = plain(read(format, &bytes, &Defaults::default()).unwrap_or_else(|e| panic!("{format}: {e:?}")));
            assert_eq!(back, bank, "{format}");
        }
        let singles: Vec<Question> = bank.into_iter().filter(|q| q.kind == Kind::Single).collect();
        let bytes = write(Format::Aiken, &singles, &Default::default()).unwrap();
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
                kind: Kind::Single,
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
        assert_eq!(Scoring::Accuracy.points(1.0, 99_999, 1000), 10);
        assert_eq!(Scoring::Accuracy.points(0.0, 1, 1000), 0);
        assert_eq!(Scoring::Accuracy.points(0.5, 1, 1000), 5);
        assert_eq!(Scoring::Speed.points(1.0, 0, 20_000), 1000);
        assert_eq!(Scoring::Speed.points(1.0, 10_000, 20_000), 750);
        assert_eq!(Scoring::Speed.points(1.0, 60_000, 20_000), 500);
        assert_eq!(Scoring::Speed.points(1.0 / 3.0, 0, 20_000), 333);
        let choice = |v: Vec<usize>| Answer::Choice(v);
        assert_eq!(unshuffle(Kind::Multiple, &choice(vec![0, 2]), &[2, 0, 1]).unwrap(), choice(vec![1, 2]));
        assert!(unshuffle(Kind::Single, &choice(vec![3]), &[2, 0, 1]).is_err());
        let texts = |v: &[&str]| Answer::Text(v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(unshuffle(Kind::Matching, &texts(&["c", "a", "b"]), &[2, 0, 1]).unwrap(), texts(&["a", "b", "c"]));
        assert!(unshuffle(Kind::Matching, &texts(&["c", "a"]), &[2, 0, 1]).is_err(), "one answer an item");
        assert!(unshuffle(Kind::Fill, &texts(&["a", "b"]), &[]).is_err(), "one text for a blank");
    }

    #[test]
    fn weights_give_part_marks() {
        let texts = |v: &[&str]| Answer::Text(v.iter().map(|s| (*s).to_owned()).collect());
        let opts = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let mut multi = Question::new(
            Kind::Multiple,
            "home",
            1,
            "家中应配备".into(),
            opts(&["灭火器", "烟感", "汽油"]),
            Answer::Choice(vec![0, 1]),
        );
        assert_eq!(multi.credit(&Answer::Choice(vec![0])), 0.0, "all-or-nothing without weights");
        multi.weights = vec![50.0, 50.0, -100.0];
        assert!(multi.check().is_ok());
        assert_eq!(multi.credit(&Answer::Choice(vec![0])), 0.5);
        assert_eq!(multi.credit(&Answer::Choice(vec![1, 0])), 1.0);
        assert_eq!(multi.credit(&Answer::Choice(vec![0, 1, 2])), 0.0, "a wrong pick takes it all away");
        multi.weights = vec![33.33333, 33.33333, 33.33333];
        multi.answer = Answer::Choice(vec![0, 1, 2]);
        assert!(multi.check().is_ok() && multi.is_right(&Answer::Choice(vec![0, 1, 2])), "Moodle's thirds add up");
        multi.weights = vec![50.0, 20.0, 0.0];
        multi.answer = Answer::Choice(vec![0, 1]);
        assert_eq!(multi.check().unwrap_err().0, "weights", "70% is not a whole answer");

        let mut fill =
            Question::new(Kind::Fill, "home", 1, format!("火警电话是{BLANK}"), vec![], texts(&["119", "110", "120"]));
        fill.weights = vec![100.0, 0.0, -50.0];
        fill.feedback = vec!["对".into(), "110是匪警".into(), String::new()];
        assert!(fill.check().is_ok());
        assert!(fill.is_right(&texts(&["119"])));
        assert_eq!(fill.credit(&texts(&["110"])), 0.0, "a 0% answer is no answer");
        assert_eq!(fill.credit(&texts(&["120"])), 0.0, "nor is a negative one");
        assert_eq!(fill.feedback_on(&texts(&[" 110 "])), vec!["110是匪警"]);
        assert_eq!(fill.full_marks(), texts(&["119"]), "the right answer shown is the full-marks one");
        fill.weights = vec![50.0, 0.0, 0.0];
        assert_eq!(fill.check().unwrap_err().0, "weights", "none is worth full marks");

        let mut single = Question::new(
            Kind::Single,
            "home",
            1,
            "报警".into(),
            opts(&["119", "拨打119并说清地址", "110"]),
            Answer::Choice(vec![1]),
        );
        single.weights = vec![50.0, 100.0, 0.0];
        assert!(single.check().is_ok());
        assert_eq!((single.credit(&Answer::Choice(vec![0])), single.credit(&Answer::Choice(vec![0, 1]))), (0.5, 0.0));

        let mut truth =
            Question::new(Kind::TrueFalse, "home", 1, "可以乘电梯逃生".into(), vec![], Answer::Truth(false));
        truth.feedback = vec!["电梯会断电".into(), "对，走楼梯".into()];
        assert_eq!(truth.feedback_on(&Answer::Truth(true)), vec!["电梯会断电"]);
        truth.feedback.pop();
        assert_eq!(truth.check().unwrap_err().0, "feedback", "one after true, one after false");

        let matching = Question::new(
            Kind::Matching,
            "extinguisher",
            2,
            "连一连".into(),
            opts(&["油锅起火", "电器起火", "纸张起火"]),
            Answer::Match { pairs: opts(&["锅盖", "断电", "水"]), extra: opts(&["扇风"]) },
        );
        assert!(matching.check().is_ok());
        assert!(matching.is_right(&texts(&["锅盖", "断电", "水"])));
        assert_eq!(matching.credit(&texts(&["锅盖", "水", "断电"])), 1.0 / 3.0);
        assert_eq!(matching.credit(&texts(&["锅盖"])), 0.0, "one answer an item");
        let mut bad = matching.clone();
        bad.answer = Answer::Match { pairs: opts(&["锅盖", "断电", "水"]), extra: opts(&["水"]) };
        assert_eq!(bad.check().unwrap_err().0, "answer", "an extra answer that is some item's");
    }

    #[test]
    fn the_time_to_read_grows_with_the_question() {
        let short = Question::new(Kind::TrueFalse, "home", 1, "火警电话是119。".into(), vec![], Answer::Truth(true));
        assert_eq!(short.reading_ms(), TOO_FAST_MS + 9 * READ_MS_PER_CHAR);
        let long = Question::new(
            Kind::Single,
            "home",
            1,
            "家用独立式感烟火灾探测报警器一般应安装在哪里？".into(),
            vec!["卧室顶棚上".into(), "衣柜内部".into(), "燃气灶正上方".into(), "墙角".into()],
            Answer::Choice(vec![0]),
        );
        assert_eq!(long.reading_ms(), 800 + 20 * (23 + 17), "the options are read too");
    }

    #[test]
    fn categories_form_a_tree_from_any_name() {
        use rand::SeedableRng as _;
        for (raw, path) in [
            ("home", Some("home")),
            ("家庭防火", Some("home")),
            ("Home fire safety", Some("home")),
            ("$course$/top/家庭防火/电气", Some("home/电气")),
            ("$course$/top/Default for 消防/燃气安全", Some("gas")),
            ("$course$/firecast/escape", Some("escape")),
            (" 校园 / 实验室 ", Some("校园/实验室")),
            ("$system$/top", Some("top")),
            ("  /  ", None),
        ] {
            assert_eq!(category_path(raw).as_deref(), path, "{raw}");
        }
        assert_eq!(category_label(crate::i18n::Lang::Zh, "home/电气"), "家庭防火 › 电气");
        assert!(category_within("home/电气", "home") && category_within("home", "home"));
        assert!(!category_within("homes", "home") && !category_within("home", "home/电气"));
        let mut q = Question::new(Kind::TrueFalse, "a/b/c/d/e/f", 1, "x".into(), vec![], Answer::Truth(true));
        assert_eq!(q.check().unwrap_err().0, "category", "six levels");
        q.category = "家庭防火".into();
        assert_eq!(q.check().unwrap_err().0, "category", "kept as its code");
        q.category = "校园/实验室".into();
        assert!(q.check().is_ok());
        let pool: Vec<PoolQuestion> = ["home", "home/电气", "gas"]
            .iter()
            .enumerate()
            .map(|(i, c)| PoolQuestion {
                id: i as i64,
                kind: Kind::TrueFalse,
                category: (*c).into(),
                difficulty: 1,
                options: 0,
            })
            .collect();
        let b = Blueprint::parse("家庭防火 * 2").unwrap();
        assert_eq!(b.0[0].category.as_deref(), Some("home"));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut drawn: Vec<i64> = draw(&b, &pool, &mut rng).unwrap().into_iter().map(|d| d.0).collect();
        drawn.sort_unstable();
        assert_eq!(drawn, vec![0, 1], "a category draws from the levels below it");
    }

    #[test]
    fn answers_are_marked() {
        let q = Question::new(
            Kind::Multiple,
            "home",
            1,
            "家中应配备".into(),
            vec!["灭火器".into(), "烟感".into(), "汽油".into()],
            Answer::Choice(vec![0, 1]),
        );
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
