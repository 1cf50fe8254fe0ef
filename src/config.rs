//! One `Config`: command-line flags with `FIRECAST_*` environment fallbacks. Secrets (a password in
//! the database URL) are redacted when the config is printed.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Settings shared by every command.
#[derive(Clone, clap::Args)]
pub struct Config {
    /// Database: `sqlite://PATH` (created when missing) or `postgres://USER@HOST/DB`.
    /// Default `sqlite://firecast.db`; the demo uses `sqlite://firecast-demo.db`.
    #[arg(long, env = "FIRECAST_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address the web server listens on.
    #[arg(long, env = "FIRECAST_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,

    /// A second address serving only Prometheus `/metrics`, for the monitoring network (off by
    /// default; the public listener never serves it).
    #[arg(long, env = "FIRECAST_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,

    /// The address people use to reach the server, when it differs from `--listen` (behind a
    /// proxy). An `https://` address marks session cookies `Secure`.
    #[arg(long, env = "FIRECAST_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Reverse proxies whose `X-Forwarded-For` is believed, as `CIDR,…` (`10.0.0.0/8,::1/128`):
    /// behind them, rate limits and lock-outs count the client's own address. Default none: the
    /// peer's address counts and the header is ignored.
    #[arg(long, env = "FIRECAST_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<Cidr>,

    /// Log lines as human-readable text or as JSON objects.
    #[arg(long, env = "FIRECAST_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,

    /// The file holding the key that seals personal data (phone numbers). Default: beside a
    /// `SQLite` database (`firecast.db.key`), else `firecast.key`; created when missing.
    #[arg(long, env = "FIRECAST_DATA_KEY_FILE", global = true)]
    pub data_key_file: Option<std::path::PathBuf>,

    /// NATS server whose `JetStream` carries the dispatch queue shared by several workers
    /// (`nats://127.0.0.1:4222`). Without it, workers claim from the database directly.
    #[arg(long, env = "FIRECAST_NATS_URL", global = true)]
    pub nats_url: Option<String>,

    /// A name that keeps this installation's `JetStream` stream apart from others on the same NATS
    /// server (staging beside production): the stream is `FIRECAST_SENDS<prefix>`. Letters,
    /// digits, `_` and `-`.
    #[arg(long, env = "FIRECAST_NATS_PREFIX", default_value = "", value_parser = nats_prefix, global = true)]
    pub nats_prefix: String,

    /// Hours (China Standard Time) when no SMS goes out: `22-8`, or `none`.
    #[arg(long, env = "FIRECAST_SMS_QUIET_HOURS", default_value = "22-8", global = true)]
    pub sms_quiet_hours: String,

    /// Webhook posts to partner platforms per second at most.
    #[arg(long, env = "FIRECAST_WEBHOOKS_PER_SECOND", default_value_t = 200.0, global = true)]
    pub webhooks_per_second: f64,

    /// The 3-digit sector code (GB/T 4657) in the issuing unit's code of CAP warnings, as the
    /// provincial early-warning release centre assigns it to the fire service.
    #[arg(long, env = "FIRECAST_CAP_SECTOR_CODE", default_value = crate::alert::DEFAULT_SECTOR, value_parser = sector_code, global = true)]
    pub cap_sector_code: String,

    /// The SMS provider.
    #[command(flatten)]
    pub sms: SmsConfig,
}

/// A block of addresses, `10.0.0.0/8` or `2001:db8::/32` (a bare address is a block of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the block.
    pub fn contains(self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        let bits = |a: IpAddr| match a {
            IpAddr::V4(v4) => (u128::from(v4.to_bits()) << 96, 32),
            IpAddr::V6(v6) => (v6.to_bits(), 128),
        };
        let ((block, width), (probe, probe_width)) = (bits(self.addr), bits(ip));
        if width != probe_width {
            return false;
        }
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
        block & mask == probe & mask
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = s.trim().split_once('/').map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.parse().map_err(|_| format!("'{s}' is not an address or CIDR block"))?;
        let most = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(p) => {
                p.parse().ok().filter(|p| *p <= most).ok_or_else(|| format!("'{s}': the prefix is 0 to {most}"))?
            }
        };
        Ok(Self { addr, prefix })
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object a line.
    Json,
}

impl Config {
    /// The address people reach the server at, without a trailing slash: `public_url`, else the
    /// listening address.
    pub fn base_url(&self) -> String {
        self.public_url
            .as_deref()
            .map_or_else(|| format!("http://{}", self.listen), |u| u.trim_end_matches('/').to_owned())
    }

    /// A config for tests and embedding: everything default, with the given database URL and a
    /// data key in the temporary folder shared by the whole process.
    pub fn with_database(url: &str) -> Self {
        Self {
            database_url: Some(url.to_owned()),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_listen: None,
            trusted_proxies: Vec::new(),
            public_url: None,
            log_format: LogFormat::Text,
            // One key per process, so databases copied from a template open with it.
            data_key_file: Some(std::env::temp_dir().join(format!("firecast-{}.key", std::process::id()))),
            nats_url: None,
            nats_prefix: String::new(),
            sms_quiet_hours: "22-8".to_owned(),
            webhooks_per_second: 200.0,
            cap_sector_code: crate::alert::DEFAULT_SECTOR.to_owned(),
            sms: SmsConfig {
                sms_endpoint: "https://sms.tencentcloudapi.com".to_owned(),
                sms_secret_id: None,
                sms_secret_key: None,
                sms_app_id: None,
                sms_sign_name: None,
                sms_template_id: None,
                sms_code_template_id: None,
                sms_region: "ap-guangzhou".to_owned(),
                sms_per_second: 50,
            },
        }
    }

