//! Is this request for `/me/claims`? Every way API Gateway and function URLs spell the path.
//!
//! `lambda_http` builds a REST (v1) request's URI as `/{stage}{path}` (for
//! example `/prod/me/claims`) and keeps the event's own `path` as the raw path;
//! an HTTP API on a named stage sends `rawPath` already prefixed with the stage;
//! a function URL or a `$default` stage sends the bare path. A custom domain's
//! base path mapping prefixes the path further, but the REST `resourcePath` and
//! the HTTP API `routeKey` still name the matched route. Any of these naming
//! `/me/claims` (after removing the stage prefix) selects this resource.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The one resource this function serves.
pub const ME_CLAIMS_PATH: &str = "/me/claims";

/// True when the request addresses `/me/claims`.
#[must_use]
pub fn is_me_claims(request: &Request) -> bool {
    let context = request.request_context_ref();
    let stage = context.and_then(stage);
    let matched_route = context.and_then(matched_route);
    [Some(request.uri().path()), Some(request.raw_http_path()), matched_route]
        .into_iter()
        .flatten()
        .any(|path| path_is_me_claims(path, stage))
}

/// `path`, without the `/{stage}` prefix when there is one, is `/me/claims` (a trailing `/` allowed).
#[must_use]
pub fn path_is_me_claims(path: &str, stage: Option<&str>) -> bool {
    let unstaged = stage
        .filter(|s| !s.is_empty() && *s != "$default")
        .and_then(|s| path.strip_prefix('/')?.strip_prefix(s))
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path);
    unstaged.strip_suffix('/').unwrap_or(unstaged) == ME_CLAIMS_PATH
}

fn stage(context: &RequestContext) -> Option<&str> {
    match context {
        RequestContext::ApiGatewayV1(ctx) => ctx.stage.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.stage.as_deref(),
        _ => None,
    }
}

/// The route API Gateway matched: REST `resourcePath`, or the path part of an HTTP API `routeKey`.
fn matched_route(context: &RequestContext) -> Option<&str> {
    match context {
        RequestContext::ApiGatewayV1(ctx) => ctx.resource_path.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => {
            ctx.route_key.as_deref().and_then(|key| key.split_once(' ')).map(|(_, path)| path)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_path_with_or_without_its_stage() {
        let yes = [
            ("/me/claims", None),
            ("/me/claims/", None),
            ("/me/claims", Some("prod")),
            ("/prod/me/claims", Some("prod")),
            ("/prod/me/claims/", Some("prod")),
            ("/me/claims", Some("$default")),
        ];
        for (path, stage) in yes {
            assert!(path_is_me_claims(path, stage), "{path} {stage:?}");
        }
    }

    #[test]
    fn rejects_other_paths() {
        let no = [
            ("/", None),
            ("", None),
            ("/me", None),
            ("/me/claims/x", None),
            ("/me/claimsx", None),
            ("/me//claims", None),
            ("/dev/me/claims", Some("prod")),
            ("/prodme/claims", Some("prod")),
            ("/prod/me/claims", None),
            ("/$default/me/claims", Some("$default")),
            ("/ME/CLAIMS", None),
        ];
        for (path, stage) in no {
            assert!(!path_is_me_claims(path, stage), "{path} {stage:?}");
        }
    }
}
