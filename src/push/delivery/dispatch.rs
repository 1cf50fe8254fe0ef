//! The dispatcher, inside `serve` and as `firecast worker`: it fans pushes out into the delivery
//! table when their time comes, claims batches of due SMS and webhook deliveries, sends them under
//! each channel's rate limit and records what became of them. Each channel runs in its own loop, so
//! a slow partner never holds up text messages. With a NATS `JetStream` queue (see [`super::queue`]),
//! claimed batches travel through the stream and any worker may send them.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use futures_util::StreamExt as _;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use std::collections::{BTreeMap, HashMap};

use super::channel::{SendError, TokenBucket, backoff};
use super::sms::SmsClient;
use super::webhook::WebhookClient;
use crate::config::{Config, SmsConfig};
use crate::db::Db;
use crate::personal::DataKey;
use crate::push::store::{self, Claimed, Outcome};
use crate::push::{Channel, Lang, MAX_ATTEMPTS, QuietHours, Theme, split_tags, variant_for, week_start};
use crate::{Result, clock};

/// Deliveries claimed at a time per channel.
pub const BATCH: i64 = 500;
/// How long a claim lasts before another worker may take the delivery again.
pub const LEASE: Duration = Duration::minutes(2);
/// Webhook posts in flight at once, over all of a dispatcher's loops: as many again, one set per
/// loop, only made each post slower on two cores (1,000 posts beside 100,000 deliveries went at
/// 0.38–0.56× a plain load generator's rate with 64 per loop, 0.74–0.88× with 64 in all).
pub const WEBHOOK_CONCURRENCY: usize = 64;
/// How long a push with nothing due (its deliveries in flight or waiting to be retried) is passed
/// over by this process's claims, unless a result here is to be retried sooner.
const IDLE_PASS: Duration = Duration::seconds(1);

/// The settings of a dispatcher.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The SMS provider (none: SMS deliveries wait).
    pub sms: SmsConfig,
    /// No SMS in these hours.
    pub quiet: QuietHours,
    /// Webhook posts per second at most.
    pub webhooks_per_second: f64,
    /// How long a partner has to answer.
    pub webhook_timeout: StdDuration,
    /// The public address, for unsubscribe links in messages.
    pub public_url: String,
}

impl Settings {
    /// The settings given on the command line.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            sms: config.sms.clone(),
            quiet: QuietHours::parse(&config.sms_quiet_hours).map_err(|e| anyhow::anyhow!("{e}"))?,
            webhooks_per_second: config.webhooks_per_second,
            webhook_timeout: super::webhook::DEFAULT_TIMEOUT,
            public_url: config.shown_url(),
        })
    }
}

/// Sends pushes' direct deliveries.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    key: Arc<DataKey>,
    sms: Option<Arc<SmsClient>>,
    webhook: WebhookClient,
    webhook_rate: Arc<TokenBucket>,
    /// Webhook posts in flight: [`WEBHOOK_CONCURRENCY`] slots shared by the loops.
    webhook_slots: Arc<tokio::sync::Semaphore>,
    quiet: QuietHours,
    public_url: String,
    /// Open pushes a claim found with nothing more due, by channel, and until when they are passed
    /// over: each claim would otherwise ask each of them again (on `PostgreSQL`, a statement per
    /// push).
    idle: Arc<Mutex<HashMap<(Channel, i64), OffsetDateTime>>>,
}

/// What one pass of a loop did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Deliveries handled.
    pub handled: usize,
    /// Of them delivered.
    pub delivered: usize,
}

impl Pass {
    /// What a batch's results come to.
    fn of(results: &[(Claimed, Outcome)]) -> Self {
        Self { handled: results.len(), delivered: results.iter().filter(|(_, r)| *r == Outcome::Delivered).count() }
    }
}

impl std::ops::AddAssign for Pass {
    fn add_assign(&mut self, other: Self) {
        self.handled += other.handled;
        self.delivered += other.delivered;
    }
}

