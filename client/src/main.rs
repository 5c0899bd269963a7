//! `loanctl`: see the [`loanchain_client`] crate.

fn main() -> std::process::ExitCode {
    loanchain_client::main()
}
