//! Every SQL statement about regions, units, users, sessions, API tokens and login attempts. Every
//! list or fetch reachable from HTTP takes the caller's [`Scope`].

use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::reference::{NewRegion, NewUnit};
use super::{RegionKind, Role, Scope, UnitKind};
use crate::db::{CHUNK_ROWS, Db, Tx};
use crate::error::ResultExt as _;
use crate::{Error, Result, clock, on_db, on_tx};

/// A region.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Region {
    /// Region code.
    pub code: String,
    /// Parent region code (none for the province).
    pub parent_code: Option<String>,
    /// Parent region's name, to tell apart places of the same name.
    pub parent_name: Option<String>,
    /// 0 province, 1 prefecture, 2 county, 3 township/street, 4 village/community.
    pub level: i16,
    /// Chinese name.
    pub name: String,
    /// Regular, development zone or the Changbaishan management zone.
    pub kind: RegionKind,
    /// Materialised path.
    pub path: String,
    /// Pinyin initials.
    pub initials: String,
    /// 2020 census resident population.
    pub population: Option<i64>,
    /// Family households.
    pub households: Option<i64>,
    /// Whether `households` is an estimate.
    pub households_estimated: bool,
    /// Direct subdivisions.
    pub children: i64,
}

const REGION_COLUMNS: &str = "r.code, r.parent_code, \
     (select pr.name from region pr where pr.code = r.parent_code) as parent_name, r.level, r.name, r.kind, r.path, r.initials, r.population, \
     r.households, r.households_estimated, \
     (select count(*) from region c where c.parent_code = r.code) as children";

/// A unit, with its region and parent.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct Unit {
    /// Unit id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// Region it works in.
    pub region_code: String,
    /// That region's name.
    pub region_name: String,
    /// That region's path.
    pub region_path: String,
    /// The unit above.
    pub parent_id: Option<i64>,
    /// Its name.
    pub parent_name: Option<String>,
    /// Users belonging to it.
    pub users: i64,
}

const UNIT_SELECT: &str = "select u.id, u.name, u.kind, u.region_code, r.name as region_name, u.region_path, \
     u.parent_id, p.name as parent_name, (select count(*) from app_user a where a.unit_id = u.id) as users \
     from unit u join region r on r.code = u.region_code left join unit p on p.id = u.parent_id";

/// A user account as shown (never the password hash).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    pub(crate) role: Role,
    /// Unit id.
    pub unit_id: i64,
    /// Unit name.
    pub unit_name: String,
    /// Unit kind.
    pub unit_kind: UnitKind,
    /// The unit's region path: the user's scope.
    pub region_path: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When the account was made.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
}

const USER_SELECT: &str = "select a.id, a.username, a.display_name, a.role, a.unit_id, u.name as unit_name, \
     u.kind as unit_kind, u.region_path, a.disabled, a.created_at from app_user a join unit u on u.id = a.unit_id";

/// What a login needs to check.
#[derive(Debug, FromRow)]
pub struct Credentials {
    /// User id.
    pub id: i64,
    /// Argon2id hash.
    pub password_hash: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
}

/// A session with its user.
#[derive(Debug, FromRow)]
pub struct SessionUser {
    /// The user.
    #[sqlx(flatten)]
    pub user: User,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When the session began.
    pub session_created_at: OffsetDateTime,
    /// When the session was last used.
    pub last_seen_at: OffsetDateTime,
}

/// An API token as listed (never the token itself).
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct ApiToken {
    /// Token id.
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// The owner.
    pub user_id: i64,
    /// When it was made.
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// When it was last used.
    #[schema(value_type = Option<String>)]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<OffsetDateTime>,
}

// ---- regions ----

/// How many regions are loaded.
pub async fn region_count(db: &Db) -> Result<i64> {
    Ok(on_db!(db, |p| sqlx::query_scalar("select count(*) from region").fetch_one(p).await)?)
}

