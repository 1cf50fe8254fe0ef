//! The public quiz's writes, each kind done by one task in batches: joins, starts and answers.
//! Every request hands its work over and waits for its own outcome; the task takes whatever has
//! arrived meanwhile and does all of it in one transaction with a few set-based statements
//! (counting limits for the whole batch, one multi-row insert or update). `SQLite` takes one
//! writer at a time, so this turns many contending commits into few, and on both backends it
//! saves most statements and a commit per request. Each request keeps its own outcome: the same
//! checks, the same errors, one row stored once.

use std::future::Future;

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::pools::DrawPools;
use super::store::{self, NewAttempt, NewParticipant, Participant};
use super::{Answer, Blueprint};
use crate::db::Db;
use crate::{Error, Result};

/// The most pieces of work done together.
const BATCH: usize = 256;

/// A task that does work of one kind in batches (see the module's comment).
pub struct Batches<T, R> {
    jobs: mpsc::Sender<(T, oneshot::Sender<Result<R>>)>,
}

impl<T, R> Clone for Batches<T, R> {
    fn clone(&self) -> Self {
        Self { jobs: self.jobs.clone() }
    }
}

fn stopped() -> Error {
    Error::Internal(anyhow::anyhow!("a quiz writer stopped"))
}

impl<T: Send + 'static, R: Send + 'static> Batches<T, R> {
    /// Starts the task on the current runtime: `work` does a batch and answers each piece's
    /// outcome in the batch's order.
    fn start<F, Fut>(what: &'static str, work: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<Result<R>>>> + Send,
    {
        let (jobs, mut rx) = mpsc::channel::<(T, oneshot::Sender<Result<R>>)>(BATCH * 8);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                let (items, replies): (Vec<T>, Vec<_>) = batch.drain(..).unzip();
                match work(items).await {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.into_iter().zip(outcomes) {
                            reply.send(outcome).ok();
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not store a batch of quiz {what}");
                        for reply in replies {
                            reply.send(Err(Error::Internal(anyhow::anyhow!("quiz {what} could not be stored")))).ok();
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Hands `item` over and waits for its outcome.
    pub async fn run(&self, item: T) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.jobs.send((item, tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// An answer as it arrived: the attempt's token, the question's position, the answer as shown.
pub struct Sent {
    pub(super) token: String,
    pub(super) position: i64,
    pub(super) given: Answer,
    pub(super) at: OffsetDateTime,
}

/// An attempt to start: drawn by the writer from the pool of the banks above `owner_path`, as
/// `blueprint` asks.
pub struct Start {
    pub(super) attempt: NewAttempt,
    pub(super) blueprint: Blueprint,
    pub(super) owner_path: String,
}

/// The public quiz's writing tasks.
#[derive(Clone)]
pub struct Writers {
    /// Registers participants.
    pub joins: Batches<NewParticipant, Participant>,
    /// Draws and stores started attempts (their ids).
    pub starts: Batches<Start, i64>,
    /// Judges and stores answers: false when the question had been answered already.
    pub answers: Batches<Sent, bool>,
}

impl Writers {
    /// Starts the tasks on the current runtime.
    pub fn start(db: &Db) -> Self {
        let (d1, d2, d3) = (db.clone(), db.clone(), db.clone());
        let pools = DrawPools::default();
        Self {
            joins: Batches::start("joins", move |new| {
                let db = d1.clone();
                async move { store::participants(&db, &new).await }
            }),
            starts: Batches::start("starts", move |new| {
                let (db, pools) = (d2.clone(), pools.clone());
                async move { draw_and_store(&db, &pools, new).await }
            }),
            answers: Batches::start("answers", move |sent| {
                let db = d3.clone();
                async move { judge_and_store(&db, &sent).await }
            }),
        }
    }
}

/// Draws the questions of a batch of attempts, from pools read once for the batch, and stores them;
/// each attempt's outcome in the batch's order.
async fn draw_and_store(db: &Db, pools: &DrawPools, batch: Vec<Start>) -> Result<Vec<Result<i64>>> {
    let version = store::bank_version(db).await?;
    let mut outcomes: Vec<Option<Result<i64>>> = Vec::with_capacity(batch.len());
    let mut drawn = Vec::with_capacity(batch.len());
    for Start { mut attempt, blueprint, owner_path } in batch {
        let pool = pools.get(db, &owner_path, version).await?;
        match super::draw(&blueprint, &pool, &mut rand::rng()) {
            Ok(questions) => {
                attempt.drawn = questions;
                drawn.push(attempt);
                outcomes.push(None);
            }
            Err(_) => outcomes.push(Some(Err(Error::Conflict("error.quiz_cannot_draw".into())))),
        }
    }
    let mut stored = store::insert_attempts(db, &drawn).await?.into_iter();
    Ok(outcomes.into_iter().map(|o| o.or_else(|| stored.next()).unwrap_or_else(|| Err(stopped()))).collect())
}

/// Judges and stores a batch of answers; each answer's outcome in the batch's order.
async fn judge_and_store(db: &Db, batch: &[Sent]) -> Result<Vec<Result<bool>>> {
    let wanted: Vec<(&str, i64)> = batch.iter().map(|s| (s.token.as_str(), s.position)).collect();
    let mut tx = db.begin().await?;
    let contexts = store::answer_contexts(&mut tx, &wanted).await?;
    let mut outcomes: Vec<Result<bool>> = Vec::with_capacity(batch.len());
    let mut answers = Vec::new();
    let mut stored_at = Vec::new();
    for (sent, context) in batch.iter().zip(contexts) {
        match context.ok_or(Error::NotFound).and_then(|c| super::actions::judge(&c, &sent.given, sent.at)) {
            Ok(Some(answer)) => {
                stored_at.push(outcomes.len());
                answers.push(answer);
                outcomes.push(Ok(true));
            }
            Ok(None) => outcomes.push(Ok(false)),
            Err(e) => outcomes.push(Err(e)),
        }
    }
    let done = store::answer_many(&mut tx, &answers).await?;
    tx.commit().await?;
    for (i, stored) in stored_at.into_iter().zip(done) {
        outcomes[i] = Ok(stored);
    }
    Ok(outcomes)
}
