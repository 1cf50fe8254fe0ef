//! The languages people read firecast in: Chinese (default), English and Korean. Every string a
//! person reads, error messages included, lives in `locales/*.txt` (`key = value` a line),
//! compiled in; a string missing in one language falls back to Chinese.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A message that is a locale key with arguments, for [`Lang::message`] to fill in. An argument
/// may itself be a message made by `keyed` (shown in place, as "line 3: …" shows its problem) or a
/// [`term`].
pub fn keyed(key: &str, args: &[&str]) -> String {
    let args = args.iter().map(|a| {
        if a.starts_with("error.") { a.replace('¦', INNER_BAR).replace('|', "¦") } else { a.replace('|', "¦") }
    });
    std::iter::once(key.to_owned()).chain(args).collect::<Vec<_>>().join("|")
}

/// What a `¦` (a `|` written in an argument) becomes in a message within a message, whose own
/// arguments are apart by `¦`.
const INNER_BAR: &str = "\u{ffe4}";

/// What marks an argument of a message as a UI string to show in the reader's language.
const TERM: char = '@';

/// An argument of a [`keyed`] message naming a UI string, `prefix.value` (a state, a kind, a level):
/// `term("hazard_state", "verified")` is shown as 已核实, Verified or 확인됨.
pub fn term(prefix: &str, value: impl std::fmt::Display) -> String {
    format!("{TERM}{prefix}.{value}")
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

/// The strings of each language: the shell and the older areas, then one file per newer area, then
/// the messages of refusals (`errors`).
const SOURCES: [(Lang, [&str; 13]); 3] = [
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
            include_str!("../locales/event.zh-CN.txt"),
            include_str!("../locales/stream.zh-CN.txt"),
            include_str!("../locales/alert.zh-CN.txt"),
            include_str!("../locales/screen.zh-CN.txt"),
            include_str!("../locales/partner.zh-CN.txt"),
            include_str!("../locales/errors.zh-CN.txt"),
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
            include_str!("../locales/event.en.txt"),
            include_str!("../locales/stream.en.txt"),
            include_str!("../locales/alert.en.txt"),
            include_str!("../locales/screen.en.txt"),
            include_str!("../locales/partner.en.txt"),
            include_str!("../locales/errors.en.txt"),
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
            include_str!("../locales/event.ko.txt"),
            include_str!("../locales/stream.ko.txt"),
            include_str!("../locales/alert.ko.txt"),
            include_str!("../locales/screen.ko.txt"),
            include_str!("../locales/partner.ko.txt"),
            include_str!("../locales/errors.ko.txt"),
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

    /// The language a tag names by its first part, however the rest is written: `zh`, `zh-CN`,
    /// `zh_CN.UTF-8` (a system locale), `en-US`, `ko`.
    pub fn by_first_part(tag: &str) -> Option<Self> {
        let first = |t: &str| t.split(['-', '_', '.']).next().unwrap_or_default().to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| first(l.tag()) == first(tag.trim()))
    }

    /// The UI string for an enumerated value: `tv("role", "admin")` is the string of `role.admin`.
    pub fn tv(self, prefix: &str, value: impl std::fmt::Display) -> &'static str {
        self.t(&format!("{prefix}.{value}"))
    }

    /// A message to show: the string of a locale key (a message written as `error.…`, its
    /// arguments after `|` put in place of `{1}`, `{2}`…, days written as this language writes
    /// them, [`term`]s and messages within it in this language too), or the message itself when
    /// it is not one.
    pub fn message(self, message: &str) -> String {
        if !message.starts_with("error.") {
            return message.to_owned();
        }
        self.fill(message.split('|'))
    }

    /// The string for `key` with `{1}`, `{2}`… filled in with `args`.
    pub fn text(self, key: &str, args: &[&str]) -> String {
        self.fill(std::iter::once(key).chain(args.iter().copied()))
    }

    /// A key's string with its arguments in place, in one pass: an argument's own text (a title
    /// with `{2}` in it) is never filled in again.
    fn fill<S: AsRef<str>>(self, mut parts: impl Iterator<Item = S>) -> String {
        let mut rest = parts.next().map_or("?", |key| self.t(key.as_ref()));
        let args: Vec<String> = parts.map(|a| self.argument(a.as_ref())).collect();
        let mut text = String::with_capacity(rest.len());
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            rest = &rest[open..];
            let arg = rest
                .find('}')
                .and_then(|close| Some((close, rest[1..close].parse::<usize>().ok()?)))
                .and_then(|(close, n)| Some((close, args.get(n.checked_sub(1)?)?)));
            if let Some((close, arg)) = arg {
                text.push_str(arg);
                rest = &rest[close + 1..];
            } else {
                text.push('{');
                rest = &rest[1..];
            }
        }
        text.push_str(rest);
        text
    }

    /// An argument of a message as shown: a day, a term, a message within the message (its own
    /// arguments apart by `¦`, as [`keyed`] writes them), or the text itself (with the `|` it held,
    /// which [`keyed`] wrote as `¦`).
    fn argument(self, arg: &str) -> String {
        let known = |key: &str| TABLES.iter().any(|(l, t)| *l == Self::Zh && t.contains_key(key));
        if let Ok(d) = time::Date::parse(arg, &time::format_description::well_known::Iso8601::DATE) {
            return self.date(d);
        }
        if let Some(key) = arg.strip_prefix(TERM)
            && known(key)
        {
            return self.t(key).to_owned();
        }
        if arg.starts_with("error.") && known(arg.split('¦').next().unwrap_or_default()) {
            return self.fill(arg.split('¦').map(|part| part.replace(INNER_BAR, "¦")));
        }
        arg.replace('¦', "|")
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

    /// A span of days as this language writes it: 2026年11月1日至30日, 2024年11月1日至12月15日,
    /// 1 Nov 2026 – 30 Nov 2026.
    pub fn days(self, a: time::Date, b: time::Date) -> String {
        match self {
            Self::Zh if a.year() == b.year() && a.month() == b.month() => format!("{}至{}日", self.date(a), b.day()),
            Self::Zh if a.year() == b.year() => format!("{}至{}月{}日", self.date(a), u8::from(b.month()), b.day()),
            Self::Zh => format!("{}至{}", self.date(a), self.date(b)),
            Self::Ko => format!("{}~{}", self.date(a), self.date(b)),
            Self::En => format!("{} – {}", self.date(a), self.date(b)),
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
    fn refusals_read_in_every_language() {
        let missing = keyed("error.no_member_id", &["42"]);
        assert_eq!(Lang::Zh.message(&missing), "您的辖区内没有编号为42的队员");
        assert_eq!(Lang::Ko.message(&missing), "관할 지역 안에 42번 대원이 없습니다");
        assert_eq!(Lang::En.message(&missing), "no member 42 within your area");
        let over = keyed("error.day_over", &["2026-11-20", "24h15", "12h00"]);
        assert_eq!(
            Lang::Ko.message(&over),
            "이렇게 하면 2026년 11월 20일에 24h15이(가) 기록되어 하루 최대 24시간을 넘습니다(이미 12h00)"
        );
        let step =
            keyed("error.hazard_transition", &[&term("hazard_state", "closed"), &term("hazard_action", "verify")]);
        assert_eq!(Lang::Zh.message(&step), "处于“复查合格已办结”状态的隐患不能执行“核实”");
        assert_eq!(Lang::En.message(&step), "a hazard that is 'Closed' cannot take the step 'Verify'");
        let line = keyed("error.on_line", &["3", &keyed("error.team_size", &["甲|队", "1"])]);
        assert_eq!(Lang::Zh.message(&line), "第3行：参赛队“甲|队”有1名队员：每队应为2至5人");
        assert_eq!(Lang::En.message(&line), "line 3: team 甲|队 has 1 members: a team has 2 to 5");
        assert_eq!(Lang::Zh.message(&keyed("error.no_unit", &["a|b"])), "没有名称或编号为“a|b”的单位");
        // An argument's own text is never filled in again.
        let braces = keyed("error.on_line", &["3", &keyed("error.team_size", &["{2}队", "1"])]);
        assert_eq!(Lang::Zh.message(&braces), "第3行：参赛队“{2}队”有1名队员：每队应为2至5人");
        assert_eq!(Lang::Zh.text("cli.cause", &["{2}", "x"]), "{2}：x");
        assert_eq!(Lang::Zh.message(&keyed("error.on_line", &["1", "@nav.regions", "@no.such"])), "第1行：区划");
        assert_eq!(
            Lang::Zh.message(&keyed("error.unknown_tag", &["@no.such"])),
            "“@no.such”不在可选范围内，请从列表中选择"
        );
    }

    #[test]
    fn falls_back_to_chinese() {
        assert_eq!(Lang::Zh.t("nav.regions"), "区划");
        assert_eq!(Lang::En.t("nav.regions"), "Regions");
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
    }
}
