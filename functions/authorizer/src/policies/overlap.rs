//! Which route patterns catch which routes' requests, worked out once per store.
//!
//! API Gateway caches a REST authorizer's policy per token and replays it on
//! every route, and IAM lets the `*` of `GET/pets/*` match across `/`: the
//! pattern of `get /pets/{petId}` also matches `GET/pets/7/photos`, a request
//! of `get /pets/{petId}/photos`. So the policy for a principal may Deny a
//! route's pattern only where that pattern catches no request of a route the
//! principal is allowed, and may leave a denied route to IAM's implicit deny
//! only where no allowed pattern catches its requests.
//!
//! [`Overlap::new`] answers "does route X's pattern match a request that API
//! Gateway sends to route Y?" for every pair, exactly: a request is a method
//! and a list of segments; a pattern and a template only ever compare whole
//! segments, so each segment is one of the store's literals or "anything
//! else", and a search over the states of Y's template, X's pattern and every
//! route preferred over Y finds such a request or proves there is none. It
//! uses the routes of [`super::route`].
//!
//! It uses `policies::route`; it is used by `policies::store`.

use std::cmp::Ordering;
use std::collections::{HashSet, VecDeque};

use super::route::{METHODS, Route, Routes, Segment};

/// `catches[x][y]`: route x's pattern matches a request routed to y.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    catches: Vec<Vec<bool>>,
}

impl Overlap {
    /// Works out the overlap of every pair of `routes`.
    pub fn new(routes: &Routes) -> Self {
        let all = routes.all();
        let mut alphabet: Vec<Symbol> = all
            .iter()
            .flat_map(Route::segments)
            .filter_map(|s| match s {
                Segment::Literal(text) => Some(Symbol::Literal(text.clone())),
                _ => None,
            })
            .collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        alphabet.push(Symbol::Other);
        let globs: Vec<Glob> = all.iter().map(Glob::of).collect();
        let catches = (0..all.len())
            .map(|x| (0..all.len()).map(|y| reaches(all, y, &globs[x], &alphabet)).collect())
            .collect();
        Self { catches }
    }

    /// True when route `x`'s pattern matches some request API Gateway sends to route `y`.
    pub fn catches(&self, x: usize, y: usize) -> bool {
        self.catches.get(x).and_then(|row| row.get(y)).copied().unwrap_or(true)
    }
}

/// One segment of a request: a literal of the store, or any other text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Symbol {
    Literal(String),
    Other,
}

/// Where a template is after some segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum At {
    /// This many segments matched.
    Segment(usize),
    /// Inside the greedy last segment, one or more matched.
    Greedy,
    /// No longer matching.
    Dead,
}

fn step(route: &Route, at: At, symbol: &Symbol) -> At {
    match at {
        At::Segment(i) => match route.segments().get(i) {
            Some(Segment::Literal(text)) if *symbol == Symbol::Literal(text.clone()) => {
                At::Segment(i + 1)
            }
            Some(Segment::Param(_)) => At::Segment(i + 1),
            Some(Segment::Greedy(_)) => At::Greedy,
            _ => At::Dead,
        },
        At::Greedy => At::Greedy,
        At::Dead => At::Dead,
    }
}

fn accepts(route: &Route, at: At) -> bool {
    match at {
        At::Segment(i) => i == route.segments().len(),
        At::Greedy => true,
        At::Dead => false,
    }
}

/// Where a route's `methodArn` pattern is after the method and some segments.
/// After the method, `*` stands for one segment or more, and the `*` of an
/// `any` method for the method and zero segments or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GlobAt {
    /// Still inside the method's `*`.
    MethodStar,
    /// This many tokens matched.
    Token(usize),
    /// This many tokens matched, the last a `*` that may eat more segments.
    StarMore(usize),
}

/// A route's pattern as tokens after the method: a literal segment, or `None` for `*`.
#[derive(Debug, Clone)]
struct Glob {
    method: Option<String>,
    tokens: Vec<Option<String>>,
    text: String,
}

impl Glob {
    fn of(route: &Route) -> Self {
        let method = (route.method() != "any").then(|| route.method().to_owned());
        let tokens = route
            .segments()
            .iter()
            .map(|s| match s {
                Segment::Literal(text) => Some(text.clone()),
                Segment::Param(_) | Segment::Greedy(_) => None,
            })
            .collect();
        Self { method, tokens, text: route.glob() }
    }

    fn start(&self, method: &str) -> Vec<GlobAt> {
        match &self.method {
            Some(m) if m != method => Vec::new(),
            Some(_) => vec![GlobAt::Token(0)],
            None => vec![GlobAt::MethodStar, GlobAt::Token(0)],
        }
    }

    fn step(&self, states: &[GlobAt], symbol: &Symbol) -> Vec<GlobAt> {
        let mut next = Vec::new();
        for &state in states {
            match state {
                // The method's `*` eats this segment, then goes on or ends before the next.
                GlobAt::MethodStar => next.extend([GlobAt::MethodStar, GlobAt::Token(0)]),
                GlobAt::StarMore(i) => next.push(GlobAt::StarMore(i)),
                GlobAt::Token(_) => {}
            }
            let i = match state {
                GlobAt::MethodStar => continue,
                GlobAt::Token(i) | GlobAt::StarMore(i) => i,
            };
            match self.tokens.get(i) {
                Some(Some(text)) if *symbol == Symbol::Literal(text.clone()) => {
                    next.push(GlobAt::Token(i + 1))
                }
                Some(None) => next.push(GlobAt::StarMore(i + 1)),
                _ => {}
            }
        }
        next.sort_unstable();
        next.dedup();
        next
    }

