//! Spreadsheets in and out.
//!
//! Regions send activity records, question banks and volunteer lists as
//! XLSX workbooks (saved by Excel or WPS) or as CSV files, which Chinese
//! editions of Excel save in GBK/GB18030 rather than UTF-8. [`read`] turns
//! either into a [`Sheet`]: a header row and trimmed text cells, with dates
//! written as `YYYY-MM-DD` and whole numbers without a decimal point. It
//! refuses what cannot be imported faithfully (formulas, merged cells, error
//! values, text that Excel would run as a formula) and reports every such
//! problem at once as a list of [`CellError`]s naming the row and column, so
//! that a person can fix the file in one go.
//!
//! [`csv_bytes`] and [`xlsx_bytes`] write tables back out. Every cell is
//! written as text and passed through [`neutralise`], so nothing exported can
//! run as a formula when someone opens it.
//!
//! Hostile files are bounded: at most 20 MiB of input, 200,000 data rows and
//! 10,000,000 cells, an XLSX that unpacks to at most 512 MiB, and at most
//! 1,000 listed problems.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{Cursor, Read};

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::i18n::keyed;

/// Largest file [`read`] accepts, in bytes (20 MiB).
const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most data rows (rows below the header) [`read`] accepts.
const MAX_DATA_ROWS: usize = 200_000;
/// Most cells [`read`] holds: filled cells while reading, and data rows
/// times columns in the result.
const MAX_CELLS: usize = 10_000_000;
/// Most problems listed; further ones are counted in a closing note.
const MAX_ERRORS: usize = 1_000;
/// Largest total unpacked size of the parts of an XLSX file, in bytes.
const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
/// Largest distinct-string count an XLSX file may declare. The reader
/// reserves memory for the declared count up front, so a forged count must
/// be refused before the workbook is opened.
const MAX_SHARED_STRINGS: u64 = 10_000_000;
/// Widest column written by [`xlsx_bytes`], in character units.
const MAX_COLUMN_WIDTH: usize = 60;
/// Narrowest column written by [`xlsx_bytes`], in character units.
const MIN_COLUMN_WIDTH: usize = 6;

/// Message for a cell that holds a formula.
const FORMULA_MESSAGE: &str = "error.formula";
/// Message for a cell whose text begins with `=`.
const EQUALS_MESSAGE: &str = "error.starts_equals";

/// A table read from a file: the header row and the data rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sheet {
    /// The column names from the header row, trimmed, in column order.
    pub headers: Vec<String>,
    /// The non-empty data rows below the header, in file order.
    pub rows: Vec<Row>,
}

/// A data row: `line` is the row number people see in Excel (header is row 1,
/// first data row is 2) or the CSV line number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// The row number in Excel, or the line on which the CSV record starts.
    pub line: usize,
    /// The trimmed cell texts, one per header (empty where the cell is empty).
    pub cells: Vec<String>,
}

/// What is wrong where: row number (0 when the whole file is at fault),
/// column header name (or "" ), and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The row number as people see it, or 0 when the whole file is at fault.
    pub row: usize,
    /// The column's header name (its letter when it has no name), or "" when
    /// the problem concerns a whole row or the whole file.
    pub column: String,
    /// What is wrong and how to fix it, for people (words, or a locale key `error.…` that pages
    /// show in the reader's language).
    pub message: String,
}

impl CellError {
    /// A problem with the whole file.
    fn file(message: impl Into<String>) -> Self {
        Self { row: 0, column: String::new(), message: message.into() }
    }
}

impl CellError {
    /// The problem in `lang`, with its row and column: 第2行“区划代码”列：…, row 2, column 区划代码: ….
    pub fn shown(&self, lang: &crate::i18n::Lang) -> String {
        let (row, message) = (self.row.to_string(), lang.message(&self.message));
        match (self.row, self.column.is_empty()) {
            (0, _) => message,
            (_, true) => lang.text("import.row_error", &[&row, &message]),
            (_, false) => lang.text("import.cell_error", &[&row, &self.column, &message]),
        }
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown(&crate::i18n::Lang::En))
    }
}

impl std::error::Error for CellError {}

impl Sheet {
    /// The index of a header (trimmed, exact match against any of the given
    /// names, e.g. `&["日期", "date"]`).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|header| names.iter().any(|name| header.trim() == name.trim()))
    }
}

/// Reads an XLSX or CSV file (chosen by content: a ZIP signature means XLSX,
/// else CSV; the filename's extension is only a hint for the error message).
pub fn read(bytes: &[u8], filename: &str) -> Result<Sheet, Vec<CellError>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![CellError::file("error.file_too_large")]);
    }
    if is_zip(bytes) {
        return read_xlsx(bytes, filename);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(vec![CellError::file("error.file_xls")]);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(vec![CellError::file("error.file_utf_wide")]);
    }
    read_csv(bytes, filename)
}

/// [`read`] on a thread for blocking work: unpacking and parsing a workbook of thousands of rows
/// takes tens of milliseconds, which the async threads spend serving meanwhile (and an import
/// spends reading what it checks the rows against).
pub async fn read_apart(bytes: &[u8], filename: &str) -> Result<Sheet, Vec<CellError>> {
    let (bytes, filename) = (bytes.to_vec(), filename.to_owned());
    tokio::task::spawn_blocking(move || read(&bytes, &filename))
        .await
        .unwrap_or_else(|_| Err(vec![CellError::file("error.file_bad_xlsx")]))
}

/// Cell text made safe for spreadsheets: a cell beginning with = + - @ (or
/// tab / carriage return) gets a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// CSV bytes: UTF-8 with a BOM (so Excel opens Chinese correctly), every
/// cell neutralised, RFC 4180 quoting.
///
/// Records end with CRLF. Rows shorter than the header are padded with empty
/// cells; longer rows are written whole.
pub fn csv_bytes(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    push_csv_record(&mut out, headers.iter().copied(), headers.len());
    for row in rows {
        push_csv_record(&mut out, row.iter().map(String::as_str), headers.len());
    }
    out.into_bytes()
}

/// A worksheet to write.
pub struct OutSheet<'a> {
    /// Its name (Excel allows 31 characters).
    pub name: &'a str,
    /// The header row.
    pub headers: &'a [String],
    /// The rows.
    pub rows: &'a [Vec<String>],
    /// Whether cells that read as a whole number (`108761`), a percentage (`97%`) or a date
    /// (`2024-11-15`) are stored as such, with a number format, so that sums and sorting work
    /// (a report's tables); otherwise every cell is text, as a file to be read back needs.
    pub typed: bool,
}

impl<'a> OutSheet<'a> {
    /// A sheet of text cells.
    pub fn text(name: &'a str, headers: &'a [String], rows: &'a [Vec<String>]) -> Self {
        Self { name, headers, rows, typed: false }
    }
}

/// A typed cell's value (see [`OutSheet::typed`]).
enum Typed {
    Number(f64),
    Percent(f64),
    Date(rust_xlsxwriter::ExcelDateTime),
}

