//! The storage edge of the domain's closed sets and typed ids: a closed set is stored as its
//! code (TEXT) and decoded once, here, on the way out — an unknown code is a decoding error,
//! never a string passed on; an id is stored as its number. Written for any sqlx database.

use sqlx::database::Database;
use sqlx::decode::Decode;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::types::Type;

use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::delivery::{DeliveryStatus, ErrorKind, Trigger};
use crate::domain::ids::{
    AttemptId, DeliveryId, EventRowId, ListFilterId, PhaseId, ProjectFilterId, ProjectId, RoleId,
    TokenId, UserId, WebhookId,
};
use crate::domain::project_filter::ProjectCriteria;
use crate::domain::webhook::{FieldNames, ListCriteria, Mode, RateLimit, Verb};
use crate::domain::{Coded, RoleKind};

/// `$t` is stored as a `$base` is: the same SQL type.
macro_rules! same_type_as {
    ($t:ty, $base:ty) => {
        impl<DB: Database> Type<DB> for $t
        where
            $base: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$base as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$base as Type<DB>>::compatible(ty)
            }
        }
    };
}

macro_rules! stored_as_code {
    ($($t:ty),* $(,)?) => {$(
        same_type_as!($t, &'static str);

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            &'static str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&'static str as Encode<'q, DB>>::encode(self.code(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let code = <&'r str as Decode<'r, DB>>::decode(value)?;
                Ok(crate::domain::code::parse::<$t>(stringify!($t), code)?)
            }
        }
    )*};
}

stored_as_code!(
    DeliveryStatus,
    Trigger,
    ErrorKind,
    Mode,
    Verb,
    ActionFilter,
    ObjectType,
    LogLevel,
    LogKind,
    RoleKind,
);

macro_rules! stored_as_number {
    ($($t:ty),* $(,)?) => {$(
        same_type_as!($t, i64);

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode(self.get(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <i64 as Decode<'r, DB>>::decode(value).map(<$t>::new)
            }
        }
    )*};
}

stored_as_number!(
    WebhookId,
    DeliveryId,
    EventRowId,
    AttemptId,
    ProjectId,
    PhaseId,
    UserId,
    RoleId,
    TokenId,
    ProjectFilterId,
    ListFilterId,
);

same_type_as!(RateLimit, i64);

impl<'q, DB: Database> Encode<'q, DB> for RateLimit
where
    i64: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, DB>>::encode(i64::from(self.per_second()), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for RateLimit
where
    i64: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let n = <i64 as Decode<'r, DB>>::decode(value)?;
        Ok(RateLimit::new(n).ok_or_else(|| format!("{n} is no rate limit"))?)
    }
}

/// Criteria are stored as the JSON Hookline wrote; anything else is a decoding error.
macro_rules! stored_as_json {
    ($($t:ty),* $(,)?) => {$(
        same_type_as!($t, String);

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode(serde_json::to_string(self)?, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(serde_json::from_str(<&'r str as Decode<'r, DB>>::decode(value)?)?)
            }
        }
    )*};
}

stored_as_json!(ProjectCriteria, ListCriteria);

// Excluded fields are stored as the form writes them: "name, budget".
same_type_as!(FieldNames, String);

impl<'q, DB: Database> Encode<'q, DB> for FieldNames
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, DB>>::encode(self.to_string(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for FieldNames
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(FieldNames::stored(<&'r str as Decode<'r, DB>>::decode(
            value,
        )?))
    }
}
