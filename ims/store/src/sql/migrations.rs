//! Embedded schema migrations, per backend.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::Result;

/// (version, description, SQL) of each migration, in order.
type Embedded = &'static [(i64, &'static str, &'static str)];

const SQLITE: Embedded = &[
    (
        1,
        "subscribers",
        include_str!("../../migrations/sqlite/0001_subscribers.sql"),
    ),
    (
        2,
        "bindings",
        include_str!("../../migrations/sqlite/0002_bindings.sql"),
    ),
];

const POSTGRES: Embedded = &[
    (
        1,
        "subscribers",
        include_str!("../../migrations/postgres/0001_subscribers.sql"),
    ),
    (
        2,
        "bindings",
        include_str!("../../migrations/postgres/0002_bindings.sql"),
    ),
];

/// A migration source compiled into the binary (no files read at run time,
/// no proc-macro needed).
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

/// The SQLite migrator.
pub(super) async fn sqlite() -> Result<Migrator> {
    Ok(Migrator::new(EmbeddedSource(SQLITE)).await?)
}

/// The PostgreSQL migrator.
pub(super) async fn postgres() -> Result<Migrator> {
    Ok(Migrator::new(EmbeddedSource(POSTGRES)).await?)
}
