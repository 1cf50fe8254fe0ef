//! Importing a team's members from a spreadsheet (XLSX, or CSV in UTF-8 or GBK). The whole file
//! is checked first — a bad phone number, a number twice in the file or already in the team, an
//! unknown skill, a member without consent — and every bad row and column is named; nothing is
//! stored unless every row is good. Good files are stored in one transaction.

use std::collections::HashMap;

use super::actions::{MemberInput, check_member, managed_team};
use super::store::{self, NewMember};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::personal::DataKey;
use crate::sheet::{self, CellError, Sheet};
use crate::{Error, Result, clock};

/// The columns: (field, Chinese header, English header, required).
pub const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("name", "姓名", "name", true),
    ("phone", "手机号", "phone", true),
    ("gender", "性别", "gender", false),
    ("birth_year", "出生年份", "birth_year", false),
    ("skills", "技能", "skills", false),
    ("consent", "本人同意", "consent", true),
    ("joined_on", "入队日期", "joined_on", false),
];

/// The template's header row.
pub fn template_headers() -> Vec<String> {
    COLUMNS.iter().map(|c| c.1.to_owned()).collect()
}

/// The template's example row: a row with its name and number is refused, so that the example
/// is never stored as a member.
const EXAMPLE: [&str; 7] = ["张晓明", "13812345678", "男", "1990", "急救,灭火器使用", "是", "2024-11-01"];

/// An example row under the template's headers.
pub fn template_example() -> Vec<String> {
    EXAMPLE.iter().map(|s| (*s).to_owned()).collect()
}

fn consent(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "是" | "同意" | "yes" | "y" | "true" | "1" | "예" => Some(true),
        "" | "否" | "不同意" | "no" | "n" | "false" | "0" | "아니요" => Some(false),
        _ => None,
    }
}

