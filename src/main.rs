//! The `mirsad` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    mirsad::cli::main()
}
