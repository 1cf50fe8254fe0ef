//! Editable Word (DOCX) export of campaign reports in the layout of Chinese official documents
//! (GB/T 9704), and rasterisation of SVG charts to PNG so they can be embedded in such a report.
//!
//! The layout: A4 paper with margins of 37 mm (top), 35 mm (bottom), 28 mm (left) and 26 mm (right);
//! a centred title in 22 pt 方正小标宋简体 (declared with 宋体 as its stand-in), body text in 16 pt (三号) `FangSong` (仿宋) with a first-line indent of two
//! characters and a fixed line pitch of 28.95 pt (22 lines a page), level-1 headings in `SimHei` (黑体) and
//! level-2 headings in `KaiTi`, a centred page number in the footer in the form "— 1 —", and the
//! issuing unit and date at the end on the right. A table too wide for the page goes on landscape
//! pages, split by columns when it is too wide even for those. The document's properties name its
//! author (the issuing unit), title, creation time and language (zh-CN).
//!
//! All formatting lives in named paragraph styles ("Title", "heading 1", "heading 2",
//! "caption", "Table Text", "footer") and in the document defaults, so the result stays easy to edit
//! in Word or WPS: changing a style changes every paragraph that uses it. Headings carry outline
//! levels, so they show in the navigation pane and can feed a table of contents.
//!
//! The XML that `docx-rs` writes is normalised before packaging: the children of property elements
//! (`w:rPr`, `w:pPr`, `w:sectPr`, `w:tblPr`, `w:tcPr`, `w:style`) are put in the order the OOXML
//! schema prescribes, because Word may ignore properties that appear out of order, "Normal" is
//! marked as the default paragraph style, and every picture gets its own drawing-object id.

use std::fmt::Write as _;
use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, PageOrientationType,
    PageSize, Paragraph, Pic, Run, RunFonts, SectionProperty, Shading, ShdType, SpecialIndentType, Style, StyleType,
    Table, TableAlignmentType, TableCell, TableLayoutType, TableRow, VAlignType, WidthType,
};

/// A block of the document body.
#[derive(Clone, Debug)]
pub enum Block {
    /// A numbered or plain heading (level 1 or 2).
    Heading {
        /// 1 for a first-level heading (`SimHei`), 2 for a second-level heading (`KaiTi`).
        level: u8,
        /// The heading text, including its numbering ("一、", "（一）") if it has any.
        text: String,
    },
    /// A body paragraph (first-line indent of two characters, as Chinese official documents do).
    ///
    /// Each line of the text (separated by `\n`) becomes a paragraph of its own; blank lines are dropped.
    Paragraph(String),
    /// A table with a caption above it; the first row is the header (bold, shaded); numbers right-aligned when a
    /// cell parses as a number with optional thousands separators.
    Table {
        /// The caption shown above the table, e.g. "表1 各市宣传活动统计".
        caption: String,
        /// The header row.
        headers: Vec<String>,
        /// The body rows; short rows are padded with empty cells.
        rows: Vec<Vec<String>>,
    },
    /// A picture (PNG bytes) with a caption below, scaled to the given width in millimetres keeping the aspect
    /// ratio.
    ///
    /// The picture is shrunk further when it would not fit the type area (156 mm × 200 mm).
    Picture {
        /// The caption shown below the picture, e.g. "图1 月度活动场次".
        caption: String,
        /// The PNG file contents.
        png: Vec<u8>,
        /// The printed width in millimetres.
        width_mm: u32,
    },
}

/// A document: a centred title (二号 方正小标宋简体, which Word and LibreOffice replace with 宋体 where it is not
/// installed), then the blocks, then the issuing unit and the date at the end, on the right (the date four
/// characters from the margin, the unit centred above it). Body text 16pt (三号) in 仿宋
/// (`FangSong`) for East Asian text, headings 黑体 (`SimHei`) for level 1 and 楷体 (`KaiTi`) for level 2, A4 paper
/// with margins 37mm top, 35mm bottom, 28mm left, 26mm right (GB/T 9704 layout), page numbers in the footer
/// centred ("— 1 —" style).
#[derive(Clone, Debug)]
pub struct Document {
    /// The title, centred at the top of the first page.
    pub title: String,
    /// The body.
    pub blocks: Vec<Block>,
    /// The issuing unit: signs the document at the end and is its author.
    pub signer: String,
    /// The date it is signed, as written (2026年12月2日).
    pub date: String,
    /// When it was made (the document's creation time).
    pub created: time::OffsetDateTime,
}

/// Font for Latin letters and digits everywhere except the page number.
const LATIN_FONT: &str = "Times New Roman";
/// 宋体, for the page number, and the title's fallback.
const SONG_FONT: &str = "SimSun";
/// 方正小标宋简体, for the title.
const TITLE_FONT: &str = "方正小标宋简体";
/// 仿宋, for body text and tables.
const FANGSONG_FONT: &str = "FangSong";
/// 黑体, for level-1 headings and captions.
const HEI_FONT: &str = "SimHei";
/// 楷体, for level-2 headings.
const KAI_FONT: &str = "KaiTi";

/// Font sizes in half-points: 二号 (22 pt) for the title.
const TITLE_SIZE: usize = 44;
/// 三号 (16 pt) for body text, headings and the signature.
const BODY_SIZE: usize = 32;
/// 四号 (14 pt) for captions and the page number.
const SMALL_SIZE: usize = 28;
/// 小四 (12 pt) for table text.
const TABLE_SIZE: usize = 24;

/// Top page margin in millimetres.
const MARGIN_TOP_MM: u32 = 37;
/// Bottom page margin in millimetres.
const MARGIN_BOTTOM_MM: u32 = 35;
/// Left page margin in millimetres.
const MARGIN_LEFT_MM: u32 = 28;
/// Right page margin in millimetres.
const MARGIN_RIGHT_MM: u32 = 26;
/// Distance from the top edge of the page to the header, in millimetres.
const HEADER_MM: u32 = 15;
/// Distance from the bottom edge of the page to the footer, in millimetres; puts the page number about 7 mm
/// below the type area, as GB/T 9704 asks.
const FOOTER_MM: u32 = 25;
/// A4 width in millimetres.
const PAGE_WIDTH_MM: u32 = 210;
/// A4 height in millimetres.
const PAGE_HEIGHT_MM: u32 = 297;
/// Width of the type area (版心) in millimetres.
const TEXT_WIDTH_MM: u32 = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM;
/// Width of the type area on a landscape page, in millimetres.
const LANDSCAPE_TEXT_WIDTH_MM: u32 = PAGE_HEIGHT_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM;
/// A half-width character of table text (小四, 12 pt), in twips.
const HALF_CHAR_TWIPS: usize = TABLE_SIZE * 5;
/// A cell's left and right padding together, in twips (0.19 cm each, the default of Word and LibreOffice).
const CELL_PADDING_TWIPS: usize = 216;
/// Largest picture height in millimetres: the type area height less room for the caption.
const MAX_PICTURE_HEIGHT_MM: u32 = 200;

