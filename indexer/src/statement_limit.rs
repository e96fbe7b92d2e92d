//! A time limit on each SQLite statement of a connection that asks for one, which SQLite has no
//! setting for (PostgreSQL's is `statement_timeout`).
//!
//! Every SQLite connection the process opens gets an SQL function, `sec_statement_timeout(ms)`
//! (through `sqlite3_auto_extension`, since sqlx's `Any` pool hands out no raw handle). A
//! connection that calls it gets a trace hook that notes when each statement starts and a
//! progress handler that, every [`CHECK_EVERY`] virtual-machine steps, interrupts the statement
//! once it has run longer than the limit: the statement fails with `SQLITE_INTERRUPT` and the
//! connection is free for the next one, instead of working on until the query is done.
//! Connections that never call it (the indexer's writer) get no hook at all.

#![allow(unsafe_code)]

use std::{
    ffi::{c_char, c_int, c_uint, c_void},
    sync::{
        Once, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use libsqlite3_sys as ffi;

/// The SQL function's name.
pub const FUNCTION: &str = "sec_statement_timeout";

/// Virtual-machine steps between two looks at the clock (a few microseconds of work).
const CHECK_EVERY: c_int = 10_000;

/// SQLite's result code of an interrupted statement, as sqlx reports it.
pub const INTERRUPTED: &str = "9";

/// One connection's limit, shared by its function, trace hook and progress handler; freed by
/// SQLite when the connection closes (the function's destructor).
struct Limit {
    /// Milliseconds a statement may run; 0 for no limit.
    limit_ms: AtomicU64,
    /// When the running statement started, in nanoseconds since [`epoch`].
    started_ns: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos().min(u128::from(u64::MAX)) as u64
}

/// Registers the function on every SQLite connection opened from now on. Idempotent.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        epoch();
        // SAFETY: `register` has the signature SQLite calls entry points with, and registering
        // an automatic extension has no other precondition.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(register)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite statement time limits unavailable");
        }
    });
}

/// The automatic extension: adds the function to a new connection.
unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    let state = Box::into_raw(Box::new(Limit {
        limit_ms: AtomicU64::new(0),
        started_ns: AtomicU64::new(now_ns()),
    }));
    let name = c"sec_statement_timeout";
    // SAFETY: `db` is the connection SQLite is opening; `state` lives until SQLite calls
    // `destroy` with it, once the function is gone (the connection closed), and if creating the
    // function fails SQLite calls `destroy` itself.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            name.as_ptr(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            state.cast(),
            Some(set_limit),
            None,
            None,
            Some(destroy),
        )
    }
}

unsafe extern "C" fn destroy(state: *mut c_void) {
    // SAFETY: `state` is the box `register` leaked, handed back once.
    drop(unsafe { Box::from_raw(state.cast::<Limit>()) });
}

/// `sec_statement_timeout(ms)`: limits every later statement of this connection to `ms`
/// milliseconds (0 lifts the limit). Returns the limit.
unsafe extern "C" fn set_limit(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with its context, `argc` arguments in `argv`, and the user data
    // `register` gave, which lives as long as the connection.
    unsafe {
        if argc != 1 {
            return ffi::sqlite3_result_null(ctx);
        }
        let ms = ffi::sqlite3_value_int64(*argv).max(0) as u64;
        let state = ffi::sqlite3_user_data(ctx);
        let limit = &*state.cast::<Limit>();
        limit.limit_ms.store(ms, Ordering::Relaxed);
        let db = ffi::sqlite3_context_db_handle(ctx);
        if ms == 0 {
            ffi::sqlite3_progress_handler(db, 0, None, std::ptr::null_mut());
            ffi::sqlite3_trace_v2(db, 0, None, std::ptr::null_mut());
        } else {
            ffi::sqlite3_trace_v2(db, ffi::SQLITE_TRACE_STMT as c_uint, Some(started), state);
            ffi::sqlite3_progress_handler(db, CHECK_EVERY, Some(check), state);
        }
        ffi::sqlite3_result_int64(ctx, ms as i64);
    }
}

/// The trace hook: a statement starts (or a trigger in it, whose text starts with `--`).
unsafe extern "C" fn started(
    _mask: c_uint,
    state: *mut c_void,
    _statement: *mut c_void,
    sql: *mut c_void,
) -> c_int {
    // SAFETY: `state` is the connection's `Limit`; `sql` is the statement's text, a C string.
    unsafe {
        let sql = sql.cast::<c_char>();
        let trigger = !sql.is_null() && *sql == b'-' as c_char && *sql.add(1) == b'-' as c_char;
        if !trigger {
            (*state.cast::<Limit>()).started_ns.store(now_ns(), Ordering::Relaxed);
        }
    }
    0
}

/// The progress handler: non-zero interrupts the running statement.
unsafe extern "C" fn check(state: *mut c_void) -> c_int {
    // SAFETY: `state` is the connection's `Limit`.
    let limit = unsafe { &*state.cast::<Limit>() };
    let ms = limit.limit_ms.load(Ordering::Relaxed);
    let ran = now_ns().saturating_sub(limit.started_ns.load(Ordering::Relaxed));
    c_int::from(ms > 0 && ran / 1_000_000 >= ms)
}
