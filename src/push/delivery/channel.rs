//! What every outbound channel shares: one error type that says whether to try again, the backoff
//! between tries, and a token bucket that keeps a channel under its provider's rate limit.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Why a message was not delivered, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The provider asked us to slow down. Try again, after `retry_after` when it said so.
    Throttled {
        /// How long the provider asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// The provider's words.
        reason: String,
    },
    /// A failure that may pass: a timeout, a refused connection, a 5xx, a provider's internal error.
    Transient(String),
    /// A failure that will not pass by trying again: bad credentials, a refused parameter, a 4xx.
    Permanent(String),
}

impl SendError {
    /// Whether the same message may be sent again later (throttled or transient).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Permanent(_))
    }

    /// How long the provider asked us to wait before the next try, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Throttled { retry_after: Some(wait), reason } => {
                write!(f, "throttled (retry after {} s): {reason}", wait.as_secs_f64())
            }
            Self::Throttled { retry_after: None, reason } => write!(f, "throttled: {reason}"),
            Self::Transient(reason) => write!(f, "temporary failure: {reason}"),
            Self::Permanent(reason) => write!(f, "permanent failure: {reason}"),
        }
    }
}

impl std::error::Error for SendError {}

impl From<reqwest::Error> for SendError {
    /// Timeouts, refused connections and broken responses may pass; a request that cannot even be
    /// built (a malformed URL) will not.
    fn from(e: reqwest::Error) -> Self {
        // The URL may carry a partner's token: leave it out of the message.
        let e = e.without_url();
        if e.is_builder() { Self::Permanent(e.to_string()) } else { Self::Transient(e.to_string()) }
    }
}

/// Lower-case hex, as providers print digests and signatures.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Bytes from hex (either case), or `None` when it is not hex.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

/// The wait before try number `attempt` (0 for the first retry): exponential backoff with full
/// jitter, uniform in `[0, min(cap, base · 2^attempt)]`. Never overflows, however large `attempt`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, rng: &mut impl rand::Rng) -> Duration {
    let cap = cap.as_nanos();
    let ceiling = match base.as_nanos() {
        0 => 0,
        base => 1u128.checked_shl(attempt).and_then(|factor| base.checked_mul(factor)).map_or(cap, |n| n.min(cap)),
    };
    let nanos = rng.random_range(0..=ceiling);
    // At most `cap`, so the seconds fit.
    Duration::new(
        u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
        u32::try_from(nanos % 1_000_000_000).unwrap_or(0),
    )
}

/// A token bucket: `burst` tokens at most, refilled at `per_second`. Shared by every task that
/// sends through one provider account.
#[derive(Debug)]
pub struct TokenBucket {
    per_second: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    refilled: Instant,
}

/// The longest single sleep in [`TokenBucket::take`]; it sleeps again when more is needed.
const LONGEST_WAIT: Duration = Duration::from_mins(1);

