//! Aiken: single-choice questions only, a question a block — the question on one line, options
//! `A.` or `A)` on the next lines, then `ANSWER: B`. It carries no category, difficulty,
//! explanation or source: those come from the import's defaults.

use std::fmt::Write as _;

use super::{Answer, Defaults, FormatError, Kind, Question, Read, check_all, error_at, letter, part_label};
use crate::i18n::{keyed, term};

fn option_line(line: &str) -> Option<(usize, &str)> {
    let mut chars = line.chars();
    let l = chars.next().filter(char::is_ascii_uppercase)?;
    let sep = chars.next().filter(|c| matches!(c, '.' | ')'))?;
    let rest = &line[l.len_utf8() + sep.len_utf8()..];
    rest.starts_with([' ', '\t']).then(|| (usize::from(u8::try_from(l).unwrap_or(b'A') - b'A'), rest.trim()))
}

/// Reads an Aiken file.
pub fn read(input: &str, defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let mut errors = Vec::new();
    let mut read = Vec::new();
    let mut current: Option<(usize, String, Vec<String>)> = None;
    for (n, line) in input.lines().enumerate() {
        let n = n + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(answer) = line.strip_prefix("ANSWER:") {
            let Some((start, stem, options)) = current.take() else {
                errors.push(error_at(n, "answer", "error.aiken_answer_alone"));
                continue;
            };
            let a = answer.trim();
            let picked = a
                .chars()
                .next()
                .filter(|c| a.len() == 1 && c.is_ascii_uppercase())
                .map(|c| usize::from(u8::try_from(c).unwrap_or(b'A') - b'A'));
            match picked {
                Some(i) if i < options.len() => read.push((
                    start,
                    Question::new(
                        Kind::Single,
                        &defaults.category,
                        defaults.difficulty,
                        stem,
                        options,
                        Answer::Choice(vec![i]),
                    ),
                )),
                _ => errors.push(error_at(n, "answer", keyed("error.aiken_letter", &[a]))),
            }
            continue;
        }
        match (&mut current, option_line(line)) {
            (Some((_, _, options)), Some((i, text))) => {
                if i == options.len() {
                    options.push(text.to_owned());
                } else {
                    errors.push(error_at(
                        n,
                        "options",
                        keyed("error.aiken_order", &[&letter(i).to_string(), &letter(options.len()).to_string()]),
                    ));
                }
            }
            (Some((start, _, options)), None) if !options.is_empty() => {
                errors.push(error_at(*start, "answer", "error.aiken_no_answer"));
                current = Some((n, line.to_owned(), Vec::new()));
            }
            (Some((_, stem, _)), None) => {
                stem.push(' ');
                stem.push_str(line);
            }
            (None, Some(_)) => errors.push(error_at(n, "options", "error.aiken_option_alone")),
            (None, None) => current = Some((n, line.to_owned(), Vec::new())),
        }
    }
    if let Some((start, _, _)) = current {
        errors.push(error_at(start, "answer", "error.aiken_no_answer"));
    }
    check_all(read, errors, Vec::new(), part_label)
}

/// Writes single-choice questions as Aiken; any other kind is refused by its position.
pub fn write(questions: &[Question]) -> Result<String, String> {
    let mut out = String::new();
    for (n, q) in questions.iter().enumerate() {
        let (Kind::Single, Answer::Choice(picked)) = (q.kind, &q.answer) else {
            return Err(keyed("error.aiken_single_only", &[&(n + 1).to_string(), &term("quiz_kind", q.kind.as_str())]));
        };
        out.push_str(&q.stem.replace('\n', " "));
        out.push('\n');
        for (i, o) in q.options.iter().enumerate() {
            let _ = write!(out, "{}. {}\n", letter(i), o.replace('\n', " "));
        }
        let _ = write!(out, "ANSWER: {}\n\n", letter(picked[0]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_text_gives_questions_or_errors_never_a_panic(s in "[\\PC\n.):ABCDEFGHNRSWa-e]{0,300}") {
            let _ = read(&s, &Defaults::default());
        }
    }

    #[test]
    fn aiken_reads_and_refuses_by_line() {
        let qs = crate::quiz::plain(read("火警电话是？\nA. 110\nB) 119\nC. 120\nANSWER: B\n\n灭火器压力表指针在哪个区域表示正常？\nA. 红色\nB. 绿色\nANSWER: B\n", &Defaults::default()).unwrap());
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].answer, Answer::Choice(vec![1]));
        assert_eq!(qs[1].options, vec!["红色", "绿色"]);
        let errors = read(
            "问题一\nA. 甲\nB. 乙\nANSWER: C\n\n问题二\nA. 甲\nC. 丙\nANSWER: A\n\n问题三\nA. 甲\nB. 乙\n",
            &Defaults::default(),
        )
        .unwrap_err();
        let at: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(at, vec![4, 6, 8, 11], "{errors:?}");
        assert!(
            write(&[Question::new(Kind::TrueFalse, "home", 1, "x".into(), vec![], Answer::Truth(true))])
                .is_err_and(|e| crate::i18n::Lang::Zh.message(&e) == "第1题是判断题，Aiken格式只能保存单选题")
        );
    }
}
