//! The `Pet` type and the trigger's assignment rules.

use std::fmt;
use std::str::FromStr;

/// The value of the `pet_preference` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pet {
    /// `dogs`
    Dogs,
    /// `cats`
    Cats,
}

impl Pet {
    /// The claim value: `dogs` or `cats`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dogs => "dogs",
            Self::Cats => "cats",
        }
    }
}

impl fmt::Display for Pet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pet {
    type Err = ();

    /// `dogs` or `cats`, in any case, surrounding blanks ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("dogs") {
            Ok(Self::Dogs)
        } else if s.eq_ignore_ascii_case("cats") {
            Ok(Self::Cats)
        } else {
            Err(())
        }
    }
}
