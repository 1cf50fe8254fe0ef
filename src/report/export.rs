//! The report in files: Word (editable, official-document layout, charts as pictures), Excel
//! (every table on its own sheet), CSV (the table of figures per region) and printable HTML.

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
}

impl Format {
    /// Parses `docx`, `xlsx`, `csv` or `html`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "docx" => Ok(Self::Docx),
            "xlsx" => Ok(Self::Xlsx),
            "csv" => Ok(Self::Csv),
            "html" => Ok(Self::Html),
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
        }
    }

    /// MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
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
    }
}

fn word(r: &Report) -> Result<Vec<u8>> {
    let mut blocks = Vec::new();
    for s in &r.sections {
        blocks.push(docx::Block::Heading { level: 1, text: s.heading.clone() });
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
    for p in &r.pictures {
        let png = crate::svg::png::svg_to_png(&p.svg, 2.0)
            .map_err(|e| Error::Internal(anyhow::anyhow!("chart picture: {e}")))?;
        blocks.push(docx::Block::Picture { caption: p.caption.clone(), png, width_mm: 150 });
    }
    let doc = docx::Document { title: r.title.clone(), subtitle: r.subtitle.clone(), blocks };
    docx::docx_bytes(&doc).map_err(|e| Error::Internal(anyhow::anyhow!("docx: {e}")))
}

fn excel(r: &Report) -> Result<Vec<u8>> {
    let text: Vec<Vec<String>> = r
        .sections
        .iter()
        .flat_map(|s| std::iter::once(vec![s.heading.clone()]).chain(s.paragraphs.iter().map(|p| vec![p.plain()])))
        .collect();
    let mut sheets = vec![("正文", vec![r.title.clone()], text)];
    sheets.extend(r.tables.iter().map(|t| (t.sheet.as_str(), t.headers.clone(), t.rows.clone())));
    sheet::xlsx_bytes(&sheets).map_err(|e| Error::Internal(anyhow::anyhow!("xlsx: {e}")))
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
}

/// The report as a standalone printable HTML page: styles and charts inline, so the file reads the
/// same opened from disk; figures link to their records on the server.
pub fn html(r: &Report) -> Result<String> {
    Print { r, css: include_str!("../../static/report.css") }
        .render()
        .map_err(|e| Error::Internal(anyhow::anyhow!("template: {e}")))
}
