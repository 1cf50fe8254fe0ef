//! The database: SQLite (embedded, the default) or PostgreSQL, behind one `Db` handle.
//!
//! Store functions match on the handle with [`on_db!`]; each arm compiles once per concrete driver,
//! so the same hand-written SQL (`$1` binds, lowercase) runs on both.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::i18n::keyed;

/// A pool on one of the two backends.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded `SQLite` in WAL mode: the readers' pool, and the writers' connection with the turn
    /// they take in this process.
    Sqlite(SqlitePool, Writer),
    /// `PostgreSQL`.
    Postgres(PgPool),
}

/// `SQLite`'s writers, one at a time, on a connection of their own. A transaction waits for its
/// turn here, in line, before it asks `SQLite` for the write lock: without the turn, writers that
/// find the lock taken sleep in `SQLite`'s busy handler (1, 2, 5, 10… ms) and most of their time
/// goes to sleeping. The one connection keeps its page cache: `SQLite` empties a connection's
/// cache whenever another connection has written, so writers taking turns on the readers' pool
/// read every index page again from the file (27,518 reads of a page while the demo loads).
#[derive(Clone, Debug)]
pub struct Writer {
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    pool: SqlitePool,
}

/// A transaction on one of the two backends.
#[derive(Debug)]
pub enum Tx {
    /// `SQLite` transaction, holding the writers' turn until it ends.
    Sqlite(Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    /// `PostgreSQL` transaction.
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$pool` bound to the concrete pool (or, for a [`Tx`], the connection).
#[macro_export]
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut *conn` executes).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Which backend a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://…`
    Sqlite,
    /// `postgres://…` or `postgresql://…`
    Postgres,
}

impl Backend {
    /// The backend a database URL names, or a clear error.
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(anyhow!(keyed("error.database_url", &[&redact_url(url)])))
        }
    }
}

