//! The in-memory fan-out of a match's events: one `tokio::sync::broadcast` channel per match, kept
//! while someone listens. It only tells the open screens that something changed (and what); the
//! database is the truth, and a screen that missed an event shows the truth on its next load.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{LazyLock, Mutex, PoisonError};

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast;

/// What happened in a match.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// started, wager, open, answer, buzz, close, reveal, next, finish, correct.
    pub kind: &'static str,
    /// The question concerned, when there is one.
    pub item_id: Option<i64>,
    /// Answers taken for that question so far.
    pub answered: i64,
}

static HUB: LazyLock<Mutex<HashMap<i64, broadcast::Sender<Event>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Listens to the events of a match.
pub fn subscribe(match_id: i64) -> broadcast::Receiver<Event> {
    let mut hub = HUB.lock().unwrap_or_else(PoisonError::into_inner);
    hub.entry(match_id).or_insert_with(|| broadcast::channel(64).0).subscribe()
}

/// Tells the listeners of a match (if any); channels nobody listens to are dropped.
pub fn publish(match_id: i64, event: Event) {
    let mut hub = HUB.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(tx) = hub.get(&match_id)
        && tx.send(event).is_err()
    {
        hub.remove(&match_id);
    }
}

/// The match's events as server-sent events: each a JSON object with `kind`, `item_id` and
/// `answered`; a `hello` first so a listener knows it is connected.
pub fn events(match_id: i64) -> Sse<impl Stream<Item = std::result::Result<SseEvent, Infallible>>> {
    let rx = subscribe(match_id);
    let hello = futures_util::stream::once(async { Ok(SseEvent::default().event("hello").data("{}")) });
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(e) => {
                let data = serde_json::to_string(&e).unwrap_or_default();
                Some((Ok(SseEvent::default().event(e.kind).data(data)), rx))
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                Some((Ok(SseEvent::default().event("lagged").data("{}")), rx))
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => None,
        }
    });
    Sse::new(futures_util::StreamExt::chain(hello, rest)).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_hear_their_match_only() {
        let mut a = subscribe(-7);
        let mut b = subscribe(-8);
        publish(-7, Event { kind: "open", item_id: Some(1), answered: 0 });
        assert_eq!(a.recv().await.unwrap().kind, "open");
        assert!(b.try_recv().is_err());
        publish(-9, Event { kind: "open", item_id: None, answered: 0 });
    }
}
