//! SQL registration store (SQLite and PostgreSQL through one SQL text).

use super::model::{flow_from_text, path_from_text, pn_from_text};
use super::{sort_for_expire, sort_for_lookup, Binding, BindingKey, RegistrationStore};
use crate::sql::{from_i64, to_i64, with_pool, SqlPool};
use crate::Result;

/// A [`RegistrationStore`] in SQLite or PostgreSQL (registrations survive a
/// restart, DESIGN.md §Principles 7).
#[derive(Debug, Clone)]
pub struct SqlRegistrationStore {
    pool: SqlPool,
}

impl SqlRegistrationStore {
    /// A store over an opened (migrated) pool.
    pub fn new(pool: SqlPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }
}

const COLS: &str = "aor, binding_key, contact, expires_at, q, instance, reg_id, path, call_id, \
                    cseq, flow, user_agent, pn, registered_at";

/// The columns of [`COLS`], in order.
type Row = (
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn from_row(r: Row) -> Result<Binding> {
    let (aor, _key, contact, exp, q, instance, reg_id, path, call_id, cseq, flow, ua, pn, reg) = r;
    Ok(Binding {
        aor,
        contact,
        expires_at: from_i64(exp, "expiry")?,
        q: from_i64(q, "q")?,
        instance,
        reg_id: reg_id.map(|r| from_i64(r, "reg-id")).transpose()?,
        path: path_from_text(&path)?,
        call_id,
        cseq: from_i64(cseq, "CSeq")?,
        received: flow.map(|f| flow_from_text(&f)).transpose()?,
        user_agent: ua,
        pn: pn.map(|p| pn_from_text(&p)).transpose()?,
        registered_at: from_i64(reg, "registration time")?,
    })
}

fn from_rows(rows: Vec<Row>) -> Result<Vec<Binding>> {
    rows.into_iter().map(from_row).collect()
}

#[async_trait::async_trait]
impl RegistrationStore for SqlRegistrationStore {
    async fn upsert(&self, b: &Binding) -> Result<()> {
        b.validate()?;
        let sql = format!(
            "INSERT INTO binding ({COLS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (aor, binding_key) DO UPDATE SET contact = excluded.contact, \
             expires_at = excluded.expires_at, q = excluded.q, instance = excluded.instance, \
             reg_id = excluded.reg_id, path = excluded.path, call_id = excluded.call_id, \
             cseq = excluded.cseq, flow = excluded.flow, user_agent = excluded.user_agent, \
             pn = excluded.pn, registered_at = excluded.registered_at"
        );
        let key = b.key().to_text();
        let path = b.path_text();
        let (flow, pn) = (b.flow_text(), b.pn_text());
        let expires = to_i64(b.expires_at, "expiry")?;
        let registered = to_i64(b.registered_at, "registration time")?;
        with_pool!(&self.pool, |p| {
            sqlx::query(&sql)
                .bind(b.aor.as_str())
                .bind(key.as_str())
                .bind(b.contact.as_str())
                .bind(expires)
                .bind(i64::from(b.q))
                .bind(b.instance.as_deref())
                .bind(b.reg_id.map(i64::from))
                .bind(path.as_str())
                .bind(b.call_id.as_str())
                .bind(i64::from(b.cseq))
                .bind(flow.as_deref())
                .bind(b.user_agent.as_deref())
                .bind(pn.as_deref())
                .bind(registered)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn remove(&self, aor: &str, key: &BindingKey) -> Result<bool> {
        let key = key.to_text();
        let n = with_pool!(&self.pool, |p| {
            sqlx::query("DELETE FROM binding WHERE aor = $1 AND binding_key = $2")
                .bind(aor)
                .bind(key.as_str())
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    async fn remove_aor(&self, aor: &str) -> Result<u64> {
        Ok(with_pool!(&self.pool, |p| {
            sqlx::query("DELETE FROM binding WHERE aor = $1")
                .bind(aor)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }

    async fn lookup(&self, aor: &str, now: u64) -> Result<Vec<Binding>> {
        let sql = format!("SELECT {COLS} FROM binding WHERE aor = $1 AND expires_at > $2");
        let now = to_i64(now, "time")?;
        let rows: Vec<Row> = with_pool!(&self.pool, |p| {
            sqlx::query_as(&sql)
                .bind(aor)
                .bind(now)
                .fetch_all(p)
                .await?
        });
        let mut list = from_rows(rows)?;
        sort_for_lookup(&mut list);
        Ok(list)
    }

    async fn expire(&self, now: u64) -> Result<Vec<Binding>> {
        // One statement: two nodes expiring at once never both get a row.
        let sql = format!("DELETE FROM binding WHERE expires_at <= $1 RETURNING {COLS}");
        let now = to_i64(now, "time")?;
        let rows: Vec<Row> = with_pool!(&self.pool, |p| {
            sqlx::query_as(&sql).bind(now).fetch_all(p).await?
        });
        let mut list = from_rows(rows)?;
        sort_for_expire(&mut list);
        Ok(list)
    }

    async fn all(&self) -> Result<Vec<Binding>> {
        let sql = format!("SELECT {COLS} FROM binding");
        let rows: Vec<Row> =
            with_pool!(&self.pool, |p| { sqlx::query_as(&sql).fetch_all(p).await? });
        let mut list = from_rows(rows)?;
        sort_for_expire(&mut list);
        Ok(list)
    }

    async fn count(&self, now: u64) -> Result<u64> {
        let now = to_i64(now, "time")?;
        let (n,): (i64,) = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT COUNT(*) FROM binding WHERE expires_at > $1")
                .bind(now)
                .fetch_one(p)
                .await?
        });
        from_i64(n, "count")
    }
}
