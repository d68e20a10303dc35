//! `imsctl ocs ...`: accounts, top-ups, balances and reservations of the OCS ledger
//! (RFC 4006, TS 32.299 Ro) through `ims_ocs::Ledger`, while the OCS runs. Money is in
//! integer micro-units of the account's currency, as the ledger keeps it.

use anyhow::Context;
use clap::Subcommand;
use ims_ocs::{Account, Ledger, LedgerOptions, OcsError};

use crate::db::DbArgs;
use crate::text::{Json, Table};

/// `[store] url` of roles/config/ocs.toml.
pub(crate) const DEFAULT_DB: &str = "sqlite:./ims-lab-data/ocs.db";

/// `currency_code` of roles/config/ocs.toml: EUR.
const DEFAULT_CURRENCY: u32 = 978;

/// `imsctl ocs` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum OcsCmd {
    /// Accounts.
    Account {
        #[command(subcommand)]
        cmd: AccountCmd,
    },
    /// Credit an account (journalled as a top-up).
    Topup {
        /// Account id.
        id: String,
        /// Micro-units to add (> 0).
        amount: u64,
    },
    /// Balance, reserved and available money of an account (id or identity).
    Show {
        /// Account id, or an identity (sip: URI, tel: URI, E.164 number) of the account.
        id: String,
    },
    /// Open reservations (one per Session-Id and Rating-Group) of an account.
    Reservations {
        /// Account id or identity.
        id: String,
    },
    /// The debit journal of an account, oldest first.
    Journal {
        /// Account id or identity.
        id: String,
    },
}

/// `imsctl ocs account` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum AccountCmd {
    /// Create an account with its identities and opening balance.
    Create {
        /// Account id.
        id: String,
        /// Subscription-Id charged to the account: sip: URI, tel: URI or E.164 number
        /// (RFC 4006 §8.46; repeat for more).
        #[arg(long = "identity")]
        identities: Vec<String>,
        /// Opening balance, micro-units.
        #[arg(long, default_value_t = 0)]
        balance: u64,
        /// ISO 4217 currency: numeric code (978) or EUR, USD, GBP, CHF, SEK, JPY.
        #[arg(long, default_value = "978")]
        currency: String,
    },
    /// Add an identity to an account.
    AddIdentity {
        /// Account id.
        id: String,
        /// The identity.
        identity: String,
    },
}

/// Runs one `imsctl ocs` command.
pub(crate) async fn run(cmd: OcsCmd, db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let creates = matches!(cmd, OcsCmd::Account { .. } | OcsCmd::Topup { .. });
    let ledger = open(db, creates).await?;
    let r = exec(&ledger, cmd, json).await;
    ledger.close().await;
    r
}

async fn open(db: &DbArgs, create: bool) -> anyhow::Result<Ledger> {
    let target = db.target(DEFAULT_DB)?;
    target.prepare(create)?;
    let mut options = LedgerOptions::new(target.url.clone());
    options.max_connections = 2;
    if let Some(s) = target.schema {
        options = options.with_schema(s);
    }
    Ledger::open(&options)
        .await
        .with_context(|| format!("opening the OCS ledger {}", target.url))
}

