//! Routes as a policy store names them: the action id `get /pets/{petId}` is
//! the method `get` on the path template `/pets/{petId}`, as in Verified
//! Permissions' API-linked stores. A template's segments are literal text,
//! `{param}` (one segment) or, last, `{proxy+}` (one segment or more).
//!
//! [`Routes`] picks the route a request is for as API Gateway does: the
//! template that is most specific at the first segment where two differ
//! (literal before `{param}` before `{proxy+}`), then an exact method before
//! `any`. [`Route::glob`] is the route's pattern in a `methodArn`, where each
//! parameter is `*` (which IAM lets match across `/`). Plain functions over
//! data; nothing of the crate is used here.
//!
//! It uses nothing else of the crate; it is used by `policies::overlap`, `policies::store`,
//! `policies`.

use std::cmp::Ordering;
use std::fmt;

/// The methods a route may name, lower case as in an action id; `any` is API Gateway's `ANY`.
pub const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "any"];

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this text.
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Param(String),
    /// `{name+}`, last only: one segment or more.
    Greedy(String),
}

impl Segment {
    /// Literal before parameter before greedy parameter: API Gateway's order of preference.
    fn rank(&self) -> u8 {
        match self {
            Self::Literal(_) => 2,
            Self::Param(_) => 1,
            Self::Greedy(_) => 0,
        }
    }
}

/// A route: a method (`get`, …, or `any`) and a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    method: String,
    segments: Vec<Segment>,
    id: String,
}

impl Route {
    /// Reads an action id such as `get /pets/{petId}`.
    ///
    /// # Errors
    /// What is wrong with it, in words a store's author can act on.
    pub fn parse(id: &str) -> Result<Self, String> {
        let (method, path) = id.split_once(' ').ok_or(
            "a route is a lower-case method, one space and a path, e.g. `get /pets/{petId}`",
        )?;
        if !METHODS.contains(&method) {
            return Err(format!(
                "`{method}` is not a method; use one of {} (lower case)",
                METHODS.join(", ")
            ));
        }
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!("the path `{path}` does not start with `/`"));
        };
        let mut segments = Vec::new();
        let parts: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split('/').collect() };
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            segments.push(segment(part, last)?);
        }
        let mut names: Vec<&str> = segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(n) | Segment::Greedy(n) => Some(n.as_str()),
                Segment::Literal(_) => None,
            })
            .collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!("the path `{path}` names a parameter twice"));
        }
        Ok(Self { method: method.to_owned(), segments, id: id.to_owned() })
    }

    /// The action id, e.g. `get /pets/{petId}`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The method, lower case (`any` for API Gateway's `ANY`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path template, e.g. `/pets/{petId}`.
    pub fn path(&self) -> &str {
        self.id.split_once(' ').map_or("/", |(_, path)| path)
    }

    /// The template's segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The same route for API Gateway: same method, same shape, same literals
    /// (parameter names aside). Two actions may not be one route.
    pub fn same_route(&self, other: &Self) -> bool {
        self.method == other.method
            && self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|(a, b)| match (a, b) {
                (Segment::Literal(x), Segment::Literal(y)) => x == y,
                (Segment::Param(_), Segment::Param(_))
                | (Segment::Greedy(_), Segment::Greedy(_)) => true,
                _ => false,
            })
    }

    /// The path parameters of `path` when this route's template matches it.
    pub fn parameters<'p>(&self, path: &'p str) -> Option<Vec<(&str, &'p str)>> {
        let rest = path.strip_prefix('/')?;
        let mut parts: Vec<&'p str> =
            if rest.is_empty() { Vec::new() } else { rest.split('/').collect() };
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut found = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(text) => {
                    if parts.get(i) != Some(&text.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => found.push((name.as_str(), *parts.get(i)?)),
                Segment::Greedy(name) => {
                    if parts.len() <= i {
                        return None;
                    }
                    let tail = &rest[parts[..i].iter().map(|p| p.len() + 1).sum::<usize>()..];
                    found.push((name.as_str(), tail));
                    parts.truncate(i);
                    return Some(found);
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(found)
    }

    /// True when this route serves `method` (upper or lower case) on `path`.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "any" || self.method.eq_ignore_ascii_case(method))
            && self.parameters(path).is_some()
    }

    /// How this route ranks against `other` for a request both match: greater is preferred.
    pub fn preference(&self, other: &Self) -> Ordering {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            match a.rank().cmp(&b.rank()) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        // An exact method before `any`.
        (self.method != "any").cmp(&(other.method != "any"))
    }

    /// The route's `{METHOD}/{path}` pattern in a `methodArn` (after the stage):
    /// `GET/pets/*` for `get /pets/{petId}`, `*/x` for `any /x`.
    pub fn glob(&self) -> String {
        let mut glob =
            if self.method == "any" { "*".to_owned() } else { self.method.to_ascii_uppercase() };
        if self.segments.is_empty() {
            glob.push('/');
        }
        for segment in &self.segments {
            glob.push('/');
            match segment {
                Segment::Literal(text) => glob.push_str(text),
                Segment::Param(_) | Segment::Greedy(_) => glob.push('*'),
            }
        }
        glob
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method.to_ascii_uppercase(), self.path())
    }
}

