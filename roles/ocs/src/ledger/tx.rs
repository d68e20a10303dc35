//! One ledger transaction: every balance or reservation change of a request, its journal rows
//! and its stored answer commit together or not at all.
//!
//! The account row is locked first (`BEGIN IMMEDIATE` on SQLite, `SELECT .. FOR UPDATE` on
//! PostgreSQL), so concurrent requests on one account are serialised and never overdraw.

use sqlx::{Postgres, Row, Sqlite, Transaction};

use super::pool::Pool;
use super::{Account, Reservation};
use crate::error::OcsError;

/// An open transaction on either engine.
#[derive(Debug)]
pub(crate) enum LedgerTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the connection of the open transaction.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            LedgerTx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            LedgerTx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

const RESERVATION_COLUMNS: &str = "session_id, rating_group, service_id, account_id, tariff, \
     request_number, granted_units, amount, used_units, charged, final_grant, expires_at";

fn reservation_from<R: Row>(row: &R) -> Result<Reservation, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Reservation {
        session_id: row.try_get("session_id")?,
        rating_group: row.try_get("rating_group")?,
        service_id: row.try_get("service_id")?,
        account_id: row.try_get("account_id")?,
        tariff: row.try_get("tariff")?,
        request_number: row.try_get("request_number")?,
        granted_units: row.try_get("granted_units")?,
        amount: row.try_get("amount")?,
        used_units: row.try_get("used_units")?,
        charged: row.try_get("charged")?,
        final_grant: row.try_get("final_grant")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// A journal row to write.
#[derive(Debug, Clone)]
pub(crate) struct Journal<'a> {
    pub account_id: &'a str,
    pub session_id: Option<&'a str>,
    pub request_number: Option<i64>,
    pub rating_group: Option<i64>,
    pub units: i64,
    pub amount: i64,
    pub reason: &'a str,
    pub created_at: i64,
}

