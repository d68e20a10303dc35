//! The SQL ledger: accounts (balances in micro-units), identities (Subscription-Id,
//! RFC 4006 §8.46), reservations per (Session-Id, Rating-Group), the debit journal and the
//! stored answers used to detect repeated requests (RFC 4006 §5.2, duplicate detection).
//!
//! The administration functions here are what `imsctl ocs` and the lab call.

mod pool;
pub(crate) mod tx;

use sqlx::Row;

pub use pool::LedgerOptions;
pub(crate) use pool::Pool;
pub(crate) use tx::LedgerTx;

use crate::error::OcsError;
use crate::identity::normalize_identity;
use tx::Journal;

/// An account's money, micro-units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub account_id: String,
    /// Balance (debits already taken).
    pub balance: i64,
    /// Sum of open reservations.
    pub reserved: i64,
    /// ISO 4217 Currency-Code (RFC 4006 §8.11).
    pub currency_code: u32,
}

impl Account {
    /// Balance not held by reservations.
    pub fn available(&self) -> i64 {
        self.balance.saturating_sub(self.reserved)
    }
}

/// Units and money held for one (Session-Id, Rating-Group) of a charging session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Session-Id.
    pub session_id: String,
    /// Rating-Group, or -1 for units outside Multiple-Services-Credit-Control.
    pub rating_group: i64,
    /// Service-Identifier, if the request named one.
    pub service_id: Option<i64>,
    /// Account charged.
    pub account_id: String,
    /// Tariff name.
    pub tariff: String,
    /// CC-Request-Number of the request that made this grant.
    pub request_number: i64,
    /// Units granted (seconds for time tariffs, events otherwise).
    pub granted_units: i64,
    /// Money held for the grant.
    pub amount: i64,
    /// Units used so far in the session.
    pub used_units: i64,
    /// Money debited so far in the session.
    pub charged: i64,
    /// Whether the grant carried Final-Unit-Indication.
    pub final_grant: bool,
    /// When the reservation is released if the session stays silent (Unix seconds).
    pub expires_at: i64,
}

/// One journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debit {
    /// Session-Id (none for top-ups).
    pub session_id: Option<String>,
    /// CC-Request-Number.
    pub request_number: Option<i64>,
    /// Units charged.
    pub units: i64,
    /// Amount: positive debit, negative credit.
    pub amount: i64,
    /// Why: `session`, `event`, `refund`, `top-up`.
    pub reason: String,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// The ledger (cheap to clone: a pool handle).
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) pool: Pool,
}

fn to_i64(v: u64, what: &str) -> Result<i64, OcsError> {
    i64::try_from(v).map_err(|_| OcsError::Invalid(format!("{what} {v} exceeds i64")))
}

