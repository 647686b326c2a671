//! Webmentions: received ones waiting to be verified, sent ones and their
//! results, and what the pages notes reply to say about themselves.

mod cites;
mod inbox;
mod outbox;

pub use cites::Cite;
pub use inbox::{MentionOutcome, NewMention, Queued, QueuedMention};
pub use outbox::{OutgoingMention, PlannedTarget, SendResult, SendState, SentWebmention};
