//! Moodle XML: `<quiz>` with `<question type="multichoice|multichoiceset|truefalse|shortanswer|
//! numerical|matching|essay|description|category">`, each answer's fraction (its weight) and
//! feedback, the question's name (its title) and general feedback (the explanation). Categories
//! form a tree (see [`super::category_path`]). Difficulty, source and all-or-nothing scoring travel
//! as the tags `difficulty:N`, `source:…` and `scoring:all-or-nothing`. A question text in HTML
//! keeps a safe subset of its markup (see [`super::html`]); embedded images are read but not
//! kept, and said. The reader refuses any DOCTYPE (so no entity can be
//! defined: no external entities, no billion laughs) and any entity but the five of XML and
//! character references.

use std::collections::HashMap;
use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{
    Answer, BLANK, Defaults, FormatError, Image, Kind, NumberKey, Question, Read, check_all, error_at, html, part_label,
};
use crate::i18n::keyed;

/// An element of the parsed document.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    line: usize,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The text of `<name><text>…</text></name>`, tags removed when its format is HTML.
    fn text_of(&self, name: &str) -> String {
        self.child(name).map(Element::inner_text).unwrap_or_default()
    }
    /// How many elements named `name` it holds, at any depth.
    fn count(&self, name: &str) -> usize {
        self.children.iter().map(|c| usize::from(c.name == name) + c.count(name)).sum()
    }
    /// Its text as written, HTML or plain.
    fn raw(&self) -> &str {
        self.child("text").map_or(self.text.as_str(), |t| t.text.as_str())
    }
    /// Its text as HTML, when written as HTML or Markdown.
    fn as_html(&self) -> Option<String> {
        match self.attr("format") {
            Some("html" | "moodle_auto_format") => Some(self.raw().to_owned()),
            Some("markdown") => Some(html::from_markdown(self.raw())),
            _ => None,
        }
    }
    fn inner_text(&self) -> String {
        self.as_html().map_or_else(|| self.raw().trim().to_owned(), |h| html::text(&h))
    }
}