/// Loads the reference regions and units in one transaction, in chunked multi-row inserts.
pub async fn insert_reference(db: &Db, regions: &[NewRegion], units: &[NewUnit]) -> Result<()> {
    let mut tx = db.begin().await?;
    let now = clock::now();
    on_tx!(&mut tx, |conn| {
        for chunk in regions.chunks(CHUNK_ROWS) {
            let mut q = sqlx::QueryBuilder::new(
                "insert into region (code, parent_code, level, name, kind, path, pinyin, initials, population, \
                 households, households_estimated) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(&r.code)
                    .push_bind(&r.parent_code)
                    .push_bind(r.level)
                    .push_bind(&r.name)
                    .push_bind(r.kind)
                    .push_bind(&r.path)
                    .push_bind(&r.pinyin)
                    .push_bind(&r.initials)
                    .push_bind(r.population)
                    .push_bind(r.households)
                    .push_bind(r.households.is_some() && r.level > 0);
            });
            q.build().execute(&mut *conn).await?;
        }
        for u in units {
            sqlx::query(
                "insert into unit (name, kind, region_code, region_path, parent_id, created_at) \
                 select $1, $2, r.code, r.path, (select id from unit where name = $4), $5 from region r where r.code = $3",
            )
            .bind(&u.name)
            .bind(u.kind.as_str())
            .bind(&u.region_code)
            .bind(&u.parent)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
    });
    tx.commit().await?;
    Ok(())
}

/// Refreshes the planner's statistics after the reference data is loaded (and, on `PostgreSQL`,
/// the visibility map, so subtree counts are index-only scans from the start).
pub async fn analyze_reference(db: &Db) -> Result<()> {
    Ok(db.analyze(&["region", "unit"]).await?)
}

/// A region inside the scope.
pub async fn region(db: &Db, scope: &Scope, code: &str) -> Result<Region> {
    let (low, high) = scope.bounds();
    let sql = format!("select {REGION_COLUMNS} from region r where r.code = $1 and r.path >= $2 and r.path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The direct subdivisions of a region inside the scope, by code.
pub async fn region_children(db: &Db, scope: &Scope, code: &str) -> Result<Vec<Region>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "select {REGION_COLUMNS} from region r where r.parent_code = $1 and r.path >= $2 and r.path < $3 order by r.code"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code).bind(low).bind(&high).fetch_all(p).await)?)
}

/// The regions on the way from the scope's root down to `path`, top first.
pub async fn region_ancestors(db: &Db, scope: &Scope, path: &str) -> Result<Vec<Region>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "select {REGION_COLUMNS} from region r where $1 like r.path || '%' and r.path >= $2 and r.path < $3 order by r.level"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(path).bind(low).bind(&high).fetch_all(p).await)?)
}

/// The scope's root region (the region of the user's unit).
pub async fn scope_root(db: &Db, scope: &Scope) -> Result<Region> {
    let sql = format!("select {REGION_COLUMNS} from region r where r.path = $1");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(scope.path()).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// How many regions of one level.
#[derive(Clone, Debug, FromRow, Serialize, ToSchema)]
pub struct LevelCount {
    /// 0 province … 4 village.
    pub level: i16,
    /// How many.
    pub count: i64,
}

/// How many regions of each level lie under `path` (itself included), inside the scope.
pub async fn region_level_counts(db: &Db, scope: &Scope, path: &str) -> Result<Vec<LevelCount>> {
    let inner = Scope::under(path);
    let (low, high) = if scope.contains(path) {
        inner.bounds()
    } else {
        return Ok(Vec::new());
    };
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "select level, count(*) as count from region where level in (0, 1, 2, 3, 4) and path >= $1 and path < $2 \
         group by level order by level",
        )
        .bind(low)
        .bind(&high)
        .fetch_all(p)
        .await
    })?)
}

