//! imsctl: the operator's tool.
//!
//! - `imsctl diameter ping|send|client|serve|bench`: Diameter tools (RFC 6733).
//! - `imsctl hss add|list|show|delete|import`: subscribers in the HSS database.
//! - `imsctl ocs account|topup|show|reservations|journal`: the OCS ledger.
//! - `imsctl cdf export`: CDRs of the CDF database as CSV or JSON lines.
//! - `imsctl rpc METHOD [PARAMS]`: any method of a running role's admin API (JSON-RPC), and
//!   `imsctl hss deregister|set-profile` through the HSS's.
//!
//! The provisioning commands work on the role's database directly (`--db URL`, else
//! `--config FILE`, else `IMSCTL_DB`, else the lab default), through the role's own library, so they can run
//! while the role does (SQLite in WAL mode, or PostgreSQL). See docs/imsctl.md.
#![forbid(unsafe_code)]

mod cdf;
mod db;
mod hss;
mod ocs;
mod rpc;
mod text;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use imsctl::diameter;

#[derive(Debug, Parser)]
#[command(
    name = "imsctl",
    version,
    about = "IMS core operator tool: Diameter tools and provisioning of the HSS, OCS and CDF",
    after_help = "Provisioning commands take --db URL (or --config ROLE.toml, or IMSCTL_DB); \
                  the default is the lab database under ./ims-lab-data/. See docs/imsctl.md."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Top,
}

#[derive(Debug, Subcommand)]
enum Top {
    /// Diameter tools (RFC 6733).
    Diameter {
        #[command(subcommand)]
        cmd: Diam,
    },
    /// HSS subscribers (TS 29.228): add, list, show, delete, import.
    Hss {
        #[command(flatten)]
        db: db::DbArgs,
        /// Print JSON instead of aligned text.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        cmd: hss::HssCmd,
    },
    /// OCS accounts (RFC 4006 ledger): create, top up, balances, reservations.
    Ocs {
        #[command(flatten)]
        db: db::DbArgs,
        /// Print JSON instead of aligned text.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        cmd: ocs::OcsCmd,
    },
    /// Call a method of a running role's admin API (JSON-RPC 2.0 over HTTP) and print the
    /// result, e.g. `imsctl rpc hss.show '{"impi":"alice@ims.test"}' --admin http://127.0.0.1:9100`.
    Rpc {
        /// The method, e.g. system.methods, hss.deregister.
        method: String,
        /// Its params: a JSON object or array.
        params: Option<String>,
        #[command(flatten)]
        admin: rpc::AdminArgs,
    },
    /// CDF records (TS 32.260 CDRs): export as CSV or JSON lines.
    Cdf {
        #[command(flatten)]
        db: db::DbArgs,
        #[command(subcommand)]
        cmd: cdf::CdfCmd,
    },
}

#[derive(Debug, Subcommand)]
enum Diam {
    /// CER/CEA, DWR/DWA and DPR/DPA with round-trip times; exit 0 only on 2001.
    Ping {
        /// Peer address.
        addr: SocketAddr,
        #[command(flatten)]
        id: diameter::session::Identity,
    },
    /// Send one request described in TOML after CER/CEA and print the answer.
    Send {
        /// The message file.
        #[arg(long)]
        file: PathBuf,
        /// Peer address.
        addr: SocketAddr,
        #[command(flatten)]
        id: diameter::session::Identity,
    },
    /// Run a Diameter server node answering Cx requests (2001).
    Serve {
        #[command(flatten)]
        args: diameter::serve::ServeArgs,
    },
    /// Send requests through a diameter-net client node (state machine, watchdog, routing).
    Client {
        #[command(flatten)]
        args: diameter::client::ClientArgs,
    },
    /// Load: N Cx UARs over one connection, K in flight.
    Bench {
        /// Peer address.
        addr: SocketAddr,
        #[command(flatten)]
        id: diameter::session::Identity,
        #[command(flatten)]
        args: diameter::bench::BenchArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    role_kit::init_tracing(&std::env::var("IMSCTL_LOG").unwrap_or_else(|_| "warn".into()));
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("imsctl: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let r = rt.block_on(async {
        match cli.cmd {
            Top::Diameter { cmd } => match cmd {
                Diam::Ping { addr, id } => diameter::ping::run(addr, &id).await,
                Diam::Send { file, addr, id } => diameter::send::run(addr, &file, &id).await,
                Diam::Client { args } => diameter::client::run(&args).await,
                Diam::Serve { args } => diameter::serve::run(&args).await,
                Diam::Bench { addr, id, args } => diameter::bench::run(addr, &id, &args).await,
            },
            Top::Hss { db, json, cmd } => hss::run(cmd, &db, json).await,
            Top::Ocs { db, json, cmd } => ocs::run(cmd, &db, json).await,
            Top::Cdf { db, cmd } => cdf::run(cmd, &db).await,
            Top::Rpc {
                method,
                params,
                admin,
            } => rpc::run(&method, params.as_deref(), &admin).await,
        }
    });
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("imsctl: {e:#}");
            ExitCode::from(1)
        }
    }
}
