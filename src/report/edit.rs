//! Paragraphs rewritten by hand. An edit is kept with the generated paragraph it was written over
//! (its text and figures). When the report is written again, the edit replaces the generated
//! paragraph and its figures stay linked to their records: each figure of the generated paragraph
//! found in the edited text becomes a link again. When the records have changed what would be
//! generated, a figure that changed is changed in the edited text too (105万 → 106万 where the
//! edit kept 105万), and the paragraph is marked stale so that its authors can compare the two.

use serde::{Deserialize, Serialize};

use super::store::Edit;
use super::{Paragraph, Section, Segment};

/// The generated paragraph an edit was written over: its text and its figures (text, records).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Base {
    plain: String,
    figures: Vec<(String, String)>,
}

impl Base {
    /// The text and figures of a generated paragraph.
    fn new(p: &Paragraph) -> Self {
        let figures = p
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Figure { text, href, .. } => Some((text.clone(), href.clone())),
                Segment::Text { .. } | Segment::Record { .. } => None,
            })
            .collect();
        Self { plain: p.plain(), figures }
    }

    /// The base of a generated paragraph, as stored.
    pub fn of(p: &Paragraph) -> String {
        serde_json::to_string(&Self::new(p)).unwrap_or_default()
    }
}

/// Replaces the edited paragraphs of `sections` by their edits.
pub fn apply(sections: &mut [Section], edits: &[Edit]) {
    for p in sections.iter_mut().flat_map(|s| s.paragraphs.iter_mut()) {
        let Some(e) = edits.iter().find(|e| e.paragraph == p.key) else { continue };
        let then: Base = serde_json::from_str(&e.base).unwrap_or_default();
        let now = Base::new(p);
        let mut body = e.body.clone();
        let stale = then.plain != now.plain;
        if stale && then.figures.len() == now.figures.len() {
            for ((old, old_href), (new, new_href)) in then.figures.iter().zip(&now.figures) {
                if old != new && old_href == new_href && body.matches(old.as_str()).count() == 1 {
                    body = body.replacen(old.as_str(), new, 1);
                }
            }
        }
        let generated = p.clone();
        p.segments = linked(&body, &generated.segments);
        p.edited = true;
        p.stale = stale;
        p.generated = Some(Box::new(generated));
    }
}

/// The text as segments, each figure and named record of the generated paragraph's segments found
/// in it (in order) linked to its records.
fn linked(body: &str, generated: &[Segment]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = body;
    for link in generated {
        let (Segment::Figure { text, .. } | Segment::Record { text, .. }) = link else { continue };
        let Some(at) = rest.find(text.as_str()) else { continue };
        if at > 0 {
            out.push(Segment::Text { text: rest[..at].to_owned() });
        }
        out.push(link.clone());
        rest = &rest[at + text.len()..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text { text: rest.to_owned() });
    }
    out
}

/// A piece of a comparison of two texts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum Change {
    /// In both.
    Same(String),
    /// Only in the first (the hand-written text).
    Removed(String),
    /// Only in the second (the text generated now).
    Added(String),
}

/// What changes from `a` to `b`, character by character (the longest common subsequence).
pub fn diff(a: &str, b: &str) -> Vec<Change> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Paragraphs are short; a table of common lengths is small.
    let mut lcs = vec![vec![0_u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut out: Vec<Change> = Vec::new();
    let mut push = |c: Change| {
        let merged = match (out.last_mut(), &c) {
            (Some(Change::Same(x)), Change::Same(y))
            | (Some(Change::Removed(x)), Change::Removed(y))
            | (Some(Change::Added(x)), Change::Added(y)) => {
                x.push_str(y);
                true
            }
            _ => false,
        };
        if !merged {
            out.push(c);
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            push(Change::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            push(Change::Removed(a[i].to_string()));
            i += 1;
        } else {
            push(Change::Added(b[j].to_string()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(key: &str, parts: &[(&str, Option<(&str, i64)>)]) -> Paragraph {
        let mut p = Paragraph { key: key.into(), ..Paragraph::default() };
        for (text, figure) in parts {
            p.text(text);
            if let Some((f, v)) = figure {
                p.figure((*f).to_owned(), "/activities?x", *v);
            }
        }
        p
    }

    fn edit(key: &str, body: &str, base: &Paragraph) -> Edit {
        Edit { paragraph: key.into(), body: body.into(), base: Base::of(base) }
    }

    #[test]
    fn an_edit_keeps_its_figures_linked_and_follows_the_records() {
        let then = paragraph("volunteers.2", &[("累计发放宣传资料", Some(("105万", 1_050_000))), ("份。", None)]);
        let e = edit("volunteers.2", "全省各地累计发放宣传资料105万份，覆盖城乡。", &then);
        // The records are as they were: the edit stands, its figure a link.
        let mut same =
            vec![Section { key: "volunteers".into(), heading: String::new(), paragraphs: vec![then.clone()] }];
        apply(&mut same, std::slice::from_ref(&e));
        let p = &same[0].paragraphs[0];
        assert_eq!(p.plain(), "全省各地累计发放宣传资料105万份，覆盖城乡。");
        assert!(p.edited && !p.stale);
        assert!(p.segments.iter().any(|s| matches!(s, Segment::Figure { text, .. } if text == "105万")));
        // A record changed the figure: the edit's figure follows, and the paragraph is stale.
        let now = paragraph("volunteers.2", &[("累计发放宣传资料", Some(("106万", 1_060_000))), ("份。", None)]);
        let mut changed = vec![Section { key: "volunteers".into(), heading: String::new(), paragraphs: vec![now] }];
        apply(&mut changed, &[e]);
        let p = &changed[0].paragraphs[0];
        assert_eq!(p.plain(), "全省各地累计发放宣传资料106万份，覆盖城乡。");
        assert!(p.stale);
        assert_eq!(p.generated.as_ref().map(|g| g.plain()).as_deref(), Some("累计发放宣传资料106万份。"));
    }

    #[test]
    fn a_diff_shows_what_was_removed_and_added() {
        assert_eq!(
            diff("发放资料105万份，覆盖城乡。", "发放宣传资料106万份。"),
            [
                Change::Same("发放".into()),
                Change::Added("宣传".into()),
                Change::Same("资料10".into()),
                Change::Removed("5".into()),
                Change::Added("6".into()),
                Change::Same("万份".into()),
                Change::Removed("，覆盖城乡".into()),
                Change::Same("。".into()),
            ]
        );
    }
}
