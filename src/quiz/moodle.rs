//! Moodle XML: `<quiz>` with `<question type="multichoice|truefalse|shortanswer|numerical|essay|
//! description|category">`. Difficulty and source travel as the tags `difficulty:N` and
//! `source:…`; the explanation is the general feedback. Titles, HTML markup, embedded images,
//! feedback on answers and answers worth part marks are read but not kept, and said. The reader refuses any DOCTYPE (so no entity can be defined: no external
//! entities, no billion laughs) and any entity but the five of XML and character references.

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Answer, Defaults, FormatError, Kind, NumberKey, Question, Read, check_all, error_at, part_label};
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
    /// Whether it is HTML with markup in it, which `inner_text` takes away.
    fn has_markup(&self) -> bool {
        self.attr("format") == Some("html") && self.child("text").is_some_and(|t| t.text.contains('<'))
    }
    fn inner_text(&self) -> String {
        let t = self.child("text").map_or(self.text.as_str(), |t| t.text.as_str());
        if self.attr("format") == Some("html") { strip_html(t) } else { t.trim().to_owned() }
    }
}

fn strip_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
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

/// Reads a Moodle XML file.
pub fn read(input: &str, defaults: &Defaults) -> Result<Read, Vec<FormatError>> {
    let quiz = parse(input).map_err(|e| vec![e])?;
    let mut category = defaults.category.clone();
    let mut read = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for q in quiz.all("question") {
        let kind = match q.attr("type").unwrap_or_default() {
            "category" => {
                let path = q.child("category").map(Element::inner_text).unwrap_or_default();
                category = path.rsplit('/').next().unwrap_or_default().trim().to_owned();
                continue;
            }
            "multichoice" if q.child("single").is_some_and(|s| s.text.trim() == "false") => Kind::Multiple,
            "multichoice" => Kind::Single,
            "truefalse" => Kind::TrueFalse,
            "shortanswer" => Kind::Fill,
            "numerical" => Kind::Numerical,
            "essay" => Kind::Essay,
            "description" => Kind::Description,
            other => {
                errors.push(error_at(q.line, "type", keyed("error.xml_type", &[other])));
                continue;
            }
        };
        let mut difficulty = defaults.difficulty;
        let mut source = String::new();
        for tag in q.child("tags").into_iter().flat_map(|t| t.all("tag")) {
            let t = tag.inner_text();
            if let Some(d) = t.strip_prefix("difficulty:") {
                match d.trim().parse() {
                    Ok(d) => difficulty = d,
                    Err(_) => errors.push(error_at(tag.line, "difficulty", keyed("error.difficulty_value", &[d]))),
                }
            } else if let Some(s) = t.strip_prefix("source:") {
                source = s.trim().to_owned();
            }
        }
        let answers: Vec<(f64, String)> = q
            .all("answer")
            .map(|a| (a.attr("fraction").and_then(|f| f.parse().ok()).unwrap_or(0.0), a.inner_text()))
            .collect();
        let (options, answer) = match kind {
            Kind::TrueFalse => {
                let right = answers.iter().find(|(f, _)| *f > 0.0).map(|(_, t)| t.to_lowercase());
                match right.as_deref() {
                    Some("true") => (Vec::new(), Answer::Truth(true)),
                    Some("false") => (Vec::new(), Answer::Truth(false)),
                    _ => {
                        errors.push(error_at(q.line, "answer", "error.xml_truefalse"));
                        continue;
                    }
                }
            }
            Kind::Fill => {
                (Vec::new(), Answer::Text(answers.iter().filter(|(f, _)| *f > 0.0).map(|(_, t)| t.clone()).collect()))
            }
            Kind::Numerical => {
                let mut keys = Vec::new();
                for a in q.all("answer") {
                    let fraction: f64 = a.attr("fraction").and_then(|f| f.parse().ok()).unwrap_or(0.0);
                    let value = a.inner_text();
                    let tolerance = a.child("tolerance").map_or("0", |t| t.text.trim());
                    if fraction >= 100.0 {
                        match NumberKey::parse(&format!("{value}:{tolerance}")) {
                            Some(k) => keys.push(k),
                            None => errors.push(error_at(a.line, "answer", keyed("error.number_value", &[&value]))),
                        }
                    } else if fraction > 0.0 {
                        warnings.push(error_at(q.line, "answer", "error.lost_partial"));
                    }
                }
                (Vec::new(), Answer::Number(keys))
            }
            Kind::Essay | Kind::Description => (Vec::new(), Answer::Open),
            Kind::Single | Kind::Multiple => {
                if let Some((f, _)) = answers.iter().find(|(f, _)| !(-100.0..=100.0).contains(f)) {
                    errors.push(error_at(q.line, "answer", keyed("error.xml_fraction", &[&f.to_string()])));
                    continue;
                }
                let picked = answers.iter().enumerate().filter(|(_, (f, _))| *f > 0.0).map(|(i, _)| i).collect();
                (answers.iter().map(|(_, t)| t.clone()).collect(), Answer::Choice(picked))
            }
        };
        let stem = q.text_of("questiontext");
        // What the bank does not keep is said, question by question.
        let title = q.text_of("name");
        if !title.is_empty() && !(title.starts_with('Q') && title[1..].chars().all(|c| c.is_ascii_digit())) {
            warnings.push(error_at(q.line, "title", keyed("error.lost_title", &[&title])));
        }
        if q.child("questiontext").is_some_and(Element::has_markup) {
            warnings.push(error_at(q.line, "stem", keyed("error.lost_format", &["HTML"])));
        }
        let images = q.count("file");
        if images > 0 {
            warnings.push(error_at(q.line, "stem", keyed("error.lost_images", &[&images.to_string()])));
        }
        if q.all("answer").any(|a| !a.text_of("feedback").is_empty()) {
            warnings.push(error_at(q.line, "answer", "error.lost_feedback"));
        }
        read.push((
            q.line,
            Question {
                kind,
                category: category.clone(),
                difficulty,
                stem,
                options,
                answer,
                explanation: q.text_of("generalfeedback"),
                source,
            },
        ));
    }
    check_all(read, errors, warnings, part_label)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn text_el(name: &str, s: &str) -> String {
    format!("<{name} format=\"plain_text\"><text>{}</text></{name}>", esc(s))
}

/// Writes a bank as Moodle XML.
pub fn write(questions: &[Question]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    let mut category = None;
    for (n, q) in questions.iter().enumerate() {
        if category != Some(&q.category) {
            out.push_str(&format!(
                "<question type=\"category\"><category><text>$course$/firecast/{}</text></category></question>\n",
                esc(&q.category)
            ));
            category = Some(&q.category);
        }
        let kind = match q.kind {
            Kind::Single | Kind::Multiple => "multichoice",
            Kind::TrueFalse => "truefalse",
            Kind::Fill => "shortanswer",
            Kind::Numerical => "numerical",
            Kind::Essay => "essay",
            Kind::Description => "description",
        };
        let _ = write!(out, "<question type=\"{kind}\">\n<name><text>Q{}</text></name>\n", n + 1);
        out.push_str(&text_el("questiontext", &q.stem));
        out.push('\n');
        out.push_str(&text_el("generalfeedback", &q.explanation));
        out.push('\n');
        let answer = |fraction: &str, text: &str| {
            format!("<answer fraction=\"{fraction}\" format=\"plain_text\"><text>{}</text></answer>\n", esc(text))
        };
        match &q.answer {
            Answer::Choice(picked) => {
                let _ =
                    write!(out, "<single>{}</single>\n<shuffleanswers>true</shuffleanswers>\n", q.kind == Kind::Single);
                let share = 100.0 / f64::from(u32::try_from(picked.len()).unwrap_or(1));
                for (i, o) in q.options.iter().enumerate() {
                    let f = if picked.contains(&i) {
                        format!("{share:.5}").trim_end_matches('0').trim_end_matches('.').to_owned()
                    } else {
                        "0".to_owned()
                    };
                    out.push_str(&answer(&f, o));
                }
            }
            Answer::Truth(t) => {
                out.push_str(&answer(if *t { "100" } else { "0" }, "true"));
                out.push_str(&answer(if *t { "0" } else { "100" }, "false"));
            }
            Answer::Text(accepted) => {
                for a in accepted {
                    out.push_str(&answer("100", a));
                }
            }
            Answer::Number(keys) => {
                for k in keys {
                    let _ = write!(
                        out,
                        "<answer fraction=\"100\" format=\"plain_text\"><text>{}</text><tolerance>{}</tolerance></answer>\n",
                        k.value, k.tolerance
                    );
                }
            }
            Answer::Open => {}
        }
        let _ = write!(out, "<tags><tag><text>difficulty:{}</text></tag>", q.difficulty);
        if !q.source.is_empty() {
            let _ = write!(out, "<tag><text>source:{}</text></tag>", esc(&q.source));
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
            let back = read(&write(&qs), &Defaults::default()).map(crate::quiz::plain).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(back, qs);
        }

        #[test]
        fn any_text_gives_questions_or_errors_never_a_panic(s in "[\\PC<>&;/=\"]{0,200}") {
            let _ = read(&s, &Defaults::default());
        }
    }

    #[test]
    fn what_the_bank_does_not_keep_is_said_by_line() {
        let xml = "<quiz>\n<question type=\"truefalse\"><name><text>消防常识1</text></name>\
                   <questiontext format=\"html\"><text><![CDATA[<p>见图：<img src=\"@@PLUGINFILE@@/a.png\"></p>]]></text>\
                   <file name=\"a.png\" encoding=\"base64\">iVBORw0KGgo=</file></questiontext>\
                   <answer fraction=\"100\"><text>true</text><feedback><text>对</text></feedback></answer>\
                   <answer fraction=\"0\"><text>false</text></answer></question>\n\
                   <question type=\"truefalse\"><name><text>Q2</text></name><questiontext><text>烟头要掐灭。</text></questiontext>\
                   <answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question>\n</quiz>";
        let read = read(xml, &Defaults::default()).unwrap();
        assert_eq!(read.questions.len(), 2);
        let said: Vec<(usize, String)> = read.warnings.iter().map(|w| (w.row, Lang::Zh.message(&w.message))).collect();
        assert_eq!(
            said,
            vec![
                (2, "题目标题“消防常识1”未保存".to_owned()),
                (2, "HTML格式未保留，按纯文本保存".to_owned()),
                (2, "1张图片未保存".to_owned()),
                (2, "针对各选项的反馈未保存".to_owned()),
            ],
            "the second question, written as firecast writes, loses nothing"
        );
    }

    #[test]
    fn numerical_questions_keep_their_tolerance() {
        let xml = "<quiz>\n<question type=\"numerical\"><name><text>Q1</text></name><questiontext><text>高层住宅高度超过多少米？</text></questiontext>\
                   <answer fraction=\"100\"><text>27</text><tolerance>0</tolerance></answer>\
                   <answer fraction=\"50\"><text>24</text><tolerance>1</tolerance></answer>\
                   <answer fraction=\"0\"><text>*</text></answer></question>\n</quiz>";
        let got = read(xml, &Defaults::default()).unwrap();
        let q = &got.questions[0].1;
        assert_eq!(
            (q.kind, &q.answer),
            (Kind::Numerical, &Answer::Number(vec![NumberKey { value: 27.0, tolerance: 0.0 }]))
        );
        assert_eq!(got.warnings.len(), 1, "the 50% answer is said, not accepted");
        assert!(q.is_right(&Answer::Text(vec!["27".into()])) && !q.is_right(&Answer::Text(vec!["24".into()])));
        assert_eq!(
            crate::quiz::plain(read(&write(std::slice::from_ref(q)), &Defaults::default()).unwrap()),
            vec![q.clone()]
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
        assert_eq!(crate::quiz::plain(read(&write(&qs), &Defaults::default()).unwrap()), qs);
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
                   <question type=\"matching\"><questiontext><text>连一连</text></questiontext></question>\n</quiz>";
        let e = read(xml, &Defaults::default()).unwrap_err();
        assert_eq!((e.len(), e[0].row), (1, 4), "{e:?}");
        let ok = xml
            .replace("<question type=\"matching\"><questiontext><text>连一连</text></questiontext></question>\n", "");
        let qs = crate::quiz::plain(read(&ok, &Defaults::default()).unwrap());
        assert_eq!(qs[0].stem, "燃气泄漏时应 首先？");
        assert_eq!(qs[0].category, "gas");
        assert_eq!(qs[0].answer, Answer::Choice(vec![0]));
    }
}