fn typed(cell: &str) -> Option<Typed> {
    let digits = |t: &str| !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit());
    let number = |t: &str| {
        let bare = t.strip_prefix('-').unwrap_or(t);
        // A leading zero marks a code (`0431`), which stays text.
        (digits(bare) && (bare == "0" || !bare.starts_with('0'))).then(|| t.parse::<f64>().ok()).flatten()
    };
    if let Some(n) = number(cell) {
        return Some(Typed::Number(n));
    }
    if let Some(n) = cell.strip_suffix('%').and_then(number) {
        return Some(Typed::Percent(n / 100.0));
    }
    let date = time::Date::parse(cell, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let year = u16::try_from(date.year()).ok()?;
    rust_xlsxwriter::ExcelDateTime::from_ymd(year, u8::from(date.month()), date.day()).ok().map(Typed::Date)
}

/// XLSX bytes with one worksheet per [`OutSheet`], written by `author` (the document's author
/// when not empty): cells neutralised (never formulas), text wrapped, header bold, frozen and
/// repeated on every printed page, columns sized to content (CJK characters count double), and
/// printed on A4 one page wide, in landscape when the columns are too wide for portrait.
///
/// Fails on a worksheet name Excel refuses (over 31 characters, one of
/// `[]:*?/\`, or used twice), on more rows or columns than Excel holds, and
/// on a cell longer than 32,767 characters.
pub fn xlsx_bytes(sheets: &[OutSheet], author: &str) -> Result<Vec<u8>, String> {
    let mut workbook = Workbook::new();
    let mut properties = rust_xlsxwriter::DocProperties::new();
    if !author.is_empty() {
        properties = properties.set_author(author).set_company(author);
    }
    workbook.set_properties(&properties);
    let text = Format::new().set_num_format("@").set_text_wrap().set_align(FormatAlign::Top);
    let bold = text.clone().set_bold();
    let number = Format::new().set_num_format("#,##0").set_align(FormatAlign::Top);
    let percent = Format::new().set_num_format("0%").set_align(FormatAlign::Top);
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"").set_align(FormatAlign::Top);
    for sheet in sheets {
        let name = sheet.name;
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(name).map_err(|e| format!("worksheet name {name:?}: {e}"))?;
        let columns = sheet.rows.iter().map(Vec::len).fold(sheet.headers.len(), usize::max);
        let mut widths = vec![0_usize; columns];
        let all_rows = std::iter::once(sheet.headers).chain(sheet.rows.iter().map(Vec::as_slice));
        for (index, cells) in all_rows.enumerate() {
            let row = u32::try_from(index).map_err(|_| format!("worksheet {name:?}: too many rows for Excel"))?;
            let mut lines = 1;
            for (col, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let safe = neutralise(cell);
                let value = if index == 0 { None } else { sheet.typed.then(|| typed(cell)).flatten() };
                // A header wraps on two lines rather than widen a column of short figures; a date
                // is as wide as it is shown (2024年11月30日), not as its ISO text.
                let wide = match value {
                    _ if index == 0 => display_width(&safe).div_ceil(2),
                    Some(Typed::Date(_)) => SHOWN_DATE_WIDTH,
                    _ => display_width(&safe),
                };
                if let Some(width) = widths.get_mut(col) {
                    *width = (*width).max(wide);
                }
                lines = lines.max(safe.lines().count());
                let col = u16::try_from(col).map_err(|_| format!("worksheet {name:?}: too many columns for Excel"))?;
                let written = match (index, value) {
                    (0, _) => worksheet.write_string_with_format(row, col, safe.into_owned(), &bold),
                    (_, Some(Typed::Number(n))) => worksheet.write_number_with_format(row, col, n, &number),
                    (_, Some(Typed::Percent(n))) => worksheet.write_number_with_format(row, col, n, &percent),
                    (_, Some(Typed::Date(d))) => worksheet.write_datetime_with_format(row, col, d, &date),
                    (_, None) => worksheet.write_string_with_format(row, col, safe.into_owned(), &text),
                };
                written.map_err(|e| format!("worksheet {name:?}, row {}: {e}", index + 1))?;
            }
            // Nor for a cell of several lines: such a row is as high as its lines.
            if index > 0 && lines > 1 {
                #[allow(clippy::cast_precision_loss)]
                let height = LINE_HEIGHT * lines.min(MAX_ROW_LINES) as f64;
                worksheet.set_row_height(row, height).map_err(|e| format!("worksheet {name:?}: {e}"))?;
            }
        }
        // Readers do not grow a row for wrapped text by themselves: the header gets two lines
        // where one of its cells is wider than its column.
        let wrapped = sheet.headers.iter().zip(&widths).any(|(h, w)| display_width(h) > w + 2);
        if wrapped {
            worksheet.set_row_height(0, HEADER_TWO_LINES).map_err(|e| format!("worksheet {name:?}: {e}"))?;
        }
        let mut total = 0;
        for (col, width) in widths.into_iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| format!("worksheet {name:?}: too many columns for Excel"))?;
            let width = (width + 2).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH);
            total += width;
            let width = u32::try_from(width).unwrap_or(60);
            worksheet
                .set_column_width(col, width)
                .and_then(|worksheet| worksheet.set_column_format(col, &text))
                .map_err(|e| format!("worksheet {name:?}: {e}"))?;
        }
        worksheet
            .set_freeze_panes(1, 0)
            .and_then(|worksheet| worksheet.set_repeat_rows(0, 0))
            .map_err(|e| format!("worksheet {name:?}: {e}"))?;
        worksheet.set_paper_size(A4).set_print_fit_to_pages(1, 0);
        if total > PORTRAIT_WIDTH {
            worksheet.set_landscape();
        }
    }
    workbook.save_to_buffer().map_err(|e| e.to_string())
}

/// The height of a header row of two lines, in points.
const HEADER_TWO_LINES: f64 = 2.0 * LINE_HEIGHT;

/// The height of a line of text in a row, in points.
const LINE_HEIGHT: f64 = 15.0;

/// The most lines a row is made high for (Excel's limit is 409 points).
const MAX_ROW_LINES: usize = 27;

/// The width of a date as shown (`2024年11月30日`), in character units.
const SHOWN_DATE_WIDTH: usize = 14;

/// Excel's number for A4 paper.
const A4: u8 = 9;

/// The widest a sheet's columns may be, in characters, to print in portrait on A4 at a legible scale.
const PORTRAIT_WIDTH: usize = 100;

// ---------------------------------------------------------------------------
// Shared reading machinery
// ---------------------------------------------------------------------------

/// One filled cell as read from the file.
#[derive(Debug)]
enum Cell {
    /// Accepted text, trimmed and not empty.
    Text(String),
    /// A cell that cannot be imported, with the message saying why.
    Bad(String),
}

/// A row with at least one filled cell: (column index, cell), sorted by column.
#[derive(Debug)]
struct RawRow {
    line: usize,
    cells: Vec<(usize, Cell)>,
}

/// The problems found so far, listing at most [`MAX_ERRORS`].
#[derive(Debug, Default)]
struct Problems {
    list: Vec<CellError>,
    unlisted: usize,
}

