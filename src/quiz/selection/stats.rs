//! The statistics of a quiz as staff read them: every drawn question with its facility and
//! discrimination index, and the weakest topics per region, computed by grouped queries in
//! `store.rs` over the finished attempts in the reader's scope.

use std::collections::HashMap;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use super::store::{self, PushEffect, Suggestion, WeakTopic};
use super::{MIN_ATTEMPTS, PREFECTURE_PATH_LEN, discrimination, facility};
use crate::db::Db;
use crate::org::Scope;
use crate::quiz::store::Quiz;
use crate::{Error, Result};

/// Answers a category needs in a region before it can be called weak, unless asked otherwise.
pub const DEFAULT_MIN_ANSWERS: i64 = 10;

/// How many weak categories are listed per region.
pub const WEAK_PER_REGION: i64 = 3;

/// A question's indexes.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuestionStat {
    pub(crate) question_id: i64,
    /// Its text.
    pub stem: String,
    pub(crate) category: String,
    /// Difficulty 1–3.
    pub difficulty: i64,
    /// Times drawn in finished attempts.
    pub answers: i64,
    /// Right answers.
    pub right_answers: i64,
    /// Share of right answers (0–1).
    pub facility: Option<f64>,
    /// `p_upper` − `p_lower` of the upper and lower 27% of attempts; none with too few attempts.
    pub discrimination: Option<f64>,
    /// Negative discrimination: the better participants got it wrong more often.
    pub check_key: bool,
}

/// The statistics of a quiz.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = QuizStats)]
pub struct Stats {
    /// Finished attempts counted.
    pub finished: i64,
    /// Fewer than 20 finished attempts: no discrimination indexes.
    pub too_few: bool,
    /// Questions, hardest first (lowest facility).
    pub hardest: Vec<QuestionStat>,
    /// Questions with a discrimination index, least discriminating first.
    pub least_discriminating: Vec<QuestionStat>,
    /// The weakest categories per region (the prefectures, or the chosen region's subdivisions).
    pub weak_topics: Vec<WeakTopic>,
}

/// The statistics of a quiz within the reader's scope; `region` is the region whose subdivisions
/// are compared (the province's prefectures when none).
pub async fn stats(db: &Db, scope: &Scope, quiz: &Quiz, region: Option<&str>, min_answers: i64) -> Result<Stats> {
    let finished = store::finished(db, scope, quiz.id).await?;
    let mut all: Vec<QuestionStat> = store::question_counts(db, scope, quiz.id)
        .await?
        .into_iter()
        .map(|c| {
            let d = discrimination(finished, (c.upper_n, c.upper_right), (c.lower_n, c.lower_right));
            QuestionStat {
                question_id: c.question_id,
                stem: c.stem,
                category: c.category,
                difficulty: c.difficulty,
                answers: c.answers,
                right_answers: c.right_answers,
                facility: facility(c.answers, c.right_answers),
                discrimination: d,
                check_key: d.is_some_and(|d| d < 0.0),
            }
        })
        .collect();
    all.sort_by(|a, b| {
        a.facility.unwrap_or(0.0).total_cmp(&b.facility.unwrap_or(0.0)).then(a.question_id.cmp(&b.question_id))
    });
    let mut least: Vec<QuestionStat> = all.iter().filter(|q| q.discrimination.is_some()).cloned().collect();
    least.sort_by(|a, b| {
        a.discrimination
            .unwrap_or(0.0)
            .total_cmp(&b.discrimination.unwrap_or(0.0))
            .then(a.question_id.cmp(&b.question_id))
    });
    let mut weak_topics = weak_topics(db, scope, quiz.id, region, min_answers, WEAK_PER_REGION).await?;
    follow_up(db, scope, quiz.id, &mut weak_topics, crate::clock::today()).await?;
    Ok(Stats { finished, too_few: finished < MIN_ATTEMPTS, hardest: all, least_discriminating: least, weak_topics })
}

