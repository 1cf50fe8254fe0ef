//! What waits for the signed-in user: each kind of work with how many items wait and the page
//! that lists them, for the home page's to-do list.

use crate::db::Db;
use crate::org::caller::Principal;
use crate::report::overview::DutyProgress;
use crate::volunteer::{EventState, store::EventFilter};
use crate::{Result, activity, clock, hazard, org, push, quiz, volunteer};

/// Days ahead in which a duty counts as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

/// One line of the to-do list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The locale key of what waits.
    pub key: &'static str,
    /// How many.
    pub count: i64,
    /// The page listing them.
    pub link: String,
    /// Some are past their deadline.
    pub late: bool,
}

/// Everything waiting for `me`, the kinds with nothing waiting left out; `duties` are the unit's
/// duties as the home page shows them.
pub async fn waiting(db: &Db, me: &Principal, duties: &[DutyProgress]) -> Result<Vec<Waiting>> {
    let mut out = Vec::new();
    let mut add = |key: &'static str, count: i64, link: &str, late: bool| {
        if count > 0 {
            out.push(Waiting { key, count, link: link.to_owned(), late });
        }
    };
    let now = clock::now();
    if push::actions::may_pass_on(me) {
        let root = org::store::scope_root(db, &me.scope).await?;
        let (tasks, late) = push::store::tasks_waiting(db, &root.code, now).await?;
        add("home.todo_pushes", tasks, "/pushes/tasks", late);
    }
    let review = activity::actions::review_queue(db, me, 1000).await?;
    add("home.todo_review", len(review.len()), "/review", false);
    add(
        "home.todo_returned",
        activity::store::returned_to(db, me.user.unit_id).await?,
        "/activities?state=returned",
        false,
    );
    let h = hazard::store::waiting(db, me.user.unit_id, &me.user.region_path, hazard::is_fire_service(me.role)).await?;
    add("home.todo_check", h.to_check, "/hazards?state=reported", false);
    add("home.todo_fix", h.to_fix, "/hazards?state=assigned", false);
    add("home.todo_escalated", h.escalated, "/hazards?escalated=true", true);
    let today = clock::today();
    let open = duties.iter().filter(|d| d.percent < 100);
    let overdue = open.clone().filter(|d| d.overdue).count();
    let soon = open.filter(|d| !d.overdue && (d.duty.due_on - today).whole_days() <= DUE_SOON_DAYS).count();
    add("home.todo_duties_overdue", len(overdue), "/#my-duties", true);
    add("home.todo_duties_soon", len(soon), "/#my-duties", false);
    if quiz::actions::can_manage(me.role) {
        let flags = quiz::selection::store::flags_waiting(db, &me.scope).await?;
        let link = match flags.as_slice() {
            [(quiz, _)] => format!("/quiz/{quiz}/selection#flagged"),
            _ => "/quiz".to_owned(),
        };
        add("home.todo_flags", flags.iter().map(|(_, n)| n).sum(), &link, false);
    }
    if crate::alert::may_issue(me.role) {
        let (only, drafts) = crate::alert::store::to_sign(db, &me.scope, me.user.id).await?;
        let link = only.map_or_else(|| "/alerts".to_owned(), |id| format!("/alerts/{id}#sign"));
        add("home.todo_alerts", drafts, &link, false);
    }
    if crate::stream::may_run(me.role) {
        let comments = crate::stream::store::waiting(db, &me.scope).await?;
        let link = match comments.as_slice() {
            [(id, _, _)] => format!("/streams/{id}#comments"),
            _ => "/streams".to_owned(),
        };
        add("home.todo_comments", comments.iter().map(|(_, _, n)| n).sum(), &link, false);
    }
    if me.user.unit_kind == org::UnitKind::VolunteerTeam {
        let start = today.midnight().assume_offset(clock::CST);
        let filter = EventFilter { team_id: Some(me.user.unit_id), state: Some(EventState::Open), from: Some(start) };
        let events = volunteer::store::events(db, &me.scope, &filter, 100).await?;
        let today_only = events.iter().filter(|e| e.starts_at < start + time::Duration::days(1)).count();
        add("home.todo_events_today", len(today_only), &format!("/volunteers/teams/{}", me.user.unit_id), false);
    }
    Ok(out)
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
