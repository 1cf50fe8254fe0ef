//! Moodle GIFT: questions separated by blank lines, answers in braces (`{=right ~wrong}`,
//! `{~%50%a ~%50%b ~%-100%c}`, `{TRUE#wrong#right}`, `{=119 =%50%一一九}` or the one-answer
//! `{119}`, numbers `{#3.14:0.01}`, `{#1..5}`, `{#=2 =%50%1}`, matching `{=a -> 1 =b -> 2 = -> 3}`),
//! `{}` for an essay and no braces for a description, `::title::`, `#feedback` after an answer,
//! `####` general feedback (our explanation), `$CATEGORY:` paths (a category tree, see
//! [`super::category_path`]), `//` comments (`// difficulty: 2`, `// source: …` and
//! `// scoring: all-or-nothing` carry what GIFT has no place for). The special characters
//! `~ = # { } :` are escaped with `\` in texts. An `[html]` question keeps a safe subset of its
//! markup (see [`super::html`]), and so does a `[markdown]` one, read as HTML first.
//!
//! Refused, with the line: an unclosed or nested brace, a stray `}` or an unescaped `~ = #` in the
//! question text, a weight outside −100…100 % or positive weights of a multiple choice not adding
//! up to 100 %, and a number that is not one.

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
            match super::category_path(cat) {
                Some(path) => categories.push((n, path)),
                None => errors.push(error_at(n, "category", "error.gift_category_empty")),
            }
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
    let mut all_or_nothing = false;
    for (k, v) in &b.meta {
        match k.as_str() {
            "difficulty" => {
                difficulty = v.parse().map_err(|_| ("difficulty", keyed("error.difficulty_value", &[v])))?
            }
            "source" => source.clone_from(v),
            "scoring" => all_or_nothing = v == "all-or-nothing",
            _ => {}
        }
    }
    let mut chs = unescape(b.body.trim());
    // A title ::…:: and a text-format marker [html] may lead.
    let mut title = String::new();
    if chs.len() >= 2 && chs[..2].iter().all(|c| *c == (':', false)) {
        let end = (2..chs.len().saturating_sub(1))
            .find(|&i| chs[i] == (':', false) && chs[i + 1] == (':', false))
            .ok_or(("title", "error.gift_title_open".to_owned()))?;
        title = text(&chs[2..end]);
        chs.drain(..end + 2);
    }
    let skip = chs.iter().take_while(|c| c.0.is_whitespace()).count();
    chs.drain(..skip);
    let mut format = "[plain]";
    for marker in ["[html]", "[moodle]", "[plain]", "[markdown]"] {
        let m: Vec<char> = marker.chars().collect();
        if chs.len() >= m.len() && chs[..m.len()].iter().zip(&m).all(|(c, x)| !c.1 && c.0 == *x) {
            chs.drain(..m.len());
            format = marker;
            break;
        }
    }
    let mut q = Question {
        kind: Kind::Description,
        title,
        category,
        difficulty,
        stem: String::new(),
        html: String::new(),
        options: Vec::new(),
        answer: Answer::Open,
        weights: Vec::new(),
        feedback: Vec::new(),
        explanation: String::new(),
        source,
    };
    let Some(open) = chs.iter().position(|c| *c == ('{', false)) else {
        // No answer block: a description, a text among the questions that asks nothing.
        if let Some(c) = chs.iter().find(|c| !c.1 && matches!(c.0, '~' | '=' | '#' | '}')) {
            return Err(("stem", keyed("error.gift_unescaped", &[&c.0.to_string(), "error.gift_before"])));
        }
        q.stem = chs.iter().map(|c| c.0).collect::<String>().trim().to_owned();
        formatted(&mut q, format, lost);
        return Ok(q);
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
    let block = match split_at(block, "####").as_slice() {
        [answers] => *answers,
        [answers, general] => {
            q.explanation = text(general);
            answers
        }
        _ => return Err(("explanation", "error.gift_two_feedbacks".to_owned())),
    };
    answers(block, &mut q, lost)?;
    if all_or_nothing && q.kind == Kind::Multiple {
        q.weights.clear();
    }
    let raw = |chs: &[Ch]| chs.iter().map(|c| c.0).collect::<String>();
    let (before, after) = (raw(before), raw(after));
    let (before, after) = (before.trim_start(), after.trim_end());
    q.stem = match q.kind {
        Kind::Fill => format!("{before}{BLANK}{after}"),
        Kind::Essay => format!("{}{}", before.trim_end(), after).trim().to_owned(),
        _ if after.trim().is_empty() => before.trim_end().to_owned(),
        _ => format!("{before}{BLANK}{after}"),
    };
    formatted(&mut q, format, lost);
    Ok(q)
}

