//! The Cognito stand-in: discovery, JWKS, hosted login, token, userInfo and logout endpoints.

mod login;
mod page;
mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use claimsgate_core::bearer::from_headers;
use claimsgate_core::fetch::BoxFuture;
use claimsgate_core::{Clock, FetchError, Fetcher, TokenUsePolicy, Verifier, VerifierConfig};
use serde::Deserialize;
use serde_json::json;

use crate::issuer::TokenIssuer;
use crate::users::User;

pub use token::CodeGrant;
use token::RefreshGrant;

/// Scopes the local app client may ask for.
pub const CLIENT_SCOPES: &[&str] = &[
    "openid",
    "email",
    "phone",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// The state of the local user pool.
#[derive(Debug)]
pub struct Cognito {
    /// Base URL of the stand-in, e.g. `http://127.0.0.1:9229`.
    pub base_url: String,
    /// Pool id.
    pub pool_id: String,
    /// App client id.
    pub client_id: String,
    /// App client secret.
    pub client_secret: String,
    /// Registered callback and sign-out URLs.
    pub callback_urls: Vec<String>,
    /// Refresh token lifetime, in seconds.
    pub refresh_token_ttl: u64,
    /// Users.
    pub users: Vec<User>,
    /// Issues tokens through the trigger.
    pub issuer: TokenIssuer,
    /// Verifies access tokens for `/oauth2/userInfo`.
    verifier: Verifier,
    codes: Mutex<HashMap<String, CodeGrant>>,
    refresh_key: aws_lc_rs::hmac::Key,
}

impl Cognito {
    /// A pool served at `base_url`, issuing with `issuer`.
    ///
    /// # Errors
    /// When the issuer URL is not one a verifier accepts.
    pub fn new(
        base_url: String,
        settings: &crate::settings::StackSettings,
        users: Vec<User>,
        issuer: TokenIssuer,
    ) -> Result<Self, String> {
        let config = VerifierConfig::for_issuer(
            &issuer.issuer,
            &[&settings.client_id],
            TokenUsePolicy::Access,
        )
        .map_err(|e| e.to_string())?;
        let jwks = OwnJwks(issuer.key.jwks().to_string().into_bytes());
        let clock: Arc<dyn Clock> = Arc::clone(&issuer.clock);
        let verifier = Verifier::new(&config, Arc::new(jwks), clock);
        let refresh_key = token::refresh_key(&issuer.key.to_pkcs8_pem());
        Ok(Self {
            base_url,
            pool_id: settings.pool_id.clone(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            callback_urls: settings.callback_urls.clone(),
            refresh_token_ttl: settings.refresh_token_ttl,
            users,
            issuer,
            verifier,
            codes: Mutex::new(HashMap::new()),
            refresh_key,
        })
    }

    /// The issuer URL, `{base_url}/{pool_id}`.
    #[must_use]
    pub fn issuer_url(&self) -> &str {
        &self.issuer.issuer
    }

    /// The user signing in with this name (the email, any case).
    #[must_use]
    pub fn user(&self, email: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    /// The user signing in with this name and password (compared in constant time).
    #[must_use]
    pub fn authenticate(&self, email: &str, password: &str) -> Option<&User> {
        self.user(email).filter(|u| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                u.password.as_bytes(),
                password.as_bytes(),
            )
            .is_ok()
        })
    }

    /// A refresh token for a session of `email` that began at `auth_time`,
    /// valid for the pool's refresh-token lifetime from `now`.
    #[must_use]
    pub fn refresh_token(
        &self,
        email: &str,
        scopes: Vec<String>,
        auth_time: u64,
        origin_jti: String,
        now: u64,
    ) -> String {
        RefreshGrant {
            email: email.to_owned(),
            client_id: self.client_id.clone(),
            scopes,
            auth_time,
            origin_jti,
            expires_at: now + self.refresh_token_ttl,
        }
        .seal(&self.refresh_key)
    }

    fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub() == sub)
    }

    fn is_registered(&self, url: &str) -> bool {
        self.callback_urls.iter().any(|u| u == url)
    }

    /// The router of every endpoint.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{pool}/.well-known/openid-configuration", get(discovery))
            .route("/{pool}/.well-known/jwks.json", get(jwks))
            .route("/oauth2/authorize", get(login::authorize))
            .route("/login", get(login::form).post(login::submit))
            .route("/oauth2/token", axum::routing::post(token::token))
            .route("/oauth2/userInfo", get(user_info))
            .route("/logout", get(logout))
            .with_state(self)
    }
}

/// The pool's own key set, handed to the `/oauth2/userInfo` verifier without an HTTP round trip.
#[derive(Debug)]
struct OwnJwks(Vec<u8>);

impl Fetcher for OwnJwks {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

async fn discovery(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    let base = &pool.base_url;
    axum::Json(json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "end_session_endpoint": format!("{base}/logout"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": pool.issuer_url(),
        "jwks_uri": format!("{}/.well-known/jwks.json", pool.issuer_url()),
        "response_types_supported": ["code"],
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
    }))
    .into_response()
}

async fn jwks(State(pool): State<Arc<Cognito>>, Path(id): Path<String>) -> Response {
    if id != pool.pool_id {
        return (StatusCode::NOT_FOUND, "no such user pool").into_response();
    }
    axum::Json(pool.issuer.key.jwks()).into_response()
}

async fn user_info(State(pool): State<Arc<Cognito>>, headers: HeaderMap) -> Response {
    let denied = |description: &str| {
        let challenge =
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            axum::Json(json!({"error": "invalid_token", "error_description": description})),
        )
            .into_response()
    };
    let authorization = headers.get_all(header::AUTHORIZATION).iter();
    let Ok(token) = from_headers(authorization.map(|v| v.as_bytes())) else {
        return denied("Access token is missing");
    };
    let verified = match pool.verifier.verify(token).await {
        Ok(v) => v,
        Err(e) => return denied(e.code()),
    };
    let Some(user) = verified.claims.sub().and_then(|s| pool.user_by_sub(s)) else {
        return denied("User does not exist");
    };
    let mut body = user.attributes();
    body.remove("cognito:user_status");
    body.insert("username".into(), json!(user.sub()));
    axum::Json(body).into_response()
}

#[derive(Deserialize)]
struct LogoutQuery {
    client_id: Option<String>,
    logout_uri: Option<String>,
}

async fn logout(State(pool): State<Arc<Cognito>>, Query(q): Query<LogoutQuery>) -> Response {
    if q.client_id.as_deref() != Some(pool.client_id.as_str()) {
        return page::error(StatusCode::BAD_REQUEST, "Invalid client_id.");
    }
    match q.logout_uri {
        Some(uri) if pool.is_registered(&uri) => Redirect::to(&uri).into_response(),
        _ => page::error(
            StatusCode::BAD_REQUEST,
            "The logout_uri is not registered for this app client.",
        ),
    }
}
