//! The `tidtam` command.

fn main() -> std::process::ExitCode {
    tidtam::cli::main()
}
