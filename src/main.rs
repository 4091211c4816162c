use std::process::ExitCode;

use clap::Parser;
use varsel::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen(args) => varsel::age_commands::keygen(&args),
        Command::Encrypt(args) => varsel::age_commands::encrypt(&args),
        Command::Decrypt(args) => varsel::age_commands::decrypt(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, like the age command: the chain of causes joined by ": ".
            eprintln!("varsel: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
