//! The role of a relation endpoint, as in `{requires:mysql}`.

use std::fmt;
use std::str::FromStr;

/// The role of a relation endpoint: the `metadata.yaml` section that
/// declares it.
///
/// ```
/// use reactive_grammar::hook_pattern::Role;
///
/// assert_eq!("requires".parse::<Role>(), Ok(Role::Requires));
/// assert_eq!(Role::Peers.to_string(), "peers");
/// assert!("peer".parse::<Role>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Declared under `provides:`.
    Provides,
    /// Declared under `requires:`.
    Requires,
    /// Declared under `peers:`.
    Peers,
}

impl Role {
    /// Every role, in `metadata.yaml` order.
    pub const ALL: [Role; 3] = [Role::Provides, Role::Requires, Role::Peers];

    /// The role's name, which is also its `metadata.yaml` key:
    /// `provides`, `requires` or `peers`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Provides => "provides",
            Role::Requires => "requires",
            Role::Peers => "peers",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseRoleError;

    /// Accepts exactly `provides`, `requires` or `peers`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| ParseRoleError { role: s.to_owned() })
    }
}

/// A word that is not `provides`, `requires` or `peers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRoleError {
    role: String,
}

impl ParseRoleError {
    /// The word that was not a role.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The role it is probably a typo of, e.g. `provides` for `provide`.
    pub fn suggestion(&self) -> Option<Role> {
        suggest_role(&self.role)
    }
}

impl fmt::Display for ParseRoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown role `{}`; expected `provides`, `requires` or `peers`",
            crate::text::escaped(&self.role)
        )?;
        if let Some(role) = self.suggestion() {
            write!(f, "; did you mean `{role}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseRoleError {}

/// The role `word` is probably a typo of.
pub(crate) fn suggest_role(word: &str) -> Option<Role> {
    let name = crate::suggest::closest(word, Role::ALL.map(Role::as_str))?;
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_three_words() {
        assert_eq!("provides".parse(), Ok(Role::Provides));
        assert_eq!("requires".parse(), Ok(Role::Requires));
        assert_eq!("peers".parse(), Ok(Role::Peers));
        for word in [
            "",
            "provide",
            "peer",
            "Provides",
            " provides",
            "provider",
            "requirer",
        ] {
            assert!(word.parse::<Role>().is_err(), "{word:?}");
        }
    }

    #[test]
    fn displays_as_its_word() {
        for role in Role::ALL {
            assert_eq!(role.to_string(), role.as_str());
            assert_eq!(role.to_string().parse(), Ok(role));
        }
    }

    #[test]
    fn error_suggests_the_nearest_role() {
        let err = "provide".parse::<Role>().unwrap_err();
        assert_eq!(err.role(), "provide");
        assert_eq!(err.suggestion(), Some(Role::Provides));
        assert_eq!(
            err.to_string(),
            "unknown role `provide`; expected `provides`, `requires` or `peers`; \
             did you mean `provides`?"
        );
        assert_eq!(suggest_role("peer"), Some(Role::Peers));
        assert_eq!(suggest_role("requirer"), Some(Role::Requires));
        assert_eq!(suggest_role("Provides"), Some(Role::Provides));
        assert_eq!(suggest_role("provides"), None);
    }

    #[test]
    fn error_without_suggestion() {
        let err = "database".parse::<Role>().unwrap_err();
        assert_eq!(err.suggestion(), None);
        assert_eq!(
            err.to_string(),
            "unknown role `database`; expected `provides`, `requires` or `peers`"
        );
    }
}
