//! SQL subscriber store (SQLite and PostgreSQL through one SQL text).

use std::collections::BTreeSet;

use super::model::{schemes_from_text, schemes_to_text, SQN_MAX};
use super::wildcard::Pattern;
use super::{
    AssignOutcome, IdentityType, ImpuRegistration, OpKind, PrivateIdentity, PublicIdentity,
    RegistrationState, ScscfCapabilities, ServiceProfile, SubscriberStore,
};
use crate::sql::{from_i64, to_i64, with_pool, SqlPool};
use crate::{Result, StoreError};

/// A [`SubscriberStore`] in SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlSubscriberStore {
    pool: SqlPool,
}

impl SqlSubscriberStore {
    /// A store over an opened (migrated) pool.
    pub fn new(pool: SqlPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &SqlPool {
        &self.pool
    }
}

/// impi, auth_schemes, k, op, op_is_opc, amf, sqn, digest_password,
/// digest_ha1, realm
type PrivRow = (
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    bool,
    Vec<u8>,
    i64,
    Option<String>,
    Option<String>,
    String,
);

const PRIV_COLS: &str = "impi, auth_schemes, k, op, op_is_opc, amf, sqn, digest_password, \
                         digest_ha1, realm";

/// impu, barred, identity_type, wildcard_pattern, implicit_set,
/// service_profile, display_name, linked impi (LEFT JOIN, one row per link)
type PubRow = (
    String,
    bool,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

const PUB_SELECT: &str = "SELECT p.impu, p.barred, p.identity_type, p.wildcard_pattern, \
     p.implicit_set, p.service_profile, p.display_name, l.impi \
     FROM public_identity p LEFT JOIN impu_impi l ON l.impu = p.impu";

fn fixed<const N: usize>(v: &[u8], what: &str) -> Result<[u8; N]> {
    <[u8; N]>::try_from(v)
        .map_err(|_| StoreError::invalid(format!("stored {what} has {} bytes", v.len())))
}

fn private_from_row(r: PrivRow) -> Result<PrivateIdentity> {
    let (impi, schemes, k, op, is_opc, amf, sqn, password, ha1, realm) = r;
    let op_bytes = fixed::<16>(&op, "OP")?;
    Ok(PrivateIdentity {
        auth_schemes: schemes_from_text(&schemes)?,
        k: fixed::<16>(&k, "K")?,
        op: if is_opc {
            OpKind::Opc(op_bytes)
        } else {
            OpKind::Op(op_bytes)
        },
        amf: fixed::<2>(&amf, "AMF")?,
        sqn: from_i64(sqn, "SQN")?,
        digest_password: password,
        digest_ha1: ha1,
        realm,
        impi,
    })
}

/// Folds LEFT JOIN rows (ordered by impu, impi) into identities.
fn publics_from_rows(rows: Vec<PubRow>) -> Result<Vec<PublicIdentity>> {
    let mut out: Vec<PublicIdentity> = Vec::new();
    for (impu, barred, code, pattern, set, profile, display, impi) in rows {
        if let Some(last) = out.last_mut().filter(|p| p.impu == impu) {
            last.impis.extend(impi);
            continue;
        }
        out.push(PublicIdentity {
            impu,
            impis: impi.into_iter().collect(),
            barred,
            identity_type: IdentityType::from_code(code, pattern)?,
            implicit_set: set,
            service_profile: profile,
            display_name: display,
        });
    }
    Ok(out)
}

fn caps_to_text(caps: &[u32]) -> String {
    caps.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn caps_from_text(text: &str) -> Result<Vec<u32>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| StoreError::invalid(format!("stored capability {s:?}")))
        })
        .collect()
}

impl SqlSubscriberStore {
    async fn publics(&self, sql: &str, key: &str) -> Result<Vec<PublicIdentity>> {
        let rows: Vec<PubRow> = with_pool!(&self.pool, |p| {
            sqlx::query_as(sql).bind(key).fetch_all(p).await?
        });
        publics_from_rows(rows)
    }

    async fn private_exists(&self, impi: &str) -> Result<bool> {
        let n: Option<(String,)> = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT impi FROM private_identity WHERE impi = $1")
                .bind(impi)
                .fetch_optional(p)
                .await?
        });
        Ok(n.is_some())
    }

    async fn public_exists(&self, impu: &str) -> Result<bool> {
        let n: Option<(String,)> = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT impu FROM public_identity WHERE impu = $1")
                .bind(impu)
                .fetch_optional(p)
                .await?
        });
        Ok(n.is_some())
    }
}