    fn accepts(&self, states: &[GlobAt]) -> bool {
        let end = self.tokens.len();
        states.iter().any(|s| matches!(s, GlobAt::Token(i) | GlobAt::StarMore(i) if *i == end))
    }
}

/// Is there a request routed to `all[y]` that `glob` matches?
fn reaches(all: &[Route], y: usize, glob: &Glob, alphabet: &[Symbol]) -> bool {
    let route = &all[y];
    let methods: Vec<String> = if route.method() == "any" {
        METHODS[..METHODS.len() - 1].iter().map(|m| (*m).to_owned()).collect()
    } else {
        vec![route.method().to_owned()]
    };
    // The root `/` has one request per method, `GET/`: a plain string to match.
    if route.segments().is_empty() {
        let routes = Routes::from(all.to_vec());
        return methods.iter().any(|m| {
            let upper = m.to_ascii_uppercase();
            routes.select(&upper, "/") == Some(y)
                && super::route::glob_matches(&glob.text, &format!("{upper}/"))
        });
    }
    // The routes API Gateway would pick instead of y for a request both match.
    let rivals: Vec<&Route> = all
        .iter()
        .enumerate()
        .filter(|&(z, other)| {
            z != y
                && match other.preference(route) {
                    Ordering::Greater => true,
                    Ordering::Equal => z < y,
                    Ordering::Less => false,
                }
        })
        .map(|(_, other)| other)
        .collect();
    for method in &methods {
        let globs = glob.start(method);
        if globs.is_empty() {
            continue;
        }
        let rivals_at: Vec<At> = rivals
            .iter()
            .map(|r| {
                if r.method() == "any" || r.method() == method { At::Segment(0) } else { At::Dead }
            })
            .collect();
        let mut seen: HashSet<(At, Vec<GlobAt>, Vec<At>)> = HashSet::new();
        let mut queue = VecDeque::from([(At::Segment(0), globs, rivals_at)]);
        while let Some(state) = queue.pop_front() {
            if !seen.insert(state.clone()) {
                continue;
            }
            let (at, globs, rivals_at) = &state;
            let routed =
                accepts(route, *at) && !rivals.iter().zip(rivals_at).any(|(r, &a)| accepts(r, a));
            if routed && glob.accepts(globs) {
                return true;
            }
            for symbol in alphabet {
                let next_at = step(route, *at, symbol);
                let next_globs = glob.step(globs, symbol);
                if next_at == At::Dead || next_globs.is_empty() {
                    continue;
                }
                let next_rivals =
                    rivals.iter().zip(rivals_at).map(|(r, &a)| step(r, a, symbol)).collect();
                queue.push_back((next_at, next_globs, next_rivals));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(ids: &[&str]) -> Overlap {
        Overlap::new(&Routes::new(ids.iter().copied()).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn a_parameter_pattern_catches_deeper_routes_but_not_back() {
        let o = overlap(&["get /pets/{petId}", "get /pets/{petId}/photos"]);
        assert!(o.catches(0, 1), "GET/pets/* matches GET/pets/7/photos");
        assert!(!o.catches(1, 0), "GET/pets/*/photos matches no GET/pets/7");
        assert!(o.catches(0, 0) && o.catches(1, 1));
    }

    #[test]
    fn a_literal_route_takes_its_path_from_a_parameter_route() {
        let o = overlap(&["get /pets/{petId}", "get /pets/mine"]);
        assert!(o.catches(0, 1), "GET/pets/* matches GET/pets/mine, which is routed to /pets/mine");
        assert!(!o.catches(1, 0), "GET/pets/mine is never a request of /pets/{{petId}}");
    }

    #[test]
    fn a_greedy_route_and_a_parameter_route_catch_each_other() {
        let o = overlap(&["get /a/{x}", "get /a/{rest+}"]);
        assert!(o.catches(0, 1) && o.catches(1, 0));
    }

    #[test]
    fn any_methods_reach_across_the_method_segment() {
        let o = overlap(&["any /dogs", "get /pets/dogs", "get /cats", "get /"]);
        assert!(o.catches(0, 1), "*/dogs matches GET/pets/dogs");
        assert!(!o.catches(0, 2) && !o.catches(2, 0));
        assert!(o.catches(3, 3) && !o.catches(3, 2) && !o.catches(2, 3));
    }

    #[test]
    fn a_pattern_never_catches_another_methods_requests() {
        let o = overlap(&["get /a/{x}", "post /a/b"]);
        assert!(!o.catches(0, 1), "GET/a/* does not match POST/a/b");
        assert!(!o.catches(1, 0));
    }

    #[test]
    fn an_any_route_that_every_method_routes_elsewhere_gets_no_request() {
        let mut ids: Vec<String> =
            METHODS[..METHODS.len() - 1].iter().map(|m| format!("{m} /a")).collect();
        ids.push("any /a".to_owned());
        let o = overlap(&ids.iter().map(String::as_str).collect::<Vec<_>>());
        let any = ids.len() - 1;
        // `*/a` matches `GET/a`, …, `OPTIONS/a`, and each of them goes to its own route.
        assert!(!o.catches(any, any));
        assert!((0..any).all(|m| o.catches(any, m) && o.catches(m, m)));
    }

    #[test]
    fn a_request_an_any_route_takes_is_not_the_method_routes() {
        // `GET/a/b` goes to `any /a/b` (a literal segment wins before the method).
        let o = overlap(&["get /a/{x}", "any /a/b"]);
        assert!(!o.catches(1, 0), "*/a/b matches no request of get /a/{{x}}");
        assert!(o.catches(0, 1), "GET/a/* matches GET/a/b");
    }
}