/// Fixed line pitch in twips: 28.95 pt, which gives the 22 lines a page of GB/T 9704.
const LINE_PITCH: i32 = 579;
/// First-line indent of two 16 pt characters, in twips.
const FIRST_LINE_INDENT: i32 = 640;
/// Single line spacing (in 240ths of a line) for pictures, tables and the footer.
const SINGLE_LINE: i32 = 240;
/// Fill colour of the table header row.
const HEADER_FILL: &str = "D9D9D9";

/// Paragraph style ids.
const STYLE_TITLE: &str = "Title";
/// Style id of level-1 headings.
const STYLE_HEADING_1: &str = "Heading1";
/// Style id of level-2 headings.
const STYLE_HEADING_2: &str = "Heading2";
/// Style id of table and picture captions.
const STYLE_CAPTION: &str = "Caption";
/// Style id of table cell paragraphs.
const STYLE_TABLE_TEXT: &str = "TableText";
/// Style id of the footer paragraph.
const STYLE_FOOTER: &str = "Footer";

/// Millimetres to twips (1/1440 inch), rounded.
const fn mm_to_twips(mm: u32) -> u32 {
    (mm * 14_400 + 127) / 254
}

/// Millimetres to EMUs (1/914 400 inch).
const fn mm_to_emu(mm: u32) -> u64 {
    mm as u64 * 36_000
}

/// Millimetres to twips as the signed type the page margins use.
fn twips_i32(mm: u32) -> i32 {
    i32::try_from(mm_to_twips(mm)).unwrap_or(i32::MAX)
}

/// Millimetres to twips as the unsigned type the table widths use.
fn twips_usize(mm: u32) -> usize {
    usize::try_from(mm_to_twips(mm)).unwrap_or(usize::MAX)
}

/// The DOCX bytes.
pub fn docx_bytes(doc: &Document) -> Result<Vec<u8>, String> {
    let mut docx = base_docx();

    docx = docx.created_at(&stamp(doc.created)).updated_at(&stamp(doc.created)).add_paragraph(
        Paragraph::new()
            .style(STYLE_TITLE)
            .keep_next(true)
            .line_spacing(exact_spacing(LINE_PITCH.unsigned_abs()))
            .add_run(text_run(&title_lines(doc.title.trim()))),
    );

    let mut pictures = 0_usize;
    for block in &doc.blocks {
        docx = match block {
            Block::Heading { level, text } => docx.add_paragraph(heading(*level, text)?),
            Block::Paragraph(text) => body_paragraphs(text).into_iter().fold(docx, Docx::add_paragraph),
            Block::Table { caption, headers, rows } => add_table(docx, caption, headers, rows),
            Block::Picture { caption, png, width_mm } => {
                pictures += 1;
                add_picture(docx, caption, png, *width_mm, pictures)?
            }
        };
    }

    docx = add_signature(docx, &doc.signer, &doc.date);

    let mut xml = docx.build();
    xml.document = normalise_part(&xml.document, |text| {
        footers_in_every_section(&mark_header_rows(&strip_grid_col_types(&number_drawing_objects(&text))))
    })?;
    xml.styles = normalise_part(&xml.styles, |text| in_chinese(&mark_normal_as_default(&text)))?;
    xml.font_table = normalise_part(&xml.font_table, |text| with_title_font(&text))?;
    xml.doc_props.core = normalise_part(&xml.doc_props.core, |text| described(&text, &doc.title, &doc.signer))?;
    xml.numberings = normalise_part(&xml.numberings, |text| text)?;
    for footer in &mut xml.footers {
        *footer = normalise_part(footer, |text| text)?;
    }

    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(|e| format!("cannot write the DOCX package: {e}"))?;
    Ok(out.into_inner())
}

/// A document with the page setup, default formatting, styles and footer, but no content yet.
fn base_docx() -> Docx {
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .style(STYLE_FOOTER)
            .add_run(text_run("— "))
            .add_page_num(PageNum::new())
            .add_run(text_run(" —")),
    );
    styles().into_iter().fold(
        Docx::new()
            .page_size(mm_to_twips(PAGE_WIDTH_MM), mm_to_twips(PAGE_HEIGHT_MM))
            .page_margin(page_margin())
            .default_fonts(fonts(FANGSONG_FONT))
            .default_size(BODY_SIZE)
            .default_line_spacing(exact_spacing(0))
            .footer(footer),
        Docx::add_style,
    )
}

/// The page margins of GB/T 9704.
fn page_margin() -> PageMargin {
    PageMargin::new()
        .top(twips_i32(MARGIN_TOP_MM))
        .bottom(twips_i32(MARGIN_BOTTOM_MM))
        .left(twips_i32(MARGIN_LEFT_MM))
        .right(twips_i32(MARGIN_RIGHT_MM))
        .header(twips_i32(HEADER_MM))
        .footer(twips_i32(FOOTER_MM))
        .gutter(0)
}

/// The paragraph styles the document uses.
fn styles() -> Vec<Style> {
    let paragraph_style = |id: &str, name: &str| {
        Style::new(id, StyleType::Paragraph).name(name).based_on("Normal").next("Normal").q_format(true)
    };
    let indented =
        |style: Style| style.indent(Some(0), Some(SpecialIndentType::FirstLine(FIRST_LINE_INDENT)), None, None);
    vec![
        paragraph_style(STYLE_TITLE, "Title")
            .fonts(fonts(TITLE_FONT))
            .size(TITLE_SIZE)
            .align(AlignmentType::Center)
            .line_spacing(exact_spacing(0)),
        indented(paragraph_style(STYLE_HEADING_1, "heading 1"))
            .fonts(fonts(HEI_FONT))
            .size(BODY_SIZE)
            .align(AlignmentType::Both)
            .line_spacing(exact_spacing(0))
            .outline_lvl(0),
        indented(paragraph_style(STYLE_HEADING_2, "heading 2"))
            .fonts(fonts(KAI_FONT))
            .size(BODY_SIZE)
            .align(AlignmentType::Both)
            .line_spacing(exact_spacing(0))
            .outline_lvl(1),
        paragraph_style(STYLE_CAPTION, "caption")
            .fonts(fonts(HEI_FONT))
            .size(SMALL_SIZE)
            .align(AlignmentType::Center)
            .line_spacing(exact_spacing(0)),
        paragraph_style(STYLE_TABLE_TEXT, "Table Text").size(TABLE_SIZE).line_spacing(single_spacing()),
        paragraph_style(STYLE_FOOTER, "footer")
            .fonts(RunFonts::new().ascii(SONG_FONT).hi_ansi(SONG_FONT).east_asia(SONG_FONT).cs(SONG_FONT))
            .size(SMALL_SIZE)
            .align(AlignmentType::Center)
            .line_spacing(single_spacing()),
    ]
}

