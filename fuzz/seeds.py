#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into CORPUS_DIR/<target>/.

Seeds come from tests/fixtures and from a few hand-made tokens. Tokens are
named by placeholder ({{dogs_id_token}}, ...) or carry the signature `~`, which
the targets replace by a real signature with the process's key (see src/lib.rs),
so no key and no token is stored here.
"""

import base64
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

NOW = 1_767_225_600
ISS = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz"
CLIENT = "fuzz-client"
KID = "fuzz-kid"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def to_sign(header: str, payload: str) -> str:
    """A token the target signs: raw header and payload text, signature `~`."""
    return f"{b64(header)}.{b64(payload)}.~"


def claims(**edits) -> dict:
    c = {
        "sub": "aaaaaaaa-1111-4a4a-8b8b-000000000001",
        "iss": ISS,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "fuzz-user",
        "cognito:groups": ["readers"],
        "email_verified": True,
        "pet_preference": "dogs",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3540,
    }
    c.update(edits)
    return {k: v for k, v in c.items() if v is not None}


HEADER = json.dumps({"alg": "RS256", "kid": KID})


def token_seeds() -> list:
    access = claims(token_use="access", aud=None, client_id=CLIENT, scope="openid email")
    payloads = [
        json.dumps(claims()),
        json.dumps(access),
        json.dumps(claims(nbf=NOW + 10)),
        json.dumps(claims(exp=NOW - 1)),
        json.dumps(claims(iat=NOW + 100)),
        json.dumps(claims(exp=NOW + 3540.5)),
        json.dumps(claims(aud=[CLIENT, "other"])),
        json.dumps(claims(token_use="refresh")),
        # What the strict claim parser refuses: each must stay a clean `malformed_token`.
        json.dumps(claims())[:-1] + ', "sub": "again"}',
        json.dumps(claims())[:-1] + ', "n": 1e400}',
        json.dumps(claims())[:-1] + ', "s": "\\ud800"}',
        json.dumps(claims())[:-1] + ', "deep": ' + "[" * 40 + "]" * 40 + "}",
    ]
    headers = [
        json.dumps({"alg": "none", "kid": KID}),
        json.dumps({"alg": "HS256", "kid": KID}),
        json.dumps({"alg": "RS256", "kid": KID, "crit": ["exp"]}),
        json.dumps({"alg": "RS256", "kid": KID, "jku": "http://127.0.0.1:9/jwks.json"}),
        json.dumps({"alg": "RS256", "kid": "another-kid"}),
    ]
    seeds = [to_sign(HEADER, p) for p in payloads]
    seeds += [to_sign(h, payloads[0]) for h in headers]
    seeds += [
        "{{dogs_id_token}}",
        "{{dogs_access_token}}",
        "{{expired_token}}",
        "{{wrong_client_token}}",
        # A signature too long for a fixed buffer once panicked the verifier.
        f"{b64(json.dumps({'alg': 'RS256', 'kid': 'x'}))}.{b64('{}')}.{'A' * 1368}",
        "not-a-jwt",
        "a.b.c",
    ]
    return seeds


def fixture_events(folder: str) -> list:
    out = []
    for path in sorted((FIXTURES / folder).rglob("*.json")):
        data = json.loads(path.read_text())
        if folder == "authorizer":
            data = data["event"]
        elif path.name.endswith(".response.json") or path.name.endswith(".env.json"):
            continue
        out.append(json.dumps(data, indent=1))
    return out


def authorizer_seeds() -> list:
    seeds = fixture_events("authorizer")
    token = to_sign(HEADER, json.dumps(claims(pet_preference="cats")))
    for stage in ["prod", "$default"]:
        arn = f"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/{stage}/GET/dogs"
        seeds.append(json.dumps({"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn}))
        seeds.append(json.dumps({"version": "2.0", "type": "REQUEST", "routeArn": arn,
                                 "identitySource": [f"Bearer {token}"],
                                 "headers": {"authorization": f"Bearer {token}"}}))
    return seeds


def me_claims_seeds() -> list:
    seeds = fixture_events("me-claims")
    token = to_sign(HEADER, json.dumps(claims(custom={"nested": [1, 2.5, None]})))
    seeds += [s.replace("{{TOKEN}}", token) for s in seeds[:2]]
    # Found by this target: a rawPath without its leading `/` panics lambda_http's
    # conversion of the event, before the handler (see the target); kept as a seed.
    http = json.loads((FIXTURES / "me-claims" / "http-v2-get.json").read_text())
    http["rawPath"] = "\ufffdme/claims"
    seeds.append(json.dumps(http, indent=1))
    # And a `"` in the Host: the URL parses, the request builder refuses it as a URI.
    rest = json.loads((FIXTURES / "me-claims" / "rest-v1-get.json").read_text())
    rest["headers"]["Host"] = rest["multiValueHeaders"]["Host"][0] = 'a"b.example'
    seeds.append(json.dumps(rest, indent=1))
    return seeds


def jwks_seeds() -> list:
    return [
        "{{jwks}}",
        '{"keys": [{{jwk}}, {{jwk}}]}',
        '{"keys": [{"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, {{jwk}}]}',
        '{"keys": [{"kid": "small", "kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "RS256", "use": "sig"}]}',
        '{"keys": []}',
    ]


def cognito_seeds() -> list:
    basic = "Basic " + base64.b64encode(b"claimsgate-local-client:claimsgate-local-secret").decode()
    auth = "response_type=code&client_id=claimsgate-local-client&redirect_uri=http%3A%2F%2Flocalhost&scope=openid+email&state=xyz"
    post = "&client_id=claimsgate-local-client&client_secret=claimsgate-local-secret"
    return [
        f"\x00{basic}\ngrant_type=refresh_token&refresh_token={{{{refresh_token}}}}",
        f"\x00{basic}\ngrant_type=authorization_code&code={{{{code}}}}&redirect_uri=http%3A%2F%2Flocalhost",
        f"\x00\ngrant_type=authorization_code&code={{{{code_s256}}}}&redirect_uri=http%3A%2F%2Flocalhost"
        f"&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk{post}",
        f"\x00Basic Og==\ngrant_type=client_credentials&scope=a",
        f"\x01\n{auth}&username=test-user%40amazon.com&password=Dogs-rule-1",
        f"\x01\n{auth}&username=test-user%40example.com&password=wrong&code_challenge=abc",
        f"\x02{auth}\n",
        f"\x03{auth}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256\n",
    ]


def policy_store_seeds() -> list:
    """A request line, then a payload: the example store's users and routes."""
    pool_iss = "https://cognito-idp.us-east-1.amazonaws.com/local_claimsgate"
    users = [
        claims(iss=pool_iss, **{"cognito:groups": ["vets"]}),
        claims(iss=pool_iss, **{"custom:role": "owner", "cognito:groups": None}),
        claims(iss=pool_iss, **{"cognito:groups": ["suspended"]}),
        claims(iss=pool_iss, token_use="access", aud=None, client_id=CLIENT, scope="openid petstore/pets.write"),
        claims(iss=pool_iss, email=7, email_verified="yes", pet_preference=["dogs"]),
    ]
    requests = ["GET /pets/7", "POST /pets", "DELETE /pets/mine", "GET /files/a/b/c", "GET /me/claims", "GET /dogs", "PUT /x"]
    return [f"{r}\n{json.dumps(u)}" for r in requests for u in users[:3]] + \
        [f"{r}\n{json.dumps(u)}" for r, u in zip(requests, users[3:] * 4)]


def main() -> None:
    corpus = pathlib.Path(sys.argv[1])
    targets = {
        "verify_token": token_seeds(),
        "jwks": jwks_seeds(),
        "authorizer_event": authorizer_seeds(),
        "trigger_event": fixture_events("pre-token-gen"),
        "me_claims_request": me_claims_seeds(),
        "cognito_forms": cognito_seeds(),
        "policy_store": policy_store_seeds(),
    }
    for target, seeds in targets.items():
        folder = corpus / target
        folder.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(seeds):
            (folder / f"seed-{i:03}").write_bytes(seed.encode())
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
