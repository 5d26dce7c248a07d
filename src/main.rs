//! The `opsboard` binary: parse the command line, start the async runtime
//! and hand over to the command (`cmd/`, one file per command).

use std::process::ExitCode;

use clap::Parser;
use opsboard::cli::Cli;

mod cmd;

fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            opsboard::errln!("opsboard: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            opsboard::errln!("opsboard: {e:?}");
            ExitCode::from(1)
        }
    }
}