impl Dispatcher {
    /// A dispatcher on `db`.
    pub fn new(db: Db, key: Arc<DataKey>, s: &Settings) -> anyhow::Result<Self> {
        let sms = SmsClient::new(&s.sms).map(Arc::new);
        Ok(Self {
            db,
            key,
            sms,
            webhook: WebhookClient::with_timeout(s.webhook_timeout)?,
            webhook_rate: Arc::new(TokenBucket::new(s.webhooks_per_second.max(1.0), 64)),
            webhook_slots: Arc::new(tokio::sync::Semaphore::new(WEBHOOK_CONCURRENCY)),
            quiet: s.quiet,
            public_url: s.public_url.trim_end_matches('/').to_owned(),
            idle: Arc::default(),
        })
    }

    /// Whether an SMS provider is configured.
    pub fn has_sms(&self) -> bool {
        self.sms.is_some()
    }

    /// Fans out every push whose time has come; returns the households and partners reached.
    pub async fn fan_out_due(&self, now: OffsetDateTime) -> Result<store::FanOut> {
        let mut total = store::FanOut::default();
        for due in store::due_pushes(&self.db, now).await? {
            let themes: Vec<&str> = split_tags(&due.tags).into_iter().filter(|t| Theme::parse(t).is_some()).collect();
            let from = self.quiet.allowed_from(now);
            if let Some(done) = store::fan_out(&self.db, &due, &themes, now, from, week_start(now)).await? {
                tracing::info!(
                    push = due.id,
                    households = done.households,
                    partners = done.partners,
                    "push fanned out"
                );
                total.households += done.households;
                total.partners += done.partners;
            }
        }
        Ok(total)
    }

    /// Claims one batch of `channel` due at `now`.
    pub async fn claim(&self, channel: Channel, now: OffsetDateTime) -> Result<Vec<Claimed>> {
        self.record_and_claim(channel, &[], false, now).await
    }

