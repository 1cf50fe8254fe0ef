//! Moodle GIFT: questions separated by blank lines, answers in braces (`{=right ~wrong}`,
//! `{~%50%a ~%50%b ~c}`, `{TRUE}`, `{=119 =一一九}`, numbers `{#3.14:0.01}`), `{}` for an essay
//! and no braces for a description, `####` general feedback (our explanation), `$CATEGORY:`
//! lines, `//` comments (`// difficulty: 2` and `// source: …` carry what GIFT has no place for).
//! The special characters `~ = # { } :` are escaped with `\` in texts. Titles, feedback on
//! answers, `[html]`/`[markdown]` formatting and answers worth part marks are read but not kept,
//! and said.
//!
//! Refused, with the line: an unclosed or nested brace, a stray `}` or an unescaped `~ = #` in the
//! question text, a weight outside −100…100 % or positive weights not adding up to 100 %, a number
//! that is not one, and matching questions.

use std::fmt::Write as _;

use super::{Answer, BLANK, Defaults, FormatError, Kind, NumberKey, Question, Read, check_all, error_at, part_label};
use crate::i18n::keyed;

/// A character of a question block, and whether it was escaped.
type Ch = (char, bool);

fn unescape(raw: &str) -> Vec<Ch> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push(('\n', true)),
                Some(n @ ('~' | '=' | '#' | '{' | '}' | ':' | '%' | '\\')) => out.push((n, true)),
                Some(n) => {
                    out.push(('\\', true));
                    out.push((n, false));
                }
                None => out.push(('\\', true)),
            }
        } else {
            out.push((c, false));
        }
    }
    out
}

fn text(chs: &[Ch]) -> String {
    chs.iter().map(|c| c.0).collect::<String>().trim().to_owned()
}

