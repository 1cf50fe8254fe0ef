//! The table a bench run ends with: one line per goal — what was measured, the machine's own
//! yardstick from the same run, their ratio, the goal, and whether it was met.

/// How large the workloads run: in full, or a tenth of each (`--quick`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Size {
    quick: bool,
}

impl Size {
    /// The size asked for.
    pub fn new(quick: bool) -> Self {
        Self { quick }
    }

    /// Whether this is the quick run.
    pub fn quick(self) -> bool {
        self.quick
    }

    /// `full`, or a tenth of it.
    pub fn n(self, full: usize) -> usize {
        if self.quick { (full / 10).max(1) } else { full }
    }
}

/// A goal: a figure (or a ratio) at least or at most a bound.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// At least this much.
    AtLeast(f64),
    /// At most this much.
    AtMost(f64),
    /// Measured for the record, without a goal.
    None,
}

struct Line {
    workload: &'static str,
    figure: String,
    yardstick: String,
    ratio: Option<f64>,
    goal: String,
    met: Option<bool>,
}

/// The lines of a run.
#[derive(Default)]
pub struct Table(Vec<Line>);

impl Table {
    /// A figure held against a goal: `value` (in the goal's unit, e.g. a ratio, ms or rows/s) is
    /// what the goal is checked on; `goal_text` says the goal as a reader would.
    pub fn add(
        &mut self,
        workload: &'static str,
        figure: String,
        yardstick: Option<String>,
        ratio: Option<f64>,
        (value, goal, goal_text): (f64, Goal, &str),
    ) {
        let met = match goal {
            Goal::AtLeast(b) => Some(value >= b),
            Goal::AtMost(b) => Some(value <= b),
            Goal::None => None,
        };
        self.0.push(Line {
            workload,
            figure,
            yardstick: yardstick.unwrap_or_else(|| "—".into()),
            ratio,
            goal: goal_text.to_owned(),
            met,
        });
    }

    /// A figure held against the same run's yardstick, its goal a bound on the ratio between them.
    pub fn ratio(&mut self, workload: &'static str, figure: String, yardstick: String, ratio: f64, goal: (Goal, &str)) {
        self.add(workload, figure, Some(yardstick), Some(ratio), (ratio, goal.0, goal.1));
    }

    /// Prints the table, its columns aligned.
    pub fn print(&self, database: &str, size: Size) {
        let header = ["workload", "figure", "yardstick (same run)", "ratio", "goal", "met"];
        let rows: Vec<[String; 6]> = self
            .0
            .iter()
            .map(|l| {
                [
                    l.workload.to_owned(),
                    l.figure.clone(),
                    l.yardstick.clone(),
                    l.ratio.map_or_else(|| "—".into(), |r| format!("{r:.2}×")),
                    l.goal.clone(),
                    match l.met {
                        Some(true) => "yes".into(),
                        Some(false) => "NO".into(),
                        None => "—".into(),
                    },
                ]
            })
            .collect();
        let width =
            |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([header[i].chars().count()]).max().unwrap_or(0);
        let widths: Vec<usize> = (0..6).map(width).collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> =
                cells.iter().zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
            format!("| {} |", padded.join(" | "))
        };
        println!("{database}{}", if size.quick() { ", quick (a tenth of each workload)" } else { "" });
        println!("{}", line(&header.map(str::to_owned)));
        println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        for r in &rows {
            println!("{}", line(r));
        }
        let missed = self.0.iter().filter(|l| l.met == Some(false)).count();
        let goals = self.0.iter().filter(|l| l.met.is_some()).count();
        println!("{} of {goals} goals met", goals - missed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_checked_each_way() {
        let mut t = Table::default();
        t.ratio("push", "fan-out".into(), "raw".into(), 0.6, (Goal::AtLeast(0.5), "≥ 0.5×"));
        t.add("quiz", "top 100".into(), None, None, (12.0, Goal::AtMost(10.0), "< 10 ms"));
        t.add("regions", "communities".into(), None, None, (3.0, Goal::None, "—"));
        let met: Vec<Option<bool>> = t.0.iter().map(|l| l.met).collect();
        assert_eq!(met, [Some(true), Some(false), None]);
        assert_eq!(Size::new(true).n(1_000_000), 100_000);
        assert_eq!(Size::new(false).n(1_000_000), 1_000_000);
    }
}
