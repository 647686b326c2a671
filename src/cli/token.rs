//! `starpunk token …`: access tokens for scripts, made without an app's
//! sign-in; the list of every token; and revoking one.

use chrono::{Duration, Utc};
use clap::Subcommand;
use serde::Serialize;

use super::Failure;
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::domain::Scopes;
use crate::startup::open_store;
use crate::store::{AccessToken, NewToken};
use crate::web::session::token_hash;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it, once: it is stored only as a hash.
    Create {
        /// What it may do, comma-separated: create, update, delete,
        /// undelete, media, draft, profile.
        #[arg(long, value_name = "SCOPES", value_parser = parse_scopes)]
        scope: Scopes,
        /// What to call it in the token list (e.g. "backup script").
        #[arg(long)]
        name: String,
        /// How long it lasts: e.g. 30d, 12h, 90m, or never.
        #[arg(long, value_name = "DURATION", default_value = "never", value_parser = parse_expiry)]
        expires: Expiry,
    },
    /// List the tokens not revoked, newest first.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (from `token list`): it stops working at once.
    Revoke { id: i64 },
}

/// When a new token stops working.
#[derive(Debug, Clone, Copy)]
pub enum Expiry {
    Never,
    After(Duration),
}

fn parse_scopes(text: &str) -> Result<Scopes, String> {
    let scopes = Scopes::parse(text).map_err(|e| e.to_string())?;
    if scopes.is_empty() {
        return Err("give at least one scope, e.g. --scope create,media".into());
    }
    Ok(scopes)
}

fn parse_expiry(text: &str) -> Result<Expiry, String> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(Expiry::Never);
    }
    let unit_at = text.len().saturating_sub(1);
    let (number, unit) = (text.get(..unit_at), text.get(unit_at..));
    let count = number
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|&n| n > 0);
    let duration = match (count, unit) {
        (Some(n), Some("d")) if n <= 36_500 => Some(Duration::days(n)),
        (Some(n), Some("h")) if n <= 876_000 => Some(Duration::hours(n)),
        (Some(n), Some("m")) if n <= 52_560_000 => Some(Duration::minutes(n)),
        _ => None,
    };
    duration.map(Expiry::After).ok_or_else(|| {
        format!("{text:?} is not a duration: use a number of days, hours or minutes (30d, 12h, 90m), or never")
    })
}

pub async fn run(command: TokenCommand, settings: Settings) -> Result<(), Failure> {
    let store = open_store(&settings, SystemClock::shared()).await?;
    let now = store.now();
    match command {
        TokenCommand::Create {
            scope,
            name,
            expires,
        } => {
            let name = name.trim();
            if name.is_empty() {
                return Err(Failure::message("--name must not be empty"));
            }
            let secret = crate::random::random_token();
            let token = store
                .issue_token(
                    &token_hash(&secret),
                    &NewToken {
                        name,
                        client_id: "",
                        scopes: scope,
                        me: settings.site.owner_url(),
                        expires_at: match expires {
                            Expiry::Never => None,
                            Expiry::After(duration) => Some(now + duration),
                        },
                    },
                    now,
                )
                .await?;
            println!("{secret}");
            eprintln!(
                "Token {} ({}) for {}. It is shown only this once; send it as\n  \
                 Authorization: Bearer {secret}\nto {}. Revoke it with: starpunk token revoke {}",
                token.id,
                token.scopes,
                token.me,
                settings.site.url.join("micropub"),
                token.id
            );
            Ok(())
        }
        TokenCommand::List { json } => {
            let tokens = store.list_tokens().await?;
            if json {
                let rows: Vec<TokenJson> = tokens.iter().map(TokenJson::from).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print_table(&tokens, now);
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if store.revoke_token(id, now).await? {
                println!("revoked token {id}");
                Ok(())
            } else {
                Err(Failure::message(format!(
                    "there is no token {id} to revoke (see starpunk token list)"
                )))
            }
        }
    }
}

#[derive(Serialize)]
struct TokenJson<'a> {
    id: i64,
    name: &'a str,
    client_id: &'a str,
    scope: String,
    me: &'a str,
    created_at: String,
    last_used_at: Option<String>,
    expires_at: Option<String>,
}

impl<'a> From<&'a AccessToken> for TokenJson<'a> {
    fn from(t: &'a AccessToken) -> TokenJson<'a> {
        TokenJson {
            id: t.id,
            name: &t.name,
            client_id: &t.client_id,
            scope: t.scopes.to_string(),
            me: &t.me,
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            expires_at: t.expires_at.map(|at| at.to_rfc3339()),
        }
    }
}

fn print_table(tokens: &[AccessToken], now: chrono::DateTime<Utc>) {
    if tokens.is_empty() {
        eprintln!("no tokens (make one with: starpunk token create --scope create --name NAME)");
        return;
    }
    let day = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%d %H:%M").to_string();
    println!(
        "{:>5}  {:<24}  {:<28}  {:<16}  {:<16}  EXPIRES",
        "ID", "NAME", "SCOPES", "CREATED", "LAST USED"
    );
    for t in tokens {
        let name: String = t.name.chars().take(24).collect();
        let expires = match t.expires_at {
            None => "never".to_owned(),
            Some(at) if at <= now => format!("expired {}", day(at)),
            Some(at) => day(at),
        };
        println!(
            "{:>5}  {:<24}  {:<28}  {:<16}  {:<16}  {}",
            t.id,
            name,
            t.scopes.to_string(),
            day(t.created_at),
            t.last_used_at.map_or_else(|| "never".to_owned(), day),
            expires
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_scopes_parse_or_say_why_not() {
        assert!(matches!(parse_expiry("never"), Ok(Expiry::Never)));
        assert!(matches!(parse_expiry("30d"), Ok(Expiry::After(d)) if d == Duration::days(30)));
        assert!(matches!(parse_expiry("12h"), Ok(Expiry::After(d)) if d == Duration::hours(12)));
        for bad in ["", "d", "0d", "-1d", "30", "30w", "1é", "99999999999d"] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_scopes("create,media").unwrap().to_string(),
            "create media"
        );
        assert!(parse_scopes("create,read").unwrap_err().contains("read"));
        assert!(parse_scopes(",").is_err());
    }
}
