//! Question texts written in HTML (Moodle's `format="html"`, GIFT's `[html]`): [`clean`] keeps a
//! safe subset to show as formatted text, [`text`] the words it shows, for search and plain
//! places (a list, a text message).
//!
//! The subset: paragraphs and line breaks, bold, italic, underline, sub- and superscript, and
//! lists — each tag without attributes — and pictures of the bank's own (`<img>` whose `src` is
//! [`image_src`], nothing else). Any other tag is left out with its attributes and its words
//! kept, except `script` and `style`, whose content goes too. Entities are read and written
//! again, so the result is well-formed and holds no markup but the subset's.

/// The tags kept.
const KEPT: &[&str] = &["p", "br", "b", "strong", "i", "em", "u", "sub", "sup", "ul", "ol", "li"];
/// Tags with no end.
const EMPTY: &[&str] = &["br"];
/// Tags whose content is not text to show.
const DROPPED: &[&str] = &["script", "style"];

/// Where the bank's pictures are served, by the SHA-256 (hex) of their JPEG.
const IMAGES: &str = "/p/quiz/images/";

/// The address of a picture of the bank.
pub fn image_src(sha256: &str) -> String {
    format!("{IMAGES}{sha256}.jpg")
}

/// The picture an address names, when it is one of the bank's.
fn image_of(src: &str) -> Option<&str> {
    let key = src.strip_prefix(IMAGES)?.strip_suffix(".jpg")?;
    (key.len() == 64 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(key)
}

/// The pictures of the bank a clean HTML text shows, by their SHA-256.
pub fn images(clean: &str) -> Vec<&str> {
    clean.split("<img src=\"").skip(1).filter_map(|rest| rest.split('"').next().and_then(image_of)).collect()
}

/// One piece of an HTML text.
enum Piece<'a> {
    Text(&'a str),
    /// A tag: its name (lowercase), whether it ends an element, and its `src`.
    Tag(String, bool, Option<String>),
}

/// The `src` attribute of a tag's text (after its name), quoted or not.
fn src_of(tag: &str) -> Option<String> {
    let at = tag.to_ascii_lowercase().find("src=")?;
    let value = &tag[at + 4..];
    let value = match value.chars().next()? {
        q @ ('"' | '\'') => value[1..].split(q).next()?,
        _ => value.split(|c: char| c.is_whitespace() || c == '>').next()?,
    };
    Some(unescape(value))
}

/// Splits `raw` into text and tags; a `<` that starts no tag is text.
fn pieces(raw: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let closing = after.starts_with('/');
        let name: String = after
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let is_comment = after.starts_with("!--");
        let end = if is_comment { after.find("-->").map(|e| e + 3) } else { after.find('>').map(|e| e + 1) };
        match end {
            Some(end) if is_comment || !name.is_empty() => {
                out.push(Piece::Text(&rest[..open]));
                if !is_comment {
                    let src = (name == "img").then(|| src_of(&after[..end])).flatten();
                    out.push(Piece::Tag(name, closing, src));
                }
                rest = &after[end..];
            }
            _ => {
                out.push(Piece::Text(&rest[..=open]));
                rest = after;
            }
        }
    }
    out.push(Piece::Text(rest));
    out
}

/// A text with its entities read (`&amp;`, `&nbsp;`, `&#39;`, `&#x4e2d;`…); an unknown one stays.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let entity = tail.find(';').filter(|&e| e <= 10).map(|e| &tail[1..e]);
        let c = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            _ => e
                .strip_prefix("#x")
                .or_else(|| e.strip_prefix("#X"))
                .map_or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()), |h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32),
        });
        match (c, entity) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &tail[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The safe subset of an HTML text (see the module's description).
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut open: Vec<String> = Vec::new();
    let mut dropping: Option<String> = None;
    for piece in pieces(raw) {
        match piece {
            Piece::Text(_) if dropping.is_some() => {}
            Piece::Text(t) => out.push_str(&escape(&unescape(t))),
            Piece::Tag(name, _, src) if name == "img" && dropping.is_none() => {
                if let Some(key) = src.as_deref().and_then(image_of) {
                    out.push_str(&format!("<img src=\"{}\" alt=\"\">", image_src(key)));
                }
            }
            Piece::Tag(name, closing, _) => {
                if let Some(d) = &dropping {
                    if closing && *d == name {
                        dropping = None;
                    }
                } else if DROPPED.contains(&name.as_str()) {
                    dropping = (!closing).then_some(name);
                } else if !KEPT.contains(&name.as_str()) {
                } else if EMPTY.contains(&name.as_str()) {
                    out.push_str(&format!("<{name}>"));
                } else if !closing {
                    out.push_str(&format!("<{name}>"));
                    open.push(name);
                } else if let Some(at) = open.iter().rposition(|o| *o == name) {
                    // Elements left open inside it end with it.
                    for o in open.drain(at..).rev() {
                        out.push_str(&format!("</{o}>"));
                    }
                }
            }
        }
    }
    for o in open.into_iter().rev() {
        out.push_str(&format!("</{o}>"));
    }
    out.trim().to_owned()
}

/// A question text as the bank keeps its formatting: [`clean`], or empty when what is left is
/// plain text (no tag, or one paragraph around it).
pub fn formatted(raw: &str) -> String {
    let clean = clean(raw);
    let inner = clean.strip_prefix("<p>").and_then(|c| c.strip_suffix("</p>")).unwrap_or(&clean);
    if inner.contains('<') { clean } else { String::new() }
}

/// A text written in Markdown (GIFT's `[markdown]`, Moodle's `format="markdown"`) as HTML, for
/// [`formatted`] to keep the subset of: emphasis, paragraphs, lists and line breaks carry over;
/// headings, links and code keep their words.
pub fn from_markdown(md: &str) -> String {
    let mut out = String::with_capacity(md.len() * 2);
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(md));
    out
}