impl Db {
    /// Connects (creating a `SQLite` file when missing) and checks the connection works.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let shown = redact_url(url);
        match Backend::of(url)? {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| keyed("error.database_url_bad", &[&shown]))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    // Up to 32 MiB of pages per connection (filled only as used): large imports
                    // update several indexes and thrash the default 2 MiB.
                    .pragma("cache_size", "-32768")
                    .pragma("temp_store", "memory");
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options.clone())
                    .await
                    .with_context(|| keyed("error.database_open", &[&shown]))?;
                // Only the writer holding the turn asks for this connection, so it never waits
                // long for it.
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .with_context(|| keyed("error.database_open", &[&shown]))?;
                Ok(Self::Sqlite(pool, Writer { turn: std::sync::Arc::default(), pool: writer }))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(url).with_context(|| keyed("error.database_url_bad", &[&shown]))?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .with_context(|| keyed("error.database_open", &[&shown]))?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Runs the embedded migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(pool, _) => SQLITE_MIGRATIONS.run(pool).await,
            Self::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .with_context(|| keyed("error.database_migrate", &[]))
    }

    /// Starts a transaction. On `SQLite` it waits for the writers' turn (see [`Writer`]) and
    /// takes the write lock first (`begin immediate`), so a concurrent writer waits for it instead
    /// of failing half-way.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(_, writer) => {
                let turn = writer.turn.clone().lock_owned().await;
                Tx::Sqlite(writer.pool.begin_with("begin immediate").await?, turn)
            }
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// The numbers 1 to `$1` as a query with one column `i`, to select from in set-based inserts
    /// (`… from ({series}) as n`): a recursive query on `SQLite`, `generate_series` on `PostgreSQL`.
    pub fn series(&self) -> &'static str {
        match self {
            Self::Sqlite(_, _) => {
                "with recursive g(i) as (select 1 union all select i + 1 from g where i < $1) select i from g"
            }
            Self::Postgres(_) => "select i from generate_series(1, $1) as g(i)",
        }
    }

    /// Refreshes the planner's statistics after a bulk load: `analyze` on `SQLite`; on
    /// `PostgreSQL` `vacuum analyze` of `tables`, which also sets their visibility map, so that
    /// counts are answered from the indexes alone.
    pub async fn analyze(&self, tables: &[&str]) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool, _) => sqlx::query("analyze").execute(pool).await.map(|_| ()),
            Self::Postgres(pool) => {
                let sql = format!("vacuum analyze {}", tables.join(", "));
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.map(|_| ())
            }
        }
    }

    /// Every table of the schema with its columns (migrations' bookkeeping left out), for checking
    /// that both backends' migrations build the same schema.
    pub async fn columns(&self) -> Result<std::collections::BTreeSet<(String, String)>, sqlx::Error> {
        let rows: Vec<(String, String)> = match self {
            Self::Sqlite(pool, _) => {
                sqlx::query_as(
                    "select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p                      where m.type = 'table' and m.name not like 'sqlite_%' and m.name <> '_sqlx_migrations'",
                )
                .fetch_all(pool)
                .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_as(
                    "select table_name::text, column_name::text from information_schema.columns \
                     where table_schema = current_schema() and table_name <> '_sqlx_migrations' \
                     and table_name not in (select relname from pg_class where relispartition)",
                )
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows.into_iter().collect())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_db!(self, |pool| sqlx::query("select 1").execute(pool).await.map(|_| ()))
    }

    /// The machine's own limit for set-based writes: one bare `insert … select` of `n` generated
    /// rows into a scratch table (dropped afterwards). `firecast bench` prints its figures beside it.
    pub async fn raw_insert_yardstick(&self, n: i64) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool, _) => {
                let mut c = pool.acquire().await?;
                sqlx::query("create temp table if not exists yardstick (a integer, b integer, c text)")
                    .execute(&mut *c)
                    .await?;
                let insert = format!("insert into yardstick select i, i * 7, 'x' from ({}) as n", self.series());
                sqlx::query(sqlx::AssertSqlSafe(insert)).bind(n).execute(&mut *c).await?;
                sqlx::query("drop table yardstick").execute(&mut *c).await?;
            }
            Self::Postgres(pool) => {
                let mut c = pool.acquire().await?;
                sqlx::query("create temp table if not exists yardstick (a bigint, b bigint, c text)")
                    .execute(&mut *c)
                    .await?;
                let insert = format!("insert into yardstick select i, i * 7, 'x' from ({}) as n", self.series());
                sqlx::query(sqlx::AssertSqlSafe(insert)).bind(n).execute(&mut *c).await?;
                sqlx::query("drop table yardstick").execute(&mut *c).await?;
            }
        }
        Ok(())
    }

    /// The database's own rate (rows per second) at writing rows of `table`: `n` of its rows
    /// copied by one bare `insert … select` into an empty table of the same columns, constraints,
    /// foreign keys and indexes, committed, then dropped. What any way of storing such rows compares against on
    /// this machine. `table` is a name of this schema (letters and `_`).
    pub async fn copy_rate(&self, table: &str, n: i64) -> Result<f64, sqlx::Error> {
        let copy = format!("{table}_yardstick");
        on_db!(self, |p| sqlx::query(sqlx::AssertSqlSafe(format!("drop table if exists {copy}")))
            .execute(p)
            .await
            .map(|_| ()))?;
        match self {
            Self::Sqlite(p, _) => {
                // The table's and its indexes' own definitions (SQLite keeps the keywords in capitals),
                // renamed.
                let defs: Vec<(String, String)> = sqlx::query_as(
                    "select type, sql from sqlite_master where tbl_name = $1 and type in ('table', 'index') and sql is not null \
                     order by type desc",
                )
                .bind(table)
                .fetch_all(p)
                .await?;
                for (kind, sql) in defs {
                    let sql = if kind == "table" {
                        sql.replacen(table, &copy, 1)
                    } else {
                        sql.replacen("INDEX ", "INDEX yardstick_", 1).replacen(
                            &format!(" on {table} "),
                            &format!(" on {copy} "),
                            1,
                        )
                    };
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
                }
            }
            Self::Postgres(p) => {
                let like = format!("create table {copy} (like {table} including all)");
                sqlx::query(sqlx::AssertSqlSafe(like)).execute(p).await?;
                // `like` leaves out foreign keys, which are checked for every row written (a copy
                // of 100,000 hazards: 4.0 s without its six, 6.4 s with them).
                let keys: Vec<String> = sqlx::query_scalar(
                    "select pg_get_constraintdef(oid) from pg_constraint where conrelid = $1::regclass and contype = 'f'",
                )
                .bind(table)
                .fetch_all(p)
                .await?;
                for key in keys {
                    sqlx::query(sqlx::AssertSqlSafe(format!("alter table {copy} add {key}"))).execute(p).await?;
                }
            }
        }
        let insert = format!("insert into {copy} select * from {table} limit $1");
        let started = std::time::Instant::now();
        let copied = on_db!(self, |p| sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(n)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        let took = started.elapsed();
        on_db!(self, |p| sqlx::query(sqlx::AssertSqlSafe(format!("drop table {copy}"))).execute(p).await.map(|_| ()))?;
        #[allow(clippy::cast_precision_loss)] // a rate for people to read
        Ok(copied as f64 / took.as_secs_f64())
    }

    /// The same limit into a regular table of this database, committed (then dropped): what a
    /// set-based write that must be durable, such as a push's fan-out, compares against.
    pub async fn raw_insert_yardstick_table(&self, n: i64) -> Result<(), sqlx::Error> {
        let generate = format!("insert into yardstick_table select i, i * 7, 'x' from ({}) as n", self.series());
        on_db!(self, |pool| {
            sqlx::query("drop table if exists yardstick_table").execute(pool).await?;
            sqlx::query("create table yardstick_table (a bigint, b bigint, c text)").execute(pool).await?;
            sqlx::query(sqlx::AssertSqlSafe(generate.clone())).bind(n).execute(pool).await?;
            sqlx::query("drop table yardstick_table").execute(pool).await?;
            Ok::<(), sqlx::Error>(())
        })
    }

    /// Writes a consistent copy of the whole database to `out` while others go on writing: on
    /// `SQLite`, `VACUUM INTO` (a snapshot of one read transaction, compacted). On `PostgreSQL` the
    /// tool for it is `pg_dump`; the error says how to run it.
    pub async fn backup(&self, out: &std::path::Path) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(p, _) => {
                anyhow::ensure!(!out.exists(), keyed("error.backup_exists", &[&out.display().to_string()]));
                let target =
                    out.to_str().ok_or_else(|| anyhow!(keyed("error.backup_path", &[&out.display().to_string()])))?;
                sqlx::query("vacuum into $1").bind(target).execute(p).await?;
                Ok(())
            }
            Self::Postgres(_) => anyhow::bail!(keyed("error.backup_postgres", &[&out.display().to_string()])),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        if let Self::Sqlite(_, writer) = self {
            writer.pool.close().await;
        }
        on_db!(self, |pool| pool.close().await);
    }
}