/// A Cloze text with each embedded answer (`{1:SHORTANSWER:=柏林}`) written as a blank.
fn blanks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let inner = &rest[open + 1..];
        match inner.find('}') {
            Some(close) if inner[..close].contains(':') && !inner[..close].contains('{') => {
                out.push_str(&rest[..open]);
                out.push_str(BLANK);
                rest = &inner[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A file name as Moodle writes it in an address: every byte but letters, digits and `-_.~` as
/// `%XX`.
fn url_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A question text's HTML with the pictures it holds (`<file name="a.png" encoding="base64">`,
/// shown as `@@PLUGINFILE@@/a.png`) put in as pictures of the bank, those pictures, and how many
/// could not be read.
fn with_pictures(text: &Element, line: usize) -> (String, Vec<Image>, usize) {
    use base64::Engine as _;
    let mut raw = text.as_html().unwrap_or_default();
    let (mut images, mut unread) = (Vec::new(), 0);
    for file in text.all("file") {
        let data: String = file.text.chars().filter(|c| !c.is_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(data) {
            Ok(bytes) if file.attr("encoding") == Some("base64") => {
                let image = Image::new(line, bytes);
                let name = file.attr("name").unwrap_or_default();
                for written in [name.to_owned(), url_encoded(name)] {
                    raw = raw.replace(&format!("@@PLUGINFILE@@/{written}"), &html::image_src(&image.sha256));
                }
                images.push(image);
            }
            _ => unread += 1,
        }
    }
    (raw, images, unread)
}

fn line_at(input: &str, pos: u64) -> usize {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(input.len());
    input.as_bytes()[..pos].iter().filter(|b| **b == b'\n').count() + 1
}

/// Parses the document into elements, refusing DTDs and unknown entities.
fn parse(input: &str) -> Result<Element, FormatError> {
    let mut reader = Reader::from_str(input);
    let mut stack = vec![Element::default()];
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|_| error_at(line_at(input, pos), "", "error.xml_malformed"))?;
        let line = line_at(input, pos);
        match event {
            Event::DocType(_) => {
                return Err(error_at(line, "", "error.xml_doctype"));
            }
            Event::Start(e) | Event::Empty(e) if stack.len() > 64 => {
                let _ = e;
                return Err(error_at(line, "", "error.xml_deep"));
            }
            Event::Start(e) => {
                let mut el = Element { name: AsRef::<str>::as_ref(&e.name()).to_owned(), line, ..Element::default() };
                for a in e.attributes() {
                    let a = a.map_err(|_| error_at(line, "", "error.xml_attribute"))?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|_| error_at(line, "", "error.xml_attribute"))?;
                    el.attrs.push((AsRef::<str>::as_ref(&a.key).to_owned(), v.into_owned()));
                }
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = Element { name: AsRef::<str>::as_ref(&e.name()).to_owned(), line, ..Element::default() };
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| error_at(line, "", "error.xml_end_tag"))?;
                let parent = stack.last_mut().ok_or_else(|| error_at(line, "", "error.xml_end_tag"))?;
                parent.children.push(el);
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    match r.xml10_content().as_ref() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    }
                };
                let c = c.ok_or_else(|| error_at(line, "", keyed("error.xml_entity", &[&r.xml10_content()])))?;
                if let Some(el) = stack.last_mut() {
                    el.text.push(c);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if stack.len() != 1 {
        return Err(error_at(line_at(input, reader.buffer_position()), "", "error.xml_unclosed"));
    }
    stack
        .pop()
        .and_then(|mut root| root.children.pop())
        .filter(|q| q.name == "quiz")
        .ok_or_else(|| error_at(1, "", "error.xml_not_quiz"))
}

/// A name Moodle gives a question that has none of its own (`Q12`), which is no title.
fn numbered(name: &str) -> bool {
    name.strip_prefix('Q').is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Reads a Moodle XML file.
pub fn read(input: &str, defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let quiz = parse(input).map_err(|e| vec![e])?;
    let mut category = defaults.category.clone();
    let mut read = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut images = Vec::new();
    for q in quiz.all("question") {
        let kind = match q.attr("type").unwrap_or_default() {
            "category" => {
                let path = q.child("category").map(Element::inner_text).unwrap_or_default();
                category = super::category_path(&path).unwrap_or_else(|| defaults.category.clone());
                continue;
            }
            "multichoice" if q.child("single").is_some_and(|s| matches!(s.text.trim(), "false" | "0")) => {
                Kind::Multiple
            }
            "multichoiceset" => Kind::Multiple,
            "multichoice" => Kind::Single,
            "truefalse" => Kind::TrueFalse,
            "shortanswer" => Kind::Fill,
            "numerical" => Kind::Numerical,
            "matching" => Kind::Matching,
            // Embedded answers (Cloze) no quiz here scores: kept as an essay, its answers as blanks.
            "essay" | "cloze" => Kind::Essay,
            "description" => Kind::Description,
            other => {
                errors.push(error_at(q.line, "type", keyed("error.xml_type", &[other])));
                continue;
            }
        };
        let mut difficulty = defaults.difficulty;
        let mut source = String::new();
        let mut all_or_nothing = q.attr("type") == Some("multichoiceset");
        for tag in q.child("tags").into_iter().flat_map(|t| t.all("tag")) {
            let t = tag.inner_text();
            if let Some(d) = t.strip_prefix("difficulty:") {
                match d.trim().parse() {
                    Ok(d) => difficulty = d,
                    Err(_) => errors.push(error_at(tag.line, "difficulty", keyed("error.difficulty_value", &[d]))),
                }
            } else if let Some(s) = t.strip_prefix("source:") {
                source = s.trim().to_owned();
            } else if t == "scoring:all-or-nothing" {
                all_or_nothing = true;
            }
        }
        // `*` answers anything else in a short answer or numerical question: nothing to keep but
        // its feedback, which is said.
        let (catch_all, answer_els): (Vec<&Element>, Vec<&Element>) =
            q.all("answer").partition(|a| matches!(kind, Kind::Fill | Kind::Numerical) && a.inner_text() == "*");
        if catch_all.iter().any(|a| !a.text_of("feedback").is_empty()) {
            warnings.push(error_at(q.line, "feedback", "error.lost_catch_all"));
        }
        let mut answers = Vec::new();
        for a in &answer_els {
            let raw = a.attr("fraction").unwrap_or("0");
            match raw.trim().parse::<f64>() {
                Ok(f) if (-100.0..=100.0).contains(&f) => answers.push((f, a.inner_text(), a.text_of("feedback"))),
                _ => errors.push(error_at(a.line, "answer", keyed("error.xml_fraction", &[raw]))),
            }
        }
        let weights: Vec<f64> = answers.iter().map(|(f, _, _)| *f).collect();
        let texts: Vec<String> = answers.iter().map(|(_, t, _)| t.clone()).collect();
        let mut feedback: Vec<String> = answers.iter().map(|(_, _, f)| f.clone()).collect();
        let full = |w: &f64| *w >= 99.99;
        let (mut stem, mut formatted, mut unread) = (String::new(), String::new(), 0);
        let cloze = q.attr("type") == Some("cloze");
        if let Some(text) = q.child("questiontext") {
            stem = text.inner_text();
            if text.as_html().is_some() {
                let (raw, pictures, bad) = with_pictures(text, q.line);
                formatted = html::formatted(&raw);
                images.extend(pictures);
                // Pictures from elsewhere (an address on the web) are not kept.
                unread = bad
                    + raw.to_ascii_lowercase().matches("<img").count().saturating_sub(html::images(&formatted).len());
            }
        }
        if cloze {
            (stem, formatted) = (blanks(&stem), blanks(&formatted));
            warnings.push(error_at(q.line, "answer", "error.lost_cloze"));
        }
        if q.child("usecase").is_some_and(|u| u.text.trim() == "1") {
            warnings.push(error_at(q.line, "answer", "error.lost_usecase"));
        }
        if q.child("units").is_some_and(|u| u.count("unit") > 0) {
            warnings.push(error_at(q.line, "answer", "error.lost_units"));
        }
        if q.child("hidden").is_some_and(|h| h.text.trim() == "1") {
            warnings.push(error_at(q.line, "status", "error.lost_hidden"));
        }
        let (options, answer, weights) = match kind {
            Kind::TrueFalse => {
                let said = |word: &str| answers.iter().find(|(_, t, _)| t.eq_ignore_ascii_case(word));
                let (Some(yes), Some(no)) = (said("true"), said("false")) else {
                    errors.push(error_at(q.line, "answer", "error.xml_truefalse"));
                    continue;
                };
                feedback = vec![yes.2.clone(), no.2.clone()];
                (Vec::new(), Answer::Truth(yes.0 > no.0), Vec::new())
            }
            Kind::Fill => {
                if !stem.contains(BLANK) {
                    // Moodle asks for no blank in the text: the answer box follows it.
                    stem.push_str(BLANK);
                    if !formatted.is_empty() {
                        formatted.push_str(BLANK);
                    }
                }
                let weights = if weights.iter().all(full) { Vec::new() } else { weights };
                (Vec::new(), Answer::Text(texts), weights)
            }
            Kind::Numerical => {
                let mut keys = Vec::new();
                for a in &answer_els {
                    let value = a.inner_text();
                    let tolerance = a.child("tolerance").map_or("0", |t| t.text.trim());
                    match NumberKey::parse(&format!("{value}:{tolerance}")) {
                        Some(k) => keys.push(k),
                        None => errors.push(error_at(a.line, "answer", keyed("error.number_value", &[&value]))),
                    }
                }
                let weights = if weights.iter().all(full) { Vec::new() } else { weights };
                (Vec::new(), Answer::Number(keys), weights)
            }
            Kind::Matching => {
                let (mut items, mut pairs, mut extra) = (Vec::new(), Vec::new(), Vec::new());
                for sub in q.all("subquestion") {
                    let (item, right) = (sub.inner_text(), sub.text_of("answer"));
                    if item.is_empty() {
                        extra.push(right);
                    } else {
                        items.push(item);
                        pairs.push(right);
                    }
                }
                (items, Answer::Match { pairs, extra }, Vec::new())
            }
            Kind::Essay | Kind::Description => (Vec::new(), Answer::Open, Vec::new()),
            Kind::Single => {
                let picked: Vec<usize> = (0..weights.len()).filter(|&i| full(&weights[i])).collect();
                let plain = picked.len() == 1 && weights.iter().all(|w| full(w) || *w == 0.0);
                (texts, Answer::Choice(picked), if plain { Vec::new() } else { weights })
            }
            Kind::Multiple => {
                let picked = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
                (texts, Answer::Choice(picked), if all_or_nothing { Vec::new() } else { weights })
            }
        };
        if feedback.iter().all(String::is_empty) {
            feedback.clear();
        }
        // What the bank does not keep is said, question by question.
        let elsewhere = q.count("file") - q.child("questiontext").map_or(0, |t| t.all("file").count()) + unread;
        if elsewhere > 0 {
            warnings.push(error_at(q.line, "stem", keyed("error.lost_images", &[&elsewhere.to_string()])));
        }
        if ["correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"].iter().any(|f| !q.text_of(f).is_empty())
        {
            warnings.push(error_at(q.line, "feedback", "error.lost_combined_feedback"));
        }
        let title = q.text_of("name");
        read.push((
            q.line,
            Question {
                kind,
                title: if numbered(&title) { String::new() } else { title },
                category: category.clone(),
                difficulty,
                stem,
                html: formatted,
                options,
                answer,
                weights,
                feedback,
                explanation: q.text_of("generalfeedback"),
                source,
            },
        ));
    }
    let mut read = check_all(read, errors, warnings, part_label)?;
    read.images = images;
    Ok(read)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text_el(name: &str, s: &str) -> String {
    format!("<{name} format=\"plain_text\"><text>{}</text></{name}>", esc(s))
}

/// One `<answer>` with its fraction, what more it holds (a tolerance) and its feedback.
fn answer(fraction: f64, text: &str, more: &str, feedback: Option<&String>) -> String {
    let feedback = feedback.filter(|f| !f.is_empty()).map(|f| text_el("feedback", f)).unwrap_or_default();
    format!(
        "<answer fraction=\"{fraction}\" format=\"plain_text\"><text>{}</text>{more}{feedback}</answer>\n",
        esc(text)
    )
}

/// A question text in HTML with the pictures it shows as Moodle writes them: `@@PLUGINFILE@@`
/// addresses, and the files after the text.
fn html_with_files(html: &str, pictures: &HashMap<String, Vec<u8>>) -> (String, String) {
    use base64::Engine as _;
    let (mut text, mut files) = (html.to_owned(), String::new());
    for sha256 in html::images(html) {
        if let Some(jpeg) = pictures.get(sha256) {
            text = text.replace(&html::image_src(sha256), &format!("@@PLUGINFILE@@/{sha256}.jpg"));
            let data = base64::engine::general_purpose::STANDARD.encode(jpeg);
            let _ = write!(files, "<file name=\"{sha256}.jpg\" path=\"/\" encoding=\"base64\">{data}</file>");
        }
    }
    (text, files)
}

/// Writes a bank as Moodle XML, with the pictures its questions show (by their SHA-256).
pub fn write(questions: &[Question], pictures: &HashMap<String, Vec<u8>>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    let mut category = None;
    for (n, q) in questions.iter().enumerate() {
        if category != Some(&q.category) {
            let _ = writeln!(
                out,
                "<question type=\"category\"><category><text>{}</text></category></question>",
                esc(&super::gift::moodle_category(&q.category))
            );
            category = Some(&q.category);
        }
        let kind = match q.kind {
            Kind::Single | Kind::Multiple => "multichoice",
            Kind::TrueFalse => "truefalse",
            Kind::Fill => "shortanswer",
            Kind::Numerical => "numerical",
            Kind::Matching => "matching",
            Kind::Essay => "essay",
            Kind::Description => "description",
        };
        let name = if q.title.is_empty() { format!("Q{}", n + 1) } else { esc(&q.title) };
        let _ = writeln!(out, "<question type=\"{kind}\">\n<name><text>{name}</text></name>");
        if q.html.is_empty() {
            out.push_str(&text_el("questiontext", &q.stem));
        } else {
            let (text, files) = html_with_files(&q.html, pictures);
            let _ = write!(out, "<questiontext format=\"html\"><text>{}</text>{files}</questiontext>", esc(&text));
        }
        out.push('\n');
        out.push_str(&text_el("generalfeedback", &q.explanation));
        out.push('\n');
        let weight = |i: usize, otherwise: f64| q.weights.get(i).copied().unwrap_or(otherwise);
        match &q.answer {
            Answer::Choice(picked) => {
                let _ =
                    writeln!(out, "<single>{}</single>\n<shuffleanswers>true</shuffleanswers>", q.kind == Kind::Single);
                // All-or-nothing (no weights) is written with Moodle's nearest weights and a tag.
                let share =
                    (100.0 / f64::from(u32::try_from(picked.len()).unwrap_or(1)) * 100_000.0).round() / 100_000.0;
                let wrong = if q.kind == Kind::Single { 0.0 } else { -100.0 };
                for (i, o) in q.options.iter().enumerate() {
                    let f = weight(i, if picked.contains(&i) { share } else { wrong });
                    out.push_str(&answer(f, o, "", q.feedback.get(i)));
                }
            }
            Answer::Truth(t) => {
                out.push_str(&answer(if *t { 100.0 } else { 0.0 }, "true", "", q.feedback.first()));
                out.push_str(&answer(if *t { 0.0 } else { 100.0 }, "false", "", q.feedback.get(1)));
            }
            Answer::Text(accepted) => {
                for (i, a) in accepted.iter().enumerate() {
                    out.push_str(&answer(weight(i, 100.0), a, "", q.feedback.get(i)));
                }
            }
            Answer::Number(keys) => {
                for (i, k) in keys.iter().enumerate() {
                    let tolerance = format!("<tolerance>{}</tolerance>", k.tolerance);
                    out.push_str(&answer(weight(i, 100.0), &k.value.to_string(), &tolerance, q.feedback.get(i)));
                }
            }
            Answer::Match { pairs, extra } => {
                let subquestion = |item: &str, right: &str| {
                    format!(
                        "<subquestion format=\"plain_text\"><text>{}</text><answer><text>{}</text></answer></subquestion>\n",
                        esc(item),
                        esc(right)
                    )
                };
                out.push_str("<shuffleanswers>true</shuffleanswers>\n");
                for (item, right) in q.options.iter().zip(pairs) {
                    out.push_str(&subquestion(item, right));
                }
                for e in extra {
                    out.push_str(&subquestion("", e));
                }
            }
            Answer::Open => {}
        }
        let _ = write!(out, "<tags><tag><text>difficulty:{}</text></tag>", q.difficulty);
        if !q.source.is_empty() {
            let _ = write!(out, "<tag><text>source:{}</text></tag>", esc(&q.source));
        }
        if q.kind == Kind::Multiple && q.weights.is_empty() {
            out.push_str("<tag><text>scoring:all-or-nothing</text></tag>");
        }
        out.push_str("</tags>\n</question>\n");
    }
    out.push_str("</quiz>\n");
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
        fn moodle_xml_round_trips(qs in proptest::collection::vec(question(), 1..6)) {
            let back = read(&write(&qs, &HashMap::new()), &Defaults::default()).map(crate::quiz::plain).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(back, qs);
        }

        #[test]
        fn any_text_gives_questions_or_errors_never_a_panic(s in "[\\PC<>&;/=\"]{0,200}") {
            let _ = read(&s, &Defaults::default());
        }
    }

    #[test]
    fn titles_feedback_and_pictures_are_kept() {
        let xml = "<quiz>\n<question type=\"truefalse\"><name><text>消防常识1</text></name>\
                   <questiontext format=\"html\"><text><![CDATA[<p>见图：<img src=\"@@PLUGINFILE@@/a.png\"></p>]]></text>\
                   <file name=\"a.png\" encoding=\"base64\">iVBORw0KGgo=</file></questiontext>\
                   <answer fraction=\"100\"><text>true</text><feedback><text>对</text></feedback></answer>\
                   <answer fraction=\"0\"><text>false</text></answer></question>\n\
                   <question type=\"truefalse\"><name><text>Q2</text></name><questiontext><text>烟头要掐灭。</text></questiontext>\
                   <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n</quiz>";
        let read = read(xml, &Defaults::default()).unwrap();
        assert_eq!(read.questions.len(), 2);
        let first = &read.questions[0].1;
        assert_eq!((first.title.as_str(), first.feedback.clone()), ("消防常识1", vec!["对".to_owned(), String::new()]));
        assert_eq!(read.questions[1].1.title, "", "Moodle's numbering is no title");
        let src = html::image_src(&read.images[0].sha256);
        assert_eq!(first.html, format!("<p>见图：<img src=\"{src}\" alt=\"\"></p>"), "the picture goes with it");
        assert!(read.warnings.is_empty(), "the second question, written as firecast writes, loses nothing");
        let second = &read.questions[1].1;
        assert_eq!((second.stem.as_str(), second.html.as_str()), ("烟头要掐灭。", ""), "plain text stays plain");
    }

    #[test]
    fn markdown_keeps_its_formatting() {
        let xml = "<quiz><question type=\"truefalse\"><questiontext format=\"markdown\"><text>电器用完要**断电**。\n\n- 拔插头\n- 关开关\n\n![](@@PLUGINFILE@@/a.png)</text>\
                   <file name=\"a.png\" encoding=\"base64\">iVBORw0KGgo=</file></questiontext>\
                   <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question></quiz>";
        let read = read(xml, &Defaults::default()).unwrap();
        let q = &read.questions[0].1;
        let src = html::image_src(&read.images[0].sha256);
        assert_eq!(
            q.html,
            format!(
                "<p>电器用完要<strong>断电</strong>。</p>\n<ul>\n<li>拔插头</li>\n<li>关开关</li>\n</ul>\n<p><img src=\"{src}\" alt=\"\"></p>"
            )
        );
        assert!(q.stem.starts_with("电器用完要断电。"), "{}", q.stem);
        assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    }

    #[test]
    fn numerical_questions_keep_their_tolerance_and_weights() {
        let xml = "<quiz>\n<question type=\"numerical\"><name><text>Q1</text></name><questiontext><text>高层住宅高度超过多少米？</text></questiontext>\
                   <answer fraction=\"100\"><text>27</text><tolerance>0</tolerance></answer>\
                   <answer fraction=\"50\"><text>24</text><tolerance>1</tolerance></answer>\
                   <answer fraction=\"0\"><text>*</text><feedback><text>再想想</text></feedback></answer></question>\n</quiz>";
        let got = read(xml, &Defaults::default()).unwrap();
        let q = &got.questions[0].1;
        assert_eq!(
            (q.kind, &q.answer),
            (
                Kind::Numerical,
                &Answer::Number(vec![
                    NumberKey { value: 27.0, tolerance: 0.0 },
                    NumberKey { value: 24.0, tolerance: 1.0 }
                ])
            )
        );
        assert_eq!(q.weights, vec![100.0, 50.0]);
        let said: Vec<String> = got.warnings.iter().map(|w| Lang::Zh.message(&w.message)).collect();
        assert_eq!(said, vec!["“*”（其他任何答案）的反馈未保存"]);
        assert!(q.is_right(&Answer::Text(vec!["27".into()])) && q.credit(&Answer::Text(vec!["24.5".into()])) == 0.5);
        assert_eq!(
            crate::quiz::plain(read(&write(std::slice::from_ref(q), &HashMap::new()), &Defaults::default()).unwrap()),
            vec![q.clone()]
        );
    }

    #[test]
    fn matching_short_answers_and_part_marks_read_as_moodle_writes_them() {
        let xml = "<quiz>\n<question type=\"category\"><category><text>$course$/top/Default for 消防/燃气安全/液化气</text></category></question>\n\
                   <question type=\"matching\"><name><text>灭火方法</text></name><questiontext format=\"html\"><text>连一连</text></questiontext>\
                   <subquestion format=\"html\"><text><![CDATA[油锅起火]]></text><answer><text>盖锅盖</text></answer></subquestion>\
                   <subquestion format=\"html\"><text>电器起火</text><answer><text>先断电</text></answer></subquestion>\
                   <subquestion format=\"html\"><text></text><answer><text>用水浇</text></answer></subquestion></question>\n\
                   <question type=\"shortanswer\"><name><text>Q2</text></name><questiontext><text>火警电话是多少？</text></questiontext>\
                   <answer fraction=\"100\"><text>119</text></answer><answer fraction=\"0\"><text>110</text><feedback><text>那是匪警</text></feedback></answer></question>\n\
                   <question type=\"multichoice\"><name><text>Q3</text></name><questiontext><text>家中应配备</text></questiontext><single>false</single>\
                   <answer fraction=\"33.33333\"><text>灭火器</text></answer><answer fraction=\"33.33333\"><text>烟感</text></answer>\
                   <answer fraction=\"33.33333\"><text>灭火毯</text></answer><answer fraction=\"-100\"><text>汽油</text></answer></question>\n</quiz>";
        let qs = crate::quiz::plain(read(xml, &Defaults::default()).unwrap());
        assert!(qs.iter().all(|q| q.category == "gas/液化气"), "the category tree, built-in levels by code");
        assert_eq!((qs[0].kind, qs[0].title.as_str()), (Kind::Matching, "灭火方法"));
        assert_eq!(
            qs[0].answer,
            Answer::Match { pairs: vec!["盖锅盖".into(), "先断电".into()], extra: vec!["用水浇".into()] }
        );
        assert_eq!(qs[1].stem, "火警电话是多少？____", "no blank needed: the answer box follows the text");
        assert_eq!((qs[1].weights.clone(), qs[1].feedback[1].as_str()), (vec![100.0, 0.0], "那是匪警"));
        assert!(!qs[1].is_right(&Answer::Text(vec!["110".into()])));
        assert!(qs[2].is_right(&Answer::Choice(vec![0, 1, 2])));
        assert!((qs[2].credit(&Answer::Choice(vec![0, 1])) - 0.6666666).abs() < 1e-6);
        assert_eq!(qs[2].credit(&Answer::Choice(vec![0, 1, 2, 3])), 0.0);
        assert_eq!(crate::quiz::plain(read(&write(&qs, &HashMap::new()), &Defaults::default()).unwrap()), qs);
    }

    #[test]
    fn pictures_travel_with_their_question() {
        use base64::Engine as _;
        let png = b"\x89PNG not really".to_vec();
        let data = base64::engine::general_purpose::STANDARD.encode(&png);
        let xml = format!(
            "<quiz><question type=\"truefalse\"><questiontext format=\"html\"><text><![CDATA[<p>看图：<img src=\"@@PLUGINFILE@@/%E7%81%AD%E7%81%AB%E5%99%A8%201.png\" width=\"100\"></p><p>这是干粉灭火器。</p>]]></text>\
             <file name=\"灭火器 1.png\" path=\"/\" encoding=\"base64\">\n{data}\n</file><file name=\"x.png\" encoding=\"base64\">!!</file></questiontext>\
             <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question></quiz>"
        );
        let got = read(&xml, &Defaults::default()).unwrap();
        let image = &got.images[0];
        assert_eq!((got.images.len(), &image.bytes), (1, &png));
        let q = &got.questions[0].1;
        let src = html::image_src(&image.sha256);
        assert_eq!(q.html, format!("<p>看图：<img src=\"{src}\" alt=\"\"></p><p>这是干粉灭火器。</p>"));
        assert_eq!(q.stem, "看图： 这是干粉灭火器。");
        assert_eq!(got.warnings.len(), 1, "the file that is no picture is said: {:?}", got.warnings);
        let pictures = HashMap::from([(image.sha256.clone(), png.clone())]);
        let written = write(std::slice::from_ref(q), &pictures);
        assert!(written.contains(&format!("@@PLUGINFILE@@/{}.jpg", image.sha256)), "{written}");
        let back = read(&written, &Defaults::default()).unwrap();
        assert_eq!((&back.questions[0].1, &back.images[0].bytes), (q, &png), "the same question, the same bytes");
    }

    #[test]
    fn what_no_quiz_here_scores_is_kept_and_said() {
        let xml = "<quiz>\n<question type=\"cloze\"><questiontext format=\"html\"><text><![CDATA[<p>火警电话是{1:SHORTANSWER:=119}，\
                   急救电话是{1:NUMERICAL:=120}。</p><p><img src=\"https://example.org/a.png\"></p>]]></text></questiontext></question>\n\
                   <question type=\"shortanswer\"><questiontext><text>英文缩写</text></questiontext><usecase>1</usecase>\
                   <answer fraction=\"100\"><text>AED</text></answer></question>\n\
                   <question type=\"numerical\"><questiontext><text>楼高多少？</text></questiontext><units><unit><multiplier>1</multiplier>\
                   <unit_name>m</unit_name></unit></units><answer fraction=\"100\"><text>27</text></answer></question>\n\
                   <question type=\"truefalse\"><questiontext><text>旧题</text></questiontext><hidden>1</hidden>\
                   <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n</quiz>";
        let got = read(xml, &Defaults::default()).unwrap();
        let cloze = &got.questions[0].1;
        assert_eq!((cloze.kind, cloze.stem.as_str()), (Kind::Essay, "火警电话是____，急救电话是____。"));
        let said: Vec<(usize, String)> = got.warnings.iter().map(|w| (w.row, Lang::Zh.message(&w.message))).collect();
        assert_eq!(
            said,
            vec![
                (2, "完形填空（Cloze）的嵌入答案未保存，按问答题保存，不自动计分".to_owned()),
                (2, "1张图片未保存".to_owned()),
                (3, "区分大小写未保留，答案按不区分大小写比对".to_owned()),
                (4, "数值的单位未保存，只比对数字".to_owned()),
                (5, "此题在Moodle中为隐藏题，导入后会被抽取；不需要时请在题库中停用".to_owned()),
            ]
        );
    }

    #[test]
    fn essays_and_descriptions_are_kept() {
        let xml = "<quiz><question type=\"essay\"><name><text>E1</text></name><questiontext format=\"html\">\
                   <text><![CDATA[说说楼道堆物的危害。]]></text></questiontext><generalfeedback><text>堵塞生命通道。</text>\
                   </generalfeedback></question><question type=\"description\"><name><text>D1</text></name>\
                   <questiontext><text>以下题目关于燃气安全。</text></questiontext></question></quiz>";
        let qs = crate::quiz::plain(read(xml, &Defaults::default()).unwrap());
        assert_eq!(qs.iter().map(|q| q.kind).collect::<Vec<_>>(), vec![Kind::Essay, Kind::Description]);
        assert_eq!((qs[0].stem.as_str(), qs[0].explanation.as_str()), ("说说楼道堆物的危害。", "堵塞生命通道。"));
        assert!(qs.iter().all(|q| q.answer == Answer::Open));
        assert_eq!(crate::quiz::plain(read(&write(&qs, &HashMap::new()), &Defaults::default()).unwrap()), qs);
    }

    #[test]
    fn entities_and_dtds_are_refused() {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<quiz>&lol2;</quiz>";
        let e = read(laughs, &Defaults::default()).unwrap_err();
        assert!(Lang::En.message(&e[0].message).contains("DOCTYPE"), "{e:?}");
        let external = "<!DOCTYPE quiz [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><quiz>&xxe;</quiz>";
        assert!(
            Lang::Zh.message(&read(external, &Defaults::default()).unwrap_err()[0].message).contains("DOCTYPE声明")
        );
        let unknown =
            "<quiz><question type=\"truefalse\"><questiontext><text>&xxe;</text></questiontext></question></quiz>";
        assert_eq!(Lang::Zh.message(&read(unknown, &Defaults::default()).unwrap_err()[0].message), "不接受实体“&xxe;”");
        assert!(read("<quiz><question>", &Defaults::default()).is_err());
    }

    #[test]
    fn moodle_exports_read() {
        let xml = "<?xml version=\"1.0\"?><quiz>\n<question type=\"category\"><category><text>$course$/top/gas</text></category></question>\n\
                   <question type=\"multichoice\"><questiontext format=\"html\"><text><![CDATA[<p>燃气泄漏时应&nbsp;<b>首先</b>？</p>]]></text></questiontext>\
                   <single>true</single><answer fraction=\"100\"><text>关闭阀门</text></answer><answer fraction=\"0\"><text>开灯检查</text></answer></question>\n\
                   <question type=\"calculated\"><questiontext><text>连一连</text></questiontext></question>\n</quiz>";
        let e = read(xml, &Defaults::default()).unwrap_err();
        assert_eq!((e.len(), e[0].row), (1, 4), "{e:?}");
        let ok = xml
            .replace("<question type=\"calculated\"><questiontext><text>连一连</text></questiontext></question>\n", "");
        let qs = crate::quiz::plain(read(&ok, &Defaults::default()).unwrap());
        assert_eq!(qs[0].stem, "燃气泄漏时应 首先？");
        assert_eq!(qs[0].html, "<p>燃气泄漏时应 <b>首先</b>？</p>", "its formatting kept");
        assert_eq!(qs[0].category, "gas");
        assert_eq!(qs[0].answer, Answer::Choice(vec![0]));
    }
}