async fn exec(ledger: &Ledger, cmd: OcsCmd, json: bool) -> anyhow::Result<()> {
    match cmd {
        OcsCmd::Account {
            cmd:
                AccountCmd::Create {
                    id,
                    identities,
                    balance,
                    currency,
                },
        } => {
            let currency = currency_code(&currency)?;
            let balance = i64::try_from(balance).context("balance out of range")?;
            let ids: Vec<&str> = identities.iter().map(String::as_str).collect();
            ledger.create_account(&id, &ids, balance, currency).await?;
            print_account(&ledger.balance(&id).await?, json);
        }
        OcsCmd::Account {
            cmd: AccountCmd::AddIdentity { id, identity },
        } => {
            ledger.add_identity(&id, &identity).await?;
            if json {
                println!(
                    "{}",
                    Json::Obj(vec![
                        ("account_id", Json::str(&id)),
                        ("identity", Json::str(&identity)),
                    ])
                );
            } else {
                println!("{identity} now charges account {id}");
            }
        }
        OcsCmd::Topup { id, amount } => {
            let account = ledger.top_up(&id, amount, unix_now()).await?;
            print_account(&account, json);
        }
        OcsCmd::Show { id } => {
            let id = resolve(ledger, &id).await?;
            print_account(&ledger.balance(&id).await?, json);
        }
        OcsCmd::Reservations { id } => {
            let id = resolve(ledger, &id).await?;
            let list = ledger.reservations(&id).await?;
            if json {
                let items = list.iter().map(|r| {
                    Json::Obj(vec![
                        ("session_id", Json::str(&r.session_id)),
                        ("rating_group", Json::Int(r.rating_group)),
                        ("service_id", r.service_id.map_or(Json::Null, Json::Int)),
                        ("tariff", Json::str(&r.tariff)),
                        ("request_number", Json::Int(r.request_number)),
                        ("granted_units", Json::Int(r.granted_units)),
                        ("amount", Json::Int(r.amount)),
                        ("used_units", Json::Int(r.used_units)),
                        ("charged", Json::Int(r.charged)),
                        ("final_grant", Json::Bool(r.final_grant)),
                        ("expires_at", Json::Int(r.expires_at)),
                    ])
                });
                println!("{}", Json::Arr(items.collect()));
            } else {
                let mut t = Table::new(&[
                    "SESSION-ID",
                    "RG",
                    "TARIFF",
                    "GRANTED",
                    "HELD",
                    "USED",
                    "CHARGED",
                    "FINAL",
                    "EXPIRES",
                ]);
                for r in &list {
                    t.row(vec![
                        r.session_id.clone(),
                        r.rating_group.to_string(),
                        r.tariff.clone(),
                        r.granted_units.to_string(),
                        r.amount.to_string(),
                        r.used_units.to_string(),
                        r.charged.to_string(),
                        if r.final_grant { "yes" } else { "no" }.to_owned(),
                        r.expires_at.to_string(),
                    ]);
                }
                print!("{t}");
            }
        }
        OcsCmd::Journal { id } => {
            let id = resolve(ledger, &id).await?;
            let list = ledger.debits(&id).await?;
            if json {
                let items = list.iter().map(|d| {
                    Json::Obj(vec![
                        ("session_id", Json::opt_str(d.session_id.as_deref())),
                        (
                            "request_number",
                            d.request_number.map_or(Json::Null, Json::Int),
                        ),
                        ("units", Json::Int(d.units)),
                        ("amount", Json::Int(d.amount)),
                        ("reason", Json::str(&d.reason)),
                        ("created_at", Json::Int(d.created_at)),
                    ])
                });
                println!("{}", Json::Arr(items.collect()));
            } else {
                let mut t = Table::new(&["TIME", "REASON", "AMOUNT", "UNITS", "SESSION-ID"]);
                for d in &list {
                    t.row(vec![
                        d.created_at.to_string(),
                        d.reason.clone(),
                        d.amount.to_string(),
                        d.units.to_string(),
                        d.session_id.clone().unwrap_or_else(|| "-".to_owned()),
                    ]);
                }
                print!("{t}");
            }
        }
    }
    Ok(())
}

/// An account id as given, else the account of that identity.
async fn resolve(ledger: &Ledger, id: &str) -> anyhow::Result<String> {
    match ledger.balance(id).await {
        Ok(_) => Ok(id.to_owned()),
        Err(OcsError::UnknownAccount(_)) => match ledger.account_for(id).await? {
            Some(account) => Ok(account),
            None => Err(OcsError::UnknownAccount(id.to_owned()).into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// An ISO 4217 numeric code, or one of a few alphabetic codes.
fn currency_code(s: &str) -> anyhow::Result<u32> {
    if let Ok(n) = s.parse::<u32>() {
        if n <= 999 {
            return Ok(n);
        }
    }
    let code = match s.to_ascii_uppercase().as_str() {
        "EUR" => DEFAULT_CURRENCY,
        "USD" => 840,
        "GBP" => 826,
        "CHF" => 756,
        "SEK" => 752,
        "JPY" => 392,
        _ => anyhow::bail!("currency {s:?}: give the ISO 4217 numeric code (e.g. 978)"),
    };
    Ok(code)
}

/// Micro-units as a decimal amount, `12.500000`.
fn decimal(micro: i64) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.unsigned_abs();
    format!("{sign}{}.{:06}", m / 1_000_000, m % 1_000_000)
}

fn print_account(a: &Account, json: bool) {
    if json {
        println!(
            "{}",
            Json::Obj(vec![
                ("account_id", Json::str(&a.account_id)),
                ("currency_code", Json::Int(i64::from(a.currency_code))),
                ("balance", Json::Int(a.balance)),
                ("reserved", Json::Int(a.reserved)),
                ("available", Json::Int(a.available())),
            ])
        );
        return;
    }
    let mut t = Table::default();
    let mut line = |k: &str, v: String, d: String| t.row(vec![k.to_owned(), v, d]);
    line("account", a.account_id.clone(), String::new());
    line("currency", a.currency_code.to_string(), String::new());
    for (k, v) in [
        ("balance", a.balance),
        ("reserved", a.reserved),
        ("available", a.available()),
    ] {
        line(k, v.to_string(), format!("({})", decimal(v)));
    }
    print!("{t}");
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_and_decimals() {
        assert_eq!(currency_code("978").ok(), Some(978));
        assert_eq!(currency_code("usd").ok(), Some(840));
        assert!(currency_code("XYZ").is_err());
        assert!(currency_code("1000").is_err());
        assert_eq!(decimal(12_500_000), "12.500000");
        assert_eq!(decimal(-5), "-0.000005");
    }
}
