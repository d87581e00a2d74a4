//! API Gateway's own answers (its "gateway responses"), as serverless.yml
//! configures them: the bodies, the bearer challenge and the CORS headers.
//!
//! It uses nothing else of the crate; it is used by `apigw::gateway`, `apigw::rest`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An answer API Gateway gives itself. serverless.yml sets the bodies and
/// headers of the 401, 403 and 5xx ones (`UNAUTHORIZED`, `ACCESS_DENIED`,
/// `DEFAULT_5XX`); the 403 of an unknown route keeps AWS's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayResponse {
    /// No such route or method.
    MissingAuthenticationToken,
    /// No token, or the authorizer said `Unauthorized`.
    Unauthorized,
    /// The authorizer's policy does not allow the route.
    AccessDenied,
    /// The authorizer failed or answered without a policy.
    AuthorizerFailure,
    /// The integration could not be called.
    InternalError,
}

impl GatewayResponse {
    /// The response, marked with its kind so that [`ErrorCors`] can find it.
    #[must_use]
    pub fn response(self) -> Response {
        let (status, error_type, message) = match self {
            Self::MissingAuthenticationToken => (
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ),
            Self::Unauthorized => {
                (StatusCode::UNAUTHORIZED, "UnauthorizedException", "Unauthorized")
            }
            Self::AccessDenied => (
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "User is not authorized to access this resource",
            ),
            Self::AuthorizerFailure => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "AuthorizerConfigurationException",
                "Internal server error",
            ),
            Self::InternalError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerErrorException",
                "Internal server error",
            ),
        };
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::HeaderName::from_static("x-amzn-errortype"), error_type),
            ],
            json!({ "message": message }).to_string(),
        )
            .into_response();
        if self == Self::Unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"claimsgate\""),
            );
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// The CORS headers of the configured gateway responses. API Gateway cannot
/// choose by origin there: with origins listed, it echoes the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCors {
    /// No origins configured: no CORS headers.
    Off,
    /// `*` configured.
    Any,
    /// Origins listed.
    EchoOrigin,
}

impl ErrorCors {
    /// The mode for the configured origins (already validated).
    #[must_use]
    pub fn for_origins(origins: &[String]) -> Self {
        let listed: Vec<&str> =
            origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
        if listed.is_empty() {
            Self::Off
        } else if listed.contains(&"*") {
            Self::Any
        } else {
            Self::EchoOrigin
        }
    }

    /// Adds the CORS headers to `response` when it is a configured gateway response.
    pub fn apply(self, request: &HeaderMap, response: &mut Response) {
        let configured = response
            .extensions()
            .get::<GatewayResponse>()
            .is_some_and(|g| *g != GatewayResponse::MissingAuthenticationToken);
        if !configured {
            return;
        }
        let headers = response.headers_mut();
        let origin = match self {
            Self::Off => return,
            Self::Any => Some(HeaderValue::from_static("*")),
            Self::EchoOrigin => {
                headers.insert(header::VARY, HeaderValue::from_static("Origin"));
                request.get(header::ORIGIN).cloned()
            }
        };
        if let Some(origin) = origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("WWW-Authenticate"),
        );
    }
}
