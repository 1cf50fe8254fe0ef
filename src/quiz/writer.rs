//! Answers are written by one task in batches: every request hands its answer over and waits for
//! the outcome, and the task stores whatever has arrived meanwhile in one transaction. `SQLite`
//! takes one writer at a time, so this turns many contending commits into few (and on
//! `PostgreSQL` it saves a commit per answer). Each answer is still stored once: the update only
//! takes a question not yet answered.

use tokio::sync::{mpsc, oneshot};

use super::store::{self, NewAnswer};
use crate::db::Db;
use crate::{Error, Result};

/// The most answers stored in one transaction.
const BATCH: usize = 512;

type Job = (NewAnswer, oneshot::Sender<Result<bool>>);

/// The handle requests send their answers to.
#[derive(Clone, Debug)]
pub struct AnswerWriter {
    jobs: mpsc::Sender<Job>,
}

impl AnswerWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(db: Db) -> Self {
        let (jobs, mut rx) = mpsc::channel::<Job>(BATCH * 8);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                let answers: Vec<NewAnswer> = batch.iter().map(|(a, _)| a.clone()).collect();
                match store::answer_many(&db, &answers).await {
                    Ok(done) => {
                        for ((_, reply), stored) in batch.drain(..).zip(done) {
                            reply.send(Ok(stored)).ok();
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

    /// Stores an answer; false when the question had been answered already.
    pub async fn write(&self, answer: NewAnswer) -> Result<bool> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send((answer, tx))
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the answer writer stopped")))?;
        rx.await.map_err(|_| Error::Internal(anyhow::anyhow!("the answer writer stopped")))?
    }
}
