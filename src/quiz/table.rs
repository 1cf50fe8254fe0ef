//! A bank as a table (CSV or XLSX, the import template): one question a row, the columns
//! `type, category, difficulty, stem, options, answer, explanation, source, title, weights,
//! feedback, html` (or their Chinese headers; the last four may be left out: `html` is the
//! question as formatted text, see [`super::html`]). Lists sit in one cell
//! separated by ` | ` (a literal `|` is written `\|`): the options, or the items of a matching
//! question. The answer is option letters (`A`, `ACD`), `true`/`false` (对/错), the accepted
//! texts of a blank or numbers, or the answer of each item of a matching question followed by
//! its extra answers. Weights (percent) and feedback go one to an option or accepted answer
//! (true/false: after answering true, after answering false).

use super::{Answer, Defaults, FormatError, Kind, NumberKey, Question, Read, check_all, letter};
use crate::i18n::keyed;
use crate::sheet::{self, CellError};

/// The columns: (key, Chinese header, required).
pub const COLUMNS: &[(&str, &str, bool)] = &[
    ("type", "题型", true),
    ("category", "分类", false),
    ("difficulty", "难度", false),
    ("stem", "题干", true),
    ("options", "选项", false),
    ("answer", "答案", true),
    ("explanation", "解析", false),
    ("source", "出处", false),
    ("title", "标题", false),
    ("weights", "得分比例", false),
    ("feedback", "反馈", false),
    ("html", "题干HTML", false),
];

/// Splits a cell on unescaped `|`, undoing `\|` and `\\`, trimming each part.
fn split_list(cell: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('|' | '\\')) => parts.last_mut().map_or((), |p| p.push(n)),
                Some(n) => parts.last_mut().map_or((), |p| {
                    p.push('\\');
                    p.push(n);
                }),
                None => parts.last_mut().map_or((), |p| p.push('\\')),
            },
            '|' => parts.push(String::new()),
            c => parts.last_mut().map_or((), |p| p.push(c)),
        }
    }
    let parts: Vec<String> = parts.into_iter().map(|p| p.trim().to_owned()).collect();
    if parts.len() == 1 && parts[0].is_empty() { Vec::new() } else { parts }
}

fn join_list(items: &[String]) -> String {
    items.iter().map(|i| i.replace('\\', "\\\\").replace('|', "\\|")).collect::<Vec<_>>().join(" | ")
}

/// Undoes the apostrophe that exports put before a cell starting with `= + - @` (see
/// [`sheet::neutralise`]) or with an apostrophe of its own (see [`protect`]).
fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
        _ => cell,
    }
}

/// A text whose own leading apostrophe survives [`restore`].
fn protect(text: &str) -> String {
    if text.starts_with('\'') { format!("'{text}") } else { text.to_owned() }
}

/// Parses an answer cell for a question of `kind` with `n` options.
pub fn parse_answer(kind: Kind, cell: &str, n: usize) -> Result<Answer, String> {
    let cell = cell.trim();
    match kind {
        Kind::Single | Kind::Multiple => {
            let mut picked = Vec::new();
            for c in cell.chars().filter(|c| !matches!(c, ' ' | ',' | '，' | '、')) {
                let c = c.to_ascii_uppercase();
                if !c.is_ascii_uppercase() {
                    return Err(keyed("error.answer_letters_value", &[cell]));
                }
                picked.push(usize::from(u8::try_from(c).unwrap_or(b'A') - b'A'));
            }
            picked.sort_unstable();
            if picked.iter().any(|&i| i >= n) {
                return Err(keyed("error.answer_letter_missing", &[cell, &n.to_string()]));
            }
            Ok(Answer::Choice(picked))
        }
        Kind::TrueFalse => match cell.to_lowercase().as_str() {
            "true" | "t" | "对" | "正确" | "√" => Ok(Answer::Truth(true)),
            "false" | "f" | "错" | "错误" | "×" => Ok(Answer::Truth(false)),
            _ => Err(keyed("error.truth_value", &[cell])),
        },
        Kind::Fill => Ok(Answer::Text(split_list(cell))),
        Kind::Numerical => split_list(cell)
            .iter()
            .map(|k| NumberKey::parse(k).ok_or_else(|| keyed("error.number_value", &[k])))
            .collect::<Result<_, _>>()
            .map(Answer::Number),
        Kind::Matching => {
            let mut pairs = split_list(cell);
            let extra = pairs.split_off(n.min(pairs.len()));
            Ok(Answer::Match { pairs, extra })
        }
        Kind::Essay | Kind::Description => Ok(Answer::Open),
    }
}

/// The answer as the table writes it.
pub fn show_answer(a: &Answer) -> String {
    match a {
        Answer::Choice(picked) => picked.iter().map(|&i| letter(i)).collect(),
        Answer::Truth(t) => t.to_string(),
        Answer::Text(accepted) => join_list(accepted),
        Answer::Number(keys) => number_list(keys, " | "),
        Answer::Match { pairs, extra } => join_list(&[pairs.as_slice(), extra].concat()),
        Answer::Open => String::new(),
    }
}

/// Accepted numbers as people write them: `119`, `3:0.5`, apart by `sep`.
pub fn number_list(keys: &[NumberKey], sep: &str) -> String {
    keys.iter().map(|k| k.text()).collect::<Vec<_>>().join(sep)
}

