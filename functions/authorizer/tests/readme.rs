//! The README's authorization examples, run, so the documentation cannot drift
//! from the authorizer.
//!
//! In README.md, a ```cedar block followed by a ```text block is an example:
//! its policies, and one expectation a line, `TOKEN METHOD /path allow|deny`,
//! the token one of the README's token table. The policies load with the
//! README's ```cedarschema (those of the shipped namespace, `Claimsgate::`,
//! with the shipped schema). Each expectation is checked through the handler:
//! the IAM policy answered to a REST `TOKEN` event for the request, evaluated
//! as API Gateway does (the tests' own IAM evaluator), and the policies
//! answered for the token's other requests of the example, as API Gateway's
//! cache replays them; and the HTTP API's simple answer. Every other ```cedar
//! block of the README must load with its schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{CLIENT, Harness, ISS, NOW, arn, token_event};
use serde_json::{Value, json};

const README: &str = include_str!("../../../README.md");
const SHIPPED_SCHEMA: &str = include_str!("../../../policies/schema.cedarschema");
/// The user pool the README's tokens come from. The harness trusts one issuer,
/// of another pool: the examples' group ids are rewritten to its pool.
const README_POOL: &str = "us-east-1_EXAMPLE";

/// A fenced block: its language and its text.
struct Block {
    lang: String,
    text: String,
}

/// Every fenced block of `markdown`, in order (fences may be indented, as in a list).
fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (open.as_mut(), fence) {
            (None, Some(lang)) => open = Some(Block { lang: lang.trim().into(), text: "".into() }),
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "README: a fenced block is never closed");
    out
}

/// The section under `heading` (a `## ` heading), up to the next one.
fn section(heading: &str) -> &'static str {
    let (_, rest) = README
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    rest.split("\n## ").next().unwrap_or_default()
}

/// The README's tokens by name: the claims of each, signed later.
fn tokens() -> BTreeMap<String, Value> {
    let policies = section("## Authorization policies");
    let table = policies
        .split_once("| token | kind | claims |\n")
        .map(|(_, rest)| rest)
        .expect("README: the token table (| token | kind | claims |)");
    let mut tokens = BTreeMap::new();
    for row in table.lines().skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let [_, name, kind, extra, _] = cells[..] else { panic!("README token row `{row}`") };
        let name = name.trim_matches('`');
        let extra: Value = serde_json::from_str(extra.trim_matches('`'))
            .unwrap_or_else(|e| panic!("README token `{name}`: claims are not JSON: {e}"));
        // What the README says every token has besides its claims.
        let mut claims = match kind {
            "ID token" => json!({"sub": format!("sub-{name}"), "token_use": "id",
                                 "aud": CLIENT, "cognito:username": name}),
            "access token" => json!({"sub": format!("sub-{name}"), "token_use": "access",
                                     "client_id": CLIENT, "username": name}),
            "access token, client credentials" => {
                json!({"sub": CLIENT, "token_use": "access", "client_id": CLIENT})
            }
            other => panic!("README token `{name}`: unknown kind `{other}`"),
        };
        claims["iss"] = json!(ISS);
        claims["iat"] = json!(NOW - 60);
        claims["exp"] = json!(NOW + 3540);
        claims["jti"] = json!(format!("jti-{name}"));
        for (claim, value) in extra.as_object().expect("claims are a JSON object") {
            claims[claim] = value.clone();
        }
        assert!(tokens.insert(name.to_owned(), claims).is_none(), "README token `{name}` twice");
    }
    assert!(tokens.len() >= 8, "README: the token table lost rows: {:?}", tokens.keys());
    tokens
}

/// One line of an example's expectations.
struct Expect {
    line: String,
    token: String,
    method: String,
    path: String,
    allow: bool,
}

fn expectations(text: &str) -> Vec<Expect> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [token, method, path, decision] = fields[..] else {
                panic!("README expectation `{line}`: write TOKEN METHOD /path allow|deny")
            };
            let allow = match decision {
                "allow" => true,
                "deny" => false,
                _ => panic!("README expectation `{line}`: the decision is allow or deny"),
            };
            Expect {
                line: line.into(),
                token: token.into(),
                method: method.into(),
                path: path.into(),
                allow,
            }
        })
        .collect()
}

