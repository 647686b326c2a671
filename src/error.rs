//! What every layer's errors share: the kind of failure, which decides who
//! is at fault and so how each surface answers (an HTML page, Micropub's
//! JSON, a command's exit), and the cause chain printed once.

/// The kind of a failure, for whoever has to answer for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not acceptable; its message says what to change.
    Invalid,
    /// It names something that does not exist (or no longer does).
    NotFound,
    /// It was based on a version that changed since, or wants something
    /// already taken.
    Conflict,
    /// It is larger than allowed.
    TooLarge,
    /// The program, the disk or the database failed: never the caller's
    /// fault; the cause chain is logged and the caller told to try later.
    Internal,
}

/// An error and all its causes on one line, each cause once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors end their message with their source's (sqlx,
        // `#[error("… {0}")]` on a `#[from]` field); adding the source
        // again would say the same thing twice.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("disk trouble")]
    struct Root;

    /// Says its source in its own message, as `#[error("… {0}")]` does.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the database: {0}")]
    struct Repeats(#[from] Root);

    /// Leaves its source to the chain.
    #[derive(Debug, thiserror::Error)]
    #[error("cannot start")]
    struct Wraps(#[source] Repeats);

    #[test]
    fn each_cause_is_said_once() {
        assert_eq!(
            error_chain(&Repeats(Root)),
            "cannot open the database: disk trouble"
        );
        assert_eq!(
            error_chain(&Wraps(Repeats(Root))),
            "cannot start: cannot open the database: disk trouble"
        );
    }

    #[test]
    fn a_source_not_yet_said_is_added() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot start")]
        struct Quiet(#[source] Root);
        assert_eq!(error_chain(&Quiet(Root)), "cannot start: disk trouble");
    }
}