/// The text of a short HTML piece (an option, a feedback) as written: tags taken away, entities
/// read, its spaces kept.
pub fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for piece in pieces(raw) {
        if let Piece::Text(t) = piece {
            out.push_str(&unescape(t));
        }
    }
    out.trim().to_owned()
}

/// An option or feedback written as HTML that [`decode`] reads back.
pub fn encode(text: &str) -> String {
    escape(text)
}

/// The words an HTML text shows: tags taken away (a paragraph, a line break or a list item
/// apart from the next by a space), entities read, each run of spaces one space.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut dropping = false;
    for piece in pieces(raw) {
        match piece {
            Piece::Text(t) if !dropping => out.push_str(&unescape(t)),
            Piece::Text(_) => {}
            Piece::Tag(name, closing, _) if DROPPED.contains(&name.as_str()) => dropping = !closing,
            Piece::Tag(name, ..) if matches!(name.as_str(), "p" | "br" | "li" | "div") => out.push(' '),
            Piece::Tag(..) => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_subset_is_kept_and_everything_else_goes() {
        let raw = "<p style=\"color:red\" onclick=\"x()\">燃气泄漏时应&nbsp;<b>首先</b>关阀<script>alert(1)</script></p>\
                   <ul><li>开窗<li>别开灯</ul><a href=\"javascript:x\">链接</a><img src=x onerror=alert(1)>1 &lt; 2";
        assert_eq!(clean(raw), "<p>燃气泄漏时应 <b>首先</b>关阀</p><ul><li>开窗<li>别开灯</li></li></ul>链接1 &lt; 2");
        assert_eq!(text(raw), "燃气泄漏时应 首先关阀 开窗 别开灯链接1 < 2");
        assert_eq!(clean("<b>没有结束"), "<b>没有结束</b>", "left open, closed at the end");
        assert_eq!(clean("</i>多余的结束"), "多余的结束");
        assert_eq!(clean("a < b and c>d"), "a &lt; b and c&gt;d", "a < that starts no tag is text");
        assert_eq!(text("Fire <br>safety"), "Fire safety");
        assert_eq!(clean("<!-- 注释 -->正文"), "正文");
        let own = image_src(&"ab".repeat(32));
        let kept = format!("<img src=\"{own}\" alt=\"\">");
        assert_eq!(clean(&format!("见图<IMG SRC='{own}' onerror=x()>")), format!("见图{kept}"));
        assert_eq!(images(&clean(&format!("<p>{kept}</p>"))), vec!["ab".repeat(32).as_str()]);
        assert_eq!(clean("<img src=\"https://elsewhere.example/a.png\">图"), "图", "no picture from elsewhere");
        assert_eq!(clean(&format!("<img src=\"{own}x\">")), "");
        assert_eq!(text(&kept), "", "a picture has no words");
    }

    proptest! {
        #[test]
        fn cleaning_is_stable_and_keeps_the_words(raw in "[a-z火灾<>/&;# =\"'bipulsc]{0,80}") {
            let once = clean(&raw);
            prop_assert_eq!(clean(&once), once.clone(), "a clean text is clean");
            prop_assert_eq!(text(&once), text(&clean(&once)));
            for tag in once.split('<').skip(1) {
                let name = tag.trim_start_matches('/').split('>').next().unwrap_or_default();
                prop_assert!(KEPT.contains(&name) || name.starts_with("img src=\"/p/quiz/images/"), "only the subset's tags, bare: {}", once);
            }
        }
    }
}
