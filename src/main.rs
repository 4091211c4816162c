use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use varsel::cli::{
    AttachmentsCommand, AuditCommand, Cli, Command, NotificationsCommand, RecoveryCommand,
    RecoveryKeyCommand, UserCommand,
};
use varsel::commands::{
    accounts as account_commands, admin as admin_commands, age as age_commands,
    export as export_commands, operations as operation_commands, passwords as password_commands,
};
use varsel::core::settings::Settings;
use varsel::telemetry;

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Keygen(args) => age_commands::keygen(&args),
        Command::Encrypt(args) => age_commands::encrypt(&args),
        Command::Decrypt(args) => age_commands::decrypt(&args),
        command => {
            let settings = Settings::load(cli.config.as_deref())?;
            telemetry::init(&settings.log);
            varsel::smtp::check_settings(&settings.notifications)?;
            actix_web::rt::System::new().block_on(async move {
                match command {
                    Command::Serve => {
                        admin_commands::first_start_hint(&settings).await?;
                        admin_commands::serve(settings).await
                    }
                    Command::Migrate => admin_commands::migrate(&settings).await,
                    Command::Healthcheck => admin_commands::healthcheck(&settings),
                    Command::Backup(args) => operation_commands::backup(&settings, &args).await,
                    Command::Restore(args) => operation_commands::restore(&settings, &args).await,
                    Command::User(UserCommand::Add(args)) => {
                        account_commands::user_add(&settings, &args).await
                    }
                    Command::User(UserCommand::List) => {
                        account_commands::user_list(&settings).await
                    }
                    Command::User(UserCommand::Deactivate(args)) => {
                        account_commands::user_deactivate(&settings, &args).await
                    }
                    Command::User(UserCommand::Reactivate(args)) => {
                        account_commands::user_reactivate(&settings, &args).await
                    }
                    Command::User(UserCommand::Roles(args)) => {
                        account_commands::user_roles(&settings, &args).await
                    }
                    Command::User(UserCommand::ResetTwoFactor(args)) => {
                        account_commands::user_reset_two_factor(&settings, &args).await
                    }
                    Command::User(UserCommand::LinkOidc(args)) => {
                        admin_commands::user_link_oidc(&settings, &args).await
                    }
                    Command::User(UserCommand::UnlinkOidc(args)) => {
                        admin_commands::user_unlink_oidc(&settings, &args).await
                    }
                    Command::User(UserCommand::Passwd(args)) => {
                        password_commands::user_passwd(&settings, &args).await
                    }
                    Command::Recovery(RecoveryCommand::Grant(args)) => {
                        password_commands::recovery_grant(&settings, &args).await
                    }
                    Command::RecoveryKey(RecoveryKeyCommand::Init(args)) => {
                        admin_commands::recovery_key_init(&settings, &args).await
                    }
                    Command::Audit(AuditCommand::Verify) => {
                        admin_commands::audit_verify(&settings).await
                    }
                    Command::Notifications(NotificationsCommand::Status) => {
                        admin_commands::notifications_status(&settings).await
                    }
                    Command::Attachments(AttachmentsCommand::Sweep(args)) => {
                        admin_commands::attachments_sweep(&settings, &args).await
                    }
                    Command::Export(args) => export_commands::export(&settings, &args).await,
                    Command::Purge(args) => admin_commands::purge(&settings, &args).await,
                    Command::Keygen(_) | Command::Encrypt(_) | Command::Decrypt(_) => Ok(()),
                }
            })
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, like the age command: the chain of causes joined by ": ".
            eprintln!("varsel: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