/// The weakest categories of the subdivisions of `region` (by code; the prefecture-level regions
/// when none) within the scope, without their follow-up.
pub async fn weak_topics(
    db: &Db,
    scope: &Scope,
    quiz_id: i64,
    region: Option<&str>,
    min_answers: i64,
    per_region: i64,
) -> Result<Vec<WeakTopic>> {
    if min_answers < 1 {
        return Err(Error::invalid("min_answers", "error.at_least_one"));
    }
    let (within, len) = match region.filter(|r| !r.trim().is_empty()) {
        None => (scope.clone(), PREFECTURE_PATH_LEN),
        Some(code) => {
            let r = crate::org::store::region(db, scope, code.trim())
                .await
                .map_err(|_| Error::invalid("region", "error.region_outside"))?;
            let children = crate::org::store::region_children(db, scope, &r.code).await?;
            let len = children.first().map_or(r.path.len(), |c| c.path.len());
            (Scope::under(&r.path), len)
        }
    };
    store::weak_topics(db, scope, quiz_id, &within, len, min_answers, per_region).await
}

/// Products suggested per weak topic.
pub const SUGGESTIONS: i64 = 3;

/// Fewer answers than this before or after a push, and the page does not read a change from them.
pub const TREND_MIN_ANSWERS: i64 = 30;

/// What the product library calls a quiz category: the tag its products carry (none where no tag
/// fits) and a word their titles or texts hold. A category below a built-in one is its top
/// level's topic; any other is found by the name of its last level.
pub fn library_topic(category: &str) -> (&'static str, String) {
    let top = category.split('/').next().unwrap_or_default();
    let (tag, word) = match top {
        "home" => ("homes", "家庭"),
        "ebike" => ("ebike", "电动"),
        "gas" => ("gas", "燃气"),
        "escape" => ("", "逃生"),
        "extinguisher" => ("", "灭火器"),
        "fire_lane" => ("fire_lanes", "通道"),
        "high_rise" => ("high_rises", "高层"),
        "small_venue" => ("small_venues", "三小场所"),
        "forest" => ("forest_fire", "森林"),
        "regulation" => ("", "消防法"),
        "electric" => ("", "用电"),
        "fireworks" => ("spring_festival", "烟花"),
        "heating" => ("heating", "取暖"),
        _ => return ("", category.rsplit('/').next().unwrap_or_default().to_owned()),
    };
    (tag, word.to_owned())
}

/// Closes the loop for each weak topic: the approved products of the library on it (the
/// season's first, on `today`), and the latest push on it that reached the region with the
/// topic's right answers in the region before and since.
pub async fn follow_up(db: &Db, scope: &Scope, quiz_id: i64, topics: &mut [WeakTopic], today: Date) -> Result<()> {
    let theme = crate::push::Theme::of_season(today);
    let mut products: HashMap<String, Vec<Suggestion>> = HashMap::new();
    for t in topics {
        let (tag, word) = library_topic(&t.category);
        if !products.contains_key(&t.category) {
            let found = crate::push::store::on_topic(db, tag, &word, theme.as_str(), SUGGESTIONS).await?;
            let found = found.into_iter().map(|p| Suggestion { product_id: p.id, title: p.title }).collect();
            products.insert(t.category.clone(), found);
        }
        t.products = products.get(&t.category).cloned().unwrap_or_default();
        t.push = match crate::push::store::latest_on_topic(db, &t.region_path, tag, &word).await? {
            None => None,
            Some((push_id, at)) => {
                let (before, after) = store::rates_around(db, scope, quiz_id, &t.region_path, &t.category, at).await?;
                let too_few = before.answers.min(after.answers) < TREND_MIN_ANSWERS;
                Some(PushEffect { push_id, at, before, after, too_few })
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_a_topic_in_the_library() {
        assert_eq!(library_topic("校园/实验室"), ("", "实验室".to_owned()), "any other by its last level");
        for c in crate::quiz::CATEGORIES {
            let (tag, word) = library_topic(c);
            assert!(!word.is_empty(), "{c}");
            assert_eq!(library_topic(&format!("{c}/电气")), (tag, word.clone()), "a level below is its top's topic");
            assert!(tag.is_empty() || crate::push::is_tag(tag), "{c}: {tag}");
        }
    }
}