impl Tx {
    /// Reserves `n` consecutive ids of `table` for a bulk insert inside this transaction and
    /// returns the first. On `SQLite` the transaction holds the write lock (see [`Db::begin`]), so
    /// nobody else can use the ids; on `PostgreSQL` it draws them from the table's sequence and
    /// refuses, as a conflict, when another writer interleaved.
    pub async fn reserve_ids(&mut self, table: &'static str, n: usize) -> crate::Result<i64> {
        let n = i64::try_from(n).map_err(|_| crate::Error::invalid("rows", "error.too_many_rows"))?;
        Ok(match self {
            Self::Sqlite(t, _) => {
                let max = format!("select coalesce(max(id), 0) from {table}");
                let max: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(max)).fetch_one(&mut **t).await?;
                max + 1
            }
            Self::Postgres(t) => {
                // The sequence is looked up once (`offset 0` keeps the planner from looking it up
                // again for every id: 5,000 ids took 58–73 ms so, 7–9 ms this way), and only the
                // first and last id come back.
                let next = format!(
                    "select min(id), max(id) from (select nextval(s) as id from \
                     (select pg_get_serial_sequence('{table}', 'id')::regclass as s offset 0) as q, \
                     generate_series(1, $1)) as ids"
                );
                let (first, last): (Option<i64>, Option<i64>) =
                    sqlx::query_as(sqlx::AssertSqlSafe(next)).bind(n).fetch_one(&mut **t).await?;
                let first = first.unwrap_or(1);
                if last.is_some_and(|last| last - first + 1 != n) {
                    return Err(crate::Error::Conflict("error.bulk_write_busy".into()));
                }
                first
            }
        })
    }

    /// Holds a lock named `key` until the transaction ends, so that the writers of one limit take
    /// turns and a count checked and then written inside the transaction cannot be raced (the
    /// reports of one address, the attempts of one participant): `PostgreSQL`'s transaction-level
    /// advisory lock; on `SQLite` the transaction already holds the whole database.
    pub async fn lock_key(&mut self, key: &str) -> Result<(), sqlx::Error> {
        self.lock_keys(&[key.to_owned()]).await
    }

    /// [`Tx::lock_key`] for many names, taken in one order (so that two transactions locking
    /// overlapping names cannot wait for each other).
    pub async fn lock_keys(&mut self, keys: &[String]) -> Result<(), sqlx::Error> {
        if let Self::Postgres(t) = self {
            sqlx::query(
                "select pg_advisory_xact_lock(h) from \
                 (select distinct hashtextextended(k, 0) as h from unnest($1::text[]) as u(k) order by 1) as s",
            )
            .bind(keys)
            .execute(&mut **t)
            .await?;
        }
        Ok(())
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(t, _) => t.commit().await,
            Self::Postgres(t) => t.commit().await,
        }
    }
}