const UPSERT_REGISTRATION: &str = "INSERT INTO impu_registration \
     (impu, state, scscf_name, origin_host) \
     SELECT impu, $2, $3, $4 FROM public_identity WHERE impu = $1 \
     ON CONFLICT (impu) DO UPDATE SET state = excluded.state, \
     scscf_name = excluded.scscf_name, origin_host = excluded.origin_host";

#[async_trait::async_trait]
impl SubscriberStore for SqlSubscriberStore {
    async fn put_private(&self, id: &PrivateIdentity) -> Result<()> {
        if id.sqn > SQN_MAX {
            return Err(StoreError::invalid("SQN exceeds 48 bits"));
        }
        let sql = format!(
            "INSERT INTO private_identity ({PRIV_COLS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (impi) DO UPDATE SET auth_schemes = excluded.auth_schemes, \
             k = excluded.k, op = excluded.op, op_is_opc = excluded.op_is_opc, \
             amf = excluded.amf, sqn = excluded.sqn, \
             digest_password = excluded.digest_password, digest_ha1 = excluded.digest_ha1, \
             realm = excluded.realm"
        );
        let schemes = schemes_to_text(&id.auth_schemes);
        let sqn = to_i64(id.sqn, "SQN")?;
        with_pool!(&self.pool, |p| {
            sqlx::query(&sql)
                .bind(id.impi.as_str())
                .bind(schemes.as_str())
                .bind(&id.k[..])
                .bind(&id.op.bytes()[..])
                .bind(id.op.is_opc())
                .bind(&id.amf[..])
                .bind(sqn)
                .bind(id.digest_password.as_deref())
                .bind(id.digest_ha1.as_deref())
                .bind(id.realm.as_str())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn get_private(&self, impi: &str) -> Result<Option<PrivateIdentity>> {
        let sql = format!("SELECT {PRIV_COLS} FROM private_identity WHERE impi = $1");
        let row: Option<PrivRow> = with_pool!(&self.pool, |p| {
            sqlx::query_as(&sql).bind(impi).fetch_optional(p).await?
        });
        row.map(private_from_row).transpose()
    }

    async fn delete_private(&self, impi: &str) -> Result<bool> {
        let n = with_pool!(&self.pool, |p| {
            sqlx::query("DELETE FROM private_identity WHERE impi = $1")
                .bind(impi)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    async fn put_public(&self, id: &PublicIdentity) -> Result<()> {
        if let Some(p) = id.identity_type.pattern() {
            Pattern::compile(p)?;
        }
        let impis: BTreeSet<&str> = id.impis.iter().map(String::as_str).collect();
        let code = id.identity_type.code();
        let pattern = id.identity_type.pattern();
        let missing: Option<String> = with_pool!(&self.pool, |p| {
            // The first statement writes, so a SQLite transaction takes the
            // write lock at once (no deferred-upgrade SQLITE_BUSY).
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO public_identity (impu, barred, identity_type, wildcard_pattern, \
                 implicit_set, service_profile, display_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (impu) DO UPDATE SET barred = excluded.barred, \
                 identity_type = excluded.identity_type, \
                 wildcard_pattern = excluded.wildcard_pattern, \
                 implicit_set = excluded.implicit_set, \
                 service_profile = excluded.service_profile, \
                 display_name = excluded.display_name",
            )
            .bind(id.impu.as_str())
            .bind(id.barred)
            .bind(code)
            .bind(pattern)
            .bind(id.implicit_set.as_str())
            .bind(id.service_profile.as_str())
            .bind(id.display_name.as_deref())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM impu_impi WHERE impu = $1")
                .bind(id.impu.as_str())
                .execute(&mut *tx)
                .await?;
            let mut missing = None;
            for impi in &impis {
                let n = sqlx::query(
                    "INSERT INTO impu_impi (impu, impi) \
                     SELECT $1, impi FROM private_identity WHERE impi = $2",
                )
                .bind(id.impu.as_str())
                .bind(*impi)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    missing = Some((*impi).to_owned());
                    break;
                }
            }
            if missing.is_none() {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            missing
        });
        match missing {
            Some(impi) => Err(StoreError::not_found("private identity", &impi)),
            None => Ok(()),
        }
    }

    async fn delete_public(&self, impu: &str) -> Result<bool> {
        let n = with_pool!(&self.pool, |p| {
            sqlx::query("DELETE FROM public_identity WHERE impu = $1")
                .bind(impu)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    async fn public_identities_of(&self, impi: &str) -> Result<Vec<PublicIdentity>> {
        let sql = format!(
            "{PUB_SELECT} WHERE p.impu IN (SELECT impu FROM impu_impi WHERE impi = $1) \
             ORDER BY p.impu, l.impi"
        );
        self.publics(&sql, impi).await
    }

    async fn find_public(&self, impu: &str) -> Result<Option<PublicIdentity>> {
        let exact = format!("{PUB_SELECT} WHERE p.impu = $1 ORDER BY p.impu, l.impi");
        if let Some(found) = self.publics(&exact, impu).await?.into_iter().next() {
            return Ok(Some(found));
        }
        // Wildcarded PSIs are few; their patterns are matched here rather
        // than with engine-specific regular expressions.
        let wild = format!(
            "{PUB_SELECT} WHERE p.identity_type = 2 AND p.impu <> $1 ORDER BY p.impu, l.impi"
        );
        for p in self.publics(&wild, impu).await? {
            if let Some(pattern) = p.identity_type.pattern() {
                if Pattern::compile(pattern)?.is_match(impu) {
                    return Ok(Some(p));
                }
            }
        }
        Ok(None)
    }

    async fn implicit_set(&self, impu: &str) -> Result<Vec<PublicIdentity>> {
        let sql = format!(
            "{PUB_SELECT} WHERE p.implicit_set = \
             (SELECT implicit_set FROM public_identity WHERE impu = $1) \
             ORDER BY p.impu, l.impi"
        );
        self.publics(&sql, impu).await
    }

    async fn put_service_profile(&self, profile: &ServiceProfile) -> Result<()> {
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "INSERT INTO service_profile (id, ifc_xml) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET ifc_xml = excluded.ifc_xml",
            )
            .bind(profile.id.as_str())
            .bind(profile.ifc_xml.as_str())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn get_service_profile(&self, id: &str) -> Result<Option<ServiceProfile>> {
        let row: Option<(String, String)> = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT id, ifc_xml FROM service_profile WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(id, ifc_xml)| ServiceProfile { id, ifc_xml }))
    }

    async fn next_sqn(&self, impi: &str, step: u64) -> Result<u64> {
        let exhausted = || StoreError::SqnExhausted {
            impi: impi.to_owned(),
        };
        let limit = SQN_MAX.checked_sub(step).ok_or_else(exhausted)?;
        let (step, limit) = (to_i64(step, "SQN step")?, to_i64(limit, "SQN")?);
        // One statement: the row lock (PostgreSQL) or the database write
        // lock (SQLite) serialises concurrent callers.
        let row: Option<(i64,)> = with_pool!(&self.pool, |p| {
            sqlx::query_as(
                "UPDATE private_identity SET sqn = sqn + $2 \
                 WHERE impi = $1 AND sqn <= $3 RETURNING sqn",
            )
            .bind(impi)
            .bind(step)
            .bind(limit)
            .fetch_optional(p)
            .await?
        });
        match row {
            Some((sqn,)) => from_i64(sqn, "SQN"),
            None if self.private_exists(impi).await? => Err(exhausted()),
            None => Err(StoreError::not_found("private identity", impi)),
        }
    }

    async fn set_sqn(&self, impi: &str, sqn: u64) -> Result<()> {
        if sqn > SQN_MAX {
            return Err(StoreError::invalid("SQN exceeds 48 bits"));
        }
        let sqn = to_i64(sqn, "SQN")?;
        let n = with_pool!(&self.pool, |p| {
            sqlx::query("UPDATE private_identity SET sqn = $2 WHERE impi = $1")
                .bind(impi)
                .bind(sqn)
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::not_found("private identity", impi));
        }
        Ok(())
    }

    async fn registration(&self, impu: &str) -> Result<ImpuRegistration> {
        type Row = (String, Option<i64>, Option<String>, Option<String>);
        let row: Option<Row> = with_pool!(&self.pool, |p| {
            sqlx::query_as(
                "SELECT p.impu, r.state, r.scscf_name, r.origin_host \
                 FROM public_identity p LEFT JOIN impu_registration r ON r.impu = p.impu \
                 WHERE p.impu = $1",
            )
            .bind(impu)
            .fetch_optional(p)
            .await?
        });
        let (_, state, scscf_name, origin_host) =
            row.ok_or_else(|| StoreError::not_found("public identity", impu))?;
        Ok(ImpuRegistration {
            state: state.map_or(Ok(RegistrationState::NotRegistered), |c| {
                RegistrationState::from_code(c)
            })?,
            scscf_name,
            origin_host,
        })
    }

    async fn assign_scscf(
        &self,
        impu: &str,
        scscf_name: &str,
        origin_host: &str,
        state: RegistrationState,
    ) -> Result<AssignOutcome> {
        // Compare-and-set in one statement: the conflicting row is locked
        // and the WHERE re-checked on its latest version.
        let sql = format!(
            "{UPSERT_REGISTRATION} WHERE impu_registration.scscf_name IS NULL \
             OR impu_registration.scscf_name = excluded.scscf_name RETURNING impu"
        );
        // A holder that clears its assignment between the two statements
        // lets the next attempt succeed; a few tries settle any race.
        for _ in 0..3 {
            let row: Option<(String,)> = with_pool!(&self.pool, |p| {
                sqlx::query_as(&sql)
                    .bind(impu)
                    .bind(state.code())
                    .bind(scscf_name)
                    .bind(origin_host)
                    .fetch_optional(p)
                    .await?
            });
            if row.is_some() {
                return Ok(AssignOutcome::Assigned);
            }
            let current = self.registration(impu).await?;
            if let Some(holder) = current.scscf_name {
                return Ok(AssignOutcome::AlreadyAssigned {
                    scscf_name: holder,
                    origin_host: current.origin_host,
                });
            }
        }
        Err(StoreError::invalid(format!(
            "registration of {impu} keeps changing concurrently"
        )))
    }

    async fn set_registration(&self, impu: &str, reg: &ImpuRegistration) -> Result<()> {
        let n = with_pool!(&self.pool, |p| {
            sqlx::query(UPSERT_REGISTRATION)
                .bind(impu)
                .bind(reg.state.code())
                .bind(reg.scscf_name.as_deref())
                .bind(reg.origin_host.as_deref())
                .execute(p)
                .await?
                .rows_affected()
        });
        if n == 0 && !self.public_exists(impu).await? {
            return Err(StoreError::not_found("public identity", impu));
        }
        Ok(())
    }

    async fn list_subscribers(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PrivateIdentity>> {
        let sql = format!(
            "SELECT {PRIV_COLS} FROM private_identity WHERE impi > $1 ORDER BY impi LIMIT $2"
        );
        let rows: Vec<PrivRow> = with_pool!(&self.pool, |p| {
            sqlx::query_as(&sql)
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(private_from_row).collect()
    }

    async fn put_scscf(&self, caps: &ScscfCapabilities) -> Result<()> {
        let (m, o) = (caps_to_text(&caps.mandatory), caps_to_text(&caps.optional));
        with_pool!(&self.pool, |p| {
            sqlx::query(
                "INSERT INTO scscf_capabilities (name, mandatory, optional) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET mandatory = excluded.mandatory, \
                 optional = excluded.optional",
            )
            .bind(caps.name.as_str())
            .bind(m.as_str())
            .bind(o.as_str())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn list_scscfs(&self) -> Result<Vec<ScscfCapabilities>> {
        let rows: Vec<(String, String, String)> = with_pool!(&self.pool, |p| {
            sqlx::query_as("SELECT name, mandatory, optional FROM scscf_capabilities ORDER BY name")
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(|(name, m, o)| {
                Ok(ScscfCapabilities {
                    name,
                    mandatory: caps_from_text(&m)?,
                    optional: caps_from_text(&o)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_lists_round_trip() {
        assert_eq!(caps_to_text(&[1, 20, 3]), "1,20,3");
        assert_eq!(caps_from_text("1,20,3").ok(), Some(vec![1, 20, 3]));
        assert_eq!(caps_from_text("").ok(), Some(vec![]));
        assert!(caps_from_text("1,x").is_err());
    }

    #[test]
    fn join_rows_fold_into_identities() {
        let row = |impu: &str, impi: Option<&str>| -> PubRow {
            (
                impu.into(),
                false,
                0,
                None,
                "s".into(),
                "p".into(),
                None,
                impi.map(Into::into),
            )
        };
        let ids = publics_from_rows(vec![
            row("sip:a@x", Some("a")),
            row("sip:a@x", Some("b")),
            row("sip:c@x", None),
        ]);
        let ids = ids.map_err(|e| e.to_string());
        assert_eq!(
            ids.map(|v| v.into_iter().map(|p| (p.impu, p.impis)).collect::<Vec<_>>()),
            Ok(vec![
                ("sip:a@x".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
                ("sip:c@x".to_owned(), vec![])
            ])
        );
    }
}
