//! The report in files: Word (editable, official-document layout, charts as pictures), Excel
//! (every table on its own sheet), CSV (the table of figures per region), printable HTML, and PDF
//! printed from that HTML by headless Chromium.
//!
//! PDF through the browser rather than an engine in the program: the printable HTML already lays
//! the report out for A4 (page numbers, landscape pages for wide tables), Chromium is the browser
//! the pages are tested in, and it sets Chinese text with the system's fonts; an embedded engine
//! would add a large build and a second layout of the same report to keep right.

use askama::Template;

use super::{Report, Segment, docx};
use crate::{Error, Result, sheet};

/// A file format of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Word.
    Docx,
    /// Excel.
    Xlsx,
    /// CSV of the figures per region.
    Csv,
    /// Printable HTML.
    Html,
    /// PDF, printed from the printable HTML by headless Chromium (when it is installed).
    Pdf,
}

impl Format {
    /// Parses `docx`, `xlsx`, `csv` or `html`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "docx" => Ok(Self::Docx),
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            "html" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            _ => Err(Error::invalid("format", "error.export_format")),
        }
    }

    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }

    /// MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }
}

/// The report in a format.
pub fn render(r: &Report, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Docx => word(r),
        Format::Xlsx => excel(r),
        Format::Csv => Ok(csv(r)),
        Format::Html => html(r).map(String::into_bytes),
        Format::Pdf => pdf(r),
    }
}

/// The browsers that can print the report, by the names Debian and others install them under.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

/// The printable HTML printed to PDF by headless Chromium; refused with `error.pdf_needs_chromium`
/// when no browser is installed.
fn pdf(r: &Report) -> Result<Vec<u8>> {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let runs = |b: &&&str| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success());
    let browser = BROWSERS.iter().find(runs).ok_or_else(|| Error::invalid("format", "error.pdf_needs_chromium"))?;
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("firecast-pdf-{}-{run}", std::process::id()));
    let printed = print(browser, &dir, &html(r)?);
    std::fs::remove_dir_all(&dir).ok();
    printed.map_err(|e| Error::Internal(e.context("printing the report to PDF")))
}

fn print(browser: &str, dir: &std::path::Path, html: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::create_dir_all(dir)?;
    let (page, out) = (dir.join("report.html"), dir.join("report.pdf"));
    std::fs::write(&page, html)?;
    let done = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .output()?;
    anyhow::ensure!(done.status.success(), "{browser}: {}", String::from_utf8_lossy(&done.stderr));
    Ok(std::fs::read(out)?)
}

fn word(r: &Report) -> Result<Vec<u8>> {
    let mut blocks = Vec::new();
    for s in &r.sections {
        if !s.heading.is_empty() {
            blocks.push(docx::Block::Heading { level: 1, text: s.heading.clone() });
        }
        blocks.extend(s.paragraphs.iter().map(|p| docx::Block::Paragraph(p.plain())));
    }
    blocks.push(docx::Block::Heading { level: 1, text: "附：数据表和图".to_owned() });
    for t in &r.tables {
        if !t.rows.is_empty() {
            blocks.push(docx::Block::Table {
                caption: t.caption.clone(),
                headers: t.headers.clone(),
                rows: t.rows.clone(),
            });
        }
    }
    // Where each figure of the text comes from: the file has no links, so a table traces them.
    let sources = figure_sources(r);
    if !sources.is_empty() {
        blocks.push(docx::Block::Table {
            caption: format!("表{} 正文数字和活动来源", r.tables.len() + 1),
            headers: ["正文位置", "数字或活动", "数值", "记录（在系统中打开）"]
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            rows: sources,
        });
    }
    for p in &r.pictures {
        let png = crate::svg::png::svg_to_png(&p.svg, 2.0)
            .map_err(|e| Error::Internal(anyhow::anyhow!("chart picture: {e}")))?;
        blocks.push(docx::Block::Picture { caption: p.caption.clone(), png, width_mm: 150 });
    }
    let doc = docx::Document {
        title: r.title.clone(),
        blocks,
        signer: r.signer.clone(),
        date: r.date.clone(),
        created: crate::clock::now(),
    };
    docx::docx_bytes(&doc).map_err(|e| Error::Internal(anyhow::anyhow!("docx: {e}")))
}

/// Each figure and named record of the text: the heading of its part, the figure or name as
/// written, the figure's value, and the address of its records in the system.
fn figure_sources(r: &Report) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for s in &r.sections {
        let place = if s.heading.is_empty() { "导语".to_owned() } else { s.heading.clone() };
        for p in &s.paragraphs {
            for seg in &p.segments {
                match seg {
                    Segment::Figure { text, href, value } => {
                        rows.push(vec![place.clone(), text.clone(), value.to_string(), href.clone()]);
                    }
                    Segment::Record { text, href } => {
                        rows.push(vec![place.clone(), text.clone(), String::new(), href.clone()]);
                    }
                    Segment::Text { .. } => {}
                }
            }
        }
    }
    rows
}

fn excel(r: &Report) -> Result<Vec<u8>> {
    let text: Vec<Vec<String>> = r
        .sections
        .iter()
        .flat_map(|s| {
            let heading = (!s.heading.is_empty()).then(|| vec![s.heading.clone()]);
            heading.into_iter().chain(s.paragraphs.iter().map(|p| vec![p.plain()]))
        })
        .collect();
    let title = [r.title.clone()];
    let mut sheets = vec![sheet::OutSheet::text("正文", &title, &text)];
    sheets.extend(r.tables.iter().map(|t| sheet::OutSheet {
        name: &t.sheet,
        headers: &t.headers,
        rows: &t.rows,
        typed: true,
    }));
    sheet::xlsx_bytes(&sheets, &r.signer).map_err(|e| Error::Internal(anyhow::anyhow!("xlsx: {e}")))
}

fn csv(r: &Report) -> Vec<u8> {
    let Some(t) = r.tables.first() else { return Vec::new() };
    let headers: Vec<&str> = t.headers.iter().map(String::as_str).collect();
    sheet::csv_bytes(&headers, &t.rows)
}

#[derive(Template)]
#[template(path = "report/print.html")]
struct Print<'a> {
    r: &'a Report,
    css: &'static str,
    /// No forms in print.
    author: Option<super::pages::Author>,
}

/// The report as a standalone printable HTML page: styles and charts inline, so the file reads the
/// same opened from disk; figures link to their records on the server.
pub fn html(r: &Report) -> Result<String> {
    Print { r, css: include_str!("../../static/report.css"), author: None }
        .render()
        .map_err(|e| Error::Internal(anyhow::anyhow!("template: {e}")))
}
