//! The database probe behind `/health`: one query per answer, made on a
//! connection and a thread of its own.
//!
//! An sqlx query from the pool costs two round trips to the connection's
//! worker thread (the query, then a ping when the connection goes back to
//! the pool), a spawned task and a channel of rows: about 80 µs of CPU, six
//! times what actix itself spends on a request. The probe keeps a read-only
//! connection opened by sqlx (so there is one SQLite library, the one sqlx
//! bundles) and takes its raw handle out of sqlx's worker once, for good. A
//! `/health` request hands its question to the probe's thread and awaits
//! the answer: one hop each way. The query never runs on an async worker,
//! so a hung disk holds the probe's thread, never a worker; the request
//! gives up after its timeout, and while the thread is stuck, the bounded
//! queue fills and later questions fail at once instead of piling up.

use std::ffi::CStr;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::str::FromStr;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;

use libsqlite3_sys as ffi;
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::oneshot;

use super::StoreError;

/// Questions waiting beyond this are refused at once: the probe is stuck.
const QUEUE: usize = 256;

/// The query whose answer proves the database reads: the same row every
/// page render starts from.
const QUERY: &CStr = c"SELECT revision FROM site_state WHERE id = 1";

/// Why the probe gave no revision.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("the database probe is busy with earlier questions (the disk may be stuck)")]
    Busy,
    #[error("the database probe has stopped")]
    Stopped,
    #[error("SQLite: {0}")]
    Sqlite(String),
}

type Answer = Result<i64, ProbeError>;

/// A handle to the probe's thread; cheap to share between workers.
pub struct DatabaseProbe {
    questions: Mutex<Option<mpsc::SyncSender<oneshot::Sender<Answer>>>>,
    stopped: Mutex<Option<oneshot::Receiver<()>>>,
}

impl DatabaseProbe {
    /// Opens a read-only connection to the database (which must exist:
    /// the pool created and migrated it) and starts the probe's thread.
    pub async fn open(database_path: &Path) -> Result<DatabaseProbe, StoreError> {
        let connection = SqliteConnectOptions::from_str("sqlite:")?
            .filename(database_path)
            .read_only(true)
            .connect()
            .await?;
        let (questions, asked) = mpsc::sync_channel(QUEUE);
        let (ready, opened) = oneshot::channel();
        let (stop_sent, stopped) = oneshot::channel();
        thread::Builder::new()
            .name("starpunk-db-probe".to_owned())
            .spawn(move || {
                serve(connection, asked, ready);
                let _ = stop_sent.send(());
            })
            .map_err(StoreError::Probe)?;
        opened
            .await
            .map_err(|_| ProbeError::Stopped)
            .and_then(|prepared| prepared)
            .map_err(StoreError::ProbeSetup)?;
        Ok(DatabaseProbe {
            questions: Mutex::new(Some(questions)),
            stopped: Mutex::new(Some(stopped)),
        })
    }

    /// Reads the data revision, with a query made for this call.
    pub async fn revision(&self) -> Result<i64, ProbeError> {
        let (reply, answer) = oneshot::channel();
        {
            let questions = self
                .questions
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let questions = questions.as_ref().ok_or(ProbeError::Stopped)?;
            questions.try_send(reply).map_err(|e| match e {
                mpsc::TrySendError::Full(_) => ProbeError::Busy,
                mpsc::TrySendError::Disconnected(_) => ProbeError::Stopped,
            })?;
        }
        answer.await.map_err(|_| ProbeError::Stopped)?
    }

    /// Stops the thread and closes its connection, so that the pool's
    /// connection is the last one and its close checkpoints the WAL.
    pub async fn close(&self) {
        self.questions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let stopped = self
            .stopped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
    }
}

#[cfg(test)]
impl DatabaseProbe {
    /// A probe whose thread never answers, as when the disk hangs: the
    /// questions stay queued in the returned receiver.
    pub(crate) fn stuck(queue: usize) -> (DatabaseProbe, mpsc::Receiver<oneshot::Sender<Answer>>) {
        let (questions, asked) = mpsc::sync_channel(queue);
        let probe = DatabaseProbe {
            questions: Mutex::new(Some(questions)),
            stopped: Mutex::new(None),
        };
        (probe, asked)
    }
}

/// The probe's thread: answers questions until every sender is gone.
fn serve(
    mut connection: SqliteConnection,
    asked: mpsc::Receiver<oneshot::Sender<Answer>>,
    ready: oneshot::Sender<Result<(), ProbeError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(ProbeError::Sqlite(format!("no runtime: {e}"))));
            return;
        }
    };
    {
        // sqlx's worker thread waits for the handle while this holds it.
        let mut locked = match runtime.block_on(connection.lock_handle()) {
            Ok(locked) => locked,
            Err(e) => {
                let _ = ready.send(Err(ProbeError::Sqlite(e.to_string())));
                return;
            }
        };
        let statement = match Statement::prepare(locked.as_raw_handle(), QUERY) {
            Ok(statement) => statement,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        for reply in asked {
            // The asker gave up (timed out): a query now would answer no one.
            if reply.is_closed() {
                continue;
            }
            let _ = reply.send(statement.query_one_integer());
        }
        // `statement` is finalized before the handle goes back to sqlx,
        // which refuses to close a connection with live statements.
    }
    let _ = runtime.block_on(sqlx::Connection::close(connection));
}

/// A prepared statement on a handle this thread holds.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    raw: NonNull<ffi::sqlite3_stmt>,
}

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &CStr) -> Result<Statement, ProbeError> {
        let mut raw = ptr::null_mut();
        // SAFETY: `db` is an open handle that this thread holds exclusively
        // (sqlx's worker waits on its lock); `sql` is NUL-terminated.
        let code = unsafe {
            ffi::sqlite3_prepare_v3(
                db.as_ptr(),
                sql.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut raw,
                ptr::null_mut(),
            )
        };
        match NonNull::new(raw) {
            Some(raw) if code == ffi::SQLITE_OK => Ok(Statement { db, raw }),
            _ => Err(last_error(db)),
        }
    }

    /// Runs the statement and returns the first column of its one row.
    fn query_one_integer(&self) -> Result<i64, ProbeError> {
        // SAFETY: the statement belongs to `self.db`, held by this thread.
        unsafe {
            let result = match ffi::sqlite3_step(self.raw.as_ptr()) {
                ffi::SQLITE_ROW => Ok(ffi::sqlite3_column_int64(self.raw.as_ptr(), 0)),
                ffi::SQLITE_DONE => Err(ProbeError::Sqlite(
                    "the site_state row is missing".to_owned(),
                )),
                _ => Err(last_error(self.db)),
            };
            ffi::sqlite3_reset(self.raw.as_ptr());
            result
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalized once, on the thread that prepared it.
        unsafe {
            ffi::sqlite3_finalize(self.raw.as_ptr());
        }
    }
}

fn last_error(db: NonNull<ffi::sqlite3>) -> ProbeError {
    // SAFETY: `sqlite3_errmsg` returns a NUL-terminated string owned by
    // the handle, valid until the next call on it; it is copied at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) };
    ProbeError::Sqlite(message.to_string_lossy().into_owned())
}
