//! Errors of the indexer.

/// Why indexing stopped.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// The database refused a statement or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The node could not be reached or answered with an error.
    #[error("node {url}: {message}")]
    Rpc {
        /// Which endpoint.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The node answered something that is not a valid chain (a gap, a missing block).
    #[error("domain {domain}: {message}")]
    Chain {
        /// Which domain.
        domain: u32,
        /// What was wrong.
        message: String,
    },
    /// A stored row could not be read back.
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        /// Which table.
        table: &'static str,
        /// What was wrong.
        message: String,
    },
    /// Bad configuration.
    #[error("config: {0}")]
    Config(String),
}