impl Problems {
    fn add(&mut self, row: usize, column: impl Into<String>, message: impl Into<String>) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(CellError { row, column: column.into(), message: message.into() });
        } else {
            self.unlisted += 1;
        }
    }

    fn finish<T>(mut self, value: T) -> Result<T, Vec<CellError>> {
        if self.list.is_empty() {
            return Ok(value);
        }
        self.list.sort_by_key(|error| error.row);
        if self.unlisted > 0 {
            self.list.push(CellError::file(keyed("error.more_problems", &[&self.unlisted.to_string()])));
        }
        Err(self.list)
    }
}

/// The cell for a piece of trimmed text, or `None` when it is empty.
fn text_cell(text: &str) -> Option<Cell> {
    let text = text.trim();
    if text.is_empty() {
        None
    } else if text.starts_with('=') {
        Some(Cell::Bad(EQUALS_MESSAGE.to_owned()))
    } else {
        Some(Cell::Text(text.to_owned()))
    }
}

/// The spreadsheet letters of a zero-based column index: 0 → A, 26 → AA.
fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A merged range of cells, with the problem message naming it.
#[derive(Debug)]
struct Merge {
    top: usize,
    bottom: usize,
    left: usize,
    message: String,
}

/// The header row and the data rows, checked and laid out by column.
/// Merged ranges are reported under their top-left cell once the header
/// names the columns.
fn assemble(raw: Vec<RawRow>, merges: Vec<Merge>, mut problems: Problems) -> Result<Sheet, Vec<CellError>> {
    let mut raw = raw.into_iter();
    let Some(head) = raw.next() else {
        problems.add(0, "", "error.no_header");
        return problems.finish(Sheet::default());
    };

    let width = head.cells.last().map_or(0, |(col, _)| col + 1);
    let mut headers = vec![String::new(); width];
    let mut flagged = vec![false; width];
    for (col, cell) in head.cells {
        match cell {
            Cell::Text(text) => headers[col] = text,
            Cell::Bad(message) => {
                flagged[col] = true;
                problems.add(head.line, column_letters(col), message);
            }
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (col, name) in headers.iter().enumerate() {
        if name.is_empty() {
            if !flagged[col] {
                problems.add(head.line, column_letters(col), "error.column_unnamed");
            }
        } else if let Some(first) = seen.get(name.as_str()) {
            problems.add(
                head.line,
                name.clone(),
                keyed("error.column_twice", &[&column_letters(*first), &column_letters(col)]),
            );
        } else {
            seen.insert(name, col);
        }
    }
    let column_name = |col: usize| match headers.get(col) {
        Some(name) if !name.is_empty() => name.clone(),
        _ => column_letters(col),
    };

    let header_merged = merges.iter().any(|merge| merge.top <= head.line && head.line <= merge.bottom);
    for merge in merges {
        problems.add(merge.top, column_name(merge.left), merge.message);
    }
    if header_merged {
        // With a merged header (often a title above the real header) the
        // columns are unknown, and every data row would be reported.
        return problems.finish(Sheet::default());
    }

    let data_rows = raw.len();
    if data_rows > MAX_DATA_ROWS {
        return Err(vec![too_many_rows()]);
    }
    if data_rows.saturating_mul(width) > MAX_CELLS {
        return Err(vec![too_many_cells()]);
    }

    let mut rows = Vec::with_capacity(data_rows);
    for raw_row in raw {
        let mut cells = vec![String::new(); width];
        let mut beyond = None;
        for (col, cell) in raw_row.cells {
            if col >= width {
                beyond = Some(col);
                continue;
            }
            match cell {
                Cell::Text(text) => cells[col] = text,
                Cell::Bad(message) => problems.add(raw_row.line, column_name(col), message),
            }
        }
        if let Some(last) = beyond {
            problems.add(
                raw_row.line,
                "",
                keyed("error.row_too_wide", &[&(last + 1).to_string(), &width.to_string(), &column_letters(last)]),
            );
        }
        rows.push(Row { line: raw_row.line, cells });
    }
    problems.finish(Sheet { headers, rows })
}

fn too_many_rows() -> CellError {
    CellError::file("error.too_many_rows")
}

fn too_many_cells() -> CellError {
    CellError::file("error.too_many_cells")
}

/// The lower-case extension of a file name, if any.
fn extension(filename: &str) -> String {
    filename.rsplit_once('.').map(|(_, ext)| ext.trim().to_ascii_lowercase()).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

fn read_csv(bytes: &[u8], filename: &str) -> Result<Sheet, Vec<CellError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text: Cow<'_, str> = if let Ok(text) = std::str::from_utf8(bytes) {
        Cow::Borrowed(text)
    } else if let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        text
    } else {
        return Err(vec![undecodable(filename)]);
    };
    if text.contains('\0') {
        return Err(vec![undecodable(filename)]);
    }

    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut raw = Vec::new();
    let mut problems = Problems::default();
    let mut stored = 0_usize;
    let mut lines = LineCounter::new(text.as_bytes());
    loop {
        let before = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = lines.line_at(before);
                problems.add(line, "", keyed("error.csv_broken", &[&error.to_string()]));
                break;
            }
        }
        let start = record.position().map_or(before, csv::Position::byte);
        let line = lines.line_at(start);
        let cells: Vec<(usize, Cell)> =
            record.iter().enumerate().filter_map(|(col, field)| text_cell(field).map(|cell| (col, cell))).collect();
        if cells.is_empty() {
            continue;
        }
        stored += cells.len();
        if stored > MAX_CELLS {
            return Err(vec![too_many_cells()]);
        }
        raw.push(RawRow { line, cells });
        if raw.len() > MAX_DATA_ROWS + 1 {
            return Err(vec![too_many_rows()]);
        }
    }
    assemble(raw, Vec::new(), problems)
}

/// Line numbers of CSV records. The reader reports where it started looking
/// for a record, which can be a line terminator or blank line before it; the
/// record's line is that of its first byte after those.
struct LineCounter<'a> {
    text: &'a [u8],
    counted_to: usize,
    newlines: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self { text, counted_to: 0, newlines: 0 }
    }

    /// The 1-based line of the first byte at or after `byte` that is not a
    /// line terminator. Offsets must not decrease between calls.
    fn line_at(&mut self, byte: u64) -> usize {
        let mut start = usize::try_from(byte).map_or(self.text.len(), |b| b.min(self.text.len()));
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.counted_to {
            self.newlines =
                self.text[self.counted_to..start].iter().fold(self.newlines, |n, &b| n + usize::from(b == b'\n'));
            self.counted_to = start;
        }
        self.newlines + 1
    }
}

/// The whole-file error for text that decodes as neither UTF-8 nor GB18030.
fn undecodable(filename: &str) -> CellError {
    let ext = extension(filename);
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "et" | "ods") {
        CellError::file(keyed("error.file_not_workbook", &[&ext]))
    } else {
        CellError::file("error.file_encoding")
    }
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