/// Fonts with `east_asia` for Chinese text and Times New Roman for Latin text.
fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().ascii(LATIN_FONT).hi_ansi(LATIN_FONT).east_asia(east_asia).cs(LATIN_FONT)
}

/// The fixed 28.95 pt line pitch with `after` twips of space after the paragraph.
fn exact_spacing(after: u32) -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Exact).line(LINE_PITCH).before(0).after(after)
}

/// Single line spacing, which never clips pictures.
fn single_spacing() -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Auto).line(SINGLE_LINE).before(0).after(0)
}

/// A heading paragraph.
fn heading(level: u8, text: &str) -> Result<Paragraph, String> {
    let style = match level {
        1 => STYLE_HEADING_1,
        2 => STYLE_HEADING_2,
        _ => return Err(format!("heading level {level} is not supported (use 1 or 2): {text}")),
    };
    Ok(Paragraph::new().style(style).keep_next(true).add_run(text_run(text.trim())))
}

/// One indented, justified body paragraph for each non-blank line of `text`.
fn body_paragraphs(text: &str) -> Vec<Paragraph> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            Paragraph::new()
                .align(AlignmentType::Both)
                .indent(Some(0), Some(SpecialIndentType::FirstLine(FIRST_LINE_INDENT)), None, None)
                .add_run(text_run(line))
        })
        .collect()
}

/// A run holding `text`, with line breaks for `\n`, tabs for `\t`, and characters that XML cannot carry dropped.
///
/// The run asks for the East Asian font for characters such as “” and —, which Chinese documents set full-width.
fn text_run(text: &str) -> Run {
    let mut run = Run::new().fonts(RunFonts::new().hint("eastAsia"));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                run = run.add_tab();
            }
            let clean: String = part.chars().filter(|&c| is_xml_char(c)).collect();
            if !clean.is_empty() {
                run = run.add_text(clean);
            }
        }
    }
    run
}

/// A title too wide for one line of the type area, broken between words: before its year, where
/// both lines then fit (延边朝鲜族自治州 / 2024年消防宣传月工作总结), so that the word processor does not
/// break it inside the last word. Other titles are left as they are.
fn title_lines(title: &str) -> String {
    // Half-width characters of the title's size that a line holds (a full-width one takes two).
    const PER_LINE: usize = TEXT_WIDTH_MM as usize * 720 * 4 / (254 * TITLE_SIZE);
    // A half-width one more where the script changes, for the space word processors put there.
    let width = |s: &str| {
        let full: Vec<bool> = s.chars().map(|c| !c.is_ascii()).collect();
        full.iter().map(|&f| if f { 2 } else { 1 }).sum::<usize>() + full.windows(2).filter(|w| w[0] != w[1]).count()
    };
    if width(title) <= PER_LINE {
        return title.to_owned();
    }
    let year = title.char_indices().map(|(i, _)| i).find(|&i| {
        let rest = &title[i..];
        i > 0
            && rest.len() > 4
            && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && rest[4..].starts_with('年')
            && !title[..i].ends_with(|c: char| c.is_ascii_digit())
    });
    match year {
        Some(i) if width(&title[..i]) <= PER_LINE && width(&title[i..]) <= PER_LINE => {
            format!("{}\n{}", &title[..i], &title[i..])
        }
        _ => title.to_owned(),
    }
}

/// Whether XML 1.0 can carry `c` in text (tabs and line breaks are handled by the caller).
fn is_xml_char(c: char) -> bool {
    !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}'
}

/// Adds the caption, the table and a blank line after it. A table too wide for the portrait page
/// (one whose numbers or names would break inside their cells) goes on landscape pages of its own,
/// and one too wide even for those is split by columns, each part repeating the first column and
/// captioned （续）.
fn add_table(docx: Docx, caption: &str, headers: &[String], rows: &[Vec<String>]) -> Docx {
    let columns = rows.iter().map(Vec::len).chain([headers.len()]).max().unwrap_or(0);
    if columns == 0 {
        return docx.add_paragraph(caption_paragraph(caption));
    }
    let least = least_widths(headers, rows, columns);
    if least.iter().sum::<usize>() <= twips_usize(TEXT_WIDTH_MM) {
        let all: Vec<usize> = (0..columns).collect();
        return add_table_part(docx, caption, headers, rows, &all, TEXT_WIDTH_MM).add_paragraph(Paragraph::new());
    }
    let wide = twips_usize(LANDSCAPE_TEXT_WIDTH_MM);
    let mut parts: Vec<Vec<usize>> = Vec::new();
    let mut part = vec![0];
    for column in 1..columns {
        let width: usize = part.iter().map(|&c| least[c]).sum();
        if part.len() > 1 && width + least[column] > wide {
            parts.push(std::mem::replace(&mut part, vec![0]));
        }
        part.push(column);
    }
    parts.push(part);
    // The portrait pages end before the table and the landscape ones after it.
    let mut docx = docx.add_paragraph(Paragraph::new().section_property(section(false)));
    for (i, part) in parts.iter().enumerate() {
        let caption = if i == 0 { caption.to_owned() } else { format!("{caption}（续）") };
        docx = add_table_part(docx, &caption, headers, rows, part, LANDSCAPE_TEXT_WIDTH_MM);
        if i + 1 < parts.len() {
            docx = docx.add_paragraph(Paragraph::new());
        }
    }
    docx.add_paragraph(Paragraph::new().section_property(section(true)))
}

/// The layout of a section that ends here: A4 in portrait or landscape, with the document's margins
/// (its footer is copied in by `footers_in_every_section`).
fn section(landscape: bool) -> SectionProperty {
    let (width, height, orient) = if landscape {
        (PAGE_HEIGHT_MM, PAGE_WIDTH_MM, PageOrientationType::Landscape)
    } else {
        (PAGE_WIDTH_MM, PAGE_HEIGHT_MM, PageOrientationType::Portrait)
    };
    SectionProperty::new()
        .page_size(PageSize::new().size(mm_to_twips(width), mm_to_twips(height)).orient(orient))
        .page_margin(page_margin())
}

