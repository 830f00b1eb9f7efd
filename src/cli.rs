//! Command-line entry points (SPEC §8): `serve` (default), `migrate`, `print-schema`,
//! `seed-demo`, `create-company`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{
    config::Config,
    db, demo,
    org::service::{NewCompany, NewPerson, create_company},
    startup::{Application, shutdown_signal},
    telemetry,
};

#[derive(Parser)]
#[command(version, about = "Coaching and 1:1 GraphQL API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the migrations, seed the demo company on an empty development database, and serve.
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    PrintSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Seed the demo company if the database has no company yet (refused in production).
    SeedDemo,
    /// Provision a company and its first admin.
    CreateCompany {
        #[arg(long)]
        name: String,
        /// IANA time zone name, e.g. Europe/Berlin.
        #[arg(long)]
        time_zone: String,
        #[arg(long)]
        admin_name: String,
        #[arg(long)]
        admin_email: String,
        /// The admin's initial password (at least 10 characters).
        #[arg(long, env = "ADMIN_PASSWORD")]
        admin_password: String,
    },
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::PrintSchema { output }) = &cli.command {
        let sdl = crate::graphql::sdl();
        return match output {
            Some(path) => std::fs::write(path, sdl).with_context(|| format!("{path:?}")),
            None => {
                print!("{sdl}");
                Ok(())
            }
        };
    }
    telemetry::init();
    let config = Config::from_env()?;
    tokio::runtime::Runtime::new()?.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                let db = db::connect(&config).await?;
                db::migrate(&db).await
            }
            Command::PrintSchema { .. } => unreachable!("handled before the runtime starts"),
            Command::SeedDemo => {
                // SPEC §8: production turns demo seeding off, on every path.
                if config.is_production() {
                    anyhow::bail!("demo seeding is off in production (APP_ENV=production)");
                }
                let app = Application::build(config).await?;
                report_seed(demo::seed_if_empty(app.state()).await?, app.state());
                Ok(())
            }
            Command::CreateCompany {
                name,
                time_zone,
                admin_name,
                admin_email,
                admin_password,
            } => {
                let app = Application::build(config).await?;
                let (company, admin) = create_company(
                    app.state(),
                    NewCompany {
                        name,
                        time_zone,
                        admin: NewPerson {
                            name: admin_name,
                            email: admin_email,
                            password: admin_password,
                        },
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
                println!(
                    "created company {} ({}) with admin {}",
                    company.name, company.id, admin.email
                );
                Ok(())
            }
        }
    })
}

fn describe(err: &crate::error::AppError) -> String {
    match err {
        crate::error::AppError::BadUserInput { field, message, .. } => {
            format!("{field}: {message}")
        }
        crate::error::AppError::Internal(cause) => format!("{cause:#}"),
        other => other.code().to_owned(),
    }
}

fn report_seed(seeded: bool, state: &crate::state::AppState) {
    if seeded {
        println!(
            "Demo company seeded. Log in as {} (or any demo user) with password {:?}",
            demo::ADMIN_EMAIL,
            state.config.demo_password
        );
    } else {
        println!("The database already has a company; demo seeding skipped.");
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let production = config.is_production();
    let app = Application::build(config).await?;
    if !production {
        report_seed(demo::seed_if_empty(app.state()).await?, app.state());
    }
    let addr = app.local_addr();
    tracing::info!(%addr, "listening");
    println!("Serving the API at http://{addr}/graphql");
    if !production {
        println!("GraphiQL: http://{addr}/graphql");
    }
    app.run_until(shutdown_signal()).await
}
