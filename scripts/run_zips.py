#!/usr/bin/env python3
"""Runs each zip's bootstrap under qemu-aarch64 through real invocations against
the Runtime API stand-in (the trigger assigns dogs, the authorizer allows and
refuses, me-claims echoes), with the JWKS served on loopback, and checks each
zip is under 5 MB. The functions log at TRACE, the most the Lambda runtime
prints (raw events included, unless capped): no token and no email of the
events may appear in what they write. Needs PyJWT and cryptography
(requirements/smoke.txt).

usage: scripts/run_zips.py [LAMBDA_DIR]   (default target/lambda, as cargo-lambda writes it)
"""

import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

from invocations import FUNCTIONS, TestIssuer, environment, invocations
from runtime_api import run_function

MAX_ZIP_BYTES = 5_000_000
TRACE = {"AWS_LAMBDA_LOG_LEVEL": "TRACE", "RUST_LOG": "trace", "AWS_LAMBDA_LOG_FORMAT": "JSON"}
JWT = re.compile(r"[\w-]{10,}\.[\w-]{10,}\.([\w-]{10,})")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def secrets_in(events: list) -> set[str]:
    """Every token (and its signature alone) and every email address the events carry."""
    text = json.dumps(events)
    found = set(EMAIL.findall(text))
    for token in JWT.finditer(text):
        found |= {token.group(0), token.group(1)}
    return found
QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]


def main() -> int:
    lambda_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "target/lambda")
    issuer = TestIssuer()
    passed = failed = 0

    def verdict(ok: bool, what: str) -> None:
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)

    with issuer.serve_jwks() as jwks_uri, tempfile.TemporaryDirectory() as tmp:
        for function in FUNCTIONS:
            archive = lambda_dir / function / "bootstrap.zip"
            if not archive.exists():
                verdict(False, f"{function}: no {archive}")
                continue
            size = archive.stat().st_size
            verdict(size < MAX_ZIP_BYTES, f"{function}: bootstrap.zip is {size / 1e6:.2f} MB (limit 5 MB)")
            task_root = Path(tmp) / function
            with zipfile.ZipFile(archive) as z:
                z.extractall(task_root)
            bootstrap = task_root / "bootstrap"
            os.chmod(bootstrap, 0o755)  # zipfile drops the mode bits
            calls = invocations(function, issuer)
            env = environment(function, jwks_uri)
            if function == "authorizer":
                store = sorted(p.name for p in (task_root / "policies").glob("*"))
                verdict("schema.cedarschema" in store and any(n.endswith(".cedar") for n in store),
                        f"authorizer: bootstrap.zip carries the policy store beside bootstrap ({', '.join(store)})")
            if (task_root / "policies").is_dir():
                # As serverless.yml's POLICY_STORE names /var/task/policies.
                env["POLICY_STORE"] = str(task_root / "policies")
            run = run_function([*QEMU, str(bootstrap)], [c.event for c in calls],
                               {**env, **TRACE}, name=function,
                               timeout=120, cwd=str(task_root))
            if len(run.answers) != len(calls):
                verdict(False, f"{function}: {len(run.answers)} of {len(calls)} invocations answered"
                        f" (init error {run.init_error}, exit {run.exited}, timed out {run.timed_out})\n{run.log}")
                continue
            print(f"     {function}: first answer {run.first_answer_ms:.0f} ms after start under qemu")
            # One invocation at a time: the answers come in the order of the events.
            for call, answer in zip(calls, run.answers):
                problem = call.check(answer)
                verdict(problem is None, f"{function}: {call.what}" + (f": {problem}" if problem else ""))
            secrets = secrets_in([c.event for c in calls])
            leaked = sorted(s for s in secrets if s in run.log)
            verdict(bool(secrets) and not leaked,
                    f"{function}: at TRACE, {len(secrets)} tokens and emails of its events stay out of its output"
                    + (f"; leaked: {leaked}" if leaked else ""))
    print(f"arm64 zips: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
