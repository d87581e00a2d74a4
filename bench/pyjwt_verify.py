"""The PyJWT case of bench/run, speaking the protocol of bench-verify:
`python pyjwt_verify.py FIXTURE` checks it accepts the token and refuses the bad
ones, prints {"ready": [...]}, then answers each stdin line `CASE SECONDS`."""

import json
import sys
import time

import jwt


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        fixture = json.load(file)
    key = jwt.PyJWK(fixture["jwks"]["keys"][0]).key  # parsed once

    def verify(token: str) -> dict:
        claims = jwt.decode(
            token, key, algorithms=["RS256"], audience=fixture["client_id"], issuer=fixture["iss"],
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
        # What PyJWT leaves to the caller.
        if claims.get("token_use") != "id" or claims["iat"] > time.time():
            raise jwt.InvalidTokenError("not an ID token, or issued in the future")
        return claims

    def accepts(token: str) -> bool:
        try:
            verify(token)
            return True
        except jwt.InvalidTokenError:
            return False

    if not accepts(fixture["token"]):
        sys.exit("PyJWT refuses the good token")
    for name, token in fixture["bad_tokens"].items():
        if accepts(token):
            sys.exit(f"PyJWT accepts the {name} token")
    print(json.dumps({"ready": ["pyjwt"]}), flush=True)

    for line in sys.stdin:
        case, seconds = line.split()
        if case != "pyjwt":
            sys.exit(f"unknown case {case}")
        token, done, started = fixture["token"], 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < float(seconds):
            for _ in range(16):
                verify(token)
            done += 16
        print(json.dumps({"case": case, "verifications": done, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    main()