impl LedgerTx {
    /// Begins a write transaction.
    pub(crate) async fn begin(pool: &Pool) -> Result<Self, OcsError> {
        Ok(match pool {
            Pool::Sqlite(p) => Self::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Self::Postgres(p.begin().await?),
        })
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), OcsError> {
        match self {
            Self::Sqlite(t) => t.commit().await?,
            Self::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// The account an identity belongs to.
    pub(crate) async fn account_of(&mut self, identity: &str) -> Result<Option<String>, OcsError> {
        let sql = "SELECT account_id FROM ocs_identity WHERE identity = $1";
        Ok(on_tx!(self, |c| sqlx::query_scalar(sql)
            .bind(identity)
            .fetch_optional(c)
            .await?))
    }

    /// Locks and reads the account row.
    pub(crate) async fn lock_account(&mut self, account_id: &str) -> Result<Account, OcsError> {
        let row = match self {
            Self::Sqlite(t) => sqlx::query(
                "SELECT balance, reserved, currency_code FROM ocs_account WHERE account_id = $1",
            )
            .bind(account_id)
            .fetch_optional(&mut **t)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get::<i64, _>(2)?)))
            .transpose()?,
            Self::Postgres(t) => sqlx::query(
                "SELECT balance, reserved, currency_code FROM ocs_account WHERE account_id = $1 \
                 FOR UPDATE",
            )
            .bind(account_id)
            .fetch_optional(&mut **t)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get::<i64, _>(2)?)))
            .transpose()?,
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

    /// Adds `balance_delta` to the balance and `reserved_delta` to the reserved amount.
    pub(crate) async fn adjust(
        &mut self,
        account_id: &str,
        balance_delta: i64,
        reserved_delta: i64,
    ) -> Result<(), OcsError> {
        if balance_delta == 0 && reserved_delta == 0 {
            return Ok(());
        }
        let sql = "UPDATE ocs_account SET balance = balance + $1, reserved = reserved + $2 \
                   WHERE account_id = $3";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(balance_delta)
            .bind(reserved_delta)
            .bind(account_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// A stored answer to (Session-Id, CC-Request-Number).
    pub(crate) async fn stored_answer(
        &mut self,
        session_id: &str,
        request_number: i64,
    ) -> Result<Option<Vec<u8>>, OcsError> {
        let sql = "SELECT answer FROM ocs_answer WHERE session_id = $1 AND request_number = $2";
        Ok(on_tx!(self, |c| sqlx::query_scalar(sql)
            .bind(session_id)
            .bind(request_number)
            .fetch_optional(c)
            .await?))
    }

    /// Stores the answer to (Session-Id, CC-Request-Number).
    pub(crate) async fn store_answer(
        &mut self,
        session_id: &str,
        request_number: i64,
        answer: &[u8],
        now: i64,
    ) -> Result<(), OcsError> {
        let sql = "INSERT INTO ocs_answer (session_id, request_number, answer, created_at) \
                   VALUES ($1, $2, $3, $4)";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(session_id)
            .bind(request_number)
            .bind(answer)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The account of a session's first reservation.
    pub(crate) async fn session_account(
        &mut self,
        session_id: &str,
    ) -> Result<Option<String>, OcsError> {
        let sql = "SELECT account_id FROM ocs_reservation WHERE session_id = $1 LIMIT 1";
        Ok(on_tx!(self, |c| sqlx::query_scalar(sql)
            .bind(session_id)
            .fetch_optional(c)
            .await?))
    }

    /// Every reservation of a session.
    pub(crate) async fn session_reservations(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<Reservation>, OcsError> {
        let sql =
            format!("SELECT {RESERVATION_COLUMNS} FROM ocs_reservation WHERE session_id = $1");
        let rows = on_tx!(self, |c| {
            let rows = sqlx::query(&sql).bind(session_id).fetch_all(c).await?;
            rows.iter()
                .map(reservation_from)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Inserts or replaces a reservation.
    pub(crate) async fn put_reservation(&mut self, r: &Reservation) -> Result<(), OcsError> {
        let sql = format!(
            "INSERT INTO ocs_reservation ({RESERVATION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (session_id, rating_group) DO UPDATE SET \
             service_id = excluded.service_id, tariff = excluded.tariff, \
             request_number = excluded.request_number, granted_units = excluded.granted_units, \
             amount = excluded.amount, used_units = excluded.used_units, \
             charged = excluded.charged, final_grant = excluded.final_grant, \
             expires_at = excluded.expires_at"
        );
        on_tx!(self, |c| sqlx::query(&sql)
            .bind(&r.session_id)
            .bind(r.rating_group)
            .bind(r.service_id)
            .bind(&r.account_id)
            .bind(&r.tariff)
            .bind(r.request_number)
            .bind(r.granted_units)
            .bind(r.amount)
            .bind(r.used_units)
            .bind(r.charged)
            .bind(r.final_grant)
            .bind(r.expires_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Deletes a reservation; returns the amount it held (`None` if it was gone, or
    /// if `expired_by` is set and it has not expired by then).
    pub(crate) async fn delete_reservation(
        &mut self,
        session_id: &str,
        rating_group: i64,
        expired_by: Option<i64>,
    ) -> Result<Option<i64>, OcsError> {
        let sql = "DELETE FROM ocs_reservation WHERE session_id = $1 AND rating_group = $2 \
                   AND expires_at <= $3 RETURNING amount";
        Ok(on_tx!(self, |c| sqlx::query_scalar(sql)
            .bind(session_id)
            .bind(rating_group)
            .bind(expired_by.unwrap_or(i64::MAX))
            .fetch_optional(c)
            .await?))
    }

    /// Appends a journal row (debit > 0, credit < 0).
    pub(crate) async fn journal(&mut self, j: &Journal<'_>) -> Result<(), OcsError> {
        let sql = "INSERT INTO ocs_debit (account_id, session_id, request_number, rating_group, \
                   units, amount, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_tx!(self, |c| sqlx::query(sql)
            .bind(j.account_id)
            .bind(j.session_id)
            .bind(j.request_number)
            .bind(j.rating_group)
            .bind(j.units)
            .bind(j.amount)
            .bind(j.reason)
            .bind(j.created_at)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}