/// An `[html]` or `[markdown]` question keeps its formatting; the options and feedback of an
/// `[html]` one the text they show. Pictures from elsewhere (an address on the web) are not
/// kept, and said.
fn formatted(q: &mut Question, format: &str, lost: &mut Vec<(&'static str, String)>) {
    match format {
        "[html]" => {
            for t in q.options.iter_mut().chain(&mut q.feedback) {
                *t = super::html::decode(t);
            }
        }
        // The blank is written so that Markdown reads it as the underscores it is.
        "[markdown]" => q.stem = super::html::from_markdown(&q.stem.replace(BLANK, &"\\_".repeat(BLANK.len()))),
        _ => return,
    }
    q.html = super::html::formatted(&q.stem);
    let dropped =
        q.stem.to_ascii_lowercase().matches("<img").count().saturating_sub(super::html::images(&q.html).len());
    if dropped > 0 {
        lost.push(("stem", keyed("error.lost_images", &[&dropped.to_string()])));
    }
    q.stem = super::html::text(&q.stem);
}

/// One answer of a block: its mark (`=`, `~`, or none for the one-answer short form), weight,
/// text and feedback.
struct Item<'a> {
    mark: char,
    weight: Option<f64>,
    body: &'a [Ch],
    feedback: String,
}

/// Splits a block into its answers at each unescaped `=` or `~`.
fn items(block: &[Ch]) -> Result<Vec<Item<'_>>, (&'static str, String)> {
    let mut starts: Vec<usize> =
        block.iter().enumerate().filter(|(_, c)| !c.1 && (c.0 == '=' || c.0 == '~')).map(|(i, _)| i).collect();
    let lead = &block[..starts.first().copied().unwrap_or(block.len())];
    if !starts.is_empty() && !text(lead).is_empty() {
        return Err(("answer", keyed("error.gift_answer_mark", &[&text(lead)])));
    }
    let whole = starts.is_empty();
    starts.push(block.len());
    let spans: Vec<(char, &[Ch])> = if whole {
        vec![(' ', block)]
    } else {
        starts.windows(2).map(|w| (block[w[0]].0, &block[w[0] + 1..w[1]])).collect()
    };
    spans
        .into_iter()
        .map(|(mark, raw)| {
            let parts = split_at(raw, "#");
            let feedback = parts.get(1).map(|p| text(p)).unwrap_or_default();
            let (weight, body) = weight(parts[0])?;
            Ok(Item { mark, weight, body, feedback })
        })
        .collect()
}

