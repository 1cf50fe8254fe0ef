//! Regions, units and accounts: the types and rules. Jilin's region tree (five levels, a
//! materialised path), the units that work in it, the roles people hold, and the scope every query
//! takes.

pub mod actions;
pub mod api;
pub mod caller;
pub mod pages;
pub mod path;
pub mod picker;
pub mod reference;
pub mod store;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use crate::{Error, Result};

/// The region subtree a user may see and change: a materialised path such as `/22/2201/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Scope(String);

impl Scope {
    /// The whole province (for operators at the command line).
    pub fn province() -> Self {
        Self("/22/".to_owned())
    }

    /// The subtree under a region path.
    pub fn under(path: &str) -> Self {
        Self(path.to_owned())
    }

    /// The root path of the subtree.
    pub fn path(&self) -> &str {
        &self.0
    }

    /// Whether a region path lies inside this subtree.
    pub fn contains(&self, path: &str) -> bool {
        path.starts_with(&self.0)
    }

    /// The half-open range `[low, high)` of paths inside the subtree: paths are digits and `/`, so
    /// replacing the final `/` by `0` bounds every descendant. An index range scan on both backends.
    pub fn bounds(&self) -> (&str, String) {
        let mut high = self.0.trim_end_matches('/').to_owned();
        high.push('0');
        (&self.0, high)
    }
}

/// A region code: 6 digits (province, prefecture, county), 9 (township) or 12 (village).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a code, naming what was expected.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        if matches!(s.len(), 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid("region", crate::i18n::keyed("error.region_code_value", &[s])))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        $(#[$meta])*
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored and API name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the stored and API name (surrounding spaces ignored).
            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Stored as its name: rows hold the enum, and a name the enum does not know is an error.
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> ::std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> ::std::result::Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Self::parse(text).ok_or_else(|| format!("'{text}' is not a {}", stringify!($name)).into())
            }
        }
    };
}

pub(crate) use text_enum;

text_enum! {
    /// The kind of a region.
    RegionKind {
        /// An ordinary administrative region.
        Regular = "regular",
        /// A development zone (开发区).
        DevZone = "dev_zone",
        /// The Changbaishan management zone (长白山保护开发区).
        MgmtZone = "mgmt_zone",
    }
}

text_enum! {
    /// The kind of a unit.
    UnitKind {
        /// Provincial fire rescue corps (总队).
        Corps = "corps",
        /// City detachment (支队).
        Detachment = "detachment",
        /// County brigade (大队).
        Brigade = "brigade",
        /// Fire station (消防站).
        Station = "station",
        /// Line department (行业部门).
        Department = "department",
        /// Partner company or platform.
        Partner = "partner",
        /// School or university.
        School = "school",
        /// Township, street or community office.
        CommunityOffice = "community_office",
        /// Volunteer team.
        VolunteerTeam = "volunteer_team",
    }
}

text_enum! {
    /// What a user may do, within their scope.
    Role {
        /// Manages units, users, tokens; reads the audit log.
        Admin = "admin",
        /// Provincial publicity office staff.
        ProvinceStaff = "province_staff",
        /// Detachment staff.
        DetachmentStaff = "detachment_staff",
        /// Brigade or station staff.
        BrigadeStaff = "brigade_staff",
        /// Community grid worker.
        CommunityWorker = "community_worker",
        /// Line department liaison.
        DepartmentLiaison = "department_liaison",
        /// Volunteer.
        Volunteer = "volunteer",
        /// Party or government leader: reads everything in scope, changes nothing.
        Leader = "leader",
    }
}

/// Something a role may be allowed to do (always within the user's scope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// See units.
    ViewUnits,
    /// Create and change units.
    ManageUnits,
    /// See user accounts.
    ViewUsers,
    /// Create and change user accounts, reset passwords, make API tokens.
    ManageUsers,
    /// Read the audit log.
    ViewAudit,
}

impl Role {
    /// Whether this is fire-service staff (admins and province, detachment and brigade staff):
    /// the roles that plan, review, push, organise events and run broadcasts in their area.
    pub fn is_fire_staff(self) -> bool {
        matches!(self, Self::Admin | Self::ProvinceStaff | Self::DetachmentStaff | Self::BrigadeStaff)
    }

    /// Whether this role may do `p` (within scope).
    pub fn can(self, p: Permission) -> bool {
        use Permission::{ManageUnits, ManageUsers, ViewAudit, ViewUnits, ViewUsers};
        match p {
            ViewUnits => true,
            ViewUsers => matches!(
                self,
                Self::Admin | Self::ProvinceStaff | Self::DetachmentStaff | Self::BrigadeStaff | Self::Leader
            ),
            ManageUnits | ManageUsers | ViewAudit => self == Self::Admin,
        }
    }

    /// The kinds of unit a holder of this role belongs to.
    pub fn unit_kinds(self) -> &'static [UnitKind] {
        use UnitKind::{
            Brigade, CommunityOffice, Corps, Department, Detachment, Partner, School, Station, VolunteerTeam,
        };
        match self {
            Self::Admin => &[Corps, Detachment, Brigade],
            Self::ProvinceStaff => &[Corps],
            Self::DetachmentStaff => &[Detachment],
            Self::BrigadeStaff => &[Brigade, Station],
            Self::CommunityWorker => &[CommunityOffice],
            Self::DepartmentLiaison => &[Department, Partner, School],
            Self::Volunteer => &[VolunteerTeam],
            Self::Leader => &[Corps, Detachment, Brigade, Department],
        }
    }
}

