//! Direct delivery of pushes to households and partners: the dispatcher that claims and sends
//! (`dispatch`), the outbound clients (`channel` for what they share, `sms`, `webhook`), and the
//! optional NATS `JetStream` work queue shared by several workers (`queue`).

pub mod channel;
pub mod dispatch;
pub mod queue;
pub mod sms;
pub mod webhook;