impl Ledger {
    /// Connects and applies the ledger migrations.
    pub async fn open(options: &LedgerOptions) -> Result<Self, OcsError> {
        Ok(Self {
            pool: Pool::open(options).await?,
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin(&self) -> Result<LedgerTx, OcsError> {
        LedgerTx::begin(&self.pool).await
    }

    /// Creates an account with `balance` micro-units and its identities (SIP URIs, `tel:`
    /// URIs or E.164 numbers).
    pub async fn create_account(
        &self,
        account_id: &str,
        identities: &[&str],
        balance: i64,
        currency_code: u32,
    ) -> Result<(), OcsError> {
        if account_id.is_empty() || balance < 0 {
            return Err(OcsError::Invalid(
                "account id must be set and balance >= 0".into(),
            ));
        }
        let mut tx = self.begin().await?;
        let ins = "INSERT INTO ocs_account (account_id, balance, reserved, currency_code) \
                   VALUES ($1, $2, 0, $3) ON CONFLICT (account_id) DO NOTHING";
        let done = match &mut tx {
            LedgerTx::Sqlite(t) => sqlx::query(ins)
                .bind(account_id)
                .bind(balance)
                .bind(i64::from(currency_code))
                .execute(&mut **t)
                .await?
                .rows_affected(),
            LedgerTx::Postgres(t) => sqlx::query(ins)
                .bind(account_id)
                .bind(balance)
                .bind(i64::from(currency_code))
                .execute(&mut **t)
                .await?
                .rows_affected(),
        };
        if done == 0 {
            return Err(OcsError::Exists(account_id.to_owned()));
        }
        for id in identities {
            add_identity(&mut tx, account_id, id).await?;
        }
        tx.commit().await
    }

    /// Adds an identity to an existing account.
    pub async fn add_identity(&self, account_id: &str, identity: &str) -> Result<(), OcsError> {
        let mut tx = self.begin().await?;
        tx.lock_account(account_id).await?;
        add_identity(&mut tx, account_id, identity).await?;
        tx.commit().await
    }

    /// The account an identity (any accepted syntax) belongs to.
    pub async fn account_for(&self, identity: &str) -> Result<Option<String>, OcsError> {
        let norm = normalize_identity(identity);
        let sql = "SELECT account_id FROM ocs_identity WHERE identity = $1";
        Ok(match &self.pool {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).bind(norm).fetch_optional(p).await?,
            Pool::Postgres(p) => sqlx::query_scalar(sql).bind(norm).fetch_optional(p).await?,
        })
    }

    /// Adds `amount` (> 0) micro-units, journalled as a credit; returns the account after.
    pub async fn top_up(
        &self,
        account_id: &str,
        amount: u64,
        now: u64,
    ) -> Result<Account, OcsError> {
        let amount = to_i64(amount, "amount")?;
        if amount == 0 {
            return Err(OcsError::Invalid("top-up amount must be > 0".into()));
        }
        let mut tx = self.begin().await?;
        let mut acct = tx.lock_account(account_id).await?;
        acct.balance = acct
            .balance
            .checked_add(amount)
            .ok_or_else(|| OcsError::Invalid("balance overflow".into()))?;
        tx.adjust(account_id, amount, 0).await?;
        tx.journal(&Journal {
            account_id,
            session_id: None,
            request_number: None,
            rating_group: None,
            units: 0,
            amount: -amount,
            reason: "top-up",
            created_at: to_i64(now, "now")?,
        })
        .await?;
        tx.commit().await?;
        Ok(acct)
    }

    /// The account's balance and reservations total.
    pub async fn balance(&self, account_id: &str) -> Result<Account, OcsError> {
        let sql = "SELECT balance, reserved, currency_code FROM ocs_account WHERE account_id = $1";
        let row: Option<(i64, i64, i64)> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(sql)
                    .bind(account_id)
                    .fetch_optional(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sql)
                    .bind(account_id)
                    .fetch_optional(p)
                    .await?
            }
        };
        let (balance, reserved, currency) =
            row.ok_or_else(|| OcsError::UnknownAccount(account_id.to_owned()))?;
        Ok(Account {
            account_id: account_id.to_owned(),
            balance,
            reserved,
            currency_code: u32::try_from(currency)
                .map_err(|_| OcsError::Corrupt(format!("currency {currency}")))?,
        })
    }

