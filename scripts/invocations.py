"""Real invocations of the three functions, and the answers they must give.

Shared by scripts/smoke-arm64 (the zips we ship) and bench/ (cold start and
memory): a test issuer with an RSA-2048 key, its JWKS served on loopback,
Cognito-shaped ID tokens it signs, each function's environment, and the
recorded events of tests/fixtures with the answers they expect.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from runtime_api import Answer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
CLIENT_ID = "4example5client6id7abc"
FUNCTIONS = ("pre-token-gen", "authorizer", "me-claims")


class TestIssuer:
    """A Cognito user pool stand-in: one RSA-2048 key, its JWKS, and ID tokens."""

    def __init__(self, kid: str = "example-key-1") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        # The members Cognito publishes, in its order.
        self.jwks = {"keys": [{"alg": "RS256", "e": public["e"], "kid": kid,
                               "kty": "RSA", "n": public["n"], "use": "sig"}]}

    def id_token(self, pet: str = "dogs", **claims: Any) -> str:
        """A Cognito-shaped ID token (about 1 KiB); `claims` override or, set to None, remove."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": str(uuid.uuid4()),
            "cognito:groups": ["readers"],
            "email_verified": True,
            "iss": ISSUER,
            "cognito:username": "test-user",
            "origin_jti": str(uuid.uuid4()),
            "aud": CLIENT_ID,
            "event_id": str(uuid.uuid4()),
            "token_use": "id",
            "auth_time": now,
            "pet_preference": pet,
            "exp": now + 3600,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "email": "test-user@example.com",
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid, "typ": None})

    @contextmanager
    def serve_jwks(self, delay: float = 0.0) -> Iterator[str]:
        """Serves the JWKS on 127.0.0.1 (each answer `delay` seconds late); yields its URI."""
        body = json.dumps(self.jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # headers and body go out at once, not a delayed ACK apart

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                time.sleep(delay)
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        finally:
            server.shutdown()
            server.server_close()


def environment(function: str, jwks_uri: str) -> dict[str, str]:
    """A function's own configuration: the verifiers trust the test issuer, keys from `jwks_uri`."""
    if function == "pre-token-gen":
        return {}  # the default rules: a verified amazon.com address gets dogs
    return {"TOKEN_ISSUERS": ISSUER, "JWKS_URI": jwks_uri, "COGNITO_CLIENT_IDS": CLIENT_ID}


@dataclass
class Invocation:
    """One event and the check of its answer (None when right, else what is wrong)."""

    what: str
    event: Any
    check: Callable[[Answer], str | None]


def invocations(function: str, issuer: TestIssuer) -> list[Invocation]:
    """The invocations that show a function works; the first is the cold-start one."""
    token = issuer.id_token("dogs")
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    if function == "pre-token-gen":
        name = "pre-token-gen/v2-authentication-verified-amazon"
        expected = _fixture(f"{name}.response.json")
        return [Invocation("the trigger assigns dogs", _fixture(f"{name}.event.json"),
                           _response(lambda body: body.get("response") == expected))]
    if function == "authorizer":
        def decision(route: str) -> Invocation:
            case = _fixture(f"authorizer/rest_token/dogs_user_on_{route}.json", dogs_id_token=token)
            policy = case["response"]["policyDocument"]
            return Invocation(
                f"the authorizer decides a dogs token on GET /{route}", case["event"],
                _response(lambda body: body.get("principalId") == sub
                          and body.get("policyDocument") == policy),
            )
        garbage = _fixture("authorizer/rest_token/garbage_token.json")["event"]
        return [decision("dogs"), decision("cats"),
                Invocation("the authorizer refuses a garbage token", garbage, _unauthorized)]
    if function == "me-claims":
        event = _fixture("me-claims/rest-v1-get.json", TOKEN=token)
        return [Invocation("me-claims echoes the verified claims", event, _response(
            lambda body: body.get("statusCode") == 200
            and json.loads(body.get("body") or "{}").get("claims", {}).get("sub") == sub))]
    raise ValueError(f"unknown function {function}")


def token_event(token: str) -> dict[str, Any]:
    """A TOKEN authorizer event for GET /dogs carrying `token`."""
    return _fixture("authorizer/rest_token/dogs_user_on_dogs.json", dogs_id_token=token)["event"]


def _fixture(name: str, **placeholders: str) -> Any:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in placeholders.items():
        text = text.replace("{{" + key + "}}", value)
    return json.loads(text)


def _response(right: Callable[[Any], bool]) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        if answer.kind == "response" and isinstance(answer.body, dict) and right(answer.body):
            return None
        return f"unexpected {answer.kind}: {json.dumps(answer.body)[:300]}"
    return check


def _unauthorized(answer: Answer) -> str | None:
    if answer.kind == "error" and isinstance(answer.body, dict) \
            and answer.body.get("errorMessage") == "Unauthorized":
        return None
    return f"expected the error Unauthorized, got {answer.kind}: {json.dumps(answer.body)[:300]}"
