//! What an access token allows: the Micropub scopes an app may ask for and
//! the owner grants (IndieAuth § 5.3, Micropub § 3.7).

use std::fmt;

/// One permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Publish new notes.
    Create,
    /// Change existing notes.
    Update,
    /// Delete notes (softly: they can be restored).
    Delete,
    /// Restore deleted notes.
    Undelete,
    /// Upload photos to the media endpoint.
    Media,
    /// Create notes only as drafts; with `create` this changes nothing.
    Draft,
    /// Read the owner's profile (name, photo, url) when redeeming a code.
    Profile,
}

impl Scope {
    /// Every scope, in the order they are shown and written.
    pub const ALL: [Scope; 7] = [
        Scope::Create,
        Scope::Update,
        Scope::Delete,
        Scope::Undelete,
        Scope::Media,
        Scope::Draft,
        Scope::Profile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Create => "create",
            Scope::Update => "update",
            Scope::Delete => "delete",
            Scope::Undelete => "undelete",
            Scope::Media => "media",
            Scope::Draft => "draft",
            Scope::Profile => "profile",
        }
    }

    pub fn parse(word: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// What granting it lets an app do, for the consent page.
    pub fn description(self) -> &'static str {
        match self {
            Scope::Create => "publish new notes",
            Scope::Update => "change your notes",
            Scope::Delete => "delete notes (you can restore them)",
            Scope::Undelete => "restore deleted notes",
            Scope::Media => "upload photos",
            Scope::Draft => "save notes as drafts only",
            Scope::Profile => "see your name and profile URL",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, written space-separated as OAuth does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);

    fn bit(scope: Scope) -> u8 {
        1 << (scope as u8)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Scopes::bit(scope) != 0
    }

    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | Scopes::bit(scope))
    }

    /// Only the scopes both sets hold.
    pub fn intersection(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Scopes separated by spaces or commas (`"create update"`, as OAuth
    /// sends them; `"create,media"`, as typed on the command line). Unknown
    /// words are refused, naming them.
    pub fn parse(text: &str) -> Result<Scopes, UnknownScopes> {
        let (scopes, unknown) = Scopes::parse_known(text);
        if unknown.is_empty() {
            Ok(scopes)
        } else {
            Err(UnknownScopes(unknown))
        }
    }

    /// The known scopes of `text` and the words that are not scopes. An
    /// app may ask for scopes this site does not have (`read`, `email`);
    /// those are simply not granted.
    pub fn parse_known(text: &str) -> (Scopes, Vec<String>) {
        let mut scopes = Scopes::NONE;
        let mut unknown = Vec::new();
        for word in text
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
        {
            match Scope::parse(word) {
                Some(scope) => scopes = scopes.with(scope),
                None if !unknown.iter().any(|u| u == word) => unknown.push(word.to_owned()),
                None => {}
            }
        }
        (scopes, unknown)
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        iter.into_iter().fold(Scopes::NONE, Scopes::with)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// Words that are not scopes of this site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope(s): {}; the scopes are create, update, delete, undelete, media, draft and profile",
    .0.join(", ")
)]
pub struct UnknownScopes(pub Vec<String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_spaces_or_commas_and_print_in_a_fixed_order() {
        let scopes = Scopes::parse("media,create  update").unwrap();
        assert!(scopes.contains(Scope::Create));
        assert!(scopes.contains(Scope::Media));
        assert!(!scopes.contains(Scope::Delete));
        assert_eq!(scopes.to_string(), "create update media");
        assert_eq!(Scopes::parse("").unwrap(), Scopes::NONE);
        assert_eq!(Scopes::NONE.to_string(), "");
    }

    #[test]
    fn unknown_scopes_are_named_or_set_aside() {
        let err = Scopes::parse("create read email read").unwrap_err();
        assert_eq!(err.0, vec!["read".to_owned(), "email".to_owned()]);
        assert!(
            err.to_string()
                .starts_with("unknown scope(s): read, email;")
        );
        let (known, unknown) = Scopes::parse_known("create read");
        assert_eq!(known.to_string(), "create");
        assert_eq!(unknown, vec!["read".to_owned()]);
    }

    #[test]
    fn every_scope_round_trips() {
        let all: Scopes = Scope::ALL.into_iter().collect();
        assert_eq!(Scopes::parse(&all.to_string()).unwrap(), all);
        assert_eq!(all.iter().count(), Scope::ALL.len());
        assert_eq!(
            all.intersection(Scopes::parse("draft").unwrap())
                .to_string(),
            "draft"
        );
    }
}