    /// The account's open reservations.
    pub async fn reservations(&self, account_id: &str) -> Result<Vec<Reservation>, OcsError> {
        let sql =
            "SELECT session_id, rating_group, service_id, account_id, tariff, request_number, \
                   granted_units, amount, used_units, charged, final_grant, expires_at \
                   FROM ocs_reservation WHERE account_id = $1 ORDER BY session_id, rating_group";
        macro_rules! rows {
            ($p:expr) => {{
                let rows = sqlx::query(sql).bind(account_id).fetch_all($p).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(Reservation {
                        session_id: r.try_get(0)?,
                        rating_group: r.try_get(1)?,
                        service_id: r.try_get(2)?,
                        account_id: r.try_get(3)?,
                        tariff: r.try_get(4)?,
                        request_number: r.try_get(5)?,
                        granted_units: r.try_get(6)?,
                        amount: r.try_get(7)?,
                        used_units: r.try_get(8)?,
                        charged: r.try_get(9)?,
                        final_grant: r.try_get(10)?,
                        expires_at: r.try_get(11)?,
                    });
                }
                out
            }};
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => rows!(p),
            Pool::Postgres(p) => rows!(p),
        })
    }

    /// The account's journal, oldest first.
    pub async fn debits(&self, account_id: &str) -> Result<Vec<Debit>, OcsError> {
        let sql = "SELECT session_id, request_number, units, amount, reason, created_at \
                   FROM ocs_debit WHERE account_id = $1 ORDER BY id";
        macro_rules! rows {
            ($p:expr) => {{
                let rows = sqlx::query(sql).bind(account_id).fetch_all($p).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(Debit {
                        session_id: r.try_get(0)?,
                        request_number: r.try_get(1)?,
                        units: r.try_get(2)?,
                        amount: r.try_get(3)?,
                        reason: r.try_get(4)?,
                        created_at: r.try_get(5)?,
                    });
                }
                out
            }};
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => rows!(p),
            Pool::Postgres(p) => rows!(p),
        })
    }

    /// Releases every reservation expired at `now` (server-side Tcc, RFC 4006 §13: the
    /// session is over, its units go back to the balance) and forgets stored answers older
    /// than `answer_retention` seconds. Returns how many reservations were released.
    pub async fn sweep(&self, now: u64, answer_retention: u64) -> Result<usize, OcsError> {
        let now = to_i64(now, "now")?;
        let sql = "SELECT session_id, rating_group, account_id FROM ocs_reservation \
                   WHERE expires_at <= $1";
        let expired: Vec<(String, i64, String)> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_as(sql).bind(now).fetch_all(p).await?,
            Pool::Postgres(p) => sqlx::query_as(sql).bind(now).fetch_all(p).await?,
        };
        let mut released = 0;
        for (session_id, rating_group, account_id) in expired {
            let mut tx = self.begin().await?;
            tx.lock_account(&account_id).await?;
            if let Some(amount) = tx
                .delete_reservation(&session_id, rating_group, Some(now))
                .await?
            {
                tx.adjust(&account_id, 0, -amount).await?;
                released += 1;
            }
            tx.commit().await?;
        }
        let cutoff = now.saturating_sub(to_i64(answer_retention, "retention")?);
        let sql = "DELETE FROM ocs_answer WHERE created_at < $1";
        match &self.pool {
            Pool::Sqlite(p) => sqlx::query(sql)
                .bind(cutoff)
                .execute(p)
                .await?
                .rows_affected(),
            Pool::Postgres(p) => sqlx::query(sql)
                .bind(cutoff)
                .execute(p)
                .await?
                .rows_affected(),
        };
        Ok(released)
    }
}

async fn add_identity(tx: &mut LedgerTx, account_id: &str, identity: &str) -> Result<(), OcsError> {
    let norm = normalize_identity(identity);
    if norm.is_empty() {
        return Err(OcsError::Invalid(format!("identity {identity:?}")));
    }
    let sql = "INSERT INTO ocs_identity (identity, account_id) VALUES ($1, $2) \
               ON CONFLICT (identity) DO NOTHING";
    let done = match tx {
        LedgerTx::Sqlite(t) => sqlx::query(sql)
            .bind(&norm)
            .bind(account_id)
            .execute(&mut **t)
            .await?
            .rows_affected(),
        LedgerTx::Postgres(t) => sqlx::query(sql)
            .bind(&norm)
            .bind(account_id)
            .execute(&mut **t)
            .await?
            .rows_affected(),
    };
    if done == 0 {
        return Err(OcsError::Exists(norm));
    }
    Ok(())
}
