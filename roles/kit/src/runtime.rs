//! The tokio runtime a role runs on.

use std::io;

/// Worker threads when `--threads` is not given, and the fewest allowed.
pub(crate) const DEFAULT_THREADS: usize = 2;

/// Build the multi-thread runtime with `threads` workers, at least [`DEFAULT_THREADS`].
/// With a single thread (current-thread scheduler, or one worker) ims-lab stalled for up to
/// SQLite's 10 s busy timeout under load, every sqlx worker idle and the pools timing out
/// (2026-11-26, cause not yet found), so one is not offered.
pub fn build_runtime(threads: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    let threads = threads.unwrap_or(DEFAULT_THREADS).max(DEFAULT_THREADS);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_as_asked_or_the_default() {
        assert_eq!(build_runtime(Some(1)).unwrap().metrics().num_workers(), 2);
        assert_eq!(build_runtime(Some(3)).unwrap().metrics().num_workers(), 3);
        assert_eq!(
            build_runtime(None).unwrap().metrics().num_workers(),
            DEFAULT_THREADS
        );
        assert_eq!(
            build_runtime(Some(0)).unwrap().metrics().num_workers(),
            DEFAULT_THREADS
        );
    }
}
