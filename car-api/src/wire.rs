//! Decoding help for the generated types: members upstream promises but the server
//! leaves out, and identifiers shown only in part.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// The value of a promised response member the server left out. One odd member must not
/// cost the caller the whole response, so it gets its default and a debug line.
pub(crate) fn missing<T: Default>(owner: &str, member: &str) -> T {
    tracing::debug!(
        target: "car_api::wire",
        owner,
        member,
        "the response left out a member the API promises; using its default"
    );
    T::default()
}

/// Decodes a promised, non-nullable response member, reading `null` like a missing one.
pub(crate) fn non_null<'de, D, T>(deserializer: D, owner: &str, member: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(value),
        None => {
            tracing::debug!(
                target: "car_api::wire",
                owner,
                member,
                "the response sent null for a member the API says is never null; using its default"
            );
            Ok(T::default())
        }
    }
}

/// Shows an identifier the way `Credentials` shows its SecretId: the first characters,
/// then `****`.
pub(crate) struct Masked<'a, T: ?Sized>(pub(crate) &'a T);

impl fmt::Debug for Masked<'_, String> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::signing::mask_secret_id(self.0), f)
    }
}

impl fmt::Debug for Masked<'_, Option<String>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => f.debug_tuple("Some").field(&Masked(id)).finish(),
            None => f.write_str("None"),
        }
    }
}