/// The caption and the table of `columns` of `rows`, `text_mm` wide (the caller adds the blank line after it).
fn add_table_part(
    docx: Docx,
    caption: &str,
    headers: &[String],
    rows: &[Vec<String>],
    columns: &[usize],
    text_mm: u32,
) -> Docx {
    let docx = docx.add_paragraph(caption_paragraph(caption).keep_next(true));
    let pick = |texts: &[String]| -> Vec<String> {
        columns.iter().map(|&c| texts.get(c).cloned().unwrap_or_default()).collect()
    };
    let (headers, rows): (Vec<String>, Vec<Vec<String>>) = (pick(headers), rows.iter().map(|r| pick(r)).collect());
    let widths = column_widths(&headers, &rows, twips_usize(text_mm));

    let cell = |text: &str, width: usize, header: bool| {
        let align = if header {
            AlignmentType::Center
        } else if is_number(text) {
            AlignmentType::Right
        } else {
            AlignmentType::Left
        };
        let mut run = text_run(text.trim());
        if header {
            run = run.bold();
        }
        let mut cell = TableCell::new()
            .width(width, WidthType::Dxa)
            .vertical_align(VAlignType::Center)
            .add_paragraph(Paragraph::new().style(STYLE_TABLE_TEXT).align(align).keep_next(header).add_run(run));
        if header {
            cell = cell.shading(Shading::new().shd_type(ShdType::Clear).color("auto").fill(HEADER_FILL));
        }
        cell
    };
    let row = |texts: &[String], header: bool| {
        let cells = widths
            .iter()
            .enumerate()
            .map(|(i, &width)| cell(texts.get(i).map_or("", String::as_str), width, header))
            .collect();
        // Header rows are left without row properties here and become repeating header rows in `mark_header_rows`.
        if header { TableRow::new(cells) } else { TableRow::new(cells).cant_split() }
    };

    let mut table_rows = Vec::with_capacity(rows.len() + 1);
    if headers.iter().any(|h| !h.is_empty()) {
        table_rows.push(row(&headers, true));
    }
    table_rows.extend(rows.iter().map(|r| row(r, false)));
    let table = Table::new(table_rows)
        .set_grid(widths.clone())
        .width(widths.iter().sum(), WidthType::Dxa)
        .align(TableAlignmentType::Center)
        .layout(TableLayoutType::Fixed);
    docx.add_table(table)
}

/// How wide each column wants to be, in half-width character cells: its widest cell, within limits
/// so that neither a one-digit column nor a long remark takes over the table.
fn column_weights(headers: &[String], rows: &[Vec<String>], columns: usize) -> Vec<usize> {
    (0..columns)
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i)).chain(headers.get(i));
            cells.flat_map(|text| text.lines().map(display_width)).max().unwrap_or(0).clamp(4, 30)
        })
        .collect()
}

/// The narrowest each column can be, in twips, in table text: its short body cells (a number, a
/// date, a name: up to [`WHOLE_CELL`] half-width characters) on one line; longer text and the
/// header may wrap (the header within three lines).
fn least_widths(headers: &[String], rows: &[Vec<String>], columns: usize) -> Vec<usize> {
    (0..columns)
        .map(|i| {
            let whole = rows
                .iter()
                .filter_map(|r| r.get(i))
                .flat_map(|text| text.lines().map(display_width))
                .map(|w| if w <= WHOLE_CELL { w + 1 } else { WRAPPED_CELL })
                .max()
                .unwrap_or(0);
            let header = headers.get(i).map_or(0, |h| display_width(h).div_ceil(3));
            whole.max(header).max(4) * HALF_CHAR_TWIPS + CELL_PADDING_TWIPS
        })
        .collect()
}

/// The widest body cell, in half-width characters, that is never broken (a unit's full name).
const WHOLE_CELL: usize = 20;
/// The narrowest a column of long text may wrap to, in half-width characters.
const WRAPPED_CELL: usize = 8;

/// Column widths in twips filling `total`: each column its [`least_widths`], and what is left
/// shared in proportion to [`column_weights`].
fn column_widths(headers: &[String], rows: &[Vec<String>], total: usize) -> Vec<usize> {
    let columns = headers.len();
    let weights = column_weights(headers, rows, columns);
    let least = least_widths(headers, rows, columns);
    let total_weight: usize = weights.iter().sum::<usize>().max(1);
    let left = total.saturating_sub(least.iter().sum());
    let mut widths: Vec<usize> = least.iter().zip(&weights).map(|(l, w)| l + left * w / total_weight).collect();
    let used: usize = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last = (*last + total).saturating_sub(used);
    }
    widths
}

/// The issuing unit and the date at the end, on the right: the date four characters from the
/// margin, the unit centred above it (GB/T 9704), one blank line after the text.
fn add_signature(docx: Docx, signer: &str, date: &str) -> Docx {
    if signer.trim().is_empty() && date.trim().is_empty() {
        return docx;
    }
    let char_twips = i32::try_from(BODY_SIZE * 10).unwrap_or(320);
    let from_right = 4 * char_twips;
    let (signer_w, date_w) = (display_width(signer.trim()), display_width(date.trim()));
    let signer_right = from_right + i32::try_from(date_w.saturating_sub(signer_w) / 2).unwrap_or(0) * char_twips / 2;
    let line = |text: &str, right: i32| {
        Paragraph::new()
            .align(AlignmentType::Right)
            .indent(None, None, Some(right.max(0)), None)
            .add_run(text_run(text.trim()))
    };
    docx.add_paragraph(Paragraph::new())
        .add_paragraph(line(signer, signer_right).keep_next(true))
        .add_paragraph(line(date, from_right))
}

/// Display width of a line in half-width character cells: CJK and full-width characters count two.
fn display_width(line: &str) -> usize {
    line.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum()
}

/// Whether a cell holds a number: an optional sign, digits with optional thousands separators ("12,345"),
/// an optional decimal part and an optional trailing percent sign.
fn is_number(text: &str) -> bool {
    let text = text.trim();
    let text = text.strip_suffix('%').unwrap_or(text);
    let text = text.strip_prefix(['-', '+', '−']).unwrap_or(text);
    let (integer, fraction) = match text.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if fraction.is_some_and(|f| !digits(f)) {
        return false;
    }
    let mut groups = integer.split(',');
    let first = groups.next().unwrap_or("");
    if !integer.contains(',') {
        return digits(first);
    }
    digits(first) && first.len() <= 3 && groups.all(|g| g.len() == 3 && digits(g))
}

/// A centred caption paragraph.
fn caption_paragraph(caption: &str) -> Paragraph {
    Paragraph::new().style(STYLE_CAPTION).add_run(text_run(caption.trim()))
}

