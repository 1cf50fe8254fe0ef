//! The proofreading pass over the report's Chinese text: the slips a clerk would mark before
//! sending it (the rules of the writing guide). Each finding names its rule and quotes the place.
//!
//! - `punctuation`: two marks in a row (“，。”, “，，”), or a comma before a particle (“，的”);
//! - `quotes`: a quotation mark doubled (“““”), or “ opened inside “ instead of ‘;
//! - `iso_date`: `2024-11-08` in prose (dates read 2024年11月8日);
//! - `ascii`: an ASCII comma, semicolon, colon or bracket between Chinese characters;
//! - `doubled_verb`: 开展 twice in one clause (开展“……开展……”);
//! - `number_style`: 10.9万 beside 46214 in one paragraph (one style a paragraph);
//! - `doubled_verb` also for 组织, 举办, 举行 and 发放 twice in a clause;
//! - `space`: a space between two Chinese characters outside a title in 《》 (“全民消防 生命至上” is
//!   written “全民消防、生命至上”);
//! - `label`: a table's label as prose, a count right after 数 (培训人数5000人);
//! - `rounding`: a figure written as more, or less, than it is: N余 above the figure or more than a
//!   tenth below it, 近N below it or more than a tenth above it, a plain number other than it;
//! - `two_ways`: one figure of the same records written two ways in the report.

use std::collections::HashMap;

use super::{Section, Segment};

/// A slip found in a text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// Which rule.
    pub rule: &'static str,
    /// The place, quoted with a few characters around it.
    pub at: String,
}

fn excerpt(chars: &[char], i: usize) -> String {
    chars[i.saturating_sub(6)..(i + 6).min(chars.len())].iter().collect()
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The findings in one paragraph.
pub fn check(paragraph: &str) -> Vec<Finding> {
    const MARKS: &str = "，、；：。";
    let chars: Vec<char> = paragraph.chars().collect();
    let mut out = Vec::new();
    let mut found = |rule: &'static str, i: usize| out.push(Finding { rule, at: excerpt(&chars, i) });
    let mut depth = 0;
    for (i, pair) in chars.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        if MARKS.contains(a) && (MARKS.contains(b) || b == '的') {
            found("punctuation", i);
        }
        if (a == '“' && b == '“') || (a == '”' && b == '”') {
            found("quotes", i);
        }
    }
    for (i, c) in chars.iter().enumerate() {
        match c {
            '“' => {
                depth += 1;
                if depth > 1 {
                    found("quotes", i);
                }
            }
            '”' => depth -= 1,
            ',' | ';' | ':' | '(' | ')'
                if chars.get(i.wrapping_sub(1)).is_some_and(|p| is_cjk(*p))
                    || chars.get(i + 1).is_some_and(|n| is_cjk(*n)) =>
            {
                found("ascii", i);
            }
            _ => {}
        }
    }
    // Dates in ISO form.
    for i in 0..chars.len().saturating_sub(9) {
        let w = &chars[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(char::is_ascii_digit);
        if digits(0..4) && w[4] == '-' && digits(5..7) && w[7] == '-' && digits(8..10) {
            found("iso_date", i);
        }
    }
    // A verb twice in one clause.
    let mut start = 0;
    for clause in paragraph.split(['，', '。', '；', '：']) {
        if ["开展", "组织", "举办", "举行", "发放"].iter().any(|v| clause.matches(v).count() > 1) {
            found("doubled_verb", start + clause.chars().count() / 2);
        }
        start += clause.chars().count() + 1;
    }
    // A space between Chinese characters, outside 《》; a count right after 数.
    let mut title = 0;
    for (i, c) in chars.iter().enumerate() {
        match c {
            '《' => title += 1,
            '》' => title -= 1,
            ' ' | '\u{3000}'
                if title == 0
                    && chars.get(i.wrapping_sub(1)).is_some_and(|p| is_cjk(*p))
                    && chars.get(i + 1).is_some_and(|n| is_cjk(*n)) =>
            {
                found("space", i);
            }
            '数' if chars.get(i + 1).is_some_and(char::is_ascii_digit) => found("label", i),
            _ => {}
        }
    }
    // One number style a paragraph: counts in 万 and counts of five digits or more.
    let (mut wan, mut long) = (None, None);
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let begin = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let digits = chars[begin..i].iter().filter(|c| c.is_ascii_digit()).count();
            match chars.get(i) {
                Some('万') => wan = wan.or(Some(begin)),
                Some('年') => {}
                _ if digits >= 5 && !chars[begin..i].contains(&'.') => long = long.or(Some(begin)),
                _ => {}
            }
        } else {
            i += 1;
        }
    }
    if let (Some(_), Some(at)) = (wan, long) {
        found("number_style", at);
    }
    out
}

