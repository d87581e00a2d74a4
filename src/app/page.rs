//! The page itself: `GET /app` (signed in or not), `POST /app/call` (one of
//! the API's routes, called from the server with the session's token) and its
//! script. It uses the app's state, sessions, views and rule explanation.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use super::rule;
use super::session::Session;
use super::site::App;
use super::view::{self, Decoded};
use crate::cognito::page::{APP_CSP, html_with};

/// `GET /app`: the signed-in page, or the way to sign in.
pub(super) async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let Some((_, Session::SignedIn { tokens, csrf })) = app.session(&headers) else {
        return html_with(StatusCode::OK, APP_CSP, view::signed_out(&app.client()));
    };
    let id = Decoded::of(&tokens.id_token).unwrap_or_default();
    let access = Decoded::of(&tokens.access_token).unwrap_or_default();
    let user = id.str("sub").and_then(|sub| app.pool.users.iter().find(|u| u.sub() == sub));
    let attributes = user.map(crate::cognito::users::User::attributes);
    let explanation = rule::explain(
        app.rules.as_ref(),
        attributes.as_ref(),
        id.str(claimsgate_core::rules::PET_CLAIM),
    );
    let page = view::signed_in(&view::SignedIn {
        client: app.client(),
        id: &id,
        access: &access,
        rule: &explanation,
        now: app.now(),
        csrf: &csrf,
        routes: &app.routes,
    });
    html_with(StatusCode::OK, APP_CSP, page)
}

#[derive(Debug, Deserialize)]
pub(super) struct CallForm {
    #[serde(default)]
    route: String,
    #[serde(rename = "use", default)]
    token_use: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /app/call`: calls one of the API's routes with the session's token and answers `{status, reason, body}`.
pub(super) async fn call(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<CallForm>,
) -> Response {
    let json_error = |status: StatusCode, error: &str| {
        (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": error})))
            .into_response()
    };
    let tokens = match app.signed_in(&headers, &form.csrf) {
        Ok((_, tokens)) => tokens,
        Err(refusal) if refusal.status() == StatusCode::FORBIDDEN => {
            return json_error(StatusCode::FORBIDDEN, "reload the page and try again");
        }
        Err(_) => {
            return json_error(StatusCode::UNAUTHORIZED, "signed out: reload the page");
        }
    };
    // Only the routes the page offers: this is not an open proxy. A bare path is a GET.
    let wanted = if form.route.starts_with('/') {
        format!("GET {}", form.route)
    } else {
        form.route.clone()
    };
    let Some(route) = app.routes.iter().find(|r| r.request == wanted) else {
        return json_error(StatusCode::BAD_REQUEST, "not a route of the page");
    };
    let token = match form.token_use.as_str() {
        "access" => &tokens.access_token,
        _ => &tokens.id_token,
    };
    let method =
        reqwest::Method::from_bytes(route.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let url = format!("{}{}", app.api_url, route.path);
    let answer = app.http.request(method, url).bearer_auth(token).send().await;
    let response = match answer {
        Ok(r) => r,
        Err(e) => {
            return json_error(
                StatusCode::BAD_GATEWAY,
                &format!("the API Gateway stand-in did not answer: {e}"),
            );
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "route": route.request,
            "status": status.as_u16(),
            "reason": status.canonical_reason().unwrap_or_default(),
            "body": body,
        })),
    )
        .into_response()
}

/// `GET /app/app.js`.
pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        include_str!("app.js"),
    )
        .into_response()
}