    /// Records a sent batch's results (if any) and claims the next batch of `channel` due at `now`
    /// (looking at the newest pushes first if `newest_first`), in one transaction. The pushes of
    /// the batch that a claim found with nothing more due are closed in it if they are done.
    async fn record_and_claim(
        &self,
        channel: Channel,
        results: &[(Claimed, Outcome)],
        newest_first: bool,
        now: OffsetDateTime,
    ) -> Result<Vec<Claimed>> {
        self.wake(channel, results);
        let (pass_over, close) = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.retain(|_, until| *until > now);
            let pass_over: Vec<i64> = idle.keys().filter(|(c, _)| *c == channel).map(|(_, push)| *push).collect();
            let mut close: Vec<i64> =
                results.iter().map(|(r, _)| r.push_id).filter(|p| pass_over.contains(p)).collect();
            close.sort_unstable();
            close.dedup();
            (pass_over, close)
        };
        let want =
            store::Want { channel: channel.as_str(), n: BATCH, now, lease: LEASE, pass_over: &pass_over, newest_first };
        let (rows, waiting) = store::record_and_claim(&self.db, results, &close, clock::now(), &want).await?;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.extend(waiting.into_iter().map(|push| ((channel, push), now + IDLE_PASS)));
        Ok(rows)
    }

    /// Sends a claimed batch and records the results.
    pub async fn send(&self, channel: Channel, rows: Vec<Claimed>, now: OffsetDateTime) -> Result<Pass> {
        let results = self.deliver(channel, rows, now).await?;
        store::record(&self.db, &results, clock::now()).await?;
        self.wake(channel, &results);
        Ok(Pass::of(&results))
    }

    /// Pushes with a delivery to try again are looked at again by the next claim.
    fn wake(&self, channel: Channel, results: &[(Claimed, Outcome)]) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        for (row, _) in results.iter().filter(|(_, r)| matches!(r, Outcome::Retry(..))) {
            idle.remove(&(channel, row.push_id));
        }
    }

    /// Sends a claimed batch; the results, not yet recorded.
    async fn deliver(
        &self,
        channel: Channel,
        rows: Vec<Claimed>,
        now: OffsetDateTime,
    ) -> Result<Vec<(Claimed, Outcome)>> {
        match channel {
            Channel::Webhook => self.send_webhooks(rows).await,
            Channel::Sms => self.send_sms(rows, now).await,
            Channel::Inbox => Ok(Vec::new()),
        }
    }

    /// Counts a batch the queue handed out again as possible resends.
    pub async fn count_redelivered(&self, rows: &[Claimed]) -> Result<()> {
        store::count_redelivered(&self.db, rows).await
    }

    /// Of a batch from the queue, the deliveries its claim still holds.
    pub async fn still_claimed(&self, rows: Vec<Claimed>) -> Result<Vec<Claimed>> {
        store::still_claimed(&self.db, rows).await
    }

    /// Claims, sends and records batches of `channel` until a claim finds none due at `now()`. A
    /// batch's results are recorded in the same transaction as the next claim. A second loop looks
    /// at the newest pushes first (`newest_first`), so that two loops seldom meet on one push.
    async fn batches(&self, channel: Channel, newest_first: bool, now: impl Fn() -> OffsetDateTime) -> Result<Pass> {
        let mut total = Pass::default();
        let mut rows = self.record_and_claim(channel, &[], newest_first, now()).await?;
        while !rows.is_empty() {
            let results = self.deliver(channel, rows, now()).await?;
            total += Pass::of(&results);
            rows = self.record_and_claim(channel, &results, newest_first, now()).await?;
        }
        Ok(total)
    }

    /// Sends `channel` from `loops` loops at once until nothing is due at `now`.
    pub async fn drain_channel(&self, channel: Channel, loops: usize, now: OffsetDateTime) -> Result<Pass> {
        let runs = (0..loops).map(|i| self.batches(channel, i % 2 == 1, move || now));
        let mut total = Pass::default();
        for p in futures_util::future::join_all(runs).await {
            total += p?;
        }
        Ok(total)
    }

    /// Fans out and sends until nothing is due at `now` (tests and the bench).
    pub async fn drain(&self, now: OffsetDateTime) -> Result<Pass> {
        self.fan_out_due(now).await?;
        let mut total = Pass::default();
        for channel in [Channel::Webhook, Channel::Sms] {
            if channel == Channel::Sms && self.sms.is_none() {
                continue;
            }
            total += self.drain_channel(channel, 1, now).await?;
        }
        Ok(total)
    }

    /// Runs the fan-out loop and one loop per channel until the task is dropped; with a queue,
    /// batches go through it.
    pub fn spawn(&self, queue: Option<&super::queue::Queue>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        let me = self.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                if let Err(e) = me.fan_out_due(clock::now()).await {
                    tracing::warn!(error = %e, "push fan-out failed; trying again");
                }
                tokio::time::sleep(StdDuration::from_secs(2)).await;
            }
        }));
        // Two webhook loops, so one batch's posts overlap the next one's claim and results; the
        // second looks at the newest pushes first.
        let mut channels = vec![Channel::Webhook; 2];
        if self.sms.is_some() {
            channels.push(Channel::Sms);
        }
        for (i, channel) in channels.into_iter().enumerate() {
            match queue {
                None => {
                    let me = self.clone();
                    tasks.push(tokio::spawn(async move {
                        loop {
                            match me.batches(channel, i % 2 == 1, clock::now).await {
                                Ok(p) if p.handled > 0 => {}
                                Ok(_) => tokio::time::sleep(StdDuration::from_millis(500)).await,
                                Err(e) => {
                                    tracing::warn!(error = %e, channel = channel.as_str(), "sending failed; trying again");
                                    tokio::time::sleep(StdDuration::from_secs(2)).await;
                                }
                            }
                        }
                    }));
                }
                Some(q) => {
                    let (feeder, sender) = (self.clone(), self.clone());
                    let (q, q2) = (q.clone(), q.clone());
                    tasks.push(tokio::spawn(async move { q.feed(&feeder, channel).await }));
                    tasks.push(tokio::spawn(async move { q2.consume(&sender, channel).await }));
                }
            }
        }
        tasks
    }

    /// The texts of the pushes a batch holds, read together.
    async fn texts(&self, rows: &[Claimed]) -> Result<HashMap<i64, Vec<store::Message>>> {
        let mut pushes: Vec<i64> = rows.iter().map(|r| r.push_id).collect();
        pushes.sort_unstable();
        pushes.dedup();
        store::messages(&self.db, &pushes).await
    }

    async fn send_webhooks(&self, rows: Vec<Claimed>) -> Result<Vec<(Claimed, Outcome)>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.recipient_id).collect();
        let (endpoints, bodies) = tokio::try_join!(store::endpoint_secrets(&self.db, &ids), self.texts(&rows))?;
        let bodies = Arc::new(bodies);
        let endpoints = Arc::new(endpoints);
        let results = futures_util::stream::iter(rows.into_iter().map(|row| {
            let (bodies, endpoints, me) = (bodies.clone(), endpoints.clone(), self.clone());
            async move {
                let Some((_, url, secret)) = endpoints.iter().find(|(id, _, _)| *id == row.recipient_id) else {
                    return (row, Outcome::Failed("the partner endpoint was removed".into()));
                };
                let texts = bodies.get(&row.push_id).map(Vec::as_slice).unwrap_or_default();
                if texts.first().is_none_or(|t| t.state == crate::push::PushState::Recalled) {
                    return (row, Outcome::Failed("the push was recalled".into()));
                }
                let event = format!("push-{}-partner-{}", row.push_id, row.recipient_id);
                let variants: Vec<_> = texts
                    .iter()
                    .map(|t| json!({ "lang": t.lang, "title": t.title, "body": t.body, "link": t.link }))
                    .collect();
                let body = json!({
                    "event": "push",
                    "event_id": event,
                    "push_id": row.push_id,
                    "product_id": texts.first().map(|t| t.product_id),
                    "kind": texts.first().map(|t| t.kind),
                    "variants": variants,
                });
                me.webhook_rate.take(1).await;
                let slot = me.webhook_slots.acquire().await;
                let r = me.webhook.post(url, secret.as_bytes(), &event, &body).await;
                drop(slot);
                let outcome = outcome(&row, r);
                (row, outcome)
            }
        }))
        .buffer_unordered(WEBHOOK_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
        Ok(results)
    }

    async fn send_sms(&self, rows: Vec<Claimed>, now: OffsetDateTime) -> Result<Vec<(Claimed, Outcome)>> {
        let Some(client) = self.sms.clone() else {
            let later = now + Duration::hours(1);
            return Ok(rows
                .into_iter()
                .map(|r| (r, Outcome::Retry(later, "no SMS provider is configured".into())))
                .collect());
        };
        let allowed = self.quiet.allowed_from(now);
        if allowed > now {
            return Ok(rows.into_iter().map(|r| (r, Outcome::Retry(allowed, "quiet hours".into()))).collect());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.recipient_id).collect();
        let (people, texts) = tokio::try_join!(store::recipients(&self.db, &ids), self.texts(&rows))?;
        let mut out = Vec::with_capacity(rows.len());
        // (claimed delivery, phone in E.164, inbox token) by push and language: one text each.
        let mut groups: BTreeMap<(i64, Lang), Vec<(Claimed, String, String)>> = BTreeMap::new();
        for row in rows {
            let Some((_, Some(sealed), token)) = people.iter().find(|(id, _, _)| *id == row.recipient_id) else {
                out.push((row, Outcome::Failed("the subscriber has no phone number".into())));
                continue;
            };
            match self.key.open(sealed) {
                Ok(phone) => {
                    let phone = if phone.starts_with('+') { phone } else { format!("+86{phone}") };
                    groups.entry((row.push_id, row.lang)).or_default().push((row, phone, token.clone()));
                }
                Err(_) => {
                    out.push((row, Outcome::Failed("the phone number cannot be opened with this data key".into())));
                }
            }
        }
        for ((push_id, lang), members) in groups {
            let texts = texts.get(&push_id).map(Vec::as_slice).unwrap_or_default();
            if texts.first().is_none_or(|t| t.state == crate::push::PushState::Recalled) {
                out.extend(members.into_iter().map(|(r, _, _)| (r, Outcome::Failed("the push was recalled".into()))));
                continue;
            }
            let langs: Vec<Lang> = texts.iter().map(|t| t.lang).collect();
            let (shown, _) = variant_for(lang, &langs);
            let text = texts.iter().find(|t| t.lang == shown).map(|t| t.body.clone()).unwrap_or_default();
            // Each message carries its own unsubscribe link, so each number is a call of its own;
            // the client keeps to the provider's rate.
            for (row, phone, token) in members {
                let link = format!("{}/p/u/{token}", self.public_url);
                let outcome = match client.send(std::slice::from_ref(&phone), &[text.clone(), link]).await {
                    Ok(v) => match v.first() {
                        Some(o) if o.ok => Outcome::Delivered,
                        Some(o) => Outcome::Failed(o.code.clone()),
                        None => Outcome::Retry(now + Duration::minutes(1), "no status from the provider".into()),
                    },
                    Err(e) => outcome(&row, Err::<(), _>(e)),
                };
                out.push((row, outcome));
            }
        }
        Ok(out)
    }
}

