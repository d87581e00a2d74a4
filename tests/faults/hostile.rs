//! Requests an attacker (or a careless client) sends, and what must never show in a log line.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::testing::test_key;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestStack;
use crate::common::flow::{
    CALLBACK, CATS, CLIENT_ID, CLIENT_SECRET, DOGS, claims_of, exchange_basic, machine_token,
    sign_in, token_request,
};
use crate::http;
use crate::sequence::{PATHS, forged, status, token_kid};

/// Requests an attacker (or a careless client) sends, through every door of the
/// stack; returns the secrets they carried or obtained.
pub(crate) async fn attack_like_requests(s: &TestStack) -> Vec<String> {
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    let key = test_key(0, "");
    let kid = token_kid(&dogs.id_token);
    let claims = claims_of(&dogs.id_token);
    let mut cats_claims = claims.clone();
    cats_claims["pet_preference"] = json!("cats");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // Key confusion: HS256 keyed with the pool's public key.
    let hs_signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.modulus()),
        hs_signed.as_bytes(),
    );
    let confused = format!("{hs_signed}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()));
    let jku = test_key(1, "")
        .sign_raw(
            &json!({"alg": "RS256", "kid": "attacker", "jku": "https://evil.example/jwks.json"}),
            &claims,
        )
        .unwrap();
    // The dogs payload with the claim swapped, under the real signature.
    let (head, _) = dogs.id_token.split_once('.').unwrap();
    let swapped = format!(
        "{head}.{}.{}",
        URL_SAFE_NO_PAD.encode(cats_claims.to_string()),
        dogs.id_token.rsplit('.').next().unwrap()
    );
    let huge = format!("{0}.{0}.{0}", "A".repeat(40_000));
    let tampered = [none, confused, jku, swapped, huge, forged(&dogs.id_token)];
    for token in &tampered {
        for path in PATHS {
            assert_eq!(status(s, path, Some(token)).await, StatusCode::UNAUTHORIZED);
        }
    }
    // A token in the query string, a password in Basic credentials.
    let r = http()
        .get(format!("{}/dogs?access_token={}", s.api_url, dogs.id_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http()
        .get(format!("{}/dogs", s.api_url))
        .basic_auth(DOGS.0, Some(DOGS.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The token endpoint: a wrong client secret, a password grant, a made-up code.
    let wrong_secret = "not-the-client-secret-4711";
    let r = token_request(s)
        .basic_auth(CLIENT_ID, Some(wrong_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = token_request(s)
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", DOGS.0),
            ("password", DOGS.1),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = exchange_basic(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", "made-up-code-0123456789"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert!(r.status().is_client_error());
    // The login form: a wrong password, without and with the form's own fields.
    let wrong_password = "Guessed-password-0815";
    let r = http()
        .post(format!("{}/login", s.cognito_url))
        .form(&[("username", DOGS.0), ("password", wrong_password)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());

    // A real sign-in, refresh, userInfo and revoke; and a machine token.
    let code = sign_in(s, CATS, &[]).await;
    let r = exchange_basic(
        s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let signed_in: Value = r.json().await.unwrap();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let refresh = text(&signed_in, "refresh_token");
    let r =
        exchange_basic(s, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let refreshed: Value = r.json().await.unwrap();
    for (token, want) in [
        (text(&refreshed, "access_token"), StatusCode::OK),
        (text(&refreshed, "id_token"), StatusCode::UNAUTHORIZED),
        ("garbage".to_owned(), StatusCode::UNAUTHORIZED),
    ] {
        let r = http()
            .get(format!("{}/oauth2/userInfo", s.cognito_url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want);
    }
    let r = http()
        .post(format!("{}/oauth2/revoke", s.cognito_url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let machine: Value =
        machine_token(s, &[("grant_type", "client_credentials")]).await.json().await.unwrap();

    // The admin endpoint asked from a foreign host, with a private key in the body.
    let pem = test_key(1, "").to_pkcs8_pem();
    let r = http()
        .post(format!("{}/admin/rotate-key", s.cognito_url))
        .header("host", "evil.example")
        .json(&json!({ "private_key_pem": pem }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let mut secrets: Vec<String> = tampered.into_iter().collect();
    secrets.extend([dogs.id_token, dogs.access_token, dogs.refresh_token.unwrap()]);
    for doc in [&signed_in, &refreshed, &machine] {
        for field in ["id_token", "access_token", "refresh_token"] {
            if let Some(token) = doc[field].as_str() {
                secrets.push(token.to_owned());
            }
        }
    }
    secrets.extend([code, refresh, wrong_secret.into(), wrong_password.into()]);
    // Every line of the key material (also the key the fault sequence rotates to) but the armour.
    secrets.extend(pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_owned));
    secrets
}
