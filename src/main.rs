fn main() -> std::process::ExitCode {
    starpunk::cli::run()
}