/// An example: its policies, the schema they load with, what they decide.
struct Example {
    policies: String,
    schema: String,
    expects: Vec<Expect>,
}

fn examples() -> Vec<Example> {
    let all = blocks(README);
    let schemas: Vec<&Block> = all.iter().filter(|b| b.lang == "cedarschema").collect();
    let [schema] = schemas[..] else { panic!("README: one ```cedarschema block, the examples'") };
    all.windows(2)
        .filter(|pair| pair[0].lang == "cedar" && pair[1].lang == "text")
        .map(|pair| {
            let policies = pair[0].text.clone();
            let shipped = policies.contains("Claimsgate::");
            let schema = if shipped { SHIPPED_SCHEMA.to_owned() } else { schema.text.clone() };
            Example { policies, schema, expects: expectations(&pair[1].text) }
        })
        .collect()
}

/// The harness's pool, where the README's tokens are signed.
fn harness_pool() -> &'static str {
    ISS.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn every_readme_example_decides_as_its_expectations_say() {
    let tokens = tokens();
    let examples = examples();
    assert!(
        examples.len() >= 7,
        "README: {} examples (a group, a claim, a scope, a path parameter, a forbid, a claim a token may lack, ROUTE_RULES)",
        examples.len()
    );
    let mut used = BTreeSet::new();
    for (n, Example { policies, schema, expects }) in examples.iter().enumerate() {
        let what = policies.lines().find(|l| l.starts_with("@id")).unwrap_or_default();
        let here = format!("README example {} ({what})", n + 1);
        assert!(
            expects.iter().any(|e| e.allow) && expects.iter().any(|e| !e.allow),
            "{here}: expect some request allowed and some denied"
        );
        let text =
            policies.replace(&format!("\"{README_POOL}|"), &format!("\"{}|", harness_pool()));
        let h = Harness::with_store(common::store(schema, &[&text]));
        let by_token: BTreeSet<&str> = expects.iter().map(|e| e.token.as_str()).collect();
        for name in by_token {
            used.insert(name.to_owned());
            let claims = tokens
                .get(name)
                .unwrap_or_else(|| panic!("{here}: no token `{name}` in the README's table"));
            let token = h.sign(claims);
            let mine: Vec<&Expect> = expects.iter().filter(|e| e.token == name).collect();
            let mut answers = Vec::new();
            for e in &mine {
                let routed = h.authorizer.store().routes.select(&e.method, &e.path);
                assert!(routed.is_some(), "{here}: `{}` is no route of the schema", e.line);
                answers.push(h.call(token_event(&token, &e.method, &e.path)).await.unwrap());
            }
            for e in &mine {
                let resource = arn(&e.method, &e.path);
                for (called, answer) in mine.iter().zip(&answers) {
                    let allowed = common::iam::permits(&answer["policyDocument"], &resource);
                    assert_eq!(
                        allowed, e.allow,
                        "{here}: `{}` (the IAM policy answered to {} {}: {answer})",
                        e.line, called.method, called.path
                    );
                }
                let simple = h
                    .call(json!({
                        "version": "2.0", "type": "REQUEST", "routeArn": resource,
                        "headers": {"authorization": format!("Bearer {token}")},
                    }))
                    .await
                    .unwrap();
                assert_eq!(
                    simple["isAuthorized"],
                    json!(e.allow),
                    "{here}: `{}` (HTTP API)",
                    e.line
                );
            }
        }
    }
    let unused: Vec<&String> = tokens.keys().filter(|t| !used.contains(*t)).collect();
    assert!(unused.is_empty(), "README tokens no example uses: {unused:?}");
}

#[test]
fn every_other_readme_policy_loads_with_the_shipped_schema() {
    let in_examples: Vec<String> = examples().into_iter().map(|e| e.policies).collect();
    let others: Vec<Block> = blocks(README)
        .into_iter()
        .filter(|b| b.lang == "cedar" && !in_examples.contains(&b.text))
        .collect();
    assert!(!others.is_empty(), "README: the machine-to-machine policy");
    for block in others {
        assert!(
            block.text.contains("Claimsgate::"),
            "README policy outside an example, not for the shipped schema:\n{}",
            block.text
        );
        common::store(SHIPPED_SCHEMA, &[&block.text]);
    }
}
