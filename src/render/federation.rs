//! The owner's pages about the fediverse: followers (and where deliveries
//! to them stand), and the blocked domains, which apply to Webmentions
//! too.

use askama::Template;
use chrono::{DateTime, Utc};

use super::PageContext;
use crate::store::{ActivityKind, DeliveryState, Follower};

fn human(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// One follower on `/admin/followers`.
pub struct FollowerRow {
    pub actor: String,
    pub host: String,
    pub since: String,
    /// When deliveries to their server started failing, if they are.
    pub failing_since: Option<String>,
}

impl FollowerRow {
    pub fn new(follower: &Follower) -> FollowerRow {
        FollowerRow {
            actor: follower.actor.clone(),
            host: follower.host.clone(),
            since: human(follower.followed_at),
            failing_since: follower.failing_since.map(human),
        }
    }
}

/// One activity about a note, and where its deliveries stand.
pub struct DeliveryRow {
    /// The note's permalink, or its id when it is gone.
    pub note: String,
    pub link: Option<String>,
    pub kind: &'static str,
    pub at: String,
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    pub last_error: Option<String>,
}

impl DeliveryRow {
    pub fn new(state: &DeliveryState, note: String, link: Option<String>) -> DeliveryRow {
        DeliveryRow {
            note,
            link,
            kind: match state.kind {
                ActivityKind::Create => "Create",
                ActivityKind::Update => "Update",
                ActivityKind::Delete => "Delete",
                ActivityKind::Accept => "Accept",
                ActivityKind::Reject => "Reject",
            },
            at: human(state.created_at),
            delivered: state.delivered,
            pending: state.pending,
            failed: state.failed,
            last_error: state.last_error.clone(),
        }
    }
}

/// `/admin/followers`.
#[derive(Template)]
#[template(path = "admin/followers.html")]
pub struct FollowersPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    /// `@user@host`, or `None` when federation is off.
    pub handle: Option<String>,
    pub count: i64,
    pub followers: Vec<FollowerRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub deliveries: Vec<DeliveryRow>,
}

/// `/admin/blocked`.
#[derive(Template)]
#[template(path = "admin/blocked.html")]
pub struct BlockedPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub domains: Vec<String>,
}