/// One template segment, checked: literal text that no IAM pattern or API
/// Gateway path would read otherwise, or a parameter with a plain name.
fn segment(part: &str, last: bool) -> Result<Segment, String> {
    if part.is_empty() {
        return Err("a path has no empty segment (no `//`, no trailing `/`)".into());
    }
    if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        let plain = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plain {
            return Err(format!(
                "`{part}`: a parameter is `{{name}}` or `{{name+}}`, the name letters, digits, _ and -"
            ));
        }
        if greedy && !last {
            return Err(format!("`{part}`: a greedy parameter can only be the last segment"));
        }
        return Ok(if greedy { Segment::Greedy(name.into()) } else { Segment::Param(name.into()) });
    }
    let literal_ok = part.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b':'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b','
                    | b';'
                    | b'='
            )
    });
    if !literal_ok {
        return Err(format!(
            "`{part}`: a literal segment is letters, digits and -._~:@!$&'(),;= (no `*`, `?`, braces, spaces or %)"
        ));
    }
    Ok(Segment::Literal(part.to_owned()))
}

/// The routes of a store, in the order of its actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes(Vec<Route>);

impl From<Vec<Route>> for Routes {
    fn from(routes: Vec<Route>) -> Self {
        Self(routes)
    }
}

impl Routes {
    /// The routes of these action ids.
    ///
    /// # Errors
    /// The first id that is not a route, or two ids that are one route.
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut routes: Vec<Route> = Vec::new();
        for id in ids {
            let route =
                Route::parse(id).map_err(|why| format!("action \"{id}\" is not a route: {why}"))?;
            if let Some(twin) = routes.iter().find(|r| r.same_route(&route)) {
                return Err(format!(
                    "actions \"{}\" and \"{id}\" are one route for API Gateway; keep one",
                    twin.id()
                ));
            }
            routes.push(route);
        }
        Ok(Self(routes))
    }

    /// Every route.
    pub fn all(&self) -> &[Route] {
        &self.0
    }

    /// The index of the route API Gateway sends `method` (upper case, as in
    /// an ARN) on `path` to; `None` when no route matches.
    pub fn select(&self, method: &str, path: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, route) in self.0.iter().enumerate() {
            if !route.matches(method, path) {
                continue;
            }
            best = match best {
                Some(b) if self.0[b].preference(route) != Ordering::Less => Some(b),
                _ => Some(i),
            };
        }
        best
    }
}