/// Appends a test that a column is one of `items` to a query being built: ` in ($1, $2, …)` on
/// `SQLite`, ` = any($1)` with one array on `PostgreSQL`, whose statement then reads the same for any
/// number of items and is prepared once (a list's length changes the statement, and a statement
/// the connection has not prepared costs a round trip and a plan). `items` must not be empty
/// (`SQLite` refuses `in ()`).
pub fn push_in<DB: sqlx::Database, T: Listed<DB>>(q: &mut sqlx::QueryBuilder<DB>, items: impl IntoIterator<Item = T>) {
    T::push_in(q, items.into_iter().collect());
}

/// What [`push_in`] lists: text or numbers.
pub trait Listed<DB: sqlx::Database>: Sized {
    /// See [`push_in`].
    fn push_in(q: &mut sqlx::QueryBuilder<DB>, items: Vec<Self>);
}

macro_rules! listed {
    ($($t:ty),*) => {$(
        impl Listed<sqlx::Sqlite> for $t {
            fn push_in(q: &mut sqlx::QueryBuilder<sqlx::Sqlite>, items: Vec<Self>) {
                q.push(" in (");
                let mut list = q.separated(", ");
                items.into_iter().for_each(|item| _ = list.push_bind(item));
                q.push(")");
            }
        }
        impl Listed<sqlx::Postgres> for $t {
            fn push_in(q: &mut sqlx::QueryBuilder<sqlx::Postgres>, items: Vec<Self>) {
                q.push(" = any(").push_bind(items).push(")");
            }
        }
    )*};
}
listed!(&str, i64);

/// Rows per statement in chunked multi-row inserts (well under both backends' bind limits).
pub const CHUNK_ROWS: usize = 500;