/// Regions inside the scope whose name contains `q`, or whose pinyin or initials start with it.
pub async fn search_regions(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<Region>> {
    let (low, high) = scope.bounds();
    let needle = q.trim().to_lowercase();
    let sql = format!(
        "select {REGION_COLUMNS} from region r where r.path >= $1 and r.path < $2 \
         and (r.name like '%' || $3 || '%' or r.initials like $3 || '%' or r.pinyin like $3 || '%') \
         order by r.level, r.code limit $4"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(&needle)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// Code, name and path of every village/community inside the scope (the subtree query of `bench`).
pub async fn communities(db: &Db, scope: &Scope) -> Result<Vec<(String, String, String)>> {
    const SELECT: &str = "select code, name, path from region where level = 4 and path >= $1 and path < $2";
    let (low, high) = scope.bounds();
    // The province's 11,860 rows: 58 ms row by row through the SQLite driver, 12 ms as one array.
    Ok(crate::fetch_rows!(db, "code, name, path", SELECT, low, &high))
}

/// Every county-level region of the province: (code, name, its prefecture's name), in order.
pub async fn counties(db: &Db) -> Result<Vec<(String, String, String)>> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
        "select c.code, c.name, p.name from region c join region p on p.code = c.parent_code where c.level = 2 order by c.path"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Code and path of every region inside the scope down to level `deepest` (4: the communities),
/// for checking imported rows in memory.
pub async fn regions_in(db: &Db, scope: &Scope, deepest: i64) -> Result<Vec<(String, String)>> {
    const SELECT: &str = "select code, path from region where path >= $1 and path < $2 and level <= $3";
    let (low, high) = scope.bounds();
    Ok(crate::fetch_rows!(db, "code, path", SELECT, low, &high, deepest))
}

// ---- units ----

/// Filters for the unit list.
#[derive(Debug, Default)]
pub struct UnitFilter {
    /// Only this kind.
    pub kind: Option<UnitKind>,
    /// Name contains.
    pub q: Option<String>,
    /// Only units directly under this one.
    pub parent_id: Option<i64>,
}

/// Units inside the scope.
pub async fn units(db: &Db, scope: &Scope, f: &UnitFilter, limit: i64) -> Result<Vec<Unit>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{UNIT_SELECT} where u.region_path >= $1 and u.region_path < $2 and ($3 is null or u.kind = $3) \
         and ($4 is null or u.name like '%' || $4 || '%') and ($5 is null or u.parent_id = $5) \
         order by u.region_path, u.kind, u.name limit $6"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(f.kind.map(UnitKind::as_str))
        .bind(&f.q)
        .bind(f.parent_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// A unit inside the scope.
pub async fn unit(db: &Db, scope: &Scope, id: i64) -> Result<Unit> {
    let (low, high) = scope.bounds();
    let sql = format!("{UNIT_SELECT} where u.id = $1 and u.region_path >= $2 and u.region_path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// A unit by exact name or id, province-wide (for operators at the command line).
pub async fn unit_by_name_or_id(db: &Db, name_or_id: &str) -> Result<Unit> {
    let id: i64 = name_or_id.parse().unwrap_or(-1);
    let sql = format!("{UNIT_SELECT} where u.name = $1 or u.id = $2");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(name_or_id).bind(id).fetch_optional(p).await)?
        .ok_or_else(|| Error::invalid("unit", crate::i18n::keyed("error.no_unit", &[name_or_id])))
}

/// Makes a unit; the caller has checked the region and parent are in scope.
pub async fn insert_unit(db: &Db, name: &str, kind: UnitKind, region: &Region, parent_id: Option<i64>) -> Result<i64> {
    on_db!(db, |p| sqlx::query_scalar(
        "insert into unit (name, kind, region_code, region_path, parent_id, created_at) values ($1, $2, $3, $4, $5, $6) \
         returning id"
    )
    .bind(name)
    .bind(kind.as_str())
    .bind(&region.code)
    .bind(&region.path)
    .bind(parent_id)
    .bind(clock::now())
    .fetch_one(p)
    .await)
    .on_constraint("unit(name)", "error.unit_name_taken")
}

/// Renames a unit inside the scope.
pub async fn rename_unit(db: &Db, scope: &Scope, id: i64, name: &str) -> Result<()> {
    let (low, high) = scope.bounds();
    let done = on_db!(db, |p| sqlx::query(
        "update unit set name = $1 where id = $2 and region_path >= $3 and region_path < $4"
    )
    .bind(name)
    .bind(id)
    .bind(low)
    .bind(&high)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .on_constraint("unit(name)", "error.unit_name_taken")?;
    if done == 0 { Err(Error::NotFound) } else { Ok(()) }
}

// ---- users ----

/// Filters for the user list.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<Role>,
    /// Only this unit.
    pub unit_id: Option<i64>,
    /// Login or display name contains.
    pub q: Option<String>,
}

/// Users inside the scope.
pub async fn users(db: &Db, scope: &Scope, f: &UserFilter, limit: i64) -> Result<Vec<User>> {
    let (low, high) = scope.bounds();
    let sql = format!(
        "{USER_SELECT} where u.region_path >= $1 and u.region_path < $2 and ($3 is null or a.role = $3) \
         and ($4 is null or a.unit_id = $4) \
         and ($5 is null or a.username like '%' || $5 || '%' or a.display_name like '%' || $5 || '%') \
         order by u.region_path, a.username limit $6"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(low)
        .bind(&high)
        .bind(f.role.map(Role::as_str))
        .bind(f.unit_id)
        .bind(&f.q)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// A user inside the scope.
pub async fn user(db: &Db, scope: &Scope, id: i64) -> Result<User> {
    let (low, high) = scope.bounds();
    let sql = format!("{USER_SELECT} where a.id = $1 and u.region_path >= $2 and u.region_path < $3");
    on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(low).bind(&high).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// A user by login name, province-wide (login and the command line).
pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<User>> {
    let sql = format!("{USER_SELECT} where a.username = $1");
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(p).await)?)
}

/// The password hash and state of an account, for a login.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>> {
    Ok(on_db!(db, |p| sqlx::query_as("select id, password_hash, disabled from app_user where username = $1")
        .bind(username)
        .fetch_optional(p)
        .await)?)
}

/// Makes a user; the caller has checked the unit is in scope and fits the role.
pub async fn insert_user(
    db: &Db,
    username: &str,
    display_name: &str,
    role: Role,
    unit_id: i64,
    password_hash: &str,
) -> Result<i64> {
    let now = clock::now();
    on_db!(db, |p| sqlx::query_scalar(
        "insert into app_user (username, display_name, role, unit_id, password_hash, created_at, password_changed_at) \
         values ($1, $2, $3, $4, $5, $6, $6) returning id"
    )
    .bind(username)
    .bind(display_name)
    .bind(role.as_str())
    .bind(unit_id)
    .bind(password_hash)
    .bind(now)
    .fetch_one(p)
    .await)
    .on_constraint("app_user(username)", "error.username_taken")
}

/// Changes a user's name, role, unit and state; only inside the scope.
pub async fn update_user(
    db: &Db,
    scope: &Scope,
    id: i64,
    display_name: &str,
    role: Role,
    unit_id: i64,
    disabled: bool,
) -> Result<()> {
    let (low, high) = scope.bounds();
    let mut tx = db.begin().await?;
    let done = on_tx!(&mut tx, |c| {
        sqlx::query(
            "update app_user set display_name = $1, role = $2, unit_id = $3, disabled = $4 where id = $5 \
         and unit_id in (select id from unit where region_path >= $6 and region_path < $7)",
        )
        .bind(display_name)
        .bind(role.as_str())
        .bind(unit_id)
        .bind(disabled)
        .bind(id)
        .bind(low)
        .bind(&high)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if done == 0 {
        return Err(Error::NotFound);
    }
    if disabled {
        end_credentials(&mut tx, id, clock::now(), "").await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a user's password and ends their sessions (except `keep`, the one changing it) and API
/// tokens.
pub async fn set_password(db: &Db, user_id: i64, password_hash: &str, keep: Option<&str>) -> Result<()> {
    let now = clock::now();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, |c| {
        sqlx::query("update app_user set password_hash = $1, password_changed_at = $2 where id = $3")
            .bind(password_hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *c)
            .await?;
    });
    end_credentials(&mut tx, user_id, now, keep.unwrap_or("")).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a user's sessions (but the one whose hash is `keep`) and revokes their API tokens.
async fn end_credentials(tx: &mut Tx, user_id: i64, now: OffsetDateTime, keep: &str) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query("delete from session where user_id = $1 and token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *c)
            .await?;
        sqlx::query("update api_token set revoked_at = $1 where user_id = $2 and revoked_at is null")
            .bind(now)
            .bind(user_id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

// ---- sessions ----

/// Stores a new session.
pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    ip: &str,
    user_agent: &str,
) -> Result<()> {
    let now = clock::now();
    on_db!(db, |p| {
        sqlx::query(
            "insert into session (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent) \
         values ($1, $2, $3, $4, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(ip)
        .bind(user_agent)
        .execute(p)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// The session with this token hash and its (enabled) user.
pub async fn session_user(db: &Db, token_hash: &str) -> Result<Option<SessionUser>> {
    let sql = format!(
        "select x.id, x.username, x.display_name, x.role, x.unit_id, x.unit_name, x.unit_kind, x.region_path, \
         x.disabled, x.created_at, s.csrf_token, s.created_at as session_created_at, s.last_seen_at \
         from session s join ({USER_SELECT}) x on x.id = s.user_id where s.token_hash = $1 and not x.disabled"
    );
    Ok(on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await)?)
}

/// Marks a session as used now.
pub async fn touch_session(db: &Db, token_hash: &str) -> Result<()> {
    on_db!(db, |p| sqlx::query("update session set last_seen_at = $1 where token_hash = $2")
        .bind(clock::now())
        .bind(token_hash)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Ends a session.
pub async fn delete_session(db: &Db, token_hash: &str) -> Result<()> {
    on_db!(db, |p| sqlx::query("delete from session where token_hash = $1")
        .bind(token_hash)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Removes sessions idle since `idle_before` or begun before `begun_before`.
pub async fn delete_expired_sessions(
    db: &Db,
    idle_before: OffsetDateTime,
    begun_before: OffsetDateTime,
) -> Result<u64> {
    Ok(on_db!(db, |p| sqlx::query("delete from session where last_seen_at < $1 or created_at < $2")
        .bind(idle_before)
        .bind(begun_before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
}

// ---- hourly budgets of public callers ----

/// Spends one of the `most` uses an hour that `kind` allows the keyed hash `key` (an address, a
/// number), counted under a lock on it so that requests at once cannot beat the budget; the use's
/// id, or `None` when the hour's budget is spent. Uses older than the hour are swept on the way.
pub async fn spend(db: &Db, kind: &str, key: &str, now: OffsetDateTime, most: i64) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    tx.lock_key(&budget_key(kind, key)).await?;
    let id = spend_in(&mut tx, kind, &[(key, most)], now).await?.pop().flatten();
    if id.is_some() {
        tx.commit().await?;
    }
    Ok(id)
}

/// The name of the lock ([`crate::db::Tx::lock_keys`]) that the uses of `kind` by `key` take turns on.
pub fn budget_key(kind: &str, key: &str) -> String {
    format!("budget:{kind}:{key}")
}

/// [`spend`] for many uses of one kind at once, inside a transaction of the caller's (which keeps
/// the uses only when it commits) that holds the locks of their keys ([`budget_key`]; taken by the
/// caller so that it can take them in one call with its own): `uses` are (key, most an hour), and
/// each gets its id or `None` when its key's budget is spent, counting the uses before it in `uses`.
pub async fn spend_in(tx: &mut Tx, kind: &str, uses: &[(&str, i64)], now: OffsetDateTime) -> Result<Vec<Option<i64>>> {
    if uses.is_empty() {
        return Ok(Vec::new());
    }
    let since = now - time::Duration::hours(1);
    let mut keys: Vec<&str> = uses.iter().map(|u| u.0).collect();
    keys.sort_unstable();
    keys.dedup();
    // The hour's uses per key, and whether older ones are left to sweep (rare: one more statement).
    let counted: Vec<(String, i64, i64)> = on_tx!(&mut *tx, |c| {
        let mut q = sqlx::QueryBuilder::new("select key_hash, sum(case when at >= ");
        q.push_bind(since).push(" then 1 else 0 end), count(*) from address_use where kind = ");
        q.push_bind(kind).push(" and key_hash");
        crate::db::push_in(&mut q, keys.iter().copied());
        q.push(" group by key_hash").build_query_as().fetch_all(&mut *c).await
    })?;
    if counted.iter().any(|(_, fresh, all)| fresh < all) {
        on_tx!(&mut *tx, |c| {
            let mut q = sqlx::QueryBuilder::new("delete from address_use where kind = ");
            q.push_bind(kind).push(" and at < ").push_bind(since).push(" and key_hash");
            crate::db::push_in(&mut q, keys.iter().copied());
            q.build().execute(&mut *c).await.map(|_| ())
        })?;
    }
    let mut used: std::collections::HashMap<String, i64> =
        counted.into_iter().map(|(key, fresh, _)| (key, fresh)).collect();
    let spent: Vec<usize> = (0..uses.len())
        .filter(|&i| {
            let (key, most) = uses[i];
            let n = used.entry(key.to_owned()).or_insert(0);
            *n += 1;
            *n <= most
        })
        .collect();
    let mut ids: Vec<(i64, String)> = Vec::new();
    for chunk in spent.chunks(CHUNK_ROWS) {
        let rows: Vec<(i64, String)> = on_tx!(&mut *tx, |c| {
            let mut q = sqlx::QueryBuilder::new("insert into address_use (kind, key_hash, at) ");
            q.push_values(chunk, |mut b, &i| _ = b.push_bind(kind).push_bind(uses[i].0).push_bind(now));
            q.push(" returning id, key_hash").build_query_as().fetch_all(&mut *c).await
        })?;
        ids.extend(rows);
    }
    // Ids rise in the order the rows were written: a key's ids go to its uses in order.
    ids.sort_unstable();
    let mut by_key: std::collections::HashMap<String, std::collections::VecDeque<i64>> =
        std::collections::HashMap::new();
    for (id, key) in ids {
        by_key.entry(key).or_default().push_back(id);
    }
    let mut out = vec![None; uses.len()];
    for i in spent {
        out[i] = by_key.get_mut(uses[i].0).and_then(std::collections::VecDeque::pop_front);
    }
    Ok(out)
}

/// Gives a use back to its budget (what it paid for went well).
pub async fn give_back(db: &Db, id: i64) -> Result<()> {
    on_db!(db, |p| sqlx::query("delete from address_use where id = $1").bind(id).execute(p).await.map(|_| ()))?;
    Ok(())
}

// ---- login attempts ----

/// Records a login attempt.
pub async fn record_login_attempt(db: &Db, username: &str, ip: &str, success: bool) -> Result<()> {
    on_db!(db, |p| sqlx::query("insert into login_attempt (username, ip, at, success) values ($1, $2, $3, $4)")
        .bind(username)
        .bind(ip)
        .bind(clock::now())
        .bind(success)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Failed attempts since `since` for this login name, and from this address.
pub async fn recent_failures(db: &Db, username: &str, ip: &str, since: OffsetDateTime) -> Result<(i64, i64)> {
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "select (select count(*) from login_attempt where username = $1 and at >= $3 and not success \
                 and at > coalesce((select max(at) from login_attempt where username = $1 and success), $3)), \
                (select count(*) from login_attempt where ip = $2 and at >= $3 and not success)",
        )
        .bind(username)
        .bind(ip)
        .bind(since)
        .fetch_one(p)
        .await
    })?)
}

// ---- API tokens ----

/// Stores a new API token (hashed) for a user.
pub async fn insert_token(db: &Db, user_id: i64, created_by: i64, name: &str, token_hash: &str) -> Result<i64> {
    Ok(on_db!(db, |p| {
        sqlx::query_scalar(
        "insert into api_token (name, token_hash, user_id, created_by, created_at) values ($1, $2, $3, $4, $5) returning id"
    )
    .bind(name)
    .bind(token_hash)
    .bind(user_id)
    .bind(created_by)
    .bind(clock::now())
    .fetch_one(p)
    .await
    })?)
}

/// The (enabled) owner of a live token, marking it used.
pub async fn token_user(db: &Db, token_hash: &str) -> Result<Option<User>> {
    let sql = format!(
        "{USER_SELECT} join api_token t on t.user_id = a.id where t.token_hash = $1 and t.revoked_at is null and not a.disabled"
    );
    let user: Option<User> =
        on_db!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await)?;
    if user.is_some() {
        on_db!(db, |p| sqlx::query("update api_token set last_used_at = $1 where token_hash = $2")
            .bind(clock::now())
            .bind(token_hash)
            .execute(p)
            .await
            .map(|_| ()))?;
    }
    Ok(user)
}

/// The tokens of a user inside the scope.
pub async fn tokens(db: &Db, scope: &Scope, user_id: i64) -> Result<Vec<ApiToken>> {
    let (low, high) = scope.bounds();
    Ok(on_db!(db, |p| {
        sqlx::query_as(
            "select t.id, t.name, t.user_id, t.created_at, t.last_used_at, t.revoked_at from api_token t \
         join app_user a on a.id = t.user_id join unit u on u.id = a.unit_id \
         where t.user_id = $1 and u.region_path >= $2 and u.region_path < $3 order by t.id desc",
        )
        .bind(user_id)
        .bind(low)
        .bind(&high)
        .fetch_all(p)
        .await
    })?)
}

/// Revokes a token whose owner is inside the scope; returns the owner's id.
pub async fn revoke_token(db: &Db, scope: &Scope, id: i64) -> Result<i64> {
    let (low, high) = scope.bounds();
    on_db!(db, |p| sqlx::query_scalar(
        "update api_token set revoked_at = $1 where id = $2 and revoked_at is null and user_id in \
         (select a.id from app_user a join unit u on u.id = a.unit_id where u.region_path >= $3 and u.region_path < $4) \
         returning user_id"
    )
    .bind(clock::now())
    .bind(id)
    .bind(low)
    .bind(&high)
    .fetch_optional(p)
    .await)?
    .ok_or(Error::NotFound)
}
