//! The CDF schema migrations, embedded in the binary and applied by [`crate::CdrStore::open`].
//!
//! Versions sit in their own range (32 299 001…) so that they never collide with another
//! crate's migrations; the migrator ignores versions it does not know. A CDF still wants a
//! database (SQLite file or PostgreSQL schema) of its own: other crates' migrators reject
//! versions they do not know.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::CdfError;

/// (version, description, SQL) of each migration, in order.
type Embedded = &'static [(i64, &'static str, &'static str)];

const SQLITE: Embedded = &[(
    32_299_001,
    "cdf_records",
    include_str!("../migrations/sqlite/0001_cdf_records.sql"),
)];

const POSTGRES: Embedded = &[(
    32_299_001,
    "cdf_records",
    include_str!("../migrations/postgres/0001_cdf_records.sql"),
)];

/// A migration source compiled into the binary.
#[derive(Debug)]
struct EmbeddedSource(Embedded);

impl<'s> MigrationSource<'s> for EmbeddedSource {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        let list = self
            .0
            .iter()
            .map(|&(version, desc, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(desc),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(list) })
    }
}

async fn migrator(source: Embedded) -> Result<Migrator, CdfError> {
    let mut m = Migrator::new(EmbeddedSource(source)).await?;
    m.set_ignore_missing(true);
    Ok(m)
}

/// The SQLite migrator.
pub(crate) async fn sqlite() -> Result<Migrator, CdfError> {
    migrator(SQLITE).await
}

/// The PostgreSQL migrator.
pub(crate) async fn postgres() -> Result<Migrator, CdfError> {
    migrator(POSTGRES).await
}