/// What a send's result means for a delivery: delivered, failed for good, retried after a backoff
/// with jitter (or when the provider said), or dead after [`MAX_ATTEMPTS`].
fn outcome<T>(row: &Claimed, r: std::result::Result<T, SendError>) -> Outcome {
    let now = clock::now();
    match r {
        Ok(_) => Outcome::Delivered,
        Err(SendError::Permanent(e)) => Outcome::Failed(e),
        Err(e) if row.attempts >= MAX_ATTEMPTS => Outcome::Dead(e.to_string()),
        Err(e) => {
            let attempt = u32::try_from(row.attempts).unwrap_or(u32::MAX);
            let wait = e.retry_after().unwrap_or_else(|| {
                backoff(attempt, StdDuration::from_secs(5), StdDuration::from_hours(1), &mut rand::rng())
            });
            let wait = Duration::try_from(wait).unwrap_or(Duration::hours(1)).max(Duration::seconds(1));
            Outcome::Retry(now + wait, e.to_string())
        }
    }
}

/// Starts the dispatcher's loops (and the push sweep: scheduled pushes, overdue units) for `serve`
/// and `worker`, through `JetStream` when `config` names a NATS server.
pub async fn start(db: Db, key: Arc<DataKey>, config: &Config) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let d = Dispatcher::new(db.clone(), key, &Settings::from_config(config)?)?;
    if !d.has_sms() {
        tracing::info!("no SMS provider configured: SMS deliveries wait until one is");
    }
    let queue = match &config.nats_url {
        Some(url) => Some(super::queue::Queue::connect(url, &config.nats_prefix).await?),
        None => None,
    };
    let mut tasks = d.spawn(queue.as_ref());
    tasks.push(tokio::spawn(async move {
        loop {
            match crate::push::actions::sweep(&db, clock::now()).await {
                Ok((0, 0)) => {}
                Ok((sent, raised)) => tracing::info!(sent, raised, "push sweep"),
                Err(e) => tracing::warn!(error = %e, "push sweep failed; trying again"),
            }
            tokio::time::sleep(StdDuration::from_secs(30)).await;
        }
    }));
    Ok(tasks)
}
