//! The owner's pages of Webmentions: what other sites sent (waiting,
//! approved, rejected, and what each verification found), and what each
//! note sent and how it went.

use askama::Template;
use chrono::{DateTime, Utc};

use super::PageContext;
use crate::domain::{Moderation, Response, shortened};
use crate::store::{MentionOutcome, ResponseCounts, SendState, SentWebmention};

/// One response, with the note it answers.
pub struct MentionRow {
    pub id: i64,
    pub kind: &'static str,
    pub author: String,
    pub author_url: Option<String>,
    pub url: String,
    pub host: String,
    pub trusted: bool,
    pub excerpt: String,
    pub note_slug: String,
    pub note_url: String,
    pub received: String,
    pub status: Moderation,
}

impl MentionRow {
    pub fn new(
        response: &Response,
        note_slug: &str,
        note_url: String,
        trusted: bool,
    ) -> MentionRow {
        let incoming = &response.incoming;
        MentionRow {
            id: response.id,
            kind: incoming.kind.as_str(),
            author: incoming
                .author
                .name
                .clone()
                .unwrap_or_else(|| incoming.host.clone()),
            author_url: incoming.author.url.clone(),
            url: incoming.url.clone(),
            host: incoming.host.clone(),
            trusted,
            excerpt: shortened(incoming.content_text.as_deref().unwrap_or(""), 280),
            note_slug: note_slug.to_owned(),
            note_url,
            received: human(response.received_at),
            status: response.status,
        }
    }

    pub fn is(&self, status: &str) -> bool {
        self.status.as_str() == status
    }
}

/// A mention received lately and what verifying it found.
pub struct OutcomeRow {
    pub source: String,
    pub target: String,
    pub received: String,
    /// "waiting" while it is.
    pub outcome: String,
    pub accepted: bool,
}

impl OutcomeRow {
    pub fn new(outcome: &MentionOutcome) -> OutcomeRow {
        OutcomeRow {
            source: outcome.source.clone(),
            target: outcome.target.clone(),
            received: human(outcome.received_at),
            outcome: outcome
                .outcome
                .clone()
                .unwrap_or_else(|| "waiting to be verified".into()),
            accepted: outcome.accepted.unwrap_or(false),
        }
    }
}

/// `/admin/mentions`.
#[derive(Template)]
#[template(path = "admin/mentions.html")]
pub struct MentionsPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub flash: Option<&'a str>,
    pub showing: Moderation,
    pub counts: ResponseCounts,
    pub rows: Vec<MentionRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub trusted_hosts: Vec<String>,
    pub recent: Vec<OutcomeRow>,
}

impl MentionsPage<'_> {
    /// The filter links: label, URL, whether current.
    pub fn filters(&self) -> Vec<(String, String, bool)> {
        let c = &self.counts;
        [
            (Moderation::Pending, "Waiting", c.pending),
            (Moderation::Approved, "Approved", c.approved),
            (Moderation::Rejected, "Rejected", c.rejected),
        ]
        .into_iter()
        .map(|(status, label, count)| {
            (
                format!("{label} ({count})"),
                format!(
                    "{}admin/mentions?show={}",
                    self.ctx.site.url.path(),
                    status.as_str()
                ),
                status == self.showing,
            )
        })
        .collect()
    }
}

/// One page a note sent a Webmention to, for the owner.
pub struct SentRow {
    pub target: String,
    pub state: &'static str,
    pub result: String,
    pub endpoint: Option<String>,
    pub attempts: i64,
    pub linked: bool,
    pub updated: String,
    pub next_try: Option<String>,
}

impl SentRow {
    pub fn new(sent: &SentWebmention) -> SentRow {
        SentRow {
            target: sent.target.clone(),
            state: state_label(sent.state),
            result: sent
                .result
                .clone()
                .unwrap_or_else(|| "not tried yet".into()),
            endpoint: sent.endpoint.clone(),
            attempts: sent.attempts,
            linked: sent.linked,
            updated: human(sent.updated_at),
            next_try: sent.due_at.map(human),
        }
    }
}

fn state_label(state: SendState) -> &'static str {
    match state {
        SendState::Queued => "waiting",
        SendState::Sent => "sent",
        SendState::Retrying => "retrying",
        SendState::Failed => "failed",
        SendState::NoEndpoint => "no endpoint",
    }
}

/// `/admin/mentions/sent/{id}`: every page one note told.
#[derive(Template)]
#[template(path = "admin/mentions_sent.html")]
pub struct SentPage<'a> {
    pub ctx: PageContext<'a>,
    pub csrf: &'a str,
    pub slug: &'a str,
    pub permalink: Option<String>,
    pub summary: String,
    pub rows: Vec<SentRow>,
}

/// One line on what a note's Webmentions did: "sent to 3 of 4;
/// example.org: 500, retrying". `None` when it sent none.
pub fn sent_summary(sent: &[SentWebmention]) -> Option<String> {
    if sent.is_empty() {
        return None;
    }
    let count = |state: SendState| sent.iter().filter(|s| s.state == state).count();
    let mut summary = format!(
        "Webmentions sent to {} of {}",
        count(SendState::Sent),
        sent.len()
    );
    let without = count(SendState::NoEndpoint);
    if without > 0 {
        summary.push_str(&format!(" ({without} without an endpoint)"));
    }
    let troubles = sent
        .iter()
        .filter(|s| matches!(s.state, SendState::Retrying | SendState::Failed));
    for trouble in troubles.take(3) {
        let host = url::Url::parse(&trouble.target)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| trouble.target.clone());
        let what = trouble
            .status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        summary.push_str(&format!("; {host}: {what}, {}", state_label(trouble.state)));
    }
    let waiting = count(SendState::Queued);
    if waiting > 0 {
        summary.push_str(&format!("; {waiting} waiting"));
    }
    Some(summary)
}

fn human(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(target: &str, state: SendState, status: Option<u16>) -> SentWebmention {
        SentWebmention {
            note_id: 1,
            target: target.into(),
            state,
            status,
            result: None,
            endpoint: None,
            attempts: 1,
            linked: true,
            updated_at: Utc::now(),
            due_at: None,
        }
    }

    #[test]
    fn the_summary_counts_and_names_the_troubles() {
        assert_eq!(sent_summary(&[]), None);
        let all = [
            sent("https://a.example/1", SendState::Sent, Some(202)),
            sent("https://b.example/2", SendState::Sent, Some(201)),
            sent("https://c.example/3", SendState::Sent, Some(200)),
            sent("https://example.org/4", SendState::Retrying, Some(500)),
            sent("https://d.example/5", SendState::NoEndpoint, None),
        ];
        assert_eq!(
            sent_summary(&all).unwrap(),
            "Webmentions sent to 3 of 5 (1 without an endpoint); example.org: 500, retrying"
        );
    }
}