/// A problem in a cell, under the column header the file uses.
fn cell_error(row: usize, column: &str, message: String) -> FormatError {
    CellError { row, column: column.to_owned(), message }
}

/// Reads a CSV or XLSX bank.
pub fn read(bytes: &[u8], defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let sheet = sheet::read(bytes, "bank")?;
    let mut index = Vec::with_capacity(COLUMNS.len());
    let mut missing = Vec::new();
    for (key, zh, required) in COLUMNS {
        let at = sheet.column(&[key, zh]);
        if at.is_none() && *required {
            missing.push(cell_error(1, zh, keyed("error.column_missing", &[zh])));
        }
        index.push(at);
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let header = |i: usize| index[i].and_then(|c| sheet.headers.get(c)).map_or(COLUMNS[i].1, String::as_str);
    let mut read = Vec::with_capacity(sheet.rows.len());
    let mut errors = Vec::new();
    for row in &sheet.rows {
        let cell = |i: usize| index[i].and_then(|c| row.cells.get(c)).map_or("", |s| restore(s));
        let Some(kind) = Kind::parse(cell(0)) else {
            errors.push(cell_error(row.line, header(0), keyed("error.quiz_kind_value", &[cell(0)])));
            continue;
        };
        let category = super::category_path(cell(1)).unwrap_or_else(|| defaults.category.clone());
        let difficulty = if cell(2).is_empty() {
            defaults.difficulty
        } else if let Ok(d) = cell(2).parse::<u8>() {
            d
        } else {
            errors.push(cell_error(row.line, header(2), keyed("error.difficulty_value", &[cell(2)])));
            continue;
        };
        let options = split_list(cell(4));
        let answer = match parse_answer(kind, cell(5), options.len()) {
            Ok(a) => a,
            Err(e) => {
                errors.push(cell_error(row.line, header(5), e));
                continue;
            }
        };
        let mut weights = Vec::new();
        for w in split_list(cell(9)) {
            match w.trim_end_matches('%').parse::<f64>() {
                Ok(w) => weights.push(w),
                Err(_) => {
                    errors.push(cell_error(row.line, header(9), keyed("error.weight_value", &[&w])));
                    break;
                }
            }
        }
        let q = Question {
            kind,
            title: cell(8).to_owned(),
            category,
            difficulty,
            stem: cell(3).to_owned(),
            options,
            answer,
            weights,
            feedback: split_list(cell(10)),
            html: cell(11).to_owned(),
            explanation: cell(6).to_owned(),
            source: cell(7).to_owned(),
        };
        read.push((row.line, q));
    }
    check_all(read, errors, Vec::new(), |part| {
        COLUMNS.iter().position(|c| c.0 == part).map_or_else(|| part.to_owned(), |i| header(i).to_owned())
    })
}

fn rows(questions: &[Question]) -> Vec<Vec<String>> {
    questions
        .iter()
        .map(|q| {
            vec![
                q.kind.as_str().to_owned(),
                q.category.clone(),
                q.difficulty.to_string(),
                protect(&q.stem),
                protect(&join_list(&q.options)),
                protect(&show_answer(&q.answer)),
                protect(&q.explanation),
                protect(&q.source),
                protect(&q.title),
                q.weights.iter().map(f64::to_string).collect::<Vec<_>>().join(" | "),
                protect(&join_list(&q.feedback)),
                protect(&q.html),
            ]
        })
        .collect()
}

/// The bank as CSV (UTF-8 with a BOM, English column keys).
pub fn csv(questions: &[Question]) -> Vec<u8> {
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    sheet::csv_bytes(&headers, &rows(questions))
}

/// The bank as an XLSX workbook with Chinese headers.
pub fn xlsx(questions: &[Question]) -> Result<Vec<u8>, String> {
    let headers: Vec<String> = COLUMNS.iter().map(|c| c.1.to_owned()).collect();
    sheet::xlsx_bytes(&[sheet::OutSheet::text("题库", &headers, &rows(questions))], "")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::i18n::Lang;
    use crate::quiz::tests::question;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn csv_round_trips(qs in proptest::collection::vec(question(), 1..8)) {
            let back = read(&csv(&qs), &Defaults::default()).map(crate::quiz::plain).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(back, qs);
        }
    }

    #[test]
    fn lists_escape_their_separator() {
        let items = vec!["a|b".to_owned(), "c\\".to_owned(), "d".to_owned()];
        assert_eq!(split_list(&join_list(&items)), items);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn bad_rows_are_named_and_nothing_is_read() {
        let csv = "type,category,difficulty,stem,options,answer,explanation,source\n\
                   single,home,1,家里应配备什么？,灭火器 | 汽油,A,,\n\
                   single,home,5,难度不对,甲 | 乙,A,,\n\
                   single,home,1,答案越界,甲 | 乙,C,,\n\
                   cloze,home,1,不是题型,,,,\n\
                   multiple,校园安全/实验室,1,任何分类都收,甲 | 乙 | 丙,AB,,\n";
        let errors = read(csv.as_bytes(), &Defaults::default()).unwrap_err();
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, vec![(3, "difficulty"), (4, "answer"), (5, "type")], "{errors:?}");
        let missing = read(b"type,stem\nsingle,x\n", &Defaults::default()).unwrap_err();
        assert_eq!(missing[0].column, "答案");
        assert_eq!(Lang::Zh.message(&missing[0].message), "缺少“答案”列");
    }
}