fn is_zip(bytes: &[u8]) -> bool {
    [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"].iter().any(|signature| bytes.starts_with(*signature))
}

/// The whole-file error for a ZIP file that is not a readable workbook.
fn not_a_workbook(filename: &str) -> CellError {
    match extension(filename).as_str() {
        "ods" => CellError::file("error.file_ods"),
        "numbers" => CellError::file("error.file_numbers"),
        _ => CellError::file("error.file_bad_xlsx"),
    }
}

fn read_xlsx(bytes: &[u8], filename: &str) -> Result<Sheet, Vec<CellError>> {
    check_archive(bytes, filename)?;
    // The workbook parser is third-party code fed untrusted input: a panic
    // inside it is reported as an unreadable file rather than taking the
    // caller down with it.
    std::panic::catch_unwind(|| read_checked_xlsx(bytes, filename))
        .unwrap_or_else(|_| Err(vec![not_a_workbook(filename)]))
}

/// Refuses archives that would exhaust memory once opened: parts that unpack
/// to more than [`MAX_UNPACKED_BYTES`] in all, or a shared-string table that
/// declares more than [`MAX_SHARED_STRINGS`] entries.
fn check_archive(bytes: &[u8], filename: &str) -> Result<(), Vec<CellError>> {
    let invalid = || vec![not_a_workbook(filename)];
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| invalid())?;
    let mut total = 0_u64;
    let mut string_tables = Vec::new();
    for index in 0..archive.len() {
        let part = archive.by_index_raw(index).map_err(|_| invalid())?;
        total = total.saturating_add(part.size());
        let name = part.name().map_err(|_| invalid())?;
        if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            string_tables.push(index);
        }
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(vec![CellError::file("error.file_unpacks")]);
    }
    for index in string_tables {
        let part = archive.by_index(index).map_err(|_| invalid())?;
        if !declared_counts_fit(part) {
            return Err(invalid());
        }
    }
    Ok(())
}

/// Whether every `uniqueCount` attribute in an XML stream is a plausible
/// number (at most [`MAX_SHARED_STRINGS`]). A value that cannot be read
/// within a few KiB of its name counts as implausible.
fn declared_counts_fit(mut xml: impl Read) -> bool {
    const NAME: &[u8] = b"uniqueCount";
    const WINDOW: usize = 4096;
    let mut buffer: Vec<u8> = Vec::with_capacity(2 * 65_536);
    let mut chunk = vec![0_u8; 65_536];
    loop {
        let read = match xml.read(&mut chunk) {
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        let end = read == 0;
        buffer.extend_from_slice(&chunk[..read]);
        let mut keep_from = buffer.len().saturating_sub(NAME.len() - 1);
        let mut from = 0;
        while let Some(found) = find(&buffer[from..], NAME) {
            let start = from + found;
            match attribute_number(&buffer[start + NAME.len()..]) {
                Attribute::Number(n) if n > MAX_SHARED_STRINGS => return false,
                Attribute::Number(_) | Attribute::NotOne => {}
                Attribute::Unfinished => {
                    if end || buffer.len() - start > WINDOW {
                        return false;
                    }
                    keep_from = start;
                    break;
                }
            }
            from = start + 1;
        }
        if end {
            return true;
        }
        buffer.drain(..keep_from);
    }
}

/// What follows an attribute name in XML text.
enum Attribute {
    /// `= "digits"`: the number, saturated at `u64::MAX`.
    Number(u64),
    /// Anything else that is complete: not a numeric attribute value.
    NotOne,
    /// The text ends before the value does.
    Unfinished,
}

fn attribute_number(rest: &[u8]) -> Attribute {
    let mut bytes = rest.iter().copied().skip_while(u8::is_ascii_whitespace);
    match bytes.next() {
        None => return Attribute::Unfinished,
        Some(b'=') => {}
        Some(_) => return Attribute::NotOne,
    }
    let mut bytes = bytes.skip_while(u8::is_ascii_whitespace);
    let quote = match bytes.next() {
        None => return Attribute::Unfinished,
        Some(quote @ (b'"' | b'\'')) => quote,
        Some(_) => return Attribute::NotOne,
    };
    let mut value = 0_u64;
    for byte in bytes {
        if byte == quote {
            return Attribute::Number(value);
        }
        if !byte.is_ascii_digit() {
            return Attribute::NotOne;
        }
        value = value.saturating_mul(10).saturating_add(u64::from(byte - b'0'));
    }
    Attribute::Unfinished
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(offset) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let start = from + offset;
        if haystack.get(start..start + needle.len())? == needle {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

fn read_checked_xlsx(bytes: &[u8], filename: &str) -> Result<Sheet, Vec<CellError>> {
    let invalid = || vec![not_a_workbook(filename)];
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| invalid())?;
    let sheets = workbook.sheets_metadata();
    let first_visible = sheets.iter().find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible);
    let first_any = || sheets.iter().find(|s| s.typ == SheetType::WorkSheet);
    let Some(sheet) = first_visible.or_else(first_any) else {
        return Err(vec![CellError::file("error.no_worksheet")]);
    };
    let name = sheet.name.clone();

    let merges: Vec<Merge> = workbook
        .merge_cells_by_sheet_name(&name)
        .map_err(|_| invalid())?
        .iter()
        .map(|region| {
            let (top, left) = region.start;
            let (bottom, right) = region.end;
            Merge {
                top: line_of(top),
                bottom: line_of(bottom),
                left: index_of(left),
                message: keyed(
                    "error.merged_cells",
                    &[&format!(
                        "{}{}:{}{}",
                        column_letters(index_of(left)),
                        line_of(top),
                        column_letters(index_of(right)),
                        line_of(bottom),
                    )],
                ),
            }
        })
        .collect();

    let mut reader = workbook.worksheet_cells_reader(&name).map_err(|_| invalid())?;
    let mut grid: BTreeMap<u32, Vec<(usize, Cell)>> = BTreeMap::new();
    let mut stored = 0_usize;
    while let Some(record) = reader.next_cell_with_formula_metadata().map_err(|_| invalid())? {
        let (row, col) = record.pos;
        let cell = if record.formula.is_some() {
            Some(Cell::Bad(FORMULA_MESSAGE.to_owned()))
        } else {
            value_cell(&record.value)
        };
        let Some(cell) = cell else { continue };
        stored += 1;
        if stored > MAX_CELLS {
            return Err(vec![too_many_cells()]);
        }
        grid.entry(row).or_default().push((index_of(col), cell));
        if grid.len() > MAX_DATA_ROWS + 1 {
            return Err(vec![too_many_rows()]);
        }
    }

    let raw = grid
        .into_iter()
        .map(|(row, mut cells)| {
            // A column written twice keeps its last value.
            cells.reverse();
            cells.sort_by_key(|(col, _)| *col);
            cells.dedup_by_key(|(col, _)| *col);
            RawRow { line: line_of(row), cells }
        })
        .collect();
    assemble(raw, merges, Problems::default())
}

/// The row number people see for a zero-based worksheet row.
fn line_of(row: u32) -> usize {
    usize::try_from(row).map_or(usize::MAX, |row| row.saturating_add(1))
}

/// A zero-based worksheet column as an index.
fn index_of(col: u32) -> usize {
    usize::try_from(col).unwrap_or(usize::MAX)
}

/// The cell for a worksheet value, or `None` when it is empty.
fn value_cell(value: &DataRef<'_>) -> Option<Cell> {
    match value {
        DataRef::Empty => None,
        DataRef::String(text) | DataRef::DurationIso(text) => text_cell(text),
        DataRef::SharedString(text) => text_cell(text),
        DataRef::DateTimeIso(text) => text_cell(&iso_text(text)),
        DataRef::Int(n) => Some(Cell::Text(n.to_string())),
        DataRef::Float(x) => Some(Cell::Text(number_text(*x))),
        DataRef::Bool(b) => Some(Cell::Text(b.to_string())),
        DataRef::DateTime(datetime) => Some(Cell::Text(datetime_text(datetime))),
        DataRef::Error(error) => Some(Cell::Bad(keyed("error.cell_error", &[&error.to_string()]))),
    }
}

/// A number as the shortest decimal that reads back the same, with no
/// decimal point for whole numbers.
fn number_text(x: f64) -> String {
    if x == 0.0 {
        // Also turns -0 into 0.
        "0".to_owned()
    } else {
        // `Display` for f64 writes the shortest round-trip digits, never an
        // exponent, and no ".0" for whole numbers.
        x.to_string()
    }
}

/// An Excel serial date as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` when it has a
/// time of day, or `HH:MM` for a time alone; durations as hours and minutes.
fn datetime_text(datetime: &ExcelDateTime) -> String {
    let serial = datetime.as_f64();
    if !serial.is_finite() || serial < 0.0 {
        return number_text(serial);
    }
    if datetime.is_duration() {
        let minutes = (serial * 1440.0).round();
        let hours = (minutes / 60.0).floor();
        let minutes = minutes - hours * 60.0;
        return format!("{hours:.0}:{minutes:02.0}");
    }
    let (year, month, day, hour, minute, second, milli) = datetime.to_ymd_hms_milli();
    if serial < 1.0 {
        format!("{hour:02}:{minute:02}")
    } else if hour == 0 && minute == 0 && second == 0 && milli == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    }
}

