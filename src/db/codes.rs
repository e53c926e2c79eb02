//! The storage edge of the domain's closed sets: each is stored as its code (TEXT) and
//! decoded once, here, on the way out — an unknown code is a decoding error, never a
//! string passed on. Written for any sqlx database whose text type carries them.

use sqlx::database::Database;
use sqlx::decode::Decode;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::types::Type;

use crate::domain::Coded;
use crate::domain::app_log::{LogKind, LogLevel};
use crate::domain::catalogue::{ActionFilter, ObjectType};
use crate::domain::delivery::{DeliveryStatus, ErrorKind, Trigger};
use crate::domain::webhook::{Mode, Verb};

macro_rules! stored_as_code {
    ($($t:ty),* $(,)?) => {$(
        impl<DB: Database> Type<DB> for $t
        where
            &'static str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <&'static str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <&'static str as Type<DB>>::compatible(ty)
            }
        }

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
);