/// Stores `rows` `per` at a time by the multi-row statement `build` makes of each chunk, making
/// the next chunk's statement (binding its values) while the database stores the one before: the
/// database works on a thread of its own (`SQLite`) or in its server (`PostgreSQL`), so on two
/// cores the two overlap instead of taking turns.
pub async fn insert_chunked<C, DB, T>(
    conn: &mut C,
    rows: &[T],
    per: usize,
    build: impl Fn(&[T]) -> sqlx::QueryBuilder<DB>,
) -> Result<(), sqlx::Error>
where
    C: sqlx::Connection<Database = DB>,
    DB: sqlx::Database,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = DB>,
{
    let mut chunks = rows.chunks(per.max(1));
    let Some(first) = chunks.next() else { return Ok(()) };
    let mut current = build(first);
    for chunk in chunks {
        let (stored, next) = tokio::join!(current.build().execute(&mut *conn), async { build(chunk) });
        stored?;
        current = next;
    }
    current.build().execute(&mut *conn).await?;
    Ok(())
}

/// One `SQLite` query of a single-row insert per row (`prefix` then each row's values), for wide
/// rows with many indexes. A statement of many rows keeps a journal of every page it changes, to
/// undo itself alone if a later row breaks a key; a single-row insert needs none. On 100,000
/// hazards (twelve indexes) that journal was a quarter of the database's time.
pub fn row_by_row<T>(
    prefix: &str,
    rows: impl IntoIterator<Item = T>,
    mut bind: impl FnMut(sqlx::query_builder::Separated<'_, sqlx::Sqlite, &'static str>, T),
) -> sqlx::QueryBuilder<sqlx::Sqlite> {
    let mut q = sqlx::QueryBuilder::new("");
    for row in rows {
        q.push(prefix);
        q.push_values(std::iter::once(row), &mut bind);
        q.push(";");
    }
    q
}

/// On `SQLite`, `select` (its columns `columns`, in the order of the fields they fill) as one row
/// holding a JSON array of its rows, for [`json_rows`] to read; [`fetch_rows!`] does both. The
/// driver hands rows over one at a time from its thread, copying every value: 100,000 rows of
/// twelve columns took 1.8 s that way and about 0.5 s as one array; the province's 11,860
/// communities 58 ms and 12 ms.
pub fn as_json_rows(columns: &str, select: &str) -> String {
    format!("select json_group_array(json_array({columns})) from ({select})")
}

/// The rows of an [`as_json_rows`] statement.
pub fn json_rows<T: serde::de::DeserializeOwned>(rows: &str) -> Result<Vec<T>, sqlx::Error> {
    serde_json::from_str(rows).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Every row of `$select` (its columns `$columns`, in the order of the fields they fill), binding
/// the `$arg`s in turn: on `SQLite` read as one JSON array (see [`as_json_rows`]), on `PostgreSQL`
/// row by row, whose driver reads them from the socket. Evaluates to the rows; `?` returns its
/// error.
#[macro_export]
macro_rules! fetch_rows {
    ($db:expr, $columns:expr, $select:expr $(, $arg:expr)* $(,)?) => {
        match $db {
            $crate::db::Db::Sqlite(pool, _) => {
                let rows: String =
                    sqlx::query_scalar(sqlx::AssertSqlSafe($crate::db::as_json_rows($columns, $select)))
                        $(.bind($arg))*
                        .fetch_one(pool)
                        .await?;
                $crate::db::json_rows(&rows)?
            }
            $crate::db::Db::Postgres(pool) => sqlx::query_as($select)$(.bind($arg))*.fetch_all(pool).await?,
        }
    };
}

/// One column of `rows`, as an array to bind to `unnest` on `PostgreSQL`: one statement planned
/// once, instead of a statement of thousands of parameters to build and parse.
pub fn column<'a, R, T>(rows: &'a [R], f: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(f).collect()
}

