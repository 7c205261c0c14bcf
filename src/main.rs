//! The `tidtam` command.

fn main() -> std::process::ExitCode {
    // polars sizes its thread pool from this when it first computes; on the
    // 2-core machines Tidtam is sized for, two threads beside tokio's workers.
    if std::env::var_os("POLARS_MAX_THREADS").is_none() {
        std::env::set_var("POLARS_MAX_THREADS", "2");
    }
    tidtam::cli::main()
}
