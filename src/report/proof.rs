//! The proofreading pass over the report's Chinese text: the slips a clerk would mark before
//! sending it (the rules of the writing guide). Each finding names its rule and quotes the place.
//!
//! - `punctuation`: two marks in a row (“，。”, “，，”), or a comma before a particle (“，的”);
//! - `quotes`: a quotation mark doubled (“““”), or “ opened inside “ instead of ‘;
//! - `iso_date`: `2024-11-08` in prose (dates read 2024年11月8日);
//! - `ascii`: an ASCII comma, semicolon, colon or bracket between Chinese characters;
//! - `doubled_verb`: 开展 twice in one clause (开展“……开展……”);
//! - `number_style`: 10.9万 beside 46214 in one paragraph (one style a paragraph).

/// A slip found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    // 开展 twice in one clause.
    let mut start = 0;
    for clause in paragraph.split(['，', '。', '；', '：']) {
        if clause.matches("开展").count() > 1 {
            found("doubled_verb", start + clause.chars().count() / 2);
        }
        start += clause.chars().count() + 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        check(text).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn each_rule_finds_its_slip_and_leaves_good_text_alone() {
        let good = "2024年11月1日至30日，全省各地紧紧围绕“全民消防 生命至上”宣传主题，开展“‘平安寄递’消防安全提示贴纸投放”，发放宣传资料10.9万份，张贴海报4.6万张，开放消防场馆39场（次）。";
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
    }
}
