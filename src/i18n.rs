//! The languages people read firecast in: Chinese (default), English and Korean. Every string a
//! person reads, error messages included, lives in `locales/*.txt` (`key = value` a line),
//! compiled in; a string missing in one language falls back to Chinese.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A message that is a locale key with arguments, for [`Lang::message`] to fill in.
pub fn keyed(key: &str, args: &[&str]) -> String {
    let args = args.iter().map(|a| a.replace('|', "¦"));
    std::iter::once(key.to_owned()).chain(args).collect::<Vec<_>>().join("|")
}

/// A UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文
    #[default]
    Zh,
    /// English
    En,
    /// 한국어
    Ko,
}

/// The strings of each language: the shell and the older areas, then one file per newer area.
const SOURCES: [(Lang, [&str; 7]); 3] = [
    (
        Lang::Zh,
        [
            include_str!("../locales/zh-CN.txt"),
            include_str!("../locales/hazard.zh-CN.txt"),
            include_str!("../locales/volunteer.zh-CN.txt"),
            include_str!("../locales/quiz.zh-CN.txt"),
            include_str!("../locales/quiz_live.zh-CN.txt"),
            include_str!("../locales/quiz_selection.zh-CN.txt"),
            include_str!("../locales/push.zh-CN.txt"),
        ],
    ),
    (
        Lang::En,
        [
            include_str!("../locales/en.txt"),
            include_str!("../locales/hazard.en.txt"),
            include_str!("../locales/volunteer.en.txt"),
            include_str!("../locales/quiz.en.txt"),
            include_str!("../locales/quiz_live.en.txt"),
            include_str!("../locales/quiz_selection.en.txt"),
            include_str!("../locales/push.en.txt"),
        ],
    ),
    (
        Lang::Ko,
        [
            include_str!("../locales/ko.txt"),
            include_str!("../locales/hazard.ko.txt"),
            include_str!("../locales/volunteer.ko.txt"),
            include_str!("../locales/quiz.ko.txt"),
            include_str!("../locales/quiz_live.ko.txt"),
            include_str!("../locales/quiz_selection.ko.txt"),
            include_str!("../locales/push.ko.txt"),
        ],
    ),
];

/// Parses locale files: `key = value` lines; blank lines and `#` comments skipped.
pub fn parse(texts: &[&'static str]) -> HashMap<&'static str, &'static str> {
    texts
        .iter()
        .flat_map(|t| t.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

static TABLES: LazyLock<Vec<(Lang, HashMap<&'static str, &'static str>)>> =
    LazyLock::new(|| SOURCES.iter().map(|(lang, texts)| (*lang, parse(texts))).collect());

impl Lang {
    /// Every language, in the order of the switcher.
    pub const ALL: [Self; 3] = [Self::Zh, Self::En, Self::Ko];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
            Self::Ko => "ko",
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Zh => "中文",
            Self::En => "English",
            Self::Ko => "한국어",
        }
    }

    /// Parses a tag.
    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// A message to show: the string of a locale key (a message written as `error.…`, its
    /// arguments after `|` put in place of `{1}`, `{2}`…, days written as this language writes
    /// them), or the message itself when it is not one.
    pub fn message(self, message: &str) -> String {
        if !message.starts_with("error.") {
            return message.to_owned();
        }
        let mut parts = message.split('|');
        let mut text = self.t(parts.next().unwrap_or_default()).to_owned();
        for (i, arg) in parts.enumerate() {
            let shown = time::Date::parse(arg, &time::format_description::well_known::Iso8601::DATE)
                .map_or_else(|_| arg.to_owned(), |d| self.date(d));
            text = text.replace(&format!("{{{}}}", i + 1), &shown);
        }
        text
    }

    /// A day as this language writes it in a sentence: 2026年11月15日, 15 Nov 2026,
    /// 2026년 11월 15일.
    pub fn date(self, d: time::Date) -> String {
        let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
        match self {
            Self::Zh => format!("{y}年{m}月{day}日"),
            Self::Ko => format!("{y}년 {m}월 {day}일"),
            Self::En => {
                const MONTHS: [&str; 12] =
                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
                format!("{day} {} {y}", MONTHS[usize::from(m) - 1])
            }
        }
    }

    /// The string for `key` in this language; Chinese when missing, and `?` (with a warning in the
    /// log) when Chinese lacks it too — the tests keep that from happening.
    pub fn t(self, key: &str) -> &'static str {
        let find = |lang: Lang| TABLES.iter().find(|(l, _)| *l == lang).and_then(|(_, t)| t.get(key).copied());
        find(self).or_else(|| find(Self::Zh)).unwrap_or_else(|| {
            tracing::warn!(key, "missing UI string");
            "?"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let zh = parse(&SOURCES[0].1);
        assert!(zh.len() > 50);
        for (lang, texts) in &SOURCES[1..] {
            let other = parse(texts);
            let mut missing: Vec<_> = zh.keys().filter(|k| !other.contains_key(*k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            let mut extra: Vec<_> = other.keys().filter(|k| !zh.contains_key(*k)).collect();
            extra.sort();
            assert!(extra.is_empty(), "{lang:?} has keys Chinese lacks: {extra:?}");
        }
    }

    /// Every file under a folder of the crate, with its text.
    fn files(folder: &str) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path, text));
                }
            }
        }
        out
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let zh = parse(&SOURCES[0].1);
        let mut missing = Vec::new();
        for (path, text) in files("templates") {
            for piece in text.split(".t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                if !zh.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn every_message_key_the_code_uses_exists() {
        let zh = parse(&SOURCES[0].1);
        let mut missing = Vec::new();
        for (path, text) in files("src") {
            for piece in text.split("\"error.").skip(1) {
                let rest: String = piece.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                let key = format!("error.{rest}");
                let template = rest == "html";
                if !rest.is_empty()
                    && !template
                    && piece[rest.len()..].starts_with('"')
                    && !zh.contains_key(key.as_str())
                {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        assert_eq!(Lang::Zh.message("error.choose_file"), "请选择要导入的文件");
        assert_eq!(Lang::En.message("error.choose_file"), "choose a file to import");
        assert_eq!(Lang::Zh.message("no such campaign"), "no such campaign");
        let dates = keyed("error.dates_outside", &["2024-11-01", "2024-11-30"]);
        assert_eq!(Lang::Zh.message(&dates), "活动日期须在本次宣传活动期间（2024年11月1日至2024年11月30日）");
        assert_eq!(Lang::En.message(&dates), "the dates must fall within the campaign, 1 Nov 2024 to 30 Nov 2024");
    }

    #[test]
    fn falls_back_to_chinese() {
        assert_eq!(Lang::Zh.t("nav.regions"), "区划");
        assert_eq!(Lang::En.t("nav.regions"), "Regions");
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
    }
}