/// IAM's pattern match on resource strings: `*` matches any run of characters
/// (`/` included), `?` any one character, everything else itself. The one
/// copy: the API Gateway stand-in evaluates returned policies with it too.
#[must_use]
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(ids: &[&str]) -> Routes {
        match Routes::new(ids.iter().copied()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn action_ids_read_as_routes_or_say_why_not() {
        let pets = Route::parse("get /pets/{petId}").map_err(|e| e.to_string());
        assert_eq!(pets.as_ref().map(Route::glob), Ok("GET/pets/*".to_owned()));
        assert_eq!(Route::parse("any /{proxy+}").map(|r| r.glob()), Ok("*/*".to_owned()));
        assert_eq!(Route::parse("get /").map(|r| r.glob()), Ok("GET/".to_owned()));
        for (bad, says) in [
            ("GET /dogs", "not a method"),
            ("get dogs", "does not start with `/`"),
            ("get /dogs/", "no empty segment"),
            ("get //dogs", "no empty segment"),
            ("get /d*gs", "literal segment"),
            ("get /d?gs", "literal segment"),
            ("get /a b", "literal segment"),
            ("get /{a+}/b", "greedy parameter can only be the last"),
            ("get /{}", "a parameter is"),
            ("get /{pet.id}", "a parameter is"),
            ("get /{pet id}", "a parameter is"),
            ("get /{a}/{a}", "names a parameter twice"),
            ("fetch /dogs", "not a method"),
            ("get", "a route is"),
        ] {
            match Route::parse(bad) {
                Err(why) => assert!(why.contains(says), "{bad}: {why}"),
                Ok(r) => panic!("{bad} read as {r:?}"),
            }
        }
    }

    #[test]
    fn a_route_shows_as_api_gateway_names_it() {
        let route =
            Route::parse("get /pets/{pet_id}/files/{file-name}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(route.path(), "/pets/{pet_id}/files/{file-name}");
        assert_eq!(route.to_string(), "GET /pets/{pet_id}/files/{file-name}");
        assert_eq!(Route::parse("any /").map(|r| r.to_string()), Ok("ANY /".to_owned()));
    }

    #[test]
    fn two_actions_for_one_route_are_refused() {
        let err = Routes::new(["get /pets/{id}", "get /pets/{petId}"]).err().unwrap_or_default();
        assert!(err.contains("are one route"), "{err}");
        assert!(Routes::new(["get /pets/{id}", "any /pets/{id}", "get /pets/mine"]).is_ok());
    }

    #[test]
    fn the_most_specific_route_is_selected_whatever_the_order_of_the_actions() {
        let ids = [
            "any /{proxy+}",
            "get /pets/{petId}",
            "get /pets/mine",
            "any /pets/{petId}",
            "get /pets/{petId}/{rest+}",
        ];
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [3, 0, 4, 2, 1], [2, 4, 1, 0, 3]] {
            let r = routes(&order.map(|i| ids[i]));
            let pick = |m: &str, p: &str| r.select(m, p).map(|i| r.all()[i].id().to_owned());
            assert_eq!(pick("GET", "/pets/mine").as_deref(), Some("get /pets/mine"), "{order:?}");
            assert_eq!(pick("GET", "/pets/7").as_deref(), Some("get /pets/{petId}"), "{order:?}");
            assert_eq!(pick("POST", "/pets/7").as_deref(), Some("any /pets/{petId}"), "{order:?}");
            assert_eq!(
                pick("GET", "/pets/7/photos/1").as_deref(),
                Some("get /pets/{petId}/{rest+}"),
                "{order:?}"
            );
            assert_eq!(pick("DELETE", "/cats").as_deref(), Some("any /{proxy+}"), "{order:?}");
            assert_eq!(pick("GET", "/").as_deref(), None);
            assert_eq!(pick("GET", "/pets//7").as_deref(), None);
        }
    }

    #[test]
    fn parameters_are_read_from_the_path() {
        let r = Route::parse("get /pets/{petId}/files/{path+}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.parameters("/pets/7/files/a/b.txt"),
            Some(vec![("petId", "7"), ("path", "a/b.txt")])
        );
        assert_eq!(r.parameters("/pets/7/files"), None);
        assert_eq!(r.parameters("/pets/7/other/a"), None);
    }

    #[test]
    fn globs_match_as_iam_does() {
        for (pattern, text, want) in [
            ("GET/pets/*", "GET/pets/7", true),
            ("GET/pets/*", "GET/pets/7/photos", true),
            ("GET/pets/*", "GET/pets", false),
            ("*/dogs", "GET/pets/dogs", true),
            ("GET/d?gs", "GET/dogs", true),
            ("GET/dogs", "GET/dogsx", false),
            ("*", "", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("", "", true),
            ("GET/???/dogs", "GET/abc/dogs", true),
            ("GET/??/dogs", "GET/abc/dogs", false),
            // One character, not one byte.
            ("GET/?", "GET/é", true),
            ("GET/??", "GET/é", false),
            // A `*` in the text is a plain character to match.
            ("*?", "a*", true),
            ("GET/*", "GET/*", true),
        ] {
            assert_eq!(glob_matches(pattern, text), want, "{pattern} ~ {text}");
        }
    }
}