impl UnitKind {
    /// Whether it is a unit of the fire service (corps, detachment, brigade, station).
    pub fn is_fire_service(self) -> bool {
        matches!(self, Self::Corps | Self::Detachment | Self::Brigade | Self::Station)
    }

    /// The region levels a unit of this kind sits at (0 province … 4 village).
    pub fn levels(self) -> &'static [i16] {
        match self {
            Self::Corps => &[0],
            Self::Detachment => &[1],
            Self::Brigade => &[2],
            Self::Station => &[2, 3],
            Self::CommunityOffice => &[3, 4],
            Self::Department | Self::Partner | Self::School | Self::VolunteerTeam => &[0, 1, 2, 3, 4],
        }
    }
}

/// Checks a role fits a unit kind, naming both when it does not.
pub fn check_role_fits(role: Role, kind: UnitKind) -> Result<()> {
    if role.unit_kinds().contains(&kind) {
        Ok(())
    } else {
        Err(Error::invalid(
            "role",
            crate::i18n::keyed(
                "error.role_unit_kind",
                &[&crate::i18n::term("role", role), &crate::i18n::term("unit_kind", kind)],
            ),
        ))
    }
}

/// A login name: 3–32 of `a-z 0-9 . _ -`, stored in lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a login name.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let ok_chars = s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if (3..=32).contains(&s.len()) && ok_chars {
            Ok(Self(s))
        } else {
            Err(Error::invalid("username", "error.username_form"))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name or unit name: 1–60 characters, trimmed.
pub fn parse_name(field: &str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 60 || s.chars().any(char::is_control) {
        Err(Error::invalid(field, "error.name_length"))
    } else {
        Ok(s.to_owned())
    }
}

/// A free text as typed in a form (a summary, a description): trimmed, line breaks kept as `\n`,
/// at most `max` characters and no other control characters.
pub fn parse_text(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max || s.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err(Error::invalid(field, crate::i18n::keyed("error.at_most_chars", &[&max.to_string()])));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// A new password: 10 to 128 characters, not all the same character.
pub struct Password(String);

impl Password {
    /// Checks a new password against the rules.
    pub fn parse(s: &str) -> Result<Self> {
        let n = s.chars().count();
        let first = s.chars().next();
        if !(10..=128).contains(&n) {
            Err(Error::invalid("password", "error.password_length"))
        } else if s.chars().all(|c| Some(c) == first) {
            Err(Error::invalid("password", "error.password_repeated"))
        } else {
            Ok(Self(s.to_owned()))
        }
    }

    /// An Argon2id hash in PHC format.
    pub fn hash(&self) -> Result<String> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Ok(Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("password hash: {e}"))?
            .to_string())
    }
}

/// Whether `password` matches a stored hash. A hash that does not parse never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of a password nobody knows, verified when the account does not exist so that a failed
/// login takes as long either way.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZmlyZWNhc3QtZGVjb3k$q4GbVA3eQ7r2pJ8ZtB1mYB0bSdUvF0pqF9yQnQf3n9Q";

/// A new random secret (256 bits, URL-safe): session tokens, API tokens, CSRF tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret: its SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(secret.as_bytes()).iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_bounds_cover_exactly_the_subtree() {
        let scope = Scope::under("/22/2201/");
        let (low, high) = scope.bounds();
        for inside in ["/22/2201/", "/22/2201/220102/", "/22/2201/220199/220199999/220199999999/"] {
            assert!(inside >= low && inside < high.as_str(), "{inside}");
            assert!(scope.contains(inside));
        }
        for outside in ["/22/", "/22/2202/", "/22/2200/", "/22/22011/"] {
            let in_range = outside >= low && outside < high.as_str();
            assert_eq!(in_range, scope.contains(outside), "{outside}");
        }
    }

    #[test]
    fn region_codes_parse() {
        assert!(RegionCode::parse("220100").is_ok());
        assert!(RegionCode::parse("220102001001").is_ok());
        let err = RegionCode::parse("22a100").unwrap_err().to_string();
        assert!(err.contains("6, 9 or 12 digits"), "{err}");
    }

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse(" Changchun.Admin ").unwrap().as_str(), "changchun.admin");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("长春").is_err());
    }

    #[test]
    fn passwords_hash_and_verify() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("aaaaaaaaaaaa").is_err());
        let hash = Password::parse("correct horse battery").unwrap().hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", DECOY_HASH));
        assert!(PasswordHash::new(DECOY_HASH).is_ok(), "the decoy must cost a real verification");
    }

    #[test]
    fn roles_fit_their_units() {
        assert!(check_role_fits(Role::DetachmentStaff, UnitKind::Detachment).is_ok());
        assert!(check_role_fits(Role::DetachmentStaff, UnitKind::Brigade).is_err());
        assert!(Role::Admin.can(Permission::ManageUsers));
        assert!(!Role::Leader.can(Permission::ManageUnits));
        assert!(!Role::Volunteer.can(Permission::ViewUsers));
    }

    #[test]
    fn secrets_are_long_and_hashed() {
        let a = new_secret();
        assert!(a.len() >= 43);
        assert_ne!(a, new_secret());
        assert_eq!(hash_secret(&a).len(), 64);
        assert_eq!(hash_secret(&a), hash_secret(&a));
    }

    #[test]
    fn enums_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.as_str()), Some(*kind));
        }
    }
}