/// Adds the picture, centred on a line of its own, and its caption below it.
fn add_picture(docx: Docx, caption: &str, png: &[u8], width_mm: u32, number: usize) -> Result<Docx, String> {
    let (width_px, height_px) =
        png_size(png).ok_or_else(|| format!("picture \"{caption}\" is not a PNG image with a valid header"))?;
    if width_mm == 0 {
        return Err(format!("picture \"{caption}\" has a width of 0 mm"));
    }
    let mut width_emu = mm_to_emu(width_mm.min(TEXT_WIDTH_MM));
    let mut height_emu = width_emu * u64::from(height_px) / u64::from(width_px);
    let max_height = mm_to_emu(MAX_PICTURE_HEIGHT_MM);
    if height_emu > max_height {
        width_emu = width_emu * max_height / height_emu;
        height_emu = max_height;
    }
    let emu = |v: u64| u32::try_from(v.max(1)).unwrap_or(u32::MAX);
    let pic = Pic::new_with_dimensions(png.to_vec(), width_px, height_px)
        .size(emu(width_emu), emu(height_emu))
        .id(format!("rIdPicture{number}"));
    Ok(docx
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(single_spacing())
                .keep_next(true)
                .add_run(Run::new().add_image(pic)),
        )
        .add_paragraph(caption_paragraph(caption)))
}

/// Width and height in pixels from a PNG's IHDR chunk, or `None` when `png` is not a PNG.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || !png.starts_with(SIGNATURE) || &png[12..16] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(png[20..24].try_into().ok()?);
    (width > 0 && height > 0).then_some((width, height))
}

/// Canonical child order (ECMA-376 Part 1, `wml.xsd`) of the property elements whose children `docx-rs` writes in
/// an order of its own, as whitespace-separated element names.
const CANONICAL_ORDERS: &[(&str, &str)] = &[
    (
        "w:rPr",
        concat!(
            "w:ins w:del w:moveFrom w:moveTo w:rStyle w:rFonts w:b w:bCs w:i w:iCs w:caps w:smallCaps ",
            "w:strike w:dstrike w:outline w:shadow w:emboss w:imprint w:noProof w:snapToGrid w:vanish ",
            "w:webHidden w:color w:spacing w:w w:kern w:position w:sz w:szCs w:highlight w:u w:effect w:bdr ",
            "w:shd w:fitText w:vertAlign w:rtl w:cs w:em w:lang w:eastAsianLayout w:specVanish w:oMath ",
            "w:rPrChange",
        ),
    ),
    (
        "w:pPr",
        concat!(
            "w:pStyle w:keepNext w:keepLines w:pageBreakBefore w:framePr w:widowControl w:numPr ",
            "w:suppressLineNumbers w:pBdr w:shd w:tabs w:suppressAutoHyphens w:kinsoku w:wordWrap ",
            "w:overflowPunct w:topLinePunct w:autoSpaceDE w:autoSpaceDN w:bidi w:adjustRightInd w:snapToGrid ",
            "w:spacing w:ind w:contextualSpacing w:mirrorIndents w:suppressOverlap w:jc w:textDirection ",
            "w:textAlignment w:textboxTightWrap w:outlineLvl w:divId w:cnfStyle w:rPr w:sectPr w:pPrChange",
        ),
    ),
    (
        "w:sectPr",
        concat!(
            "w:headerReference w:footerReference w:footnotePr w:endnotePr w:type w:pgSz w:pgMar w:paperSrc ",
            "w:pgBorders w:lnNumType w:pgNumType w:cols w:formProt w:vAlign w:noEndnote w:titlePg ",
            "w:textDirection w:bidi w:rtlGutter w:docGrid w:printerSettings w:sectPrChange",
        ),
    ),
    (
        "w:tblPr",
        concat!(
            "w:tblStyle w:tblpPr w:tblOverlap w:bidiVisual w:tblStyleRowBandSize w:tblStyleColBandSize ",
            "w:tblW w:jc w:tblCellSpacing w:tblInd w:tblBorders w:shd w:tblLayout w:tblCellMar w:tblLook ",
            "w:tblCaption w:tblDescription w:tblPrChange",
        ),
    ),
    (
        "w:tcPr",
        concat!(
            "w:cnfStyle w:tcW w:gridSpan w:hMerge w:vMerge w:tcBorders w:shd w:noWrap w:tcMar ",
            "w:textDirection w:tcFitText w:vAlign w:hideMark w:headers w:cellIns w:cellDel w:cellMerge ",
            "w:tcPrChange",
        ),
    ),
    (
        "w:style",
        concat!(
            "w:name w:aliases w:basedOn w:next w:link w:autoRedefine w:uiPriority w:semiHidden ",
            "w:unhideWhenUsed w:qFormat w:locked w:personal w:personalCompose w:personalReply w:rsid w:pPr ",
            "w:rPr w:tblPr w:trPr w:tcPr w:tblStylePr",
        ),
    ),
];

/// Puts property children in schema order, then applies the part-specific `fix`.
fn normalise_part(xml: &[u8], fix: impl FnOnce(String) -> String) -> Result<Vec<u8>, String> {
    let mut text = String::from_utf8(xml.to_vec()).map_err(|e| format!("generated XML is not UTF-8: {e}"))?;
    for (parent, order) in CANONICAL_ORDERS {
        text = reorder_children(&text, parent, order);
    }
    Ok(fix(text).into_bytes())
}

/// Marks "Normal" as the default paragraph style, which `docx-rs` leaves out; without it, paragraphs that name no
/// style have no defined style in Word and in readers such as python-docx.
fn mark_normal_as_default(xml: &str) -> String {
    xml.replacen(
        r#"<w:style w:type="paragraph" w:styleId="Normal">"#,
        r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal">"#,
        1,
    )
}

/// Makes the table rows written without row properties (the header rows) repeat at the top of every page the table
/// runs onto and keeps them from breaking across pages; `docx-rs` has no setting for either.
fn mark_header_rows(xml: &str) -> String {
    xml.replace("<w:tr><w:trPr />", "<w:tr><w:trPr><w:cantSplit /><w:tblHeader /></w:trPr>")
}

/// Gives every section the footer (the page number) of the last, whose properties are the body's
/// own: a section that names none would print without page numbers.
fn footers_in_every_section(xml: &str) -> String {
    let Some(last) = xml.rfind("<w:sectPr") else { return xml.to_owned() };
    let Some(reference) = xml[last..].find("<w:footerReference").map(|i| last + i) else { return xml.to_owned() };
    let Some(end) = xml[reference..].find("/>").map(|i| reference + i + 2) else { return xml.to_owned() };
    let footer = &xml[reference..end];
    let (head, tail) = xml.split_at(last);
    let head = head.split("<w:sectPr>").collect::<Vec<_>>().join(&format!("<w:sectPr>{footer}"));
    format!("{head}{tail}")
}