    /// The database URL, or `default` when none was given.
    pub fn database_url_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.database_url.as_deref().unwrap_or(default)
    }

    /// The data key for the database at `url`: `--data-key-file`, or the default place for it.
    pub fn data_key(&self, url: &str) -> anyhow::Result<crate::personal::DataKey> {
        let path = self.data_key_file.clone().unwrap_or_else(|| crate::personal::default_key_path(url));
        crate::personal::DataKey::load_or_create(&path)
    }

    /// Whether cookies must be marked `Secure` (the public address is HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The address to print for people to open.
    pub fn shown_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_deref().map(crate::db::redact_url))
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("data_key_file", &self.data_key_file)
            .field("nats_url", &self.nats_url.as_deref().map(crate::db::redact_url))
            .field("nats_prefix", &self.nats_prefix)
            .field("sms_quiet_hours", &self.sms_quiet_hours)
            .field("webhooks_per_second", &self.webhooks_per_second)
            .field("cap_sector_code", &self.cap_sector_code)
            .field("sms", &self.sms)
            .finish()
    }
}

/// Settings of the Tencent Cloud SMS account. SMS is off until the secret id and key, the app id,
/// the sign name and the template id are all given.
#[derive(Clone, clap::Args)]
pub struct SmsConfig {
    /// The SMS API endpoint.
    #[arg(long, env = "FIRECAST_SMS_ENDPOINT", default_value = "https://sms.tencentcloudapi.com", global = true)]
    pub sms_endpoint: String,

    /// The Tencent Cloud API `SecretId`.
    #[arg(long, env = "FIRECAST_SMS_SECRET_ID", global = true)]
    pub sms_secret_id: Option<String>,

    /// The Tencent Cloud API `SecretKey`. Never printed.
    #[arg(long, env = "FIRECAST_SMS_SECRET_KEY", global = true, hide_env_values = true)]
    pub sms_secret_key: Option<String>,

    /// The SMS application's `SdkAppId` (such as 1400006666).
    #[arg(long, env = "FIRECAST_SMS_APP_ID", global = true)]
    pub sms_app_id: Option<String>,

    /// The approved sign name, without the brackets (such as 吉林消防).
    #[arg(long, env = "FIRECAST_SMS_SIGN_NAME", global = true)]
    pub sms_sign_name: Option<String>,

    /// The approved template's id.
    #[arg(long, env = "FIRECAST_SMS_TEMPLATE_ID", global = true)]
    pub sms_template_id: Option<String>,

    /// The approved verification-code template's id; its parameters are the code and the minutes
    /// it holds. Residents may choose text messages only when it is given: a number gets tips only
    /// after its owner has typed back the code sent to it.
    #[arg(long, env = "FIRECAST_SMS_CODE_TEMPLATE_ID", global = true)]
    pub sms_code_template_id: Option<String>,

    /// The API region.
    #[arg(long, env = "FIRECAST_SMS_REGION", default_value = "ap-guangzhou", global = true)]
    pub sms_region: String,

    /// The most `SendSms` calls a second.
    #[arg(long, env = "FIRECAST_SMS_PER_SECOND", default_value_t = 50, global = true)]
    pub sms_per_second: u32,
}

impl SmsConfig {
    /// Whether every setting SMS needs is given (and not blank).
    pub fn is_configured(&self) -> bool {
        [&self.sms_secret_id, &self.sms_secret_key, &self.sms_app_id, &self.sms_sign_name, &self.sms_template_id]
            .iter()
            .all(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }

    /// Whether numbers can be proved: SMS is configured and so is the verification-code template
    /// (residents may then choose text messages).
    pub fn sends_codes(&self) -> bool {
        self.is_configured() && self.sms_code_template_id.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

impl fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsConfig")
            .field("sms_endpoint", &self.sms_endpoint)
            .field("sms_secret_id", &self.sms_secret_id)
            .field("sms_secret_key", &self.sms_secret_key.as_ref().map(|_| "***"))
            .field("sms_app_id", &self.sms_app_id)
            .field("sms_sign_name", &self.sms_sign_name)
            .field("sms_template_id", &self.sms_template_id)
            .field("sms_region", &self.sms_region)
            .field("sms_per_second", &self.sms_per_second)
            .finish()
    }
}

/// A sector code: three digits.
fn sector_code(s: &str) -> Result<String, String> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!("'{s}' is not three digits"))
    }
}

/// A stream name's suffix: letters, digits, `_` and `-`, as NATS allows in names and subjects.
fn nats_prefix(s: &str) -> Result<String, String> {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        Ok(s.to_owned())
    } else {
        Err(format!("'{s}' may hold only letters, digits, _ and -"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_database_password() {
        let config = Config::with_database("postgres://fire:s3cret@db.example/firecast");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://fire:***@db.example/firecast"), "{shown}");
    }

    #[test]
    fn cidr_blocks_hold_what_they_say() {
        let block: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(block.contains("10.255.1.2".parse().unwrap()));
        assert!(!block.contains("11.0.0.1".parse().unwrap()));
        assert!(block.contains("::ffff:10.0.0.5".parse().unwrap()), "IPv4 mapped into IPv6");
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()) && !one.contains("192.0.2.8".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()) && !v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }
}