/// Checks every row for a team; returns the members, or every error with its row and column.
/// `existing` holds the blind indexes of the team's numbers.
pub fn parse(
    sheet: &Sheet,
    team: (i64, &str),
    existing: &[String],
    key: &DataKey,
) -> Result<Vec<NewMember>, Vec<CellError>> {
    let mut errors = Vec::new();
    let col = |field: &str| COLUMNS.iter().find(|c| c.0 == field).and_then(|c| sheet.column(&[c.1, c.2]));
    let header = |field: &str| COLUMNS.iter().find(|c| c.0 == field).map_or(field, |c| c.1).to_owned();
    for (field, zh, _, required) in COLUMNS {
        if *required && col(field).is_none() {
            errors.push(CellError { row: 1, column: (*zh).to_owned(), message: keyed("error.column_missing", &[zh]) });
        }
    }
    for h in &sheet.headers {
        if !COLUMNS.iter().any(|c| c.1 == h.trim() || c.2 == h.trim()) {
            errors.push(CellError { row: 1, column: h.clone(), message: keyed("error.column_unknown", &[h]) });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let now = clock::now();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut members = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let cell = |field: &str| col(field).and_then(|i| row.cells.get(i)).map_or("", |s| s.as_str());
        if cell("name").trim() == EXAMPLE[0] && cell("phone").trim() == EXAMPLE[1] {
            errors.push(CellError { row: row.line, column: header("name"), message: "error.example_row".to_owned() });
            continue;
        }
        let mut row_errors = Vec::new();
        let birth_year = match cell("birth_year").trim() {
            "" => None,
            t => {
                let year = t.parse::<i64>().ok();
                if year.is_none() {
                    row_errors.push(CellError {
                        row: row.line,
                        column: header("birth_year"),
                        message: keyed("error.not_a_year", &[t]),
                    });
                }
                year
            }
        };
        let agreed = consent(cell("consent")).unwrap_or_else(|| {
            row_errors.push(CellError {
                row: row.line,
                column: header("consent"),
                message: keyed("error.consent_yes_no", &[cell("consent")]),
            });
            false
        });
        let input = MemberInput {
            name: cell("name").to_owned(),
            phone: cell("phone").to_owned(),
            gender: cell("gender").to_owned(),
            birth_year,
            skills: cell("skills").to_owned(),
            consent: agreed,
            joined_on: cell("joined_on").to_owned(),
        };
        // Every field's own check, so one row can name several columns.
        for (field, check) in [
            ("name", crate::org::parse_name("name", &input.name).map(|_| ())),
            ("phone", crate::personal::PhoneNumber::parse("phone", &input.phone).map(|_| ())),
            ("skills", super::parse_skills("skills", &input.skills).map(|_| ())),
        ] {
            if let Err(Error::Invalid { message, .. }) = check {
                row_errors.push(CellError { row: row.line, column: header(field), message });
            }
        }
        if row_errors.is_empty() {
            match check_member(&input, team, key, now) {
                Ok(m) => {
                    if let Some(first) = seen.get(&m.phone_index) {
                        row_errors.push(CellError {
                            row: row.line,
                            column: header("phone"),
                            message: keyed("error.phone_same_as_row", &[&first.to_string()]),
                        });
                    } else if existing.contains(&m.phone_index) {
                        row_errors.push(CellError {
                            row: row.line,
                            column: header("phone"),
                            message: "error.phone_in_team".to_owned(),
                        });
                    } else {
                        seen.insert(m.phone_index.clone(), row.line);
                        members.push(m);
                    }
                }
                Err(Error::Invalid { field, message }) => {
                    row_errors.push(CellError { row: row.line, column: header(&field.unwrap_or_default()), message });
                }
                Err(Error::Conflict(message) | Error::TooMany(message)) => {
                    row_errors.push(CellError { row: row.line, column: String::new(), message });
                }
                Err(e) => row_errors.push(CellError { row: row.line, column: String::new(), message: e.to_string() }),
            }
        }
        errors.extend(row_errors);
    }
    if sheet.rows.is_empty() {
        errors.push(CellError { row: 0, column: String::new(), message: "error.no_data_rows".to_owned() });
    }
    if errors.is_empty() { Ok(members) } else { Err(errors) }
}

/// The outcome of an import that failed: every error, nothing stored (as for activity records).
pub use crate::activity::import::Rejected;

/// Reads, checks and stores a file of members into a team, all or nothing.
pub async fn run(
    db: &Db,
    key: &DataKey,
    me: &Principal,
    team_id: i64,
    bytes: &[u8],
    filename: &str,
) -> Result<Result<Vec<i64>, Rejected>> {
    let team = managed_team(db, me, team_id).await?;
    let sheet = match sheet::read_apart(bytes, filename).await {
        Ok(s) => s,
        Err(errors) => return Ok(Err(Rejected(errors))),
    };
    let existing = store::phone_indexes(db, team.id).await?;
    let members = match parse(&sheet, (team.id, &team.region_path), &existing, key) {
        Ok(m) => m,
        Err(errors) => return Ok(Err(Rejected(errors))),
    };
    let ids = store::insert_members(db, &members).await?;
    crate::audit::record(
        db,
        &me.actor(),
        "volunteer.member.import",
        ("unit", &team_id.to_string()),
        crate::audit::Outcome::Ok,
        &format!("{} rows from {filename}", ids.len()),
    )
    .await?;
    Ok(Ok(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            headers: COLUMNS.iter().map(|c| c.1.to_owned()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| sheet::Row { line: i + 2, cells: r.iter().map(|s| (*s).to_owned()).collect() })
                .collect(),
        }
    }

    #[test]
    fn every_bad_row_and_column_is_named() {
        let key = DataKey::from_bytes(&[3; 32]);
        let existing = vec![key.index("13900000000")];
        let s = sheet(&[
            &["王一", "13812345678", "男", "1990", "急救", "是", ""],
            &["王二", "1381234", "", "", "", "是", ""],
            &["王三", "13812345678", "", "", "", "是", ""],
            &["王四", "13700000000", "", "", "杂技", "是", ""],
            &["王五", "13600000000", "", "", "", "否", ""],
            &["王六", "13900000000", "", "", "", "是", ""],
        ]);
        let errors = parse(&s, (1, "/22/2201/"), &existing, &key).unwrap_err();
        let at: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(at, vec![(3, "手机号"), (4, "手机号"), (5, "技能"), (6, "本人同意"), (7, "手机号")], "{errors:?}");
        let en = |m: &str| crate::i18n::Lang::En.message(m);
        assert!(en(&errors[1].message).contains("row 2"), "{}", errors[1].message);
        assert!(errors[3].message.contains("consent"), "{}", errors[3].message);
        let good = sheet(&[&["王一", "13812345678", "男", "1990", "急救,驾驶", "是", "2024-11-01"]]);
        let members = parse(&good, (1, "/22/2201/"), &existing, &key).unwrap();
        assert_eq!(members[0].phone_masked, "138****5678");
        assert_eq!(members[0].skills, "first_aid,driving");
        assert_eq!(key.open(&members[0].phone_sealed).unwrap(), "13812345678");
    }
}