/// An ISO 8601 date-time written in a cell as `YYYY-MM-DD`,
/// `YYYY-MM-DD HH:MM` or `HH:MM`, like [`datetime_text`].
fn iso_text(text: &str) -> String {
    let text = text.trim();
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, time),
        None if text.contains(':') => ("", text),
        None => (text, ""),
    };
    let midnight = time.trim_start_matches(['0', ':', '.']).is_empty();
    let hour_minute = time.get(..5).unwrap_or(time);
    match (date.is_empty(), midnight) {
        (_, true) if !date.is_empty() => date.to_owned(),
        (true, _) => hour_minute.to_owned(),
        _ => format!("{date} {hour_minute}"),
    }
}

// ---------------------------------------------------------------------------
// Writing helpers
// ---------------------------------------------------------------------------

fn push_csv_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>, width: usize) {
    let mut count = 0;
    for cell in cells {
        if count > 0 {
            out.push(',');
        }
        push_csv_field(out, &neutralise(cell));
        count += 1;
    }
    for index in count..width {
        if index > 0 {
            out.push(',');
        }
    }
    out.push_str("\r\n");
}

fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The width of text in a spreadsheet column, in character units: the
/// longest line, with East Asian wide characters counting double.
pub fn display_width(text: &str) -> usize {
    text.lines().map(|line| line.chars().map(char_width).sum::<usize>()).max().unwrap_or(0)
}

