fn main() -> std::process::ExitCode {
    starpunk::allocator::tune();
    starpunk::cli::run()
}
