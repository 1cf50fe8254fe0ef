//! The dispatch queue beyond one machine: with `--nats-url`, claimed batches of deliveries are
//! published to a NATS `JetStream` work-queue stream, and every `firecast worker` pulls from one
//! shared durable consumer, sends and acknowledges. A batch is acknowledged only after its results
//! are stored; one whose worker dies is delivered again after the ack wait ([`ACK_WAIT`]) and
//! counted on its pushes as possible resends; of it, only the deliveries its claim still holds are
//! sent (none already sent and recorded, none claimed again since), and the database keeps each
//! delivery's final state once. A worker takes one batch at a time, so what a killed worker can
//! have sent twice is at most what it had sent of the batch in hand on each of its loops.

use std::time::Duration as StdDuration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use super::dispatch::Dispatcher;
use crate::clock;
use crate::push::Channel;
use crate::push::store::Claimed;

/// The stream's name.
pub const STREAM: &str = "FIRECAST_SENDS";
/// The shared consumers' name, followed by the channel.
pub const CONSUMER: &str = "firecast-workers";
/// How long a taken batch may go unacknowledged before the stream hands it to another worker; a
/// worker sending a batch says it is in progress every third of this.
pub const ACK_WAIT: StdDuration = StdDuration::from_secs(15);

/// One claimed batch on the stream.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Batch {
    /// Channel.
    pub channel: String,
    /// The deliveries.
    pub rows: Vec<Claimed>,
}

/// A connection to the stream and its consumer.
#[derive(Clone)]
pub struct Queue {
    js: jetstream::Context,
    consumers: Vec<(Channel, jetstream::consumer::Consumer<pull::Config>)>,
    subject: String,
}

impl Queue {
    /// Connects to NATS at `url` and makes (or finds) the stream and the shared consumer. `prefix`
    /// keeps separate installations (and tests) apart on one server.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = async_nats::connect(url).await.with_context(|| format!("cannot connect to NATS at {url}"))?;
        let js = jetstream::new(client);
        let name = format!("{STREAM}{prefix}");
        let subject = format!("firecast{prefix}.sends");
        let stream = js
            .get_or_create_stream(stream::Config {
                name: name.clone(),
                subjects: vec![format!("{subject}.>")],
                retention: stream::RetentionPolicy::WorkQueue,
                duplicate_window: StdDuration::from_mins(2),
                ..Default::default()
            })
            .await
            .with_context(|| format!("cannot make the JetStream stream {name}"))?;
        let mut consumers = Vec::new();
        for channel in [Channel::Webhook, Channel::Sms] {
            let durable = format!("{CONSUMER}-{channel}");
            let consumer = stream
                .get_or_create_consumer(
                    &durable,
                    pull::Config {
                        durable_name: Some(durable.clone()),
                        filter_subject: format!("{subject}.{channel}"),
                        ack_policy: jetstream::consumer::AckPolicy::Explicit,
                        ack_wait: ACK_WAIT,
                        max_deliver: 10,
                        ..Default::default()
                    },
                )
                .await
                .with_context(|| format!("cannot make the JetStream consumer {durable}"))?;
            consumers.push((channel, consumer));
        }
        Ok(Self { js, consumers, subject })
    }

    /// Publishes one batch and waits for the stream to store it. Its message id (channel, first
    /// delivery, tries) lets the stream drop a batch published twice.
    pub async fn publish(&self, batch: &Batch) -> anyhow::Result<()> {
        let first =
            batch.rows.first().map(|r| format!("{}-{}-{}", r.push_id, r.recipient_id, r.attempts)).unwrap_or_default();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{}-{first}-{}", batch.channel, batch.rows.len()).as_str());
        let body = serde_json::to_vec(batch)?;
        let ack = self
            .js
            .publish_with_headers(format!("{}.{}", self.subject, batch.channel), headers, body.into())
            .await
            .context("cannot publish to JetStream")?;
        ack.await.context("JetStream did not store the batch")?;
        Ok(())
    }

    /// Claims due deliveries of `channel` from the database and publishes them, until dropped.
    pub async fn feed(&self, d: &Dispatcher, channel: Channel) {
        loop {
            let step = async {
                let rows = d.claim(channel, clock::now()).await?;
                let n = rows.len();
                if n > 0 {
                    self.publish(&Batch { channel: channel.as_str().to_owned(), rows }).await?;
                }
                anyhow::Ok(n)
            };
            match step.await {
                Ok(0) => tokio::time::sleep(StdDuration::from_millis(500)).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not queue deliveries; their claims run out and they are tried again");
                    tokio::time::sleep(StdDuration::from_secs(2)).await;
                }
            }
        }
    }

    /// Takes up to `max` batches of `channel` from the stream, sends them and acknowledges each
    /// once its results are stored; returns the deliveries handled.
    pub async fn consume_once(&self, d: &Dispatcher, channel: Channel, max: usize) -> anyhow::Result<usize> {
        let Some((_, consumer)) = self.consumers.iter().find(|(c, _)| *c == channel) else {
            return Ok(0);
        };
        let mut messages = consumer
            .fetch()
            .max_messages(max)
            .expires(StdDuration::from_millis(500))
            .messages()
            .await
            .context("cannot fetch from JetStream")?;
        let mut handled = 0;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| anyhow::anyhow!("JetStream: {e}"))?;
            let batch: Batch = match serde_json::from_slice(&message.payload) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "dropping a batch that cannot be read");
                    message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    continue;
                }
            };
            // Once sent, a delivery is no longer held by the batch's claim; neither is one claimed
            // again after its lease ran out.
            let rows = d.still_claimed(batch.rows).await?;
            if message.info().is_ok_and(|i| i.delivered > 1) {
                // Its first holder stopped before acknowledging it, perhaps after sending some.
                d.count_redelivered(&rows).await?;
            }
            // While a slow batch (a throttled SMS provider) is sent, tell the stream it is in hand,
            // so that only a batch whose worker died comes round again after the ack wait.
            let send = d.send(channel, rows, clock::now());
            tokio::pin!(send);
            let mut beat = tokio::time::interval(ACK_WAIT / 3);
            beat.tick().await;
            let pass = loop {
                tokio::select! {
                    pass = &mut send => break pass?,
                    _ = beat.tick() => {
                        message.ack_with(AckKind::Progress).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                }
            };
            handled += pass.handled;
            message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(handled)
    }

    /// Sends what the stream holds for `channel`, until dropped.
    pub async fn consume(&self, d: &Dispatcher, channel: Channel) {
        loop {
            match self.consume_once(d, channel, 1).await {
                Ok(0) => tokio::time::sleep(StdDuration::from_millis(200)).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not take deliveries from JetStream; trying again");
                    tokio::time::sleep(StdDuration::from_secs(2)).await;
                }
            }
        }
    }
}
