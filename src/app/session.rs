//! The app's server-side sessions, named by the value of an HttpOnly cookie:
//! a sign-in in progress (its `state` and PKCE verifier), or a signed-in user
//! (the tokens, which never leave the server). The store purges expired
//! sessions whenever it is touched and holds at most [`MAX_SESSIONS`].
//!
//! It uses nothing else of the crate; it is used by `app::page`, `app::signin`, `app::site`.

use std::collections::HashMap;

/// More sessions than this and the one closest to expiry goes: anyone can start a sign-in.
pub const MAX_SESSIONS: usize = 1024;

/// A sign-in must come back from the login page within ten minutes.
pub const SIGN_IN_LIFE_SECS: u64 = 600;

/// The tokens of a signed-in user, as the token endpoint gave them.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The ID token.
    pub id_token: String,
    /// The access token.
    pub access_token: String,
    /// The refresh token (kept across refreshes: the refresh grant returns none).
    pub refresh_token: Option<String>,
}

/// What a session holds.
#[derive(Debug, Clone)]
pub enum Session {
    /// Sent to the login page; waiting for the callback.
    SigningIn {
        /// The `state` of the authorization request.
        state: String,
        /// The PKCE `code_verifier`.
        verifier: String,
    },
    /// Signed in.
    SignedIn {
        /// The user's tokens.
        tokens: TokenSet,
        /// The anti-CSRF token every POST of the page carries.
        csrf: String,
    },
}

#[derive(Debug)]
struct Entry {
    session: Session,
    expires_at: u64,
}

/// The sessions of the app.
#[derive(Debug, Default)]
pub struct Sessions(HashMap<String, Entry>);

impl Sessions {
    /// Keeps `session` as `id` until `expires_at`.
    pub fn insert(&mut self, id: &str, session: Session, expires_at: u64, now: u64) {
        self.purge(now);
        while self.0.len() >= MAX_SESSIONS {
            let Some(oldest) =
                self.0.iter().min_by_key(|(_, e)| e.expires_at).map(|(k, _)| k.clone())
            else {
                break;
            };
            self.0.remove(&oldest);
        }
        self.0.insert(id.to_owned(), Entry { session, expires_at });
    }

    /// The session `id`, if it is alive.
    pub fn get(&mut self, id: &str, now: u64) -> Option<Session> {
        self.purge(now);
        self.0.get(id).map(|e| e.session.clone())
    }

    /// Replaces the tokens of the signed-in session `id`; false when there is none.
    pub fn set_tokens(&mut self, id: &str, new: TokenSet, now: u64) -> bool {
        self.purge(now);
        match self.0.get_mut(id).map(|e| &mut e.session) {
            Some(Session::SignedIn { tokens, .. }) => {
                *tokens = new;
                true
            }
            _ => false,
        }
    }

    /// Takes the session `id` out (a sign-in is completed once; a sign-out ends it).
    pub fn take(&mut self, id: &str, now: u64) -> Option<Session> {
        self.purge(now);
        self.0.remove(id).map(|e| e.session)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }

    fn purge(&mut self, now: u64) {
        self.0.retain(|_, e| e.expires_at > now);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn signing_in() -> Session {
        Session::SigningIn { state: "s".into(), verifier: "v".into() }
    }

    fn tokens(id: &str) -> TokenSet {
        TokenSet { id_token: id.into(), access_token: "a".into(), refresh_token: Some("r".into()) }
    }

    #[test]
    fn sessions_expire_are_taken_once_and_keep_their_tokens_fresh() {
        let mut store = Sessions::default();
        store.insert("a", signing_in(), 100, 0);
        assert!(matches!(store.get("a", 99), Some(Session::SigningIn { .. })));
        assert!(store.get("a", 100).is_none(), "expired at 100");

        store.insert("b", signing_in(), 200, 100);
        assert!(store.take("b", 150).is_some());
        assert!(store.take("b", 150).is_none(), "a sign-in completes once");

        let signed_in = Session::SignedIn { tokens: tokens("old"), csrf: "c".into() };
        store.insert("c", signed_in, 1000, 150);
        assert!(store.set_tokens("c", tokens("new"), 160));
        let Some(Session::SignedIn { tokens, csrf }) = store.get("c", 170) else {
            panic!("signed in");
        };
        assert_eq!((tokens.id_token.as_str(), csrf.as_str()), ("new", "c"));
        assert!(!store.set_tokens("nope", self::tokens("x"), 170));
    }

    #[test]
    fn a_flood_of_sign_ins_evicts_the_oldest_not_the_signed_in() {
        let mut store = Sessions::default();
        let signed_in = Session::SignedIn { tokens: tokens("t"), csrf: "c".into() };
        store.insert("user", signed_in, 10_000, 0);
        for i in 0..MAX_SESSIONS * 2 {
            store.insert(&format!("flood-{i}"), signing_in(), 600, 0);
        }
        assert_eq!(store.len(), MAX_SESSIONS);
        assert!(store.get("user", 1).is_some());
    }
}