impl TokenBucket {
    /// A full bucket of `burst` tokens (at least 1) refilled at `per_second` tokens a second. A rate
    /// that is not a positive number is taken as one token a second.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let per_second = if per_second.is_finite() && per_second > 0.0 { per_second } else { 1.0 };
        let burst = f64::from(burst.max(1));
        Self { per_second, burst, state: Mutex::new(BucketState { tokens: burst, refilled: Instant::now() }) }
    }

    /// The refill rate, in tokens a second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Takes `n` tokens when they are there; otherwise takes none and returns `false`. More than
    /// `burst` tokens are taken as a full bucket.
    pub fn try_take(&self, n: u32) -> bool {
        self.take_or_wait(n).is_none()
    }

    /// Takes `n` tokens, waiting until the bucket holds them. More than `burst` tokens are taken as
    /// a full bucket, so a large request waits for the bucket to fill rather than for ever.
    pub async fn take(&self, n: u32) {
        while let Some(wait) = self.take_or_wait(n) {
            tokio::time::sleep(wait.min(LONGEST_WAIT)).await;
        }
    }

    /// Takes the tokens and returns `None`, or returns how long until they will be there.
    fn take_or_wait(&self, n: u32) -> Option<Duration> {
        let wanted = f64::from(n).min(self.burst);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.per_second).min(self.burst);
        state.refilled = now;
        // A little slack, so refills summed from many small steps still make whole tokens.
        if state.tokens >= wanted - 1e-9 {
            state.tokens = (state.tokens - wanted).max(0.0);
            None
        } else {
            let wait = (wanted - state.tokens) / self.per_second;
            // At least a microsecond, so rounding never makes the caller spin.
            Some(Duration::try_from_secs_f64(wait).unwrap_or(LONGEST_WAIT).max(Duration::from_micros(1)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(7)
    }

    #[test]
    fn backoff_stays_within_its_ceiling() {
        let mut rng = rng();
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(30);
        for attempt in 0..12 {
            let ceiling = (base * 2u32.pow(attempt)).min(cap);
            for _ in 0..200 {
                assert!(backoff(attempt, base, cap, &mut rng) <= ceiling, "attempt {attempt}");
            }
        }
    }

    #[test]
    fn backoff_grows_with_the_attempt() {
        let mut rng = rng();
        let base = Duration::from_millis(100);
        let cap = Duration::from_hours(1);
        let mean = |attempt: u32, rng: &mut rand_chacha::ChaCha8Rng| {
            (0..2000).map(|_| backoff(attempt, base, cap, rng).as_secs_f64()).sum::<f64>() / 2000.0
        };
        let first = mean(0, &mut rng);
        let fifth = mean(4, &mut rng);
        // Full jitter: the mean is half the ceiling (50 ms, then 800 ms).
        assert!((0.04..0.06).contains(&first), "mean of attempt 0 was {first}");
        assert!((0.7..0.9).contains(&fifth), "mean of attempt 4 was {fifth}");
    }

    #[test]
    fn backoff_uses_the_whole_range() {
        let mut rng = rng();
        let ceiling = Duration::from_secs(8);
        let waits: Vec<Duration> =
            (0..1000).map(|_| backoff(3, Duration::from_secs(1), Duration::from_mins(1), &mut rng)).collect();
        assert!(waits.iter().any(|w| *w < ceiling / 10), "full jitter reaches near zero");
        assert!(waits.iter().any(|w| *w > ceiling * 9 / 10), "and near the ceiling");
    }

    #[test]
    fn backoff_is_capped() {
        let mut rng = rng();
        let cap = Duration::from_secs(5);
        let waits: Vec<Duration> = (0..500).map(|_| backoff(20, Duration::from_secs(1), cap, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w <= cap));
        assert!(waits.iter().any(|w| *w > cap / 2), "the cap is the ceiling, not a tiny range");
    }

    #[test]
    fn backoff_does_not_overflow_at_large_attempts() {
        let mut rng = rng();
        let cap = Duration::from_mins(10);
        for attempt in [31, 32, 33, 63, 64, 65, 1000, u32::MAX] {
            assert!(backoff(attempt, Duration::from_secs(1), cap, &mut rng) <= cap);
            // Must not panic, whatever the base and cap.
            let _ = backoff(attempt, Duration::MAX, Duration::MAX, &mut rng);
        }
        // 2^64 ns (about 584 years) is past u64 nanoseconds, still a Duration.
        let longest = (0..100).map(|_| backoff(64, Duration::from_nanos(1), Duration::MAX, &mut rng)).max().unwrap();
        assert!(longest <= Duration::from_secs(18_446_744_074), "{longest:?}");
        assert!(longest > Duration::from_secs(18_446_744_074 / 2), "{longest:?}");
        assert_eq!(backoff(64, Duration::ZERO, cap, &mut rng), Duration::ZERO);
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(unhex("000fA5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex("abc"), None, "odd length");
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("+1"), None, "from_str_radix would take a sign");
        assert_eq!(unhex("é"), None, "not ASCII");
    }

    #[test]
    fn send_errors_say_whether_to_retry() {
        let throttled = SendError::Throttled { retry_after: Some(Duration::from_secs(2)), reason: "slow".into() };
        assert!(throttled.is_retryable());
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(2)));
        assert!(SendError::Transient("timeout".into()).is_retryable());
        assert!(!SendError::Permanent("AuthFailure".into()).is_retryable());
        assert_eq!(SendError::Permanent("x".into()).retry_after(), None);
        assert_eq!(throttled.to_string(), "throttled (retry after 2 s): slow");
        assert_eq!(SendError::Transient("timeout".into()).to_string(), "temporary failure: timeout");
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_starts_full_and_refills_at_its_rate() {
        let bucket = TokenBucket::new(10.0, 5);
        assert!(bucket.try_take(5));
        assert!(!bucket.try_take(1), "empty after the burst");
        tokio::time::advance(Duration::from_millis(90)).await;
        assert!(!bucket.try_take(1), "0.9 of a token after 90 ms");
        tokio::time::advance(Duration::from_millis(10)).await;
        assert!(bucket.try_take(1), "one token after 100 ms");
        assert!(!bucket.try_take(1));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(bucket.try_take(5), "refilled to the burst");
        assert!(!bucket.try_take(1), "but never beyond it");
    }

    #[tokio::test(start_paused = true)]
    async fn take_waits_for_tokens() {
        let bucket = TokenBucket::new(50.0, 50);
        let start = Instant::now();
        bucket.take(50).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst is there at once");
        for _ in 0..100 {
            bucket.take(1).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.99..2.05).contains(&elapsed), "100 more tokens at 50/s took {elapsed} s");
    }

    #[tokio::test(start_paused = true)]
    async fn take_more_than_the_burst_waits_for_a_full_bucket() {
        let bucket = TokenBucket::new(4.0, 2);
        assert!(bucket.try_take(2));
        let start = Instant::now();
        bucket.take(100).await;
        let elapsed = start.elapsed().as_secs_f64();
        assert!((0.49..0.55).contains(&elapsed), "a full bucket of 2 at 4/s took {elapsed} s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_bad_rate_is_one_a_second() {
        let bucket = TokenBucket::new(f64::NAN, 0);
        assert!((bucket.per_second() - 1.0).abs() < f64::EPSILON);
        assert!(bucket.try_take(1));
        assert!(!bucket.try_take(1));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(bucket.try_take(1));
    }
}
