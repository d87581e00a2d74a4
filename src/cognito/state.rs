//! What the pool remembers between requests: unredeemed codes, hosted-login
//! sessions and revoked sessions. Each store purges what has expired whenever
//! it is touched, so none grows with time.
//!
//! It uses nothing else of the crate; it is used by `cognito::login`, `cognito::pool`.

use std::collections::HashMap;

/// Authorization codes live five minutes.
pub const CODE_LIFE_SECS: u64 = 300;

/// A hosted-login session lives an hour, as Cognito's session cookie does.
pub const SESSION_LIFE_SECS: u64 = 3600;

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The user's email.
    pub email: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The request's nonce.
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge, when the request carried one.
    pub challenge: Option<String>,
    /// When the user signed in.
    pub auth_time: u64,
    /// When the code stops working.
    pub expires_at: u64,
    /// The hosted-login session it came from (`/logout` ends it).
    pub session: String,
}

/// Unredeemed authorization codes.
#[derive(Debug, Default)]
pub struct Codes(HashMap<String, CodeGrant>);

impl Codes {
    /// Remembers `code` until its grant expires.
    pub fn insert(&mut self, code: String, grant: CodeGrant, now: u64) {
        self.purge(now);
        self.0.insert(code, grant);
    }

    /// Takes `code` out (it is single-use); `None` when unknown, used or expired.
    pub fn take(&mut self, code: &str, now: u64) -> Option<CodeGrant> {
        self.purge(now);
        self.0.remove(code)
    }

    /// How many codes wait to be redeemed (expired ones included until the next purge).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no code waits.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn purge(&mut self, now: u64) {
        self.0.retain(|_, grant| grant.expires_at > now);
    }
}

#[derive(Debug)]
struct Session {
    expires_at: u64,
    /// The `origin_jti` of every token family redeemed from this session's codes.
    origins: Vec<String>,
}

/// Hosted-login sessions, named by the value of their cookie.
#[derive(Debug, Default)]
pub struct Sessions(HashMap<String, Session>);

impl Sessions {
    /// Starts session `id` at `now`.
    pub fn start(&mut self, id: &str, now: u64) {
        self.purge(now);
        self.0.insert(
            id.to_owned(),
            Session { expires_at: now + SESSION_LIFE_SECS, origins: Vec::new() },
        );
    }

    /// Records that tokens of `origin_jti` were issued in session `id`.
    pub fn add_origin(&mut self, id: &str, origin_jti: &str, now: u64) {
        self.purge(now);
        if let Some(session) = self.0.get_mut(id) {
            session.origins.push(origin_jti.to_owned());
        }
    }

    /// Ends session `id`, returning the token families it issued.
    pub fn end(&mut self, id: &str, now: u64) -> Vec<String> {
        self.purge(now);
        self.0.remove(id).map(|s| s.origins).unwrap_or_default()
    }

    fn purge(&mut self, now: u64) {
        self.0.retain(|_, s| s.expires_at > now);
    }
}

/// Revoked token families (`origin_jti`), kept until their refresh token would have expired.
#[derive(Debug, Default)]
pub struct Revocations(HashMap<String, u64>);

impl Revocations {
    /// Revokes the family `origin_jti` until `until`.
    pub fn revoke(&mut self, origin_jti: &str, until: u64, now: u64) {
        self.purge(now);
        let kept = self.0.entry(origin_jti.to_owned()).or_insert(until);
        *kept = (*kept).max(until);
    }

    /// True when the family `origin_jti` was revoked.
    #[must_use]
    pub fn is_revoked(&self, origin_jti: &str, now: u64) -> bool {
        self.0.get(origin_jti).is_some_and(|until| *until > now)
    }

    fn purge(&mut self, now: u64) {
        self.0.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expires_at: u64) -> CodeGrant {
        CodeGrant {
            email: "a@b.c".into(),
            client_id: "c".into(),
            redirect_uri: "http://localhost".into(),
            scopes: Vec::new(),
            nonce: None,
            challenge: None,
            auth_time: 0,
            expires_at,
            session: "s".into(),
        }
    }

    #[test]
    fn expired_codes_are_purged_and_codes_are_single_use() {
        let mut codes = Codes::default();
        codes.insert("a".into(), grant(100), 0);
        codes.insert("b".into(), grant(200), 50);
        assert_eq!(codes.len(), 2);
        // Touching the store at 100 purges `a`.
        codes.insert("c".into(), grant(400), 100);
        assert_eq!(codes.len(), 2);
        assert!(codes.take("a", 100).is_none());
        assert!(codes.take("b", 150).is_some());
        assert!(codes.take("b", 150).is_none());
        assert!(codes.take("c", 400).is_none(), "expired at 400");
        assert!(codes.is_empty());
    }

    #[test]
    fn sessions_collect_families_and_revocations_lapse() {
        let mut sessions = Sessions::default();
        sessions.start("s1", 0);
        sessions.add_origin("s1", "f1", 10);
        sessions.add_origin("s1", "f2", 20);
        sessions.add_origin("nope", "f3", 20);
        assert_eq!(sessions.end("s1", 30), ["f1", "f2"]);
        assert!(sessions.end("s1", 30).is_empty());
        sessions.start("s2", 0);
        assert!(sessions.end("s2", SESSION_LIFE_SECS).is_empty(), "expired");

        let mut revoked = Revocations::default();
        revoked.revoke("f1", 100, 0);
        revoked.revoke("f1", 50, 0);
        assert!(revoked.is_revoked("f1", 99));
        assert!(!revoked.is_revoked("f1", 100));
        assert!(!revoked.is_revoked("f2", 0));
    }
}