/// Fills in the kind, options, answer, weights and feedback an answer block describes.
fn answers(
    block: &[Ch],
    q: &mut Question,
    lost: &mut Vec<(&'static str, String)>,
) -> Result<(), (&'static str, String)> {
    let parts = split_at(block, "#");
    let word = text(parts[0]).to_uppercase();
    if matches!(word.as_str(), "T" | "TRUE" | "F" | "FALSE") {
        // {TRUE#shown when wrong#shown when right}; kept as after answering true, after false.
        let truth = word.starts_with('T');
        let (wrong, right) = (parts.get(1).map(|p| text(p)), parts.get(2).map(|p| text(p)));
        let (wrong, right) = (wrong.unwrap_or_default(), right.unwrap_or_default());
        if !wrong.is_empty() || !right.is_empty() {
            q.feedback = if truth { vec![right, wrong] } else { vec![wrong, right] };
        }
        (q.kind, q.answer) = (Kind::TrueFalse, Answer::Truth(truth));
        return Ok(());
    }
    if text(block).is_empty() {
        (q.kind, q.answer) = (Kind::Essay, Answer::Open);
        return Ok(());
    }
    if let Some(at) = block.iter().position(|c| !c.0.is_whitespace()).filter(|&i| block[i] == ('#', false)) {
        return numerical(&block[at + 1..], q);
    }
    let items = items(block)?;
    let feedback: Vec<String> = items.iter().map(|i| i.feedback.clone()).collect();
    let keep_feedback = |q: &mut Question| {
        if feedback.iter().any(|f| !f.is_empty()) {
            q.feedback.clone_from(&feedback);
        }
    };
    if items.iter().any(|i| split_at(i.body, "->").len() > 1) {
        let mut pairs = Vec::new();
        let mut extra = Vec::new();
        for i in &items {
            let [left, right] = split_at(i.body, "->")[..] else {
                return Err(("answer", "error.gift_matching".to_owned()));
            };
            if i.mark != '=' || i.weight.is_some() {
                return Err(("answer", "error.gift_matching".to_owned()));
            }
            if text(left).is_empty() {
                extra.push(text(right));
            } else {
                q.options.push(text(left));
                pairs.push(text(right));
            }
        }
        if feedback.iter().any(|f| !f.is_empty()) {
            lost.push(("answer", "error.lost_feedback".to_owned()));
        }
        (q.kind, q.answer) = (Kind::Matching, Answer::Match { pairs, extra });
        return Ok(());
    }
    let options: Vec<String> = items.iter().map(|i| text(i.body)).collect();
    if options.iter().any(String::is_empty) {
        return Err(("options", "error.answer_empty".to_owned()));
    }
    let weighted = items.iter().any(|i| i.weight.is_some());
    let weight_of = |i: &Item<'_>| i.weight.unwrap_or(if i.mark == '~' { 0.0 } else { 100.0 });
    if !items.iter().any(|i| i.mark == '~') {
        // A short answer; one weighted 0 % or less (=%0%110) is a wrong answer kept for its
        // feedback, never an accepted one.
        (q.kind, q.answer) = (Kind::Fill, Answer::Text(options));
        if weighted {
            q.weights = items.iter().map(weight_of).collect();
        }
        keep_feedback(q);
        return Ok(());
    }
    q.weights = items.iter().map(weight_of).collect();
    if items.iter().any(|i| i.mark == '=') {
        // Moodle's rule: an answer marked = makes the question single choice.
        let picked = (0..items.len()).filter(|&i| q.weights[i] >= 99.99).collect();
        (q.kind, q.answer) = (Kind::Single, Answer::Choice(picked));
        if !weighted && items.iter().filter(|i| i.mark == '=').count() == 1 {
            q.weights.clear();
        }
    } else {
        let positive: f64 = q.weights.iter().filter(|w| **w > 0.0).sum();
        if (positive - 100.0).abs() > 0.5 {
            return Err(("answer", keyed("error.gift_weights_sum", &[&positive.to_string()])));
        }
        let picked = (0..items.len()).filter(|&i| q.weights[i] > 0.0).collect();
        (q.kind, q.answer) = (Kind::Multiple, Answer::Choice(picked));
    }
    q.options = options;
    keep_feedback(q);
    Ok(())
}

/// A numerical answer block after its `#`: `119`, `3:0.5`, `1..5`, or several answers
/// `=119 =%50%120:1 ~0`, each with its weight (`=` alone is 100 %, `~` 0 %) and feedback.
fn numerical(block: &[Ch], q: &mut Question) -> Result<(), (&'static str, String)> {
    let items = items(block)?;
    let mut keys = Vec::with_capacity(items.len());
    for i in &items {
        let t = text(i.body);
        keys.push(NumberKey::parse(&t).ok_or_else(|| ("answer", keyed("error.number_value", &[&t])))?);
    }
    if items.iter().any(|i| i.weight.is_some() || i.mark == '~') {
        q.weights = items.iter().map(|i| i.weight.unwrap_or(if i.mark == '~' { 0.0 } else { 100.0 })).collect();
    }
    if items.iter().any(|i| !i.feedback.is_empty()) {
        q.feedback = items.iter().map(|i| i.feedback.clone()).collect();
    }
    (q.kind, q.answer) = (Kind::Numerical, Answer::Number(keys));
    Ok(())
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

/// A category path as Moodle shows it: built-in categories by their Chinese names, under the
/// course's top category.
pub fn moodle_category(path: &str) -> String {
    format!("$course$/top/{}", super::category_label(crate::i18n::Lang::Zh, path).replace(" › ", "/"))
}

/// One answer as GIFT writes it: its mark, weight when it is not what the mark says, text and
/// feedback.
fn item(mark: char, weight: Option<f64>, text: &str, feedback: Option<&String>) -> String {
    let weight = weight.map(|w| format!("%{w}%")).unwrap_or_default();
    let feedback = feedback.filter(|f| !f.is_empty()).map(|f| format!("#{}", escape(f))).unwrap_or_default();
    format!("{mark}{weight}{}{feedback}", escape_answer(text))
}

/// The answer block of a question (between its braces, before the general feedback); the
/// options and feedback of an `[html]` question are written as HTML.
fn block(q: &Question) -> String {
    if q.html.is_empty() {
        return plain_block(q);
    }
    let mut as_html = q.clone();
    for t in as_html.options.iter_mut().chain(&mut as_html.feedback) {
        *t = super::html::encode(t);
    }
    plain_block(&as_html)
}

fn plain_block(q: &Question) -> String {
    let weight = |i: usize| q.weights.get(i).copied();
    let join = |items: Vec<String>| items.join(" ");
    match &q.answer {
        Answer::Open => String::new(),
        Answer::Number(keys) => format!(
            "#{}",
            join(
                keys.iter()
                    .enumerate()
                    .map(|(i, k)| item('=', weight(i).filter(|w| *w < 99.99), &k.text(), q.feedback.get(i)))
                    .collect()
            )
        ),
        Answer::Truth(t) => {
            let (on_true, on_false) = (q.feedback.first(), q.feedback.get(1));
            let (wrong, right) = if *t { (on_false, on_true) } else { (on_true, on_false) };
            let fb = |f: Option<&String>| format!("#{}", escape(f.map_or("", String::as_str)));
            let feedback = if q.feedback.is_empty() { String::new() } else { format!("{}{}", fb(wrong), fb(right)) };
            format!("{}{feedback}", if *t { "TRUE" } else { "FALSE" })
        }
        Answer::Text(accepted) => join(
            accepted
                .iter()
                .enumerate()
                .map(|(i, a)| item('=', weight(i).filter(|w| *w < 99.99), a, q.feedback.get(i)))
                .collect(),
        ),
        Answer::Match { pairs, extra } => join(
            q.options
                .iter()
                .zip(pairs)
                .map(|(o, p)| format!("={} -> {}", escape_answer(o), escape(p)))
                .chain(extra.iter().map(|e| format!("= -> {}", escape(e))))
                .collect(),
        ),
        Answer::Choice(picked) if q.kind == Kind::Single => join(
            q.options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let w = weight(i).filter(|w| *w != 0.0 && *w < 99.99);
                    let mark = if picked.contains(&i) { '=' } else { '~' };
                    item(mark, w, o, q.feedback.get(i))
                })
                .collect(),
        ),
        Answer::Choice(picked) => {
            // All-or-nothing (no weights) is written with Moodle's nearest weights and a comment.
            let share = 100.0 / f64::from(u32::try_from(picked.len()).unwrap_or(1));
            let w = |i: usize| {
                weight(i).unwrap_or(if picked.contains(&i) { (share * 100_000.0).round() / 100_000.0 } else { -100.0 })
            };
            join(q.options.iter().enumerate().map(|(i, o)| item('~', Some(w(i)), o, q.feedback.get(i))).collect())
        }
    }
}

