//! Answers are judged and written by one task in batches: every request hands its answer over and
//! waits for the outcome, and the task takes whatever has arrived meanwhile, reads what judging
//! all of them needs in one query and stores them in one transaction. `SQLite` takes one writer
//! at a time, so this turns many contending commits into few, and on both backends it saves a
//! read and a commit per answer. Each answer is still stored once: the update only takes a
//! question not yet answered.

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::Answer;
use super::store;
use crate::db::Db;
use crate::{Error, Result};

/// The most answers judged and stored together.
const BATCH: usize = 512;

/// An answer as it arrived: the attempt's token, the question's position, the answer as shown.
struct Sent {
    token: String,
    position: i64,
    given: Answer,
    at: OffsetDateTime,
}

type Job = (Sent, oneshot::Sender<Result<bool>>);

/// The handle requests send their answers to.
#[derive(Clone, Debug)]
pub struct AnswerWriter {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> Error {
    Error::Internal(anyhow::anyhow!("the answer writer stopped"))
}

/// Judges and stores one batch; each answer's outcome in the batch's order.
async fn write_batch(db: &Db, batch: &[Job]) -> Result<Vec<Result<bool>>> {
    let wanted: Vec<(&str, i64)> = batch.iter().map(|(s, _)| (s.token.as_str(), s.position)).collect();
    let contexts = store::answer_contexts(db, &wanted).await?;
    let mut outcomes: Vec<Result<bool>> = Vec::with_capacity(batch.len());
    let mut answers = Vec::new();
    let mut stored_at = Vec::new();
    for ((sent, _), context) in batch.iter().zip(contexts) {
        let judged = context.ok_or(Error::NotFound).and_then(|c| super::actions::judge(&c, &sent.given, sent.at));
        match judged {
            Ok(Some(answer)) => {
                stored_at.push(outcomes.len());
                answers.push(answer);
                outcomes.push(Ok(true));
            }
            Ok(None) => outcomes.push(Ok(false)),
            Err(e) => outcomes.push(Err(e)),
        }
    }
    let done = store::answer_many(db, &answers).await?;
    for (i, stored) in stored_at.into_iter().zip(done) {
        outcomes[i] = Ok(stored);
    }
    Ok(outcomes)
}

impl AnswerWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(db: Db) -> Self {
        let (jobs, mut rx) = mpsc::channel::<Job>(BATCH * 8);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                match write_batch(&db, &batch).await {
                    Ok(outcomes) => {
                        for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
                            reply.send(outcome).ok();
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not store a batch of answers");
                        for (_, reply) in batch.drain(..) {
                            reply.send(Err(Error::Internal(anyhow::anyhow!("answers could not be stored")))).ok();
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Judges and stores the answer (as shown: options in the attempt's order) to question
    /// `position` of the attempt with `token`, arrived `at`; false when the question had been
    /// answered already.
    pub async fn write(&self, token: &str, position: i64, given: Answer, at: OffsetDateTime) -> Result<bool> {
        let (tx, rx) = oneshot::channel();
        let sent = Sent { token: token.to_owned(), position, given, at };
        self.jobs.send((sent, tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}
