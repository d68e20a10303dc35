//! Logging through `tracing`: a filter from config, overridable with `RUST_LOG`.

/// Install a formatting subscriber filtered by `RUST_LOG`, else by `level` (e.g. `"warn"`,
/// `"ims_edge=debug,info"`). Calling it twice is harmless.
pub fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .try_init();
}
