//! Policy stores: what a bad one says at init, and how a token becomes Cedar's
//! principal and context (Verified Permissions' mapping), through the handler.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use authorizer::policies::{Source, Store, StoreError};
use common::{Harness, access_claims, id_claims, source, token_event};
use serde_json::{Value, json};

const SCHEMA: &str = r#"namespace Shop {
  entity UserGroup;
  entity Application;
  entity User in [UserGroup] {
    "pet_preference"?: String,
    "email"?: String,
    "age"?: Long,
    "custom:role"?: String,
  };
  type Token = { "scope"?: Set<String>, "client_id"?: String };
  action "get /pets", "get /pets/{petId}", "post /pets", "get /me/claims"
    appliesTo { principal: [User], resource: [Application], context: { "token"?: Token } };
}"#;

fn error(schema: &str, policies: &[&str]) -> String {
    match Store::load(source(schema, policies)) {
        Ok(_) => panic!("the store loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_typo_in_an_attribute_is_refused_at_init_with_file_line_and_hint() {
    let policies = "// the article's rule\n\
                    permit (principal, action == Shop::Action::\"get /pets\", resource)\n\
                    when { principal.pet_preferance == \"dogs\" };";
    let e = error(SCHEMA, &[policies]);
    assert!(e.starts_with("p0.cedar:3: policy p0.cedar:2: "), "{e}");
    assert!(e.contains("pet_preferance") && e.contains("did you mean `pet_preference`?"), "{e}");
}

#[test]
fn parse_errors_name_the_file_and_the_line() {
    let e = error(
        SCHEMA,
        &[
            "permit (principal, action, resource);",
            "\n\npermit (principal, action, resource) when { principal. };",
        ],
    );
    assert_eq!(e, "p1.cedar:3: unexpected token `}`");
    let schema = "namespace Shop {\n  entity User\n  entity Application;\n}";
    let e = error(schema, &["permit (principal, action, resource);"]);
    assert_eq!(e, "schema.cedarschema:3: error parsing schema: unexpected token `entity`");
    // A schema in the JSON format that names no type Cedar knows: Cedar's words, and its hint.
    let json =
        r#"{"Shop": {"entityTypes": {"User": {"shape": {"type": "Recod"}}}, "actions": {}}}"#;
    let source = Source {
        schema: (
            authorizer::policies::source::File {
                name: "schema.cedarschema.json".into(),
                text: json.into(),
            },
            true,
        ),
        ..common::source(SCHEMA, &["permit (principal, action, resource);"])
    };
    let e = Store::load(source).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.starts_with("schema.cedarschema.json: failed to resolve type: Recod; "), "{e}");
}

#[test]
fn every_bad_store_says_what_is_wrong() {
    let permit = "permit (principal, action, resource);";
    let with_actions = |actions: &str| {
        format!(
            "namespace Shop {{ entity User; entity Application; action {actions} appliesTo {{ principal: [User], resource: [Application] }}; }}"
        )
    };
    for (schema, policies, says) in [
        (with_actions(r#""GetPets""#), vec![permit], r#"action "GetPets" is not a route"#),
        (with_actions(r#""get /pets/{id}", "get /pets/{petId}""#), vec![permit], "are one route for API Gateway"),
        (with_actions(r#""get /pets/*""#), vec![permit], "literal segment"),
        (
            "namespace Shop { entity Person; entity Application; action \"get /x\" appliesTo { principal: [Person], resource: [Application] }; }".into(),
            vec![permit],
            "no entity type `Shop::User`",
        ),
        (
            "namespace Shop { entity User; entity App; action \"get /x\" appliesTo { principal: [User], resource: [App] }; }".into(),
            vec![permit],
            "no entity type `Shop::Application`",
        ),
        (
            "entity User; entity Application; action \"get /x\" appliesTo { principal: [User], resource: [Application] };".into(),
            vec![permit],
            "in a namespace",
        ),
        (with_actions(r#""get /x""#), vec!["permit (principal == ?principal, action, resource);"], "template"),
        (
            with_actions(r#""get /x""#),
            vec!["@id(\"a\") permit (principal, action, resource);", "@id(\"a\") forbid (principal, action, resource);"],
            "a second policy with the id `a`",
        ),
        (with_actions(r#""get /x""#), vec!["permit (principal, action == Shop::Action::\"get /y\", resource);"], "get /y"),
    ] {
        let e = error(&schema, &policies);
        assert!(e.contains(says), "{says}: {e}");
    }
}

#[test]
fn a_folder_must_hold_one_schema_and_some_policies() {
    let dir = std::env::temp_dir().join(format!("claimsgate-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let read =
        |dir: &std::path::Path| Source::read(dir).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(read(&dir).contains("cannot read it"), "missing folder");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(read(&dir).contains("no schema.cedarschema"));
    std::fs::write(dir.join("schema.cedarschema"), SCHEMA).unwrap();
    assert!(read(&dir).contains("no *.cedar policy file"));
    std::fs::write(dir.join("schema.cedarschema.json"), "{}").unwrap();
    std::fs::write(dir.join("p.cedar"), "permit (principal, action, resource);").unwrap();
    assert!(read(&dir).contains("both schema.cedarschema and schema.cedarschema.json"));
    std::fs::remove_file(dir.join("schema.cedarschema.json")).unwrap();
    let store = Store::load(Source::read(&dir).unwrap()).unwrap();
    assert_eq!(store.routes.all().len(), 4);
    // The same schema in the JSON format.
    let (json, _) = cedar_policy::schema_str_to_json_with_resolved_types(SCHEMA).unwrap();
    std::fs::remove_file(dir.join("schema.cedarschema")).unwrap();
    std::fs::write(dir.join("schema.cedarschema.json"), json.to_string()).unwrap();
    let from_json = Store::load(Source::read(&dir).unwrap()).unwrap();
    assert_eq!(from_json.routes, store.routes);
    assert_eq!(from_json.shape, store.shape);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn store_errors_have_stable_codes() {
    let e =
        Store::load(source("namespace {", &["permit (principal, action, resource);"])).unwrap_err();
    assert!(matches!(e, StoreError::Schema { .. }));
    assert_eq!(e.code(), "schema_invalid");
}

/// The patterns a token is allowed (the handler's answer to a REST event on `called`), sorted.
fn allowed(h: &Harness, claims: &Value, called: &str) -> Vec<String> {
    let token = h.sign(claims);
    let answer = common::runtime().block_on(h.call(token_event(&token, "GET", called))).unwrap();
    answer["policyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| s["Resource"].as_array().unwrap().clone())
        .map(|r| r.as_str().unwrap().rsplit_once("/prod/").unwrap().1.to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn harness(policies: &[&str]) -> Harness {
    Harness::with_store(common::store(SCHEMA, policies))
}

#[test]
fn groups_become_parents_named_with_the_pool_id() {
    let h = harness(&[
        "permit (principal in Shop::UserGroup::\"us-east-1_TestPool|vets\", action == Shop::Action::\"post /pets\", resource);",
    ]);
    let mut vet = id_claims("v-1", "vet", None);
    vet["cognito:groups"] = json!(["vets"]);
    assert_eq!(allowed(&h, &vet, "/pets"), ["POST/pets"]);
    // A group of that name in another pool is another group.
    let h = harness(&[
        "permit (principal in Shop::UserGroup::\"us-east-1_Other|vets\", action, resource);",
    ]);
    assert!(allowed(&h, &vet, "/pets").is_empty());
    // The principal is `<pool>|<sub>`.
    let h = harness(&[
        "permit (principal == Shop::User::\"us-east-1_TestPool|v-1\", action == Shop::Action::\"get /pets\", resource);",
    ]);
    assert_eq!(allowed(&h, &vet, "/pets"), ["GET/pets"]);
}

#[test]
fn id_token_claims_are_attributes_and_misfits_are_left_out() {
    let h = harness(&[
        "@id(\"adults\") permit (principal, action == Shop::Action::\"get /pets\", resource) when { principal has age && principal.age >= 18 };",
        "@id(\"owners\") permit (principal, action == Shop::Action::\"post /pets\", resource) when { principal has \"custom:role\" && principal[\"custom:role\"] == \"owner\" };",
        "@id(\"anyone\") permit (principal, action == Shop::Action::\"get /me/claims\", resource);",
    ]);
    let mut adult = id_claims("a-1", "adult", None);
    adult["age"] = json!(30);
    adult["custom:role"] = json!("owner");
    adult["undeclared"] = json!({"nested": [1, 2]});
    assert_eq!(allowed(&h, &adult, "/pets"), ["GET/me/claims", "GET/pets", "POST/pets"]);
    // `age` as a string does not fit the schema's Long: left out, so `has age` is false;
    // the other policies still decide on what remains.
    let mut odd = adult.clone();
    odd["age"] = json!("30");
    assert_eq!(allowed(&h, &odd, "/pets"), ["GET/me/claims", "POST/pets"]);
    // A float is no Long either.
    odd["age"] = json!(30.5);
    assert_eq!(allowed(&h, &odd, "/pets"), ["GET/me/claims", "POST/pets"]);
}

#[test]
fn access_token_claims_are_the_context_and_scope_is_a_set() {
    let h = harness(&[
        "permit (principal, action == Shop::Action::\"post /pets\", resource) when { context has token && context.token has scope && context.token.scope.contains(\"shop/pets.write\") };",
        "permit (principal, action == Shop::Action::\"get /pets\", resource) when { principal has pet_preference };",
    ]);
    let mut access = access_claims("u-1", "someone", Some("dogs"));
    access["scope"] = json!("openid shop/pets.write");
    // An access token gives the principal no attributes: `pet_preference` is `context.token`'s.
    assert_eq!(allowed(&h, &access, "/pets"), ["POST/pets"]);
    access["scope"] = json!("openid shop/pets.writer");
    assert!(allowed(&h, &access, "/pets").is_empty());
    // A machine token: the client is the principal, with no groups.
    let machine = json!({
        "sub": "machine-client", "iss": common::ISS, "client_id": common::CLIENT, "token_use": "access",
        "scope": "shop/pets.write", "iat": common::NOW - 5, "exp": common::NOW + 3600, "jti": "m-1",
    });
    assert_eq!(allowed(&h, &machine, "/pets"), ["POST/pets"]);
    let h = harness(&[
        "permit (principal == Shop::User::\"us-east-1_TestPool|machine-client\", action == Shop::Action::\"get /pets\", resource);",
    ]);
    assert_eq!(allowed(&h, &machine, "/pets"), ["GET/pets"]);
}

#[test]
fn a_forbid_that_fails_to_evaluate_denies_and_a_missing_required_attribute_denies_all() {
    let h = harness(&[
        "permit (principal, action, resource);",
        "forbid (principal, action == Shop::Action::\"post /pets\", resource) when { principal has age && principal.age + 9223372036854775807 > 0 };",
    ]);
    let mut claims = id_claims("a-1", "adult", None);
    claims["age"] = json!(1);
    // The addition overflows: Cedar would skip the forbid; here it denies its route.
    assert_eq!(allowed(&h, &claims, "/pets"), ["GET/me/claims", "GET/pets", "GET/pets/*"]);

    let schema = SCHEMA.replace("\"email\"?: String", "\"email\": String");
    let h = Harness::with_store(common::store(&schema, &["permit (principal, action, resource);"]));
    let mut claims = id_claims("a-1", "adult", None);
    assert_eq!(allowed(&h, &claims, "/pets").len(), 4);
    claims.as_object_mut().unwrap().remove("email");
    assert!(allowed(&h, &claims, "/pets").is_empty(), "a required attribute is missing");
}

#[test]
fn a_policy_that_reads_the_action_is_decided_route_by_route() {
    let h = harness(&[
        "permit (principal, action, resource);",
        "forbid (principal in Shop::UserGroup::\"us-east-1_TestPool|suspended\", action, resource) unless { action == Shop::Action::\"get /me/claims\" };",
    ]);
    let mut suspended = id_claims("s-1", "suspended", None);
    suspended["cognito:groups"] = json!(["suspended"]);
    assert_eq!(allowed(&h, &suspended, "/me/claims"), ["GET/me/claims"]);
    assert_eq!(allowed(&h, &id_claims("s-2", "fine", None), "/me/claims").len(), 4);
}

#[test]
fn routes_that_catch_each_others_requests_are_named_at_init() {
    let schema = r#"namespace Shop { entity User; entity Application;
        action "get /files/{name}", "get /files/{path+}", "get /files/mine", "get /pets/{id}/photos", "get /pets/{id}"
        appliesTo { principal: [User], resource: [Application] }; }"#;
    let store = common::store(schema, &["permit (principal, action, resource);"]);
    // One-way overlaps (a literal beside a parameter, a deeper route) can be told apart; this pair cannot.
    assert_eq!(store.entangled_routes(), [("get /files/{name}", "get /files/{path+}")]);
    assert!(
        harness(&["permit (principal, action, resource);"])
            .authorizer
            .store()
            .entangled_routes()
            .is_empty()
    );
}

#[test]
fn the_deciding_policies_are_the_forbids_that_denied_else_the_permits_that_allowed() {
    let store = common::store(
        SCHEMA,
        &[r#"
        @id("browse") permit (principal, action == Shop::Action::"get /pets", resource);
        @id("emailed") permit (principal, action == Shop::Action::"get /pets", resource) when { principal has email };
        @id("see-a-pet") permit (principal, action == Shop::Action::"get /pets/{petId}", resource);
        @id("banned") forbid (principal in Shop::UserGroup::"us-east-1_TestPool|banned", action == Shop::Action::"get /pets/{petId}", resource);
    "#],
    );
    let decide = |claims: Value| {
        let token = claimsgate_core::VerifiedToken {
            header: claimsgate_core::TokenHeader { alg: "RS256", kid: "k".into() },
            token_use: claimsgate_core::TokenUse::Id,
            claims: claimsgate_core::Claims::from_value(claims).unwrap(),
        };
        let decisions = store.decide(&token);
        store
            .routes
            .all()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let ids: Vec<String> =
                    decisions.deciding(i).iter().map(ToString::to_string).collect();
                (r.id().to_owned(), decisions.allowed(i), ids)
            })
            .collect::<Vec<_>>()
    };
    let of = |rows: &[(String, bool, Vec<String>)], route: &str| {
        rows.iter().find(|(r, _, _)| r == route).map(|(_, a, ids)| (*a, ids.clone())).unwrap()
    };
    let rows = decide(id_claims("u-1", "someone", None));
    assert_eq!(of(&rows, "get /pets"), (true, vec!["browse".to_owned(), "emailed".to_owned()]));
    assert_eq!(of(&rows, "get /pets/{petId}"), (true, vec!["see-a-pet".to_owned()]));
    assert_eq!(of(&rows, "post /pets"), (false, vec![]), "a default deny: no policy decided");
    let mut banned = id_claims("u-2", "banned", None);
    banned["cognito:groups"] = json!(["banned"]);
    let rows = decide(banned);
    assert_eq!(
        of(&rows, "get /pets/{petId}"),
        (false, vec!["banned".to_owned()]),
        "the forbid, not the permit"
    );
    assert!(of(&rows, "get /pets").0);
    // One past the routes is no route.
    let token = claimsgate_core::VerifiedToken {
        header: claimsgate_core::TokenHeader { alg: "RS256", kid: "k".into() },
        token_use: claimsgate_core::TokenUse::Id,
        claims: claimsgate_core::Claims::from_value(id_claims("u-3", "x", None)).unwrap(),
    };
    let decisions = store.decide(&token);
    assert!(!decisions.allowed(store.routes.all().len()));
    assert!(decisions.deciding(store.routes.all().len()).is_empty());
    assert_eq!(decisions.principal(), r#"Shop::User::"us-east-1_TestPool|u-3""#);
    assert_eq!(decisions.refused(), None);
}

#[test]
fn a_request_that_cannot_be_made_says_why_and_decides_nothing() {
    let schema = SCHEMA.replace("\"email\"?: String", "\"email\": String");
    let store = common::store(&schema, &["@id(\"all\") permit (principal, action, resource);"]);
    let mut claims = id_claims("u-1", "someone", None);
    claims.as_object_mut().unwrap().remove("email");
    let token = claimsgate_core::VerifiedToken {
        header: claimsgate_core::TokenHeader { alg: "RS256", kid: "k".into() },
        token_use: claimsgate_core::TokenUse::Id,
        claims: claimsgate_core::Claims::from_value(claims).unwrap(),
    };
    let decisions = store.decide(&token);
    assert_eq!(
        decisions.refused(),
        Some("the token does not fill the required attribute principal.email")
    );
    assert!(decisions.all().iter().all(|allowed| !allowed));
    assert!((0..store.routes.all().len()).all(|r| decisions.deciding(r).is_empty()));
}

/// A schema in the dot form of Verified Permissions' older Cognito schemas.
const DOT_SCHEMA: &str = r#"namespace Shop {
  entity UserGroup;
  entity Application;
  entity User in [UserGroup] {
    "custom"?: { "role"?: String },
    "cognito"?: { "username"?: String, "groups"?: Set<String> },
    "cognito:groups"?: Set<String>,
  };
  action "get /pets", "post /pets", "get /me/claims"
    appliesTo { principal: [User], resource: [Application] };
}"#;

#[test]
fn the_dot_form_reads_custom_and_cognito_claims_but_never_the_groups() {
    let h = Harness::with_store(common::store(
        DOT_SCHEMA,
        &[
            "permit (principal, action == Shop::Action::\"get /pets\", resource) when { principal has custom && principal.custom has role && principal.custom.role == \"owner\" };",
            "permit (principal, action == Shop::Action::\"post /pets\", resource) when { principal has cognito && principal.cognito has username && principal.cognito.username == \"ann\" };",
            // Groups are the principal's parents, in either form never an attribute.
            "permit (principal, action == Shop::Action::\"get /me/claims\", resource) when { (principal has \"cognito:groups\") || (principal has cognito && principal.cognito has groups) };",
        ],
    ));
    let mut ann = id_claims("a-1", "ann", None);
    ann["custom:role"] = json!("owner");
    ann["cognito:groups"] = json!(["vets"]);
    assert_eq!(allowed(&h, &ann, "/pets"), ["GET/pets", "POST/pets"]);
    let mut other = id_claims("o-1", "otto", None);
    other["custom:role"] = json!("visitor");
    other["cognito:groups"] = json!(["vets"]);
    assert!(allowed(&h, &other, "/pets").is_empty());
}

#[test]
fn claims_of_every_type_reach_cedar_as_the_schema_declares_them() {
    let schema = r#"namespace Shop {
      entity Application;
      entity User {
        "email_verified"?: Bool,
        "teams"?: Set<String>,
        "address"?: { "country"?: String },
        "lucky"?: Set<Long>,
      };
      action "get /pets", "post /pets", "get /pets/{petId}", "get /me/claims"
        appliesTo { principal: [User], resource: [Application] };
    }"#;
    let h = Harness::with_store(common::store(
        schema,
        &[
            "permit (principal, action == Shop::Action::\"get /pets\", resource) when { principal has email_verified && principal.email_verified };",
            "permit (principal, action == Shop::Action::\"post /pets\", resource) when { principal has teams && principal.teams.contains(\"vets\") };",
            "permit (principal, action == Shop::Action::\"get /pets/{petId}\", resource) when { principal has address && principal.address has country && principal.address.country == \"NL\" };",
            "permit (principal, action == Shop::Action::\"get /me/claims\", resource) when { principal has lucky };",
        ],
    ));
    let mut claims = id_claims("t-1", "typed", None);
    claims["email_verified"] = json!(true);
    claims["teams"] = json!(["vets", "cats"]);
    claims["address"] = json!({"country": "NL", "city": "Delft"});
    // A space-separated string is a set only of strings (as `scope` is): not of Longs.
    claims["lucky"] = json!("7 8");
    assert_eq!(allowed(&h, &claims, "/pets"), ["GET/pets", "GET/pets/*", "POST/pets"]);
    claims["lucky"] = json!([7, 8]);
    assert_eq!(
        allowed(&h, &claims, "/pets"),
        ["GET/me/claims", "GET/pets", "GET/pets/*", "POST/pets"]
    );
    // Each of another type than declared is left out, and its policy does not hold.
    claims["email_verified"] = json!("true");
    claims["teams"] = json!(["vets", 7]);
    claims["address"] = json!("NL");
    claims["lucky"] = json!([7, "8"]);
    assert!(allowed(&h, &claims, "/pets").is_empty());
}