/// A URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// A fresh `SQLite` database in a folder of its own, for unit tests (the test removes the folder).
#[cfg(test)]
pub(crate) async fn sqlite_in_temp_dir(name: &str) -> anyhow::Result<(std::path::PathBuf, Db)> {
    let dir = std::env::temp_dir().join(format!("firecast-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = Db::open(&format!("sqlite://{}", dir.join("test.db").display())).await?;
    Ok((dir, db))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_password_stay_as_they_are() {
        assert_eq!(redact_url("sqlite://firecast.db"), "sqlite://firecast.db");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
    }

    #[test]
    fn malformed_urls_get_a_clear_error() {
        let err = crate::i18n::Lang::En.message(&Backend::of("mysql://root@localhost/x").unwrap_err().to_string());
        assert!(err.contains("expected sqlite://PATH or postgres://"), "{err}");
        assert_eq!(Backend::of("sqlite://firecast.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgresql://u@h/d").unwrap(), Backend::Postgres);
    }

    #[tokio::test]
    async fn sqlite_runs_in_wal_with_foreign_keys() {
        let dir = std::env::temp_dir().join(format!("firecast-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("wal.db").display());
        let Db::Sqlite(pool, _) = Db::open(&url).await.unwrap() else { panic!("not sqlite") };
        let mode: String = sqlx::query_scalar("pragma journal_mode").fetch_one(&pool).await.unwrap();
        let fk: i64 = sqlx::query_scalar("pragma foreign_keys").fetch_one(&pool).await.unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
        pool.close().await;
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn rows_inserted_one_statement_each_are_all_stored_or_none() -> anyhow::Result<()> {
        let (dir, db) = super::sqlite_in_temp_dir("rows").await?;
        let mut tx = db.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query("create table kv (k integer primary key, v text not null unique)")
            .execute(c)
            .await
            .map(|_| ()))?;
        tx.commit().await?;
        let store = |rows: Vec<(i64, String)>| {
            let db = db.clone();
            async move {
                let mut tx = db.begin().await?;
                let Tx::Sqlite(conn, _) = &mut tx else { anyhow::bail!("not SQLite") };
                insert_chunked(&mut **conn, &rows, 3, |chunk| {
                    row_by_row("insert into kv (k, v) ", chunk, |mut b, (k, v)| {
                        b.push_bind(*k).push_bind(v);
                    })
                })
                .await?;
                tx.commit().await?;
                anyhow::Ok(())
            }
        };
        let stored = || async {
            on_db!(&db, |p| sqlx::query_as::<_, (i64, String)>("select k, v from kv order by k").fetch_all(p).await)
        };
        let rows: Vec<(i64, String)> = (1..=7).map(|k| (k, format!("v{k}"))).collect();
        store(rows.clone()).await?;
        assert_eq!(stored().await?, rows);
        // The sixth row repeats a value: the rows before it in its query and in earlier queries
        // are undone with the transaction.
        let clash: Vec<(i64, String)> =
            (8..=13).map(|k| (k, if k == 13 { "v1".into() } else { format!("v{k}") })).collect();
        let err = store(clash).await.expect_err("a repeated value is refused");
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        assert_eq!(stored().await?, rows);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_on_one_connection_while_readers_read() -> anyhow::Result<()> {
        let (dir, db) = super::sqlite_in_temp_dir("writer").await?;
        // A temporary table lives on the connection that made it: every later transaction sees
        // it, so they all ran on that one connection (whose page cache no other writer empties).
        let mut tx = db.begin().await?;
        on_tx!(&mut tx, |c| sqlx::query("create temp table mine (n integer)").execute(c).await.map(|_| ()))?;
        tx.commit().await?;
        let writers = (0..8).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await?;
                on_tx!(&mut tx, |c| sqlx::query("insert into temp.mine (n) values ($1)")
                    .bind(i)
                    .execute(c)
                    .await
                    .map(|_| ()))?;
                tx.commit().await
            })
        });
        // A reader is not held up by an open write transaction.
        let open = db.begin().await?;
        let read: i64 = on_db!(&db, |p| sqlx::query_scalar("select count(*) from region").fetch_one(p).await)?;
        assert_eq!(read, 0);
        drop(open);
        for w in writers.collect::<Vec<_>>() {
            w.await??;
        }
        let mut tx = db.begin().await?;
        let n: i64 = on_tx!(&mut tx, |c| sqlx::query_scalar("select count(*) from temp.mine").fetch_one(c).await)?;
        assert_eq!(n, 8);
        drop(tx);
        db.close().await;
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }
}
