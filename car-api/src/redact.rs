//! Keeps secrets out of `Debug` output.

use std::fmt;

/// Stands in for a sensitive value in `Debug` output; says whether a value was present.
pub struct Redacted(bool);

impl Redacted {
    /// Wraps any value; only whether an `Option` is set shows through.
    pub fn of<T: Presence + ?Sized>(value: &T) -> Redacted {
        Redacted(value.is_present())
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 {
            f.write_str("\"** redacted **\"")
        } else {
            f.write_str("None")
        }
    }
}

/// Whether a possibly-optional value holds something.
pub trait Presence {
    /// True when there is a value to hide.
    fn is_present(&self) -> bool;
}

impl<T> Presence for Option<T> {
    fn is_present(&self) -> bool {
        self.is_some()
    }
}

impl Presence for String {
    fn is_present(&self) -> bool {
        true
    }
}

impl Presence for str {
    fn is_present(&self) -> bool {
        true
    }
}