/// Marks the document's Chinese text as zh-CN, so that Word and `LibreOffice` check its spelling and
/// break its lines as Chinese, and its Latin text (numbers) as en-US, as Word's Chinese documents do:
/// `LibreOffice` breaks a number tagged Chinese after its point (下降99. / 5%).
fn in_chinese(xml: &str) -> String {
    // Last of the run's properties, as the schema orders them.
    xml.replacen("</w:rPr></w:rPrDefault>", "<w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" /></w:rPr></w:rPrDefault>", 1)
}

/// Declares the title's font with 宋体 as its stand-in, for the machines that lack it.
fn with_title_font(xml: &str) -> String {
    let font = format!(
        "<w:font w:name=\"{TITLE_FONT}\"><w:altName w:val=\"宋体\" /><w:charset w:val=\"86\" /><w:family w:val=\"roman\" /></w:font>"
    );
    xml.replacen("</w:fonts>", &format!("{font}</w:fonts>"), 1)
}

/// The document's title, author (the issuing unit) and language in its properties.
fn described(xml: &str, title: &str, author: &str) -> String {
    let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let (title, author) = (escape(title.trim()), escape(author.trim()));
    let xml = xml.replace("<dc:creator>unknown</dc:creator>", &format!("<dc:creator>{author}</dc:creator>")).replace(
        "<cp:lastModifiedBy>unknown</cp:lastModifiedBy>",
        &format!("<cp:lastModifiedBy>{author}</cp:lastModifiedBy>"),
    );
    xml.replacen(
        "</cp:coreProperties>",
        &format!("<dc:title>{title}</dc:title><dc:language>zh-CN</dc:language></cp:coreProperties>"),
        1,
    )
}

/// When a document was made, as its properties write it (W3CDTF: RFC 3339 in UTC, whole seconds).
fn stamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Drops the `w:type` attribute that `docx-rs` writes on `w:gridCol`, which the schema does not have.
fn strip_grid_col_types(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<w:gridCol ") {
        let Some(len) = tag_end(&rest[start..]) else { break };
        out.push_str(&rest[..start]);
        out.push_str(&rest[start..start + len].replace(r#" w:type="dxa""#, ""));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// Gives every `wp:docPr` a document-unique id (`docx-rs` writes `id="1"` for all of them, which Word may report as
/// damaged content).
fn number_drawing_objects(xml: &str) -> String {
    const FIXED: &str = r#"<wp:docPr id="1" name="Figure""#;
    let mut out = String::with_capacity(xml.len());
    for (i, part) in xml.split(FIXED).enumerate() {
        if i > 0 {
            let _ = write!(out, r#"<wp:docPr id="{i}" name="Picture {i}""#);
        }
        out.push_str(part);
    }
    out
}

/// Rewrites every non-empty `<parent>` element of `xml` so that its child elements follow `order`, a
/// whitespace-separated list of names (children not in `order` go last, keeping their relative order). Elements
/// whose content cannot be split into child elements are left as they are.
fn reorder_children(xml: &str, parent: &str, order: &str) -> String {
    let open = format!("<{parent}");
    let close = format!("</{parent}>");
    let rank = |name: &str| order.split_whitespace().position(|n| n == name).unwrap_or(usize::MAX);
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after_name = start + open.len();
        let boundary = rest[after_name..].chars().next();
        if !matches!(boundary, Some('>' | '/' | ' ' | '\t' | '\r' | '\n')) {
            out.push_str(&rest[..after_name]);
            rest = &rest[after_name..];
            continue;
        }
        let Some(tag_len) = tag_end(&rest[start..]) else { break };
        let content_start = start + tag_len;
        if rest[start..content_start].ends_with("/>") {
            out.push_str(&rest[..content_start]);
            rest = &rest[content_start..];
            continue;
        }
        let Some(content_len) = rest[content_start..].find(&close) else { break };
        let content = &rest[content_start..content_start + content_len];
        out.push_str(&rest[..content_start]);
        match split_children(content) {
            Some(mut children) => {
                children.sort_by_key(|(name, _)| rank(name));
                for (_, element) in &children {
                    out.push_str(element);
                }
            }
            None => out.push_str(content),
        }
        out.push_str(&close);
        rest = &rest[content_start + content_len + close.len()..];
    }
    out.push_str(rest);
    out
}

/// Length of the tag starting at `s[0]` (`<`), up to and including its `>`; quoted attribute values may hold `>`.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '>') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Splits element content into `(name, element)` pairs, or `None` when it holds text or is malformed.
fn split_children(content: &str) -> Option<Vec<(&str, &str)>> {
    let mut children = Vec::new();
    let mut pos = 0;
    loop {
        pos += content[pos..].len() - content[pos..].trim_start().len();
        if pos == content.len() {
            return Some(children);
        }
        if !content[pos..].starts_with('<') {
            return None;
        }
        let start = pos;
        let mut depth = 0_usize;
        loop {
            let len = tag_end(&content[pos..])?;
            let tag = &content[pos..pos + len];
            if tag.starts_with("</") {
                depth = depth.checked_sub(1)?;
            } else if !tag.ends_with("/>") {
                depth += 1;
            }
            pos += len;
            if depth == 0 {
                break;
            }
            pos += content[pos..].find('<')?;
        }
        let element = &content[start..pos];
        let name_end = element[1..].find(|c: char| c.is_whitespace() || c == '/' || c == '>')? + 1;
        children.push((&element[1..name_end], element));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::png::svg_to_png;
    use std::io::Read;

    fn sample() -> Document {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150">
            <rect x="10" y="10" width="120" height="80" fill="#c00"/>
            <text x="150" y="60" font-size="24">示意图</text>
        </svg>"##;
        let chart = svg_to_png(svg, 2.0).unwrap();
        Document {
            title: "全省消防安全宣传月活动总结报告".into(),
            signer: "省消防救援总队宣传处".into(),
            date: "2024年12月2日".into(),
            created: time::macros::datetime!(2024-12-02 09:30 +8),
            blocks: vec![
                Block::Heading { level: 1, text: "一、总体情况".into() },
                Block::Paragraph("今年以来，全省共开展“消防宣传进万家”活动1,234场。\n覆盖群众约56万人次。".into()),
                Block::Heading { level: 2, text: "（一）活动开展情况".into() },
                Block::Table {
                    caption: "表1 各市活动统计".into(),
                    headers: vec!["地市".into(), "活动场次".into(), "参与人数".into(), "备注".into()],
                    rows: vec![
                        vec!["杭州市".into(), "1,024".into(), "35,678".into(), "含线上直播".into()],
                        vec!["宁波市".into(), "87".into(), "-12.5%".into()],
                    ],
                },
                Block::Picture { caption: "图1 月度活动场次".into(), png: chart, width_mm: 140 },
            ],
        }
    }

    fn bare(title: &str) -> Document {
        Document {
            title: title.into(),
            blocks: Vec::new(),
            signer: String::new(),
            date: String::new(),
            created: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    /// A table of sixteen columns of regions and figures, as the report's first.
    fn wide_table() -> Block {
        let mut headers = vec!["地区".to_owned()];
        headers.extend((1..16).map(|i| format!("第{i}项数据（份）")));
        let rows = ["长春市", "延边朝鲜族自治州", "长白山保护开发区"]
            .iter()
            .map(|r| std::iter::once((*r).to_owned()).chain((1..16).map(|i| (1_000_000 + i).to_string())).collect())
            .collect();
        Block::Table { caption: "表1 各地区主要数据".into(), headers, rows }
    }

    #[test]
    fn a_title_too_wide_for_a_line_breaks_before_its_year() {
        assert_eq!(
            title_lines("延边朝鲜族自治州2026年消防宣传月工作总结"),
            "延边朝鲜族自治州\n2026年消防宣传月工作总结"
        );
        for fits in ["2026年全省消防宣传月工作总结", "长春市2026年消防宣传月工作总结"] {
            assert_eq!(title_lines(fits), fits);
        }
        // Without a year to break before, the word processor breaks it.
        let long = "延边朝鲜族自治州消防安全宣传教育进社区进农村活动工作总结";
        assert_eq!(title_lines(long), long);
        let mut doc = sample();
        doc.title = "延边朝鲜族自治州2026年消防宣传月工作总结".into();
        let document = entry(&mut unzip(&docx_bytes(&doc).unwrap()), "word/document.xml");
        assert!(document.contains("延边朝鲜族自治州</w:t><w:br"), "{document}");
    }

    #[test]
    fn a_wide_table_goes_on_landscape_pages_split_by_columns_and_the_unit_signs_at_the_end() {
        let mut doc = sample();
        doc.blocks.push(wide_table());
        let bytes = docx_bytes(&doc).unwrap();
        let mut archive = unzip(&bytes);
        let document = entry(&mut archive, "word/document.xml");
        // Portrait up to the table, landscape for it, portrait again after (the body's own section).
        assert_eq!(document.matches("<w:sectPr").count(), 3, "{document}");
        assert_eq!(document.matches(r#"w:orient="landscape""#).count(), 1);
        // Every section has the page number.
        assert_eq!(document.matches("<w:footerReference").count(), 3);
        // Too wide even for landscape: a second part, which repeats the regions.
        assert!(document.contains("表1 各地区主要数据（续）"));
        assert_eq!(document.matches(">延边朝鲜族自治州<").count(), 2);
        // No column of a part is narrower than its longest name or number needs.
        let grid: Vec<usize> = document
            .split("<w:gridCol w:w=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect();
        assert!(grid.iter().all(|&w| w >= 8 * HALF_CHAR_TWIPS + CELL_PADDING_TWIPS), "{grid:?}");
        // The unit and the date close the text, on the right.
        let end = document.rfind("2024年12月2日").unwrap();
        assert!(document.rfind("省消防救援总队宣传处").unwrap() < end);
        assert!(
            document[..end].rfind("<w:jc w:val=\"right\"").unwrap() > document.rfind("图1 月度活动场次").unwrap_or(0)
        );
        let core = entry(&mut archive, "docProps/core.xml");
        assert!(core.contains("<dc:creator>省消防救援总队宣传处</dc:creator>"), "{core}");
        assert!(core.contains("<dc:language>zh-CN</dc:language>") && core.contains("2024-12-02T01:30:00Z"), "{core}");
        assert!(core.contains("<dc:title>全省消防安全宣传月活动总结报告</dc:title>"));
        assert!(entry(&mut archive, "word/styles.xml").contains(r#"<w:lang w:val="en-US" w:eastAsia="zh-CN" />"#));
        assert!(entry(&mut archive, "word/fontTable.xml").contains(r#"<w:altName w:val="宋体" />"#));
    }

    /// Converted by LibreOffice (when `soffice` is installed), as a clerk would open it: the pages of
    /// the wide table come out in landscape and the others in portrait.
    #[test]
    fn libreoffice_prints_the_wide_table_in_landscape() {
        let mut doc = sample();
        doc.blocks.push(wide_table());
        doc.blocks.push(Block::Paragraph("表后的正文。".into()));
        let Some(pdf) = crate::testing::libreoffice_pdf("report.docx", &docx_bytes(&doc).unwrap()).unwrap() else {
            return;
        };
        let (portrait, landscape) = crate::testing::a4_pages(&pdf);
        assert!(landscape >= 1 && portrait >= 2, "{portrait} portrait, {landscape} landscape pages");
    }

    fn unzip(bytes: &[u8]) -> zip::ZipArchive<Cursor<&[u8]>> {
        zip::ZipArchive::new(Cursor::new(bytes)).unwrap()
    }

    fn entry(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> String {
        let mut text = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    }

    fn names(archive: &zip::ZipArchive<Cursor<&[u8]>>) -> Vec<String> {
        archive.file_names().map(|name| name.unwrap().into_owned()).collect()
    }

    fn png_dimensions(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()))
    }

    #[test]
    fn docx_is_a_zip_with_the_text_of_every_block() {
        let bytes = docx_bytes(&sample()).unwrap();
        let mut archive = unzip(&bytes);
        let document = entry(&mut archive, "word/document.xml");
        for text in ["全省消防安全宣传月活动总结报告", "省消防救援总队宣传处", "一、总体情况", "覆盖群众约56万人次。"]
        {
            assert!(document.contains(text), "{text} missing from document.xml");
        }
        for text in ["含线上直播", "35,678", "表1 各市活动统计", "图1 月度活动场次"] {
            assert!(document.contains(text), "{text} missing from document.xml");
        }
        // Two lines of one Paragraph block become two paragraphs, each indented by two characters.
        assert_eq!(document.matches(r#"w:firstLine="640""#).count(), 2);
        assert!(document.contains(r#"<w:pgSz w:w="11906" w:h="16838""#));
        assert!(document.contains(r#"w:top="2098""#) && document.contains(r#"w:bottom="1984""#));
        assert!(document.contains(r#"w:left="1587""#) && document.contains(r#"w:right="1474""#));
        assert!(document.contains(HEADER_FILL));
    }

    #[test]
    fn numbers_are_right_aligned_and_header_cells_bold() {
        let bytes = docx_bytes(&sample()).unwrap();
        let document = entry(&mut unzip(&bytes), "word/document.xml");
        let cell_of = |text: &str| {
            let end = document.find(&format!(">{text}</w:t>")).unwrap();
            let start = document[..end].rfind("<w:tc>").unwrap();
            document[start..end].to_owned()
        };
        assert!(cell_of("1,024").contains(r#"<w:jc w:val="right""#));
        assert!(cell_of("-12.5%").contains(r#"<w:jc w:val="right""#));
        assert!(cell_of("杭州市").contains(r#"<w:jc w:val="left""#));
        assert!(cell_of("活动场次").contains("<w:b />"));
        assert!(cell_of("活动场次").contains(r#"w:fill="D9D9D9""#));
        // The header row repeats on every page; body rows do not.
        assert_eq!(document.matches("<w:tblHeader />").count(), 1);
        assert_eq!(document.matches("<w:cantSplit />").count(), 3);
        assert!(!document.contains("<w:trPr />"));
    }

    #[test]
    fn styles_and_footer_carry_the_official_layout() {
        let bytes = docx_bytes(&sample()).unwrap();
        let mut archive = unzip(&bytes);
        let styles = entry(&mut archive, "word/styles.xml");
        for font in [SONG_FONT, FANGSONG_FONT, HEI_FONT, KAI_FONT] {
            assert!(styles.contains(&format!(r#"w:eastAsia="{font}""#)), "{font} missing from styles.xml");
        }
        assert!(styles.contains(r#"<w:sz w:val="44" />"#) && styles.contains(r#"<w:sz w:val="32" />"#));
        let footer_name = names(&archive).into_iter().find(|n| n.starts_with("word/footer")).unwrap();
        let footer = entry(&mut archive, &footer_name);
        assert!(footer.contains("— ") && footer.contains(" —") && footer.contains("PAGE"));
    }

    #[test]
    fn properties_are_in_schema_order() {
        let bytes = docx_bytes(&sample()).unwrap();
        let mut archive = unzip(&bytes);
        let document = entry(&mut archive, "word/document.xml");
        let styles = entry(&mut archive, "word/styles.xml");
        // rFonts before b before sz; pStyle first in pPr; footer reference first in sectPr; name first in style.
        assert!(document.contains(r#"<w:rPr><w:rFonts w:hint="eastAsia" /><w:b /><w:bCs /></w:rPr>"#));
        assert!(document.contains(r#"<w:pPr><w:pStyle w:val="Title" />"#));
        assert!(document.contains("<w:sectPr><w:footerReference"));
        assert!(styles.contains(r#"<w:rPr><w:rFonts w:ascii="Times New Roman""#));
        assert!(styles.contains(r#"w:styleId="Heading1"><w:name w:val="heading 1" /><w:basedOn"#));
        for (parent, order) in CANONICAL_ORDERS {
            for xml in [&document, &styles] {
                assert_eq!(&reorder_children(xml, parent, order), xml, "{parent} not in order");
            }
        }
    }

    #[test]
    fn picture_block_embeds_the_png() {
        let bytes = docx_bytes(&sample()).unwrap();
        let mut archive = unzip(&bytes);
        let media: Vec<String> = names(&archive)
            .into_iter()
            .filter(|n| n.starts_with("word/media/") && n.to_lowercase().ends_with(".png"))
            .collect();
        assert_eq!(media.len(), 1, "{media:?}");
        let mut png = Vec::new();
        archive.by_name(&media[0]).unwrap().read_to_end(&mut png).unwrap();
        assert_eq!(png_dimensions(&png), (600, 300));
        let document = entry(&mut archive, "word/document.xml");
        // 140 mm wide, half as high, in EMU.
        assert!(document.contains(r#"<wp:extent cx="5040000" cy="2520000" />"#));
        assert!(entry(&mut archive, "word/_rels/document.xml.rels").contains("media/"));
    }

    #[test]
    fn drawing_objects_get_unique_ids() {
        let png = svg_to_png(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#, 1.0).unwrap();
        let picture = |caption: &str| Block::Picture { caption: caption.into(), png: png.clone(), width_mm: 500 };
        let doc = Document { blocks: vec![picture("甲"), picture("乙")], ..bare("图") };
        let bytes = docx_bytes(&doc).unwrap();
        let document = entry(&mut unzip(&bytes), "word/document.xml");
        assert!(document.contains(r#"<wp:docPr id="1" name="Picture 1""#));
        assert!(document.contains(r#"<wp:docPr id="2" name="Picture 2""#));
        // Wider than the type area: shrunk to 156 mm.
        assert!(document.contains(r#"<wp:extent cx="5616000" cy="5616000" />"#));
    }

    #[test]
    fn bad_input_is_an_error() {
        let doc = |block: Block| Document { blocks: vec![block], ..bare("t") };
        assert!(docx_bytes(&doc(Block::Heading { level: 3, text: "x".into() })).is_err());
        let not_png = Block::Picture { caption: "c".into(), png: b"GIF89a".to_vec(), width_mm: 100 };
        assert!(docx_bytes(&doc(not_png)).is_err());
        let png = svg_to_png(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#, 1.0).unwrap();
        assert!(docx_bytes(&doc(Block::Picture { caption: "c".into(), png, width_mm: 0 })).is_err());
    }

    #[test]
    fn odd_text_still_gives_valid_xml() {
        let doc = Document {
            title: "a < b & \"c\"\u{0}\u{7}".into(),
            signer: " ".into(),
            date: String::new(),
            created: time::OffsetDateTime::UNIX_EPOCH,
            blocks: vec![
                Block::Paragraph("\n\n".into()),
                Block::Table { caption: "空表".into(), headers: vec![], rows: vec![] },
                Block::Table { caption: "无表头".into(), headers: vec![], rows: vec![vec!["1".into()], vec![]] },
            ],
        };
        let bytes = docx_bytes(&doc).unwrap();
        let document = entry(&mut unzip(&bytes), "word/document.xml");
        assert!(document.contains("a &lt; b &amp;"));
        assert!(!document.contains('\u{0}') && !document.contains('\u{7}'));
    }

    #[test]
    fn number_detection() {
        for yes in ["0", "12", "1,234", "12,345,678.90", "-3.5", "+7", "45%", " 1,000 ", "−2"] {
            assert!(is_number(yes), "{yes}");
        }
        for no in ["", "-", "1,23", "12,3456", ",123", "1.2.3", "1.", "abc", "12a", "1 234", "%"] {
            assert!(!is_number(no), "{no}");
        }
    }
}