/// Writes a bank as GIFT.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::new();
    let mut category = None;
    for q in questions {
        if category != Some(&q.category) {
            let _ = write!(out, "$CATEGORY: {}\n\n", moodle_category(&q.category));
            category = Some(&q.category);
        }
        let _ = writeln!(out, "// difficulty: {}", q.difficulty);
        if !q.source.is_empty() {
            let _ = writeln!(out, "// source: {}", q.source.replace('\n', " "));
        }
        if q.kind == Kind::Multiple && q.weights.is_empty() {
            out.push_str("// scoring: all-or-nothing\n");
        }
        if !q.title.is_empty() {
            let _ = write!(out, "::{}::", escape(&q.title));
        }
        if q.kind == Kind::Description {
            let (marker, text) = if q.html.is_empty() { ("", &q.stem) } else { ("[html]", &q.html) };
            let _ = write!(out, "{marker}{}\n\n", escape(text));
            continue;
        }
        let feedback = if q.explanation.is_empty() { String::new() } else { format!("####{}", escape(&q.explanation)) };
        let (marker, text) = if q.html.is_empty() { ("", &q.stem) } else { ("[html]", &q.html) };
        let (before, after) = match q.kind {
            Kind::Fill => text.split_once(BLANK).unwrap_or((text, "")),
            _ => (text.as_str(), ""),
        };
        let _ = write!(out, "{marker}{}{{{}{feedback}}}{}\n\n", escape(before), block(q), escape(after));
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
        assert!(qs.iter().all(|q| q.category == "fire/escape"), "a path below the course's");
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
    fn titles_feedback_and_weights_are_kept_and_formatting_is_said() {
        let input = "$CATEGORY: $course$/top/家庭防火/电气\n\n::火警::火警电话是？{=119#对 ~110#这是匪警 ~%50%一一九#写成数字}\n\n\
                     [html]<b>电器</b>用完要断电。{T}\n\n家里应备灭火器。{TRUE#再想想#对}\n\n报警电话{119}\n";
        let got = read(input, &Defaults::default()).unwrap();
        let qs: Vec<&Question> = got.questions.iter().map(|(_, q)| q).collect();
        assert_eq!(qs[0].title, "火警");
        assert_eq!(qs[0].category, "home/电气");
        assert_eq!((qs[0].kind, &qs[0].answer), (Kind::Single, &Answer::Choice(vec![0])));
        assert_eq!(qs[0].weights, vec![100.0, 0.0, 50.0]);
        assert_eq!(qs[0].feedback, vec!["对", "这是匪警", "写成数字"]);
        assert_eq!(qs[0].credit(&Answer::Choice(vec![2])), 0.5);
        assert_eq!(qs[2].feedback, vec!["对", "再想想"], "after true, after false");
        assert_eq!((qs[3].kind, &qs[3].answer), (Kind::Fill, &Answer::Text(vec!["119".into()])), "the one-answer form");
        assert_eq!(qs[1].stem, "电器用完要断电。", "the text HTML shows, never its tags");
        assert_eq!(qs[1].html, "<b>电器</b>用完要断电。", "and its formatting");
        assert!(got.warnings.is_empty(), "nothing lost: {:?}", got.warnings);
        let md =
            read("[markdown]**电器**用完要*断电*。{T}\n\n[markdown]报警电话是 {=119} ，记住。\n", &Defaults::default())
                .unwrap();
        assert!(md.warnings.is_empty(), "Markdown is kept: {:?}", md.warnings);
        let md: Vec<Question> = md.questions.into_iter().map(|(_, q)| q).collect();
        assert_eq!(md[0].html, "<p><strong>电器</strong>用完要<em>断电</em>。</p>", "its formatting as HTML");
        assert_eq!(md[0].stem, "电器用完要断电。");
        assert_eq!((md[1].kind, md[1].stem.as_str()), (Kind::Fill, "报警电话是 ____ ，记住。"), "the blank is no rule");
        let back = crate::quiz::plain(read(&write(&crate::quiz::plain(got.clone())), &Defaults::default()).unwrap());
        assert_eq!(back, crate::quiz::plain(got));
    }

    #[test]
    fn matching_questions_read_with_their_extra_answers() {
        let input = "// difficulty: 1\n::灭火::连一连。{\n=油锅起火 -> 盖锅盖\n=电器起火 -> 先断电\n= -> 用水浇\n####方法要对。}\n";
        let q = crate::quiz::plain(read(input, &Defaults::default()).unwrap()).remove(0);
        assert_eq!(q.kind, Kind::Matching);
        assert_eq!(q.options, vec!["油锅起火", "电器起火"]);
        assert_eq!(
            q.answer,
            Answer::Match { pairs: vec!["盖锅盖".into(), "先断电".into()], extra: vec!["用水浇".into()] }
        );
        assert_eq!((q.explanation.as_str(), q.difficulty), ("方法要对。", 1));
        assert!(q.kind.is_scored(), "drawn and scored");
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
                Answer::Number(vec![key(2.0, 0.0), key(1.0, 0.0), key(0.0, 0.0)]),
            ]
        );
        assert!(got.warnings.is_empty(), "weights and feedback are kept: {:?}", got.warnings);
        let exits = &got.questions[4].1;
        assert_eq!((exits.weights.clone(), exits.feedback[2].as_str()), (vec![100.0, 50.0, 0.0], "不对"));
        assert_eq!(exits.credit(&Answer::Text(vec!["1".into()])), 0.5);
        assert_eq!(exits.feedback_on(&Answer::Text(vec!["0".into()])), vec!["不对"]);
        let (_, pi) = &got.questions[1];
        assert!(pi.is_right(&Answer::Text(vec!["3.15".into()])) && !pi.is_right(&Answer::Text(vec!["3.2".into()])));
        let (_, range) = &got.questions[3];
        assert!(range.is_right(&Answer::Text(vec!["５".into()])) && !range.is_right(&Answer::Text(vec!["5.5".into()])));
        assert!(!range.is_right(&Answer::Text(vec!["三".into()])));
        let back = crate::quiz::plain(read(&write(&crate::quiz::plain(got.clone())), &Defaults::default()).unwrap());
        assert_eq!(back, crate::quiz::plain(got));
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
        let q = crate::quiz::plain(
            read("$CATEGORY: home\n\n火警电话是多少？{=119 =%0%110#匪警 =%-50%120}\n", &Defaults::default()).unwrap(),
        )
        .remove(0);
        assert_eq!(q.answer, Answer::Text(vec!["119".into(), "110".into(), "120".into()]));
        assert_eq!(q.weights, vec![100.0, 0.0, -50.0]);
        assert!(q.is_right(&Answer::Text(vec!["119".into()])));
        assert_eq!(q.credit(&Answer::Text(vec!["110".into()])), 0.0, "kept for its feedback, scored wrong");
        assert_eq!(q.credit(&Answer::Text(vec!["120".into()])), 0.0);
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