/// Splits `chs` at every unescaped occurrence of `sep` (a string of plain characters).
fn split_at<'a>(chs: &'a [Ch], sep: &str) -> Vec<&'a [Ch]> {
    let sep: Vec<char> = sep.chars().collect();
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i + sep.len() <= chs.len() {
        if chs[i..i + sep.len()].iter().zip(&sep).all(|(c, s)| !c.1 && c.0 == *s) {
            parts.push(&chs[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&chs[start..]);
    parts
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// An answer's text escaped; a leading `%` too, so that it is not read as a weight.
fn escape_answer(s: &str) -> String {
    if s.starts_with('%') { format!("\\{}", escape(s)) } else { escape(s) }
}

/// One block of lines: where it starts, its comments, its text.
struct Block {
    line: usize,
    meta: Vec<(String, String)>,
    body: String,
}

fn blocks(input: &str, errors: &mut Vec<FormatError>, categories: &mut Vec<(usize, String)>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (n, line) in input.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if let Some(b) = current.take().filter(|b| !b.body.trim().is_empty()) {
                out.push(b);
            }
            continue;
        }
        if let Some(cat) = trimmed.strip_prefix("$CATEGORY:") {
            let name = cat.trim().rsplit('/').next().unwrap_or_default().trim().to_owned();
            if name.is_empty() {
                errors.push(error_at(n, "category", "error.gift_category_empty"));
            }
            categories.push((n, name));
            continue;
        }
        let b = current.get_or_insert_with(|| Block { line: n, meta: Vec::new(), body: String::new() });
        if let Some(comment) = trimmed.strip_prefix("//") {
            if let Some((k, v)) = comment.split_once(':') {
                b.meta.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            continue;
        }
        if !b.body.is_empty() {
            b.body.push('\n');
        }
        b.body.push_str(line);
    }
    if let Some(b) = current.filter(|b| !b.body.trim().is_empty()) {
        out.push(b);
    }
    out
}

/// Reads a GIFT file.
pub fn read(input: &str, defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let mut errors = Vec::new();
    let mut categories = Vec::new();
    let blocks = blocks(input, &mut errors, &mut categories);
    let mut read = Vec::with_capacity(blocks.len());
    let mut warnings = Vec::new();
    for b in blocks {
        let category = categories
            .iter()
            .rev()
            .find(|(at, _)| *at < b.line)
            .map_or_else(|| defaults.category.clone(), |(_, c)| c.clone());
        let mut lost = Vec::new();
        match question(&b, category, defaults, &mut lost) {
            Ok(q) => read.push((b.line, q)),
            Err((part, message)) => errors.push(error_at(b.line, part, message)),
        }
        warnings.extend(lost.into_iter().map(|(part, message)| error_at(b.line, part, message)));
    }
    check_all(read, errors, warnings, part_label)
}

/// Reads one question; what it cannot keep goes to `lost` (the part and why).
fn question(
    b: &Block,
    category: String,
    defaults: &Defaults,
    lost: &mut Vec<(&'static str, String)>,
) -> Result<Question, (&'static str, String)> {
    let mut difficulty = defaults.difficulty;
    let mut source = String::new();
    for (k, v) in &b.meta {
        match k.as_str() {
            "difficulty" => {
                difficulty = v.parse().map_err(|_| ("difficulty", keyed("error.difficulty_value", &[v])))?
            }
            "source" => source.clone_from(v),
            _ => {}
        }
    }
    let mut chs = unescape(b.body.trim());
    // A title ::…:: and a text-format marker [html] may lead.
    if chs.len() >= 2 && chs[..2].iter().all(|c| *c == (':', false)) {
        let end = (2..chs.len().saturating_sub(1))
            .find(|&i| chs[i] == (':', false) && chs[i + 1] == (':', false))
            .ok_or(("title", "error.gift_title_open".to_owned()))?;
        let title = text(&chs[2..end]);
        if !title.is_empty() {
            lost.push(("title", keyed("error.lost_title", &[&title])));
        }
        chs.drain(..end + 2);
    }
    let skip = chs.iter().take_while(|c| c.0.is_whitespace()).count();
    chs.drain(..skip);
    for marker in ["[html]", "[moodle]", "[plain]", "[markdown]"] {
        let m: Vec<char> = marker.chars().collect();
        if chs.len() >= m.len() && chs[..m.len()].iter().zip(&m).all(|(c, x)| !c.1 && c.0 == *x) {
            chs.drain(..m.len());
            if matches!(marker, "[html]" | "[markdown]") {
                let name = if marker == "[html]" { "HTML" } else { "Markdown" };
                lost.push(("stem", keyed("error.lost_format", &[name])));
            }
            break;
        }
    }
    let Some(open) = chs.iter().position(|c| *c == ('{', false)) else {
        // No answer block: a description, a text among the questions that asks nothing.
        if let Some(c) = chs.iter().find(|c| !c.1 && matches!(c.0, '~' | '=' | '#' | '}')) {
            return Err(("stem", keyed("error.gift_unescaped", &[&c.0.to_string(), "error.gift_before"])));
        }
        let stem = chs.iter().map(|c| c.0).collect::<String>().trim().to_owned();
        return Ok(Question {
            kind: Kind::Description,
            category,
            difficulty,
            stem,
            options: Vec::new(),
            answer: Answer::Open,
            explanation: String::new(),
            source,
        });
    };
    let close = chs[open + 1..]
        .iter()
        .position(|c| !c.1 && (c.0 == '}' || c.0 == '{'))
        .map(|i| i + open + 1)
        .filter(|&i| chs[i].0 == '}');
    let Some(close) = close else {
        let nested = chs[open + 1..].contains(&('{', false));
        return Err(("answer", if nested { "error.gift_nested_brace" } else { "error.gift_brace_open" }.to_owned()));
    };
    let (before, block, after) = (&chs[..open], &chs[open + 1..close], &chs[close + 1..]);
    for (part, what) in [(before, "error.gift_before"), (after, "error.gift_after")] {
        if let Some(c) = part.iter().find(|c| !c.1 && matches!(c.0, '~' | '=' | '#' | '}' | '{')) {
            return Err((
                "stem",
                if c.0 == '{' {
                    keyed("error.gift_two_blocks", &[what])
                } else {
                    keyed("error.gift_unescaped", &[&c.0.to_string(), what])
                },
            ));
        }
    }
    let (block, explanation) = match split_at(block, "####").as_slice() {
        [answers] => (*answers, String::new()),
        [answers, general] => (*answers, text(general)),
        _ => return Err(("explanation", "error.gift_two_feedbacks".to_owned())),
    };
    let (kind, options, answer, not_kept) = answers(block)?;
    lost.extend(not_kept.into_iter().map(|key| ("answer", key.to_owned())));
    let raw = |chs: &[Ch]| chs.iter().map(|c| c.0).collect::<String>();
    let (before, after) = (raw(before), raw(after));
    let (before, after) = (before.trim_start(), after.trim_end());
    let stem = match kind {
        Kind::Fill => format!("{before}{BLANK}{after}"),
        Kind::Essay => format!("{}{}", before.trim_end(), after).trim().to_owned(),
        _ if after.trim().is_empty() => before.trim_end().to_owned(),
        _ => format!("{before}{BLANK}{after}"),
    };
    Ok(Question { kind, category, difficulty, stem, options, answer, explanation, source })
}

/// What an answer block held that the bank does not keep, as message keys.
type NotKept = Vec<&'static str>;

/// The kind, options and answer an answer block describes, and what it held that the bank does
/// not keep (feedback on an answer, `#…`; partial credit).
fn answers(block: &[Ch]) -> Result<(Kind, Vec<String>, Answer, NotKept), (&'static str, String)> {
    let has_feedback = |parts: &[&[Ch]]| parts.iter().skip(1).any(|p| !text(p).is_empty());
    let feedback_kept = |lost: bool| if lost { vec!["error.lost_feedback"] } else { Vec::new() };
    let trimmed = text(block);
    let parts = split_at(block, "#");
    let head = parts[0];
    let word = text(head).to_uppercase();
    if matches!(word.as_str(), "T" | "TRUE" | "F" | "FALSE") {
        return Ok((
            Kind::TrueFalse,
            Vec::new(),
            Answer::Truth(word.starts_with('T')),
            feedback_kept(has_feedback(&parts)),
        ));
    }
    if trimmed.is_empty() {
        return Ok((Kind::Essay, Vec::new(), Answer::Open, Vec::new()));
    }
    if let Some(at) = block.iter().position(|c| !c.0.is_whitespace()).filter(|&i| block[i] == ('#', false)) {
        return numerical(&block[at + 1..]);
    }
    // Answers start at each unescaped = or ~.
    let mut items: Vec<(char, &[Ch])> = Vec::new();
    let mut start = None;
    for (i, c) in block.iter().enumerate() {
        if !c.1 && (c.0 == '=' || c.0 == '~') {
            if let Some((mark, s)) = start {
                items.push((mark, &block[s..i]));
            }
            start = Some((c.0, i + 1));
        } else if start.is_none() && !c.0.is_whitespace() {
            return Err(("answer", keyed("error.gift_answer_mark", &[&c.0.to_string()])));
        }
    }
    if let Some((mark, s)) = start {
        items.push((mark, &block[s..]));
    }
    let mut options = Vec::with_capacity(items.len());
    let mut feedback = false;
    let mut weights = Vec::with_capacity(items.len());
    for (mark, raw) in &items {
        let parts = split_at(raw, "#");
        feedback |= has_feedback(&parts);
        let raw = parts[0];
        if split_at(raw, "->").len() > 1 {
            return Err(("answer", "error.gift_matching".to_owned()));
        }
        let (weight, body) = weight(raw)?;
        options.push(text(body));
        weights.push((*mark, weight));
    }
    if options.iter().any(String::is_empty) {
        return Err(("options", "error.answer_empty".to_owned()));
    }
    let has_wrong = weights.iter().any(|(m, _)| *m == '~');
    if !has_wrong {
        // A short answer weighted 0% or less (=%0%110, =%-50%120) is a wrong answer kept for its
        // feedback, never an accepted one.
        let accepted = options.into_iter().zip(&weights).filter(|(_, (_, w))| w.is_none_or(|w| w > 0.0));
        return Ok((Kind::Fill, Vec::new(), Answer::Text(accepted.map(|(o, _)| o).collect()), feedback_kept(feedback)));
    }
    if weights.iter().any(|(m, w)| *m == '~' && w.is_some()) {
        let positive: f64 = weights.iter().filter_map(|(_, w)| *w).filter(|w| *w > 0.0).sum();
        if (positive - 100.0).abs() > 0.5 {
            return Err(("answer", keyed("error.gift_weights_sum", &[&positive.to_string()])));
        }
        let picked =
            weights.iter().enumerate().filter(|(_, (_, w))| w.is_some_and(|w| w > 0.0)).map(|(i, _)| i).collect();
        return Ok((Kind::Multiple, options, Answer::Choice(picked), feedback_kept(feedback)));
    }
    let picked: Vec<usize> = weights.iter().enumerate().filter(|(_, (m, _))| *m == '=').map(|(i, _)| i).collect();
    Ok((Kind::Single, options, Answer::Choice(picked), feedback_kept(feedback)))
}

/// A numerical answer block after its `#`: `119`, `3:0.5`, `1..5`, or several answers
/// `=119 =%50%120:1 ~0`. Answers weighted 100% (or not at all) are accepted; a partly weighted one
/// is not, since the bank scores whole answers only, and is said; one weighted 0% or less, or
/// marked `~`, is a wrong answer.
fn numerical(block: &[Ch]) -> Result<(Kind, Vec<String>, Answer, NotKept), (&'static str, String)> {
    let number = |chs: &[Ch]| -> Result<NumberKey, (&'static str, String)> {
        let t = text(chs);
        NumberKey::parse(&t).ok_or_else(|| ("answer", keyed("error.number_value", &[&t])))
    };
    let mut not_kept = Vec::new();
    let mut keys = Vec::new();
    if !block.iter().any(|c| !c.1 && (c.0 == '=' || c.0 == '~')) {
        let parts = split_at(block, "#");
        if parts.iter().skip(1).any(|p| !text(p).is_empty()) {
            not_kept.push("error.lost_feedback");
        }
        keys.push(number(parts[0])?);
    } else {
        let mut starts: Vec<usize> =
            block.iter().enumerate().filter(|(_, c)| !c.1 && (c.0 == '=' || c.0 == '~')).map(|(i, _)| i).collect();
        starts.push(block.len());
        if !text(&block[..starts[0]]).is_empty() {
            return Err(("answer", keyed("error.gift_answer_mark", &[&text(&block[..starts[0]])])));
        }
        for w in starts.windows(2) {
            let (mark, item) = (block[w[0]].0, &block[w[0] + 1..w[1]]);
            let parts = split_at(item, "#");
            if parts.iter().skip(1).any(|p| !text(p).is_empty()) && !not_kept.contains(&"error.lost_feedback") {
                not_kept.push("error.lost_feedback");
            }
            let (weight, body) = weight(parts[0])?;
            let key = number(body)?;
            match (mark, weight) {
                ('=', None) => keys.push(key),
                ('=', Some(w)) if w >= 100.0 => keys.push(key),
                ('=', Some(w)) if w > 0.0 => {
                    if !not_kept.contains(&"error.lost_partial") {
                        not_kept.push("error.lost_partial");
                    }
                }
                _ => {}
            }
        }
    }
    Ok((Kind::Numerical, Vec::new(), Answer::Number(keys), not_kept))
}

/// A leading `%n%` weight, checked to lie within −100…100.
fn weight(raw: &[Ch]) -> Result<(Option<f64>, &[Ch]), (&'static str, String)> {
    let first = raw.iter().position(|c| !c.0.is_whitespace());
    let Some(first) = first.filter(|&i| raw[i] == ('%', false)) else {
        return Ok((None, raw));
    };
    let close = raw[first + 1..]
        .iter()
        .position(|c| c.0 == '%')
        .map(|i| i + first + 1)
        .ok_or(("answer", "error.gift_weight_open".to_owned()))?;
    let number = text(&raw[first + 1..close]);
    let w: f64 = number.parse().map_err(|_| ("answer", keyed("error.gift_weight_number", &[&number])))?;
    if !(-100.0..=100.0).contains(&w) {
        return Err(("answer", keyed("error.gift_weight_range", &[&number])));
    }
    Ok((Some(w), &raw[close + 1..]))
}

/// Writes a bank as GIFT.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::new();
    let mut category = None;
    for q in questions {
        if category != Some(&q.category) {
            let _ = write!(out, "$CATEGORY: {}\n\n", q.category);
            category = Some(&q.category);
        }
        let _ = write!(out, "// difficulty: {}\n", q.difficulty);
        if !q.source.is_empty() {
            let _ = write!(out, "// source: {}\n", q.source.replace('\n', " "));
        }
        if q.kind == Kind::Description {
            let _ = write!(out, "{}\n\n", escape(&q.stem));
            continue;
        }
        let block = match &q.answer {
            Answer::Open => String::new(),
            Answer::Number(keys) => {
                format!("#{}", keys.iter().map(|k| format!("={}", k.text())).collect::<Vec<_>>().join(" "))
            }
            Answer::Truth(t) => (if *t { "TRUE" } else { "FALSE" }).to_owned(),
            Answer::Text(accepted) => {
                accepted.iter().map(|a| format!("={}", escape_answer(a))).collect::<Vec<_>>().join(" ")
            }
            Answer::Choice(picked) if q.kind == Kind::Single => q
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{}{}", if picked.contains(&i) { '=' } else { '~' }, escape_answer(o)))
                .collect::<Vec<_>>()
                .join(" "),
            Answer::Choice(picked) => {
                let share = 100.0 / f64::from(u32::try_from(picked.len()).unwrap_or(1));
                q.options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let w = if picked.contains(&i) {
                            format!("{share:.5}").trim_end_matches('0').trim_end_matches('.').to_owned()
                        } else {
                            "-100".to_owned()
                        };
                        format!("~%{w}%{}", escape(o))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let feedback = if q.explanation.is_empty() { String::new() } else { format!("####{}", escape(&q.explanation)) };
        let (before, after) = match q.kind {
            Kind::Fill => q.stem.split_once(BLANK).unwrap_or((&q.stem, "")),
            _ => (q.stem.as_str(), ""),
        };
        let _ = write!(out, "{}{{{block}{feedback}}}{}\n\n", escape(before), escape(after));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::i18n::Lang;
    use crate::quiz::tests::question;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn gift_round_trips(qs in proptest::collection::vec(question(), 1..6)) {
            let back = read(&write(&qs), &Defaults::default()).map(crate::quiz::plain).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(back, qs);
        }

        #[test]
        fn any_text_gives_questions_or_errors_never_a_panic(s in "[\\PC\\n{}~=#%:\\\\]{0,200}") {
            let _ = read(&s, &Defaults::default());
        }
    }

    #[test]
    fn moodle_gift_reads() {
        let input = "// a comment\n$CATEGORY: $course$/fire/escape\n\n::Q1:: 火灾时可以乘坐电梯逃生。{F####电梯可能断电。}\n\n\
                     ::Q2:: 火警电话是多少？{=119 ~110 ~120#不对}\n\n\
                     发生火灾应拨打{=119 =一一九}报警。\n\n\
                     家庭应配备哪些？{~%50%灭火器 ~%50%烟感报警器 ~%-100%汽油}\n";
        let qs = crate::quiz::plain(read(input, &Defaults::default()).unwrap());
        assert_eq!(qs.len(), 4);
        assert!(qs.iter().all(|q| q.category == "escape"));
        assert_eq!(qs[0].answer, Answer::Truth(false));
        assert_eq!(qs[0].explanation, "电梯可能断电。");
        assert_eq!((qs[1].kind, qs[1].answer.clone()), (Kind::Single, Answer::Choice(vec![0])));
        assert_eq!(qs[2].stem, "发生火灾应拨打____报警。");
        assert_eq!(qs[2].answer, Answer::Text(vec!["119".into(), "一一九".into()]));
        assert_eq!((qs[3].kind, qs[3].answer.clone()), (Kind::Multiple, Answer::Choice(vec![0, 1])));
    }

    #[test]
    fn essays_and_descriptions_are_kept() {
        let input = "$CATEGORY: escape\n\n::逃生::请简述家中起火时的逃生要点。{####低姿弯腰，湿毛巾捂口鼻。}\n\n\
                     以下三题关于电动自行车充电。\n\n写出你家的逃生路线 {} 并和家人演练。\n";
        let qs = crate::quiz::plain(read(input, &Defaults::default()).unwrap());
        assert_eq!(qs.len(), 3);
        assert_eq!((qs[0].kind, &qs[0].answer), (Kind::Essay, &Answer::Open));
        assert_eq!(
            (qs[0].stem.as_str(), qs[0].explanation.as_str()),
            ("请简述家中起火时的逃生要点。", "低姿弯腰，湿毛巾捂口鼻。")
        );
        assert_eq!((qs[1].kind, qs[1].stem.as_str()), (Kind::Description, "以下三题关于电动自行车充电。"));
        assert_eq!((qs[2].kind, qs[2].stem.as_str()), (Kind::Essay, "写出你家的逃生路线 并和家人演练。"));
        assert!(qs.iter().all(|q| !q.kind.is_scored()), "kept in the bank, never drawn");
        assert_eq!(crate::quiz::plain(read(&write(&qs), &Defaults::default()).unwrap()), qs);
    }

    #[test]
    fn what_the_bank_does_not_keep_is_said_by_line() {
        let input = "$CATEGORY: home\n\n::火警::火警电话是？{=119#对 ~110#错}\n\n[html]<b>电器</b>用完要断电。{T}\n\n家里应备灭火器。{TRUE#对#错}\n";
        let got = read(input, &Defaults::default()).unwrap();
        assert_eq!(got.questions.len(), 3);
        let said: Vec<(usize, &str, String)> =
            got.warnings.iter().map(|w| (w.row, w.column.as_str(), Lang::Zh.message(&w.message))).collect();
        assert_eq!(
            said,
            vec![
                (3, "error.quiz_part.title", "题目标题“火警”未保存".to_owned()),
                (3, "error.quiz_part.answer", "针对各选项的反馈未保存".to_owned()),
                (5, "error.quiz_part.stem", "HTML格式未保留，按纯文本保存".to_owned()),
                (7, "error.quiz_part.answer", "针对各选项的反馈未保存".to_owned()),
            ]
        );
        let plain = read("$CATEGORY: home\n\n火警电话是？{=119 ~110}\n", &Defaults::default()).unwrap();
        assert!(plain.warnings.is_empty(), "nothing lost, nothing said");
    }

    #[test]
    fn numerical_questions_take_values_tolerances_and_ranges() {
        let input = "$CATEGORY: home\n\n火警电话是多少？{#119}\n\n圆周率约为？{#3.14:0.01}\n\n\
                     高层住宅的高度超过多少米？{#27..27}\n\n1到5之间任选？{#1..5}\n\n\
                     几个安全出口？{# =2 =%50%1 ~%0%0#不对}\n";
        let got = read(input, &Defaults::default()).unwrap();
        let key = |v: f64, t: f64| NumberKey { value: v, tolerance: t };
        let answers: Vec<Answer> = got.questions.iter().map(|(_, q)| q.answer.clone()).collect();
        assert_eq!(
            answers,
            vec![
                Answer::Number(vec![key(119.0, 0.0)]),
                Answer::Number(vec![key(3.14, 0.01)]),
                Answer::Number(vec![key(27.0, 0.0)]),
                Answer::Number(vec![key(3.0, 2.0)]),
                Answer::Number(vec![key(2.0, 0.0)]),
            ]
        );
        let said: Vec<String> = got.warnings.iter().map(|w| Lang::Zh.message(&w.message)).collect();
        assert_eq!(
            said,
            vec!["部分得分的答案未保存（题库只按全对计分）", "针对各选项的反馈未保存"],
            "the 50% answer is not accepted"
        );
        let (_, pi) = &got.questions[1];
        assert!(pi.is_right(&Answer::Text(vec!["3.15".into()])) && !pi.is_right(&Answer::Text(vec!["3.2".into()])));
        let (_, range) = &got.questions[3];
        assert!(range.is_right(&Answer::Text(vec!["５".into()])) && !range.is_right(&Answer::Text(vec!["5.5".into()])));
        assert!(!range.is_right(&Answer::Text(vec!["三".into()])));
        let back = crate::quiz::plain(read(&write(&crate::quiz::plain(got)), &Defaults::default()).unwrap());
        assert_eq!(back.iter().map(|q| q.answer.clone()).collect::<Vec<_>>(), answers);
    }

    #[test]
    fn control_characters_are_refused_by_line() {
        for input in ["$CATEGORY: home\n\n说明\u{0}文字\n", "$CATEGORY: home\n\n火警电话{=11\u{1}9}\n"] {
            let e = read(input, &Defaults::default()).unwrap_err();
            assert_eq!((e[0].row, e[0].message.as_str()), (3, "error.control_character"), "{input:?}");
        }
    }

    #[test]
    fn a_short_answer_weighted_zero_or_less_is_not_accepted() {
        let qs = crate::quiz::plain(
            read("$CATEGORY: home\n\n火警电话是多少？{=119 =%0%110 =%-50%120}\n", &Defaults::default()).unwrap(),
        );
        assert_eq!(qs[0].answer, Answer::Text(vec!["119".into()]));
        let only_wrong = read("$CATEGORY: home\n\n火警电话？{=%0%110}\n", &Defaults::default()).unwrap_err();
        assert_eq!(only_wrong[0].row, 3, "no accepted answer is refused by its line");
    }

    #[test]
    fn broken_gift_is_refused_by_line() {
        let cases = [
            ("$CATEGORY: home\n\n灭火器{=ABC ~D\n", 3, "not closed"),
            ("$CATEGORY: home\n\n灭火器 {=A {~B}\n", 3, "'{'"),
            ("$CATEGORY: home\n\n1+1=2 {T}\n", 3, "unescaped '='"),
            ("$CATEGORY: home\n\n问题 # 一 {T}\n", 3, "unescaped '#'"),
            ("$CATEGORY: home\n\n问题 } {T}\n", 3, "unescaped '}'"),
            ("$CATEGORY: home\n\n多选 {~%150%甲 ~%-50%乙}\n", 3, "outside -100% to 100%"),
            ("$CATEGORY: home\n\n多选 {~%50%甲 ~%20%乙 ~丙}\n", 3, "add up to 70%"),
            ("$CATEGORY: home\n\n配对 {=甲 -> 1 =乙 -> 2 ~丙}\n", 3, "matching"),
            ("$CATEGORY: home\n\n数值 {#三}\n", 3, "is not a number"),
            ("$CATEGORY: home\n\n::标题 {T}\n", 3, "title"),
        ];
        for (input, line, says) in cases {
            let errors = read(input, &Defaults::default()).unwrap_err();
            assert_eq!(errors[0].row, line, "{input}: {errors:?}");
            let (en, zh) = (Lang::En.message(&errors[0].message), Lang::Zh.message(&errors[0].message));
            assert!(en.contains(says), "{input}: {en}");
            assert!(!zh.contains("error.") && !zh.chars().any(|c| c.is_ascii_lowercase()), "{input}: {zh}");
        }
        // One bad question refuses the file, and every bad one is named.
        let errors =
            read("$CATEGORY: home\n\n好 {T}\n\n坏 {=甲\n\n也坏 {~%200%a ~b}\n", &Defaults::default()).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![5, 7]);
    }
}