/// What a written figure says of the value: (base, `余`, `近`), 105万 → (1050000, false, false).
fn written(text: &str) -> Option<(f64, bool, bool)> {
    let near = text.starts_with('近');
    let body: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '万').collect();
    let (digits, wan) = body.strip_suffix('万').map_or((body.as_str(), false), |d| (d, true));
    let n: f64 = digits.parse().ok()?;
    Some((if wan { n * 10_000.0 } else { n }, text.contains('余'), near))
}

/// Whether a figure as written tells its value honestly (see `rounding`).
fn honest(text: &str, value: i64) -> bool {
    let Some((base, more, near)) = written(text) else { return true };
    #[allow(clippy::cast_precision_loss)]
    let v = value as f64;
    if more {
        base < v && (v - base) * 10.0 < v
    } else if near {
        base > v && (base - v) * 10.0 < base
    } else if text.contains('万') {
        // Rounded to the shown decimal of 万: within half of its last place.
        let places = text.split('.').nth(1).map_or(0, |d| d.chars().filter(char::is_ascii_digit).count());
        let half = 10_000.0 / 10_f64.powi(i32::try_from(places).unwrap_or(0)) / 2.0;
        (base - v).abs() <= half
    } else {
        (base - v).abs() < 0.5
    }
}

/// The findings in a report's text: every paragraph's, the figures' rounding, and one figure
/// written two ways.
pub fn check_sections(sections: &[Section]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ways: HashMap<(&str, i64), &str> = HashMap::new();
    for p in sections.iter().flat_map(|s| &s.paragraphs) {
        out.extend(check(&p.plain()));
        for s in &p.segments {
            let Segment::Figure { text, href, value } = s else { continue };
            if !honest(text, *value) {
                out.push(Finding { rule: "rounding", at: format!("{text}（{value}）") });
            }
            // The same base with or without its unit is one way (80余 and 80余名).
            let first = *ways.entry((href.as_str(), *value)).or_insert(text.as_str());
            if first != text && written(first).map(|w| w.0) != written(text).map(|w| w.0) {
                out.push(Finding { rule: "two_ways", at: format!("{first} / {text}") });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        check(text).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn each_rule_finds_its_slip_and_leaves_good_text_alone() {
        let good = "2024年11月1日至30日，全省各地紧紧围绕“全民消防、生命至上”宣传主题，开展“‘平安寄递’消防安全提示贴纸投放”，发放宣传资料10.9万份，张贴海报4.6万张，开放消防场馆39场（次）。";
        assert_eq!(rules(good), Vec::<&str>::new());
        assert_eq!(rules("来自10支消防志愿服务队，的50名消防志愿者"), ["punctuation"]);
        assert_eq!(rules("发放宣传资料，。"), ["punctuation"]);
        assert_eq!(rules("开展““平安寄递”消防安全提示贴纸投放”"), ["quotes", "quotes"]);
        assert_eq!(rules("开展“消防宣讲团“送安全”活动”"), ["quotes"]);
        assert_eq!(rules("截至2024-11-30，全省"), ["iso_date"]);
        assert_eq!(rules("全省各地,紧紧围绕"), ["ascii"]);
        assert_eq!(rules("白山市消防救援支队开展“走进社区对社区工作者开展培训演练”。"), ["doubled_verb"]);
        assert_eq!(rules("发放宣传资料10.9万份，张贴海报、挂图、标语46214份。"), ["number_style"]);
        assert_eq!(rules("发放宣传资料99814份，张贴海报46214份，截至2024年11月30日。"), Vec::<&str>::new());
        assert_eq!(rules("组织开展“全民消防 生命至上”宣传活动"), ["space"]);
        assert_eq!(rules("播发《消防连着你我他 警察叔叔来喊话》短视频"), Vec::<&str>::new());
        assert_eq!(rules("培训人数5000人"), ["label"]);
        assert_eq!(rules("组织市县两级干部组织培训"), ["doubled_verb"]);
    }

    #[test]
    fn figures_are_rounded_honestly() {
        assert!(honest("80余", 83));
        assert!(!honest("100余", 180), "180 → 100余 understates by 44%");
        assert!(!honest("400余", 470));
        assert!(!honest("90余", 83), "余 above the figure");
        assert!(honest("近4万", 39_600));
        assert!(!honest("近4万", 40_000));
        assert!(honest("105万", 1_050_000));
        assert!(honest("104.7万", 1_046_500));
        assert!(!honest("106万", 1_046_500));
        assert!(honest("28560", 28_560));
        assert!(!honest("28560", 28_561));
    }
}