fn char_width(c: char) -> usize {
    let wide = matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x2FFFD
            | 0x30000..=0x3FFFD
    );
    if wide { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::Write;

    use rust_xlsxwriter::ExcelDateTime as WriteDateTime;

    /// A problem's message as the English reader sees it.
    fn en(e: &CellError) -> String {
        crate::i18n::Lang::En.message(&e.message)
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Rewrites the parts of an XLSX file for which `edit` returns new text.
    fn rewrite_parts(bytes: &[u8], edit: impl Fn(&str, &str) -> Option<String>) -> Vec<u8> {
        let mut source = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for index in 0..source.len() {
            let mut part = source.by_index(index).unwrap();
            let name = part.name().unwrap().into_owned();
            let mut data = Vec::new();
            part.read_to_end(&mut data).unwrap();
            let text = String::from_utf8(data.clone()).unwrap_or_default();
            let data = edit(&name, &text).map_or(data, String::into_bytes);
            out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// An XLSX file whose first worksheet's `<sheetData>` is `data`.
    fn xlsx_with_sheet_data(data: &str) -> Vec<u8> {
        let mut workbook = Workbook::new();
        workbook.add_worksheet().write_string(0, 0, "placeholder").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        rewrite_parts(&bytes, |name, text| {
            if name != "xl/worksheets/sheet1.xml" {
                return None;
            }
            let start = text.find("<sheetData")?;
            let end = text.find("</sheetData>")? + "</sheetData>".len();
            Some(format!("{}<sheetData>{data}</sheetData>{}", &text[..start], &text[end..]))
        })
    }

    #[test]
    fn xlsx_round_trip() {
        let headers = strings(&["日期", "活动名称", "人数", "备注"]);
        let rows = vec![
            strings(&["2024-11-08", "消防宣传进社区", "120", "含\"引号\", 逗号"]),
            strings(&["2024-11-09", "Fire drill", "35", ""]),
            strings(&["2024-11-10", "多行\n文本", "0", "最后一列"]),
        ];
        let (second_headers, second_rows) = (strings(&["姓名", "电话"]), vec![strings(&["张三", "13800138000"])]);
        let second = OutSheet::text("志愿者", &second_headers, &second_rows);
        let bytes = xlsx_bytes(&[OutSheet::text("活动", &headers, &rows), second], "").unwrap();
        let sheet = read(&bytes, "export.xlsx").unwrap();
        assert_eq!(sheet.headers, headers);
        let cells: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(cells, rows);
        let lines: Vec<usize> = sheet.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert_eq!(sheet.column(&["人数", "count"]), Some(2));
        assert_eq!(sheet.column(&[" date ", "日期 "]), Some(0));
        assert_eq!(sheet.column(&["missing"]), None);
    }

    #[test]
    fn xlsx_export_is_neutralised_and_never_formulas() {
        let rows = vec![strings(&["=1+1", "-5", "ok"])];
        let bytes = xlsx_bytes(&[OutSheet::text("S", &strings(&["a", "b", "c"]), &rows)], "").unwrap();
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        let formulas = workbook.worksheet_formula("S").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
        let sheet = read(&bytes, "x.xlsx").unwrap();
        assert_eq!(sheet.rows[0].cells, strings(&["'=1+1", "'-5", "ok"]));
    }

    #[test]
    fn a_typed_sheet_stores_numbers_percentages_and_dates_as_such_and_prints_on_a4() {
        let headers = strings(&["地区", "人数", "完成率", "截止日期", "代码"]);
        let rows = vec![
            strings(&["长春市", "108761", "97%", "2024-11-15", "0431"]),
            strings(&["吉林市", "-5", "100%", "", "发放宣传资料\n97054/100000"]),
        ];
        let wide: Vec<String> = (0..16).map(|i| format!("第{i}项数据（份）")).collect();
        let sheets = [
            OutSheet { name: "数据", headers: &headers, rows: &rows, typed: true },
            OutSheet::text("宽表", &wide, &[]),
        ];
        let bytes = xlsx_bytes(&sheets, "吉林省消防救援总队").unwrap();
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        let range = workbook.worksheet_range("数据").unwrap();
        assert_eq!(range.get_value((1, 1)), Some(&calamine::Data::Float(108_761.0)));
        assert_eq!(range.get_value((2, 1)), Some(&calamine::Data::Float(-5.0)));
        assert_eq!(range.get_value((1, 2)), Some(&calamine::Data::Float(0.97)));
        assert!(matches!(range.get_value((1, 3)), Some(calamine::Data::DateTime(_))), "{:?}", range.get_value((1, 3)));
        // A leading zero is a code and stays text; so does the region's name.
        assert_eq!(range.get_value((1, 4)), Some(&calamine::Data::String("0431".into())));
        assert_eq!(range.get_value((1, 0)), Some(&calamine::Data::String("长春市".into())));
        let part = |name: &str| {
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
            let mut text = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
            text
        };
        let narrow = part("xl/worksheets/sheet1.xml");
        assert!(narrow.contains("paperSize=\"9\"") && narrow.contains("fitToHeight=\"0\""), "{narrow}");
        assert!(!narrow.contains("landscape"), "{narrow}");
        // A date's column fits it as shown (2024年11月15日), and a cell of two lines gets its row two
        // lines high.
        assert!(narrow.contains(r#"<col min="4" max="4" width="16."#), "{narrow}");
        assert!(narrow.contains(r#"<row r="3" spans="1:5" ht="30" customHeight="1""#), "{narrow}");
        assert!(part("xl/worksheets/sheet2.xml").contains("orientation=\"landscape\""));
        assert!(part("xl/workbook.xml").contains("_xlnm.Print_Titles"));
        assert!(part("docProps/core.xml").contains("吉林省消防救援总队"));
        assert!(part("xl/styles.xml").contains("#,##0"));
    }

    /// Printed from LibreOffice Calc (when installed): a sheet of sixteen columns of figures comes
    /// out on one landscape page, a narrow one in portrait.
    #[test]
    fn libreoffice_prints_a_wide_sheet_on_one_landscape_page() {
        let headers: Vec<String> =
            std::iter::once("地区".to_owned()).chain((1..16).map(|i| format!("第{i}项数据（份）"))).collect();
        let rows: Vec<Vec<String>> = (0..12)
            .map(|r| {
                std::iter::once(format!("地区{r}")).chain((1..16).map(|i| (100_000 * r + i).to_string())).collect()
            })
            .collect();
        let narrow = strings(&["日期", "人数"]);
        let days = vec![strings(&["2024-11-01", "41428"])];
        let sheets = [
            OutSheet { name: "各地区数据", headers: &headers, rows: &rows, typed: true },
            OutSheet { name: "每日数据", headers: &narrow, rows: &days, typed: true },
        ];
        let Some(pdf) = crate::testing::libreoffice_pdf("book.xlsx", &xlsx_bytes(&sheets, "").unwrap()).unwrap() else {
            return;
        };
        assert_eq!(crate::testing::a4_pages(&pdf), (1, 1));
    }

    #[test]
    fn xlsx_bad_sheet_name_is_an_error() {
        let result = xlsx_bytes(&[OutSheet::text("a/b", &strings(&["x"]), &[])], "");
        assert!(result.is_err());
        let too_long = "x".repeat(40);
        assert!(xlsx_bytes(&[OutSheet::text(&too_long, &[], &[])], "").is_err());
    }

    #[test]
    fn xlsx_numbers_and_dates() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let time = Format::new().set_num_format("hh:mm");
        for (col, name) in ["整数", "小数", "负数", "日期", "时间", "仅时间", "布尔", "大数"].iter().enumerate()
        {
            sheet.write_string(0, u16::try_from(col).unwrap(), *name).unwrap();
        }
        sheet.write_number(1, 0, 1_050_000).unwrap();
        sheet.write_number(1, 1, 2.75).unwrap();
        sheet.write_number(1, 2, -5).unwrap();
        let day = WriteDateTime::from_ymd(2024, 11, 8).unwrap();
        sheet.write_datetime_with_format(1, 3, &day, &date).unwrap();
        let moment = WriteDateTime::from_ymd(2024, 11, 8).unwrap().and_hms(14, 30, 0).unwrap();
        sheet.write_datetime_with_format(1, 4, &moment, &datetime).unwrap();
        let clock = WriteDateTime::from_hms(9, 5, 0).unwrap();
        sheet.write_datetime_with_format(1, 5, &clock, &time).unwrap();
        sheet.write_boolean(1, 6, true).unwrap();
        sheet.write_number(1, 7, 0.1 + 0.2).unwrap();
        sheet.write_number(2, 0, 0.0).unwrap();
        sheet.write_number(2, 1, 1e-7).unwrap();
        sheet.write_number(2, 2, -2.5).unwrap();
        sheet.write_boolean(2, 6, false).unwrap();
        sheet.write_number(2, 7, 123_456_789_012.0).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();

        let sheet = read(&bytes, "numbers.xlsx").unwrap();
        assert_eq!(
            sheet.rows[0].cells,
            strings(&[
                "1050000",
                "2.75",
                "-5",
                "2024-11-08",
                "2024-11-08 14:30",
                "09:05",
                "true",
                "0.30000000000000004",
            ])
        );
        assert_eq!(sheet.rows[1].cells, strings(&["0", "0.0000001", "-2.5", "", "", "", "false", "123456789012"]));
    }

    #[test]
    fn xlsx_formula_rejected_with_row_and_column() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "名称").unwrap();
        sheet.write_string(0, 1, "金额").unwrap();
        sheet.write_string(1, 0, "a").unwrap();
        sheet.write_number(1, 1, 1).unwrap();
        sheet.write_string(2, 0, "b").unwrap();
        sheet.write_formula(2, 1, "=B2*2").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let errors = read(&bytes, "f.xlsx").unwrap_err();
        assert_eq!(errors, vec![CellError { row: 3, column: "金额".to_owned(), message: FORMULA_MESSAGE.to_owned() }]);
        assert_eq!(errors[0].to_string(), "row 3, column 金额: formula not accepted: paste the values");
    }

    #[test]
    fn xlsx_shared_formula_cells_are_all_rejected() {
        let data = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row>
            <row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">1+1</f><v>2</v></c></row>
            <row r="3"><c r="A3"><f t="shared" si="0"/><v>2</v></c></row>"#;
        let errors = read(&xlsx_with_sheet_data(data), "s.xlsx").unwrap_err();
        let rows: Vec<usize> = errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![2, 3]);
        assert!(errors.iter().all(|e| e.message == FORMULA_MESSAGE && e.column == "n"));
    }

    #[test]
    fn xlsx_error_values_iso_dates_and_extra_cells() {
        let data = r#"<row r="2"><c r="B2" t="inlineStr"><is><t> 名称 </t></is></c>
                <c r="C2" t="inlineStr"><is><t>时间</t></is></c></row>
            <row r="3"><c r="B3" t="e"><v>#REF!</v></c><c r="C3" t="d"><v>2024-11-08T10:30:00</v></c></row>
            <row r="5"><c r="B5" t="inlineStr"><is><t>x</t></is></c><c r="C5" t="d"><v>2024-11-09T00:00:00</v></c>
                <c r="E5" t="inlineStr"><is><t>stray</t></is></c></row>"#;
        let bytes = xlsx_with_sheet_data(data);
        let errors = read(&bytes, "e.xlsx").unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!((errors[0].row, errors[0].column.as_str()), (2, "A"));
        assert_eq!((errors[1].row, errors[1].column.as_str()), (3, "名称"));
        assert!(errors[1].message.contains("#REF!"));
        assert_eq!((errors[2].row, errors[2].column.as_str()), (5, ""));
        assert!(en(&errors[2]).contains("5 cells"), "{}", en(&errors[2]));

        // Without the problems the rows read, with dates normalised.
        let data = r#"<row r="2"><c r="A2" t="inlineStr"><is><t>名称</t></is></c>
                <c r="B2" t="inlineStr"><is><t>时间</t></is></c></row>
            <row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c><c r="B3" t="d"><v>2024-11-08T10:30:00</v></c></row>
            <row r="4"></row>
            <row r="5"><c r="B5" t="d"><v>2024-11-09T00:00:00</v></c></row>"#;
        let sheet = read(&xlsx_with_sheet_data(data), "e.xlsx").unwrap();
        assert_eq!(sheet.headers, strings(&["名称", "时间"]));
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].line, 3);
        assert_eq!(sheet.rows[0].cells, strings(&["x", "2024-11-08 10:30"]));
        assert_eq!(sheet.rows[1].line, 5);
        assert_eq!(sheet.rows[1].cells, strings(&["", "2024-11-09"]));
    }

    #[test]
    fn xlsx_merged_cells_rejected_with_range() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "区域").unwrap();
        sheet.write_string(0, 1, "活动").unwrap();
        sheet.merge_range(2, 0, 4, 0, "杭州", &Format::new()).unwrap();
        for row in 1..5 {
            sheet.write_string(row, 1, "演练").unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let errors = read(&bytes, "m.xlsx").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].row, 3);
        assert_eq!(errors[0].column, "区域");
        assert_eq!(en(&errors[0]), "merged cells A3:A5: unmerge them and fill every cell");
    }

    #[test]
    fn xlsx_merged_title_row_reported_once() {
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.merge_range(0, 0, 0, 2, "2024年消防宣传活动统计表", &Format::new()).unwrap();
        for (col, name) in ["日期", "活动", "人数"].iter().enumerate() {
            sheet.write_string(1, u16::try_from(col).unwrap(), *name).unwrap();
        }
        for row in 2..50 {
            sheet.write_string(row, 0, "2024-11-08").unwrap();
            sheet.write_string(row, 1, "演练").unwrap();
            sheet.write_number(row, 2, 30).unwrap();
        }
        let errors = read(&workbook.save_to_buffer().unwrap(), "t.xlsx").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].row, 1);
        assert_eq!(en(&errors[0]), "merged cells A1:C1: unmerge them and fill every cell");
    }

    #[test]
    fn hyperlink_text_rejected_in_csv_and_xlsx() {
        let csv = "名称,链接\r\na,\"=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\"\r\n";
        let errors = read(csv.as_bytes(), "h.csv").unwrap_err();
        assert_eq!(errors, vec![CellError { row: 2, column: "链接".to_owned(), message: EQUALS_MESSAGE.to_owned() }]);

        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "名称").unwrap();
        sheet.write_string(0, 1, "链接").unwrap();
        sheet.write_string(1, 0, "a").unwrap();
        sheet.write_string(1, 1, r#" =HYPERLINK("http://x","click")"#).unwrap();
        let errors = read(&workbook.save_to_buffer().unwrap(), "h.xlsx").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].row, errors[0].column.as_str()), (2, "链接"));
        assert_eq!(errors[0].message, EQUALS_MESSAGE);
    }

    #[test]
    fn csv_plus_minus_at_accepted_on_import() {
        let sheet = read(b"a,b,c\n-5,+86 138,@home\n", "p.csv").unwrap();
        assert_eq!(sheet.rows[0].cells, strings(&["-5", "+86 138", "@home"]));
    }

    #[test]
    fn gbk_csv_read() {
        let text = "日期,活动名称,地点\r\n2024-11-08,消防安全进校园,杭州市西湖区\r\n";
        let (encoded, _, had_errors) = encoding_rs::GBK.encode(text);
        assert!(!had_errors);
        assert!(std::str::from_utf8(&encoded).is_err());
        let sheet = read(&encoded, "gbk.csv").unwrap();
        assert_eq!(sheet.headers, strings(&["日期", "活动名称", "地点"]));
        assert_eq!(
            sheet.rows,
            vec![Row { line: 2, cells: strings(&["2024-11-08", "消防安全进校园", "杭州市西湖区"]) }]
        );
    }

    #[test]
    fn utf8_bom_csv_read() {
        let bytes = "\u{feff}姓名, 电话 \n\n张三 , 13800138000\n,\n李四,\n".as_bytes();
        let sheet = read(bytes, "bom.csv").unwrap();
        assert_eq!(sheet.headers, strings(&["姓名", "电话"]));
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].line, 3);
        assert_eq!(sheet.rows[0].cells, strings(&["张三", "13800138000"]));
        assert_eq!(sheet.rows[1].line, 5);
        assert_eq!(sheet.rows[1].cells, strings(&["李四", ""]));
    }

    #[test]
    fn csv_quoted_newline_keeps_line_numbers() {
        let bytes = b"a,b\n\"x\ny\",1\nz,2\n";
        let sheet = read(bytes, "q.csv").unwrap();
        assert_eq!(sheet.rows[0].cells, strings(&["x\ny", "1"]));
        assert_eq!(sheet.rows[0].line, 2);
        assert_eq!(sheet.rows[1].line, 4);
    }

    #[test]
    fn csv_extra_cell_named_by_row() {
        let bytes = b"a,b\n1,2\n3,4,5\n6,7,,\n";
        let errors = read(bytes, "x.csv").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 3);
        assert_eq!(errors[0].column, "");
        assert_eq!(errors[0].to_string(), "row 3: this row has 3 cells but the header has 2: column C has no name");
    }

    #[test]
    fn all_errors_are_collected() {
        let bytes = b"a,b\n=1,ok\nok,=2\n=3,=4\n";
        let errors = read(bytes, "many.csv").unwrap_err();
        let places: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(places, vec![(2, "a"), (3, "b"), (4, "a"), (4, "b")]);
    }

    #[test]
    fn error_list_is_capped() {
        let mut csv = String::from("a\n");
        for _ in 0..(MAX_ERRORS + 5) {
            csv.push_str("=1\n");
        }
        let errors = read(csv.as_bytes(), "cap.csv").unwrap_err();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors[MAX_ERRORS].row, 0);
        assert!(en(&errors[MAX_ERRORS]).starts_with("5 more problems"));
    }

    #[test]
    fn neutralise_cases() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("+86"), "'+86");
        assert_eq!(neutralise("-5"), "'-5");
        assert_eq!(neutralise("@x"), "'@x");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert!(matches!(neutralise("normal"), Cow::Borrowed("normal")));
        assert!(matches!(neutralise(""), Cow::Borrowed("")));
    }

    #[test]
    fn csv_bytes_bom_and_quoting() {
        let rows = vec![strings(&["a,b", "say \"hi\"", "=cmd"]), strings(&["line\nbreak"])];
        let bytes = csv_bytes(&["名称", "引用", "公式"], &rows);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "名称,引用,公式\r\n\"a,b\",\"say \"\"hi\"\"\",'=cmd\r\n\"line\nbreak\",,\r\n");
        let sheet = read(&bytes, "out.csv").unwrap();
        assert_eq!(sheet.rows[0].cells, strings(&["a,b", "say \"hi\"", "'=cmd"]));
        assert_eq!(sheet.rows[1].cells, strings(&["line\nbreak", "", ""]));
    }

    #[test]
    fn garbage_is_a_row_zero_error() {
        let cases: [&[u8]; 4] = [
            &[0xFF, 0x00, 0x81, 0xFE, 0x80, 0x80, 0xFF, 0x00],
            b"PK\x03\x04 definitely not a zip archive",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old xls",
            b"a,b\n\x00\x01\x02,3\n",
        ];
        for bytes in cases {
            let errors = read(bytes, "upload.csv").unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].row, 0);
            assert_eq!(errors[0].to_string(), en(&errors[0]));
        }
        let errors = read(&[0xFF, 0x81, 0x30, 0x80], "data.csv").unwrap_err();
        assert!(en(&errors[0]).starts_with("the file is neither UTF-8 nor GBK/GB18030"));
        let errors = read(&[0xFF, 0xFF], "data.xlsx").unwrap_err();
        assert!(en(&errors[0]).contains(".xlsx"));
    }

    #[test]
    fn empty_and_duplicate_headers() {
        let errors = read(b"name,,name,age\n1,2,3,4\n", "h.csv").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e.row == 1));
        assert_eq!(errors[0].column, "B");
        assert_eq!(errors[1].column, "name");
        assert!(en(&errors[1]).contains("columns A and C"));

        let errors = read(b"", "empty.csv").unwrap_err();
        assert_eq!(errors[0].row, 0);
        let errors = read(b"\xEF\xBB\xBF\n,,\n", "blank.csv").unwrap_err();
        assert_eq!(errors[0].row, 0);

        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "x").unwrap();
        sheet.write_string(0, 2, "x").unwrap();
        sheet.write_string(1, 0, "1").unwrap();
        let errors = read(&workbook.save_to_buffer().unwrap(), "h.xlsx").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|e| e.row == 1));
    }

    #[test]
    fn forged_string_count_refused() {
        let bytes = xlsx_bytes(&[OutSheet::text("S", &strings(&["a"]), &[strings(&["b"])])], "").unwrap();
        let forged = rewrite_parts(&bytes, |name, text| {
            name.ends_with("sharedStrings.xml")
                .then(|| text.replacen("uniqueCount=\"", "uniqueCount = \"10000000000", 1))
        });
        let errors = read(&forged, "forged.xlsx").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].row, 0);
    }

    #[test]
    fn forged_shared_formula_index_is_safe() {
        // A huge shared-formula index must not be used to size anything.
        let data = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>n</t></is></c></row>
            <row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="10000000000">1+1</f><v>2</v></c></row>
            <row r="3"><c r="A3"><f t="shared" si="10000000000"/><v>2</v></c></row>"#;
        let errors = read(&xlsx_with_sheet_data(data), "si.xlsx").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| e.message == FORMULA_MESSAGE));
    }

    #[test]
    fn declared_count_scanner() {
        let ok = b"<sst uniqueCount=\"12\" count='5'>".as_slice();
        assert!(declared_counts_fit(ok));
        assert!(!declared_counts_fit(b"<sst uniqueCount='99999999999'>".as_slice()));
        assert!(declared_counts_fit(b"<t>uniqueCount is a word</t>".as_slice()));
        assert!(!declared_counts_fit(b"<sst uniqueCount = ".as_slice()));
        // A value split across reads is still seen.
        let mut text = vec![b' '; 65_530];
        text.extend_from_slice(b"<sst uniqueCount=\"123456789012\">");
        assert!(!declared_counts_fit(text.as_slice()));
    }

    #[test]
    fn hidden_first_sheet_is_skipped() {
        let mut workbook = Workbook::new();
        let hidden = workbook.add_worksheet();
        hidden.write_string(0, 0, "lists").unwrap();
        hidden.set_hidden(true);
        let visible = workbook.add_worksheet();
        visible.write_string(0, 0, "名称").unwrap();
        visible.write_string(1, 0, "a").unwrap();
        visible.set_active(true);
        let sheet = read(&workbook.save_to_buffer().unwrap(), "v.xlsx").unwrap();
        assert_eq!(sheet.headers, strings(&["名称"]));
    }

    #[test]
    fn too_large_inputs_refused() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        let errors = read(&big, "big.csv").unwrap_err();
        assert_eq!(errors[0].row, 0);

        let mut csv = String::from("n\n");
        for _ in 0..=MAX_DATA_ROWS {
            csv.push_str("1\n");
        }
        let errors = read(csv.as_bytes(), "rows.csv").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(en(&errors[0]).contains("200,000"));
    }

    #[test]
    fn helpers() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("消防"), 4);
        assert_eq!(display_width("ab\n消防安全"), 8);
        assert_eq!(iso_text("2024-11-08"), "2024-11-08");
        assert_eq!(iso_text("10:30:00"), "10:30");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(1_050_000.0), "1050000");
        let err =
            CellError { row: 7, column: "日期".to_owned(), message: "expected a date like 2024-11-08".to_owned() };
        assert_eq!(err.to_string(), "row 7, column 日期: expected a date like 2024-11-08");
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small xorshift generator keeps the inputs reproducible.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let valid = xlsx_bytes(
            &[OutSheet::text("S", &strings(&["a", "b"]), &[strings(&["1", "x"]), strings(&["2", "y"])])],
            "",
        )
        .unwrap();
        for round in 0..300 {
            let len = usize::try_from(next() % 512).unwrap();
            let mut bytes: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            match round % 3 {
                0 => {}
                1 => {
                    let mut zip = b"PK\x03\x04".to_vec();
                    zip.extend_from_slice(&bytes);
                    bytes = zip;
                }
                _ => {
                    // Corrupt a few bytes of a valid workbook.
                    let mut corrupt = valid.clone();
                    for _ in 0..4 {
                        let at = usize::try_from(next()).unwrap() % corrupt.len();
                        corrupt[at] = next().to_le_bytes()[0];
                    }
                    bytes = corrupt;
                }
            }
            let _ = read(&bytes, "fuzz.bin");
        }
    }
}
