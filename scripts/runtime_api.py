#!/usr/bin/env python3
"""A stand-in for the AWS Lambda Runtime API on 127.0.0.1, and a runner that
starts a function against it.

The runner queues events, starts the function with AWS_LAMBDA_RUNTIME_API and
the variables Lambda sets, and collects what it answers (each /response or
/error, or an /init/error). It times process start to the first answered
invocation, reads the process's peak RSS once every event is answered, and
always kills it at the end, within the time it was given.

Used by scripts/smoke-arm64 and bench/. As a command:

  scripts/runtime_api.py [--name NAME] [--timeout SECS] [--env NAME=VALUE]...
                         --event FILE [--event FILE]... -- COMMAND [ARG]...

prints one JSON object (the answers, first_answer_ms, peak_rss_kib, init_error)
and exits 0 when every event was answered.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Answer:
    """What the function posted for one invocation."""

    request_id: str
    kind: str  # "response" or "error"
    body: Any  # the JSON it posted, or the raw text when that is not JSON


@dataclass
class Run:
    """One start of a function, from process start to kill."""

    answers: list[Answer] = field(default_factory=list)
    init_error: Any = None
    first_answer_ms: float | None = None
    cpu_ms: float | None = None  # CPU time its live threads had used once every event was answered
    peak_rss_kib: int | None = None
    exited: int | None = None  # the exit code when it stopped by itself
    timed_out: bool = False
    log: str = ""  # the tail of its stdout and stderr

    @property
    def complete(self) -> bool:
        return self.init_error is None and not self.timed_out and self.exited is None


def lambda_environment(runtime_api: str, name: str) -> dict[str, str]:
    """The variables Lambda sets for a function (besides its own configuration)."""
    return {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]00000000000000000000000000000000",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": os.getcwd(),
        "_HANDLER": "bootstrap",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }


class RuntimeApi:
    """Serves queued events on 127.0.0.1 and records the answers, until closed."""

    def __init__(self, events: list[Any], name: str = "function") -> None:
        self.name = name
        self.expected = len(events)
        self.answers: list[Answer] = []
        self.init_error: Any = None
        self.first_answer_at: float | None = None
        self.settled = threading.Event()  # every event answered, or init failed
        self._events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        for event in events:
            body = event if isinstance(event, bytes) else json.dumps(event).encode()
            self._events.put((str(uuid.uuid4()), body))
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        # A short poll: shutdown() waits for it, once per function start.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def next_event(self) -> tuple[str, bytes] | None:
        """The next event, waiting as Lambda does; None once closed."""
        while not self._closed.is_set():
            try:
                return self._events.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def record(self, at: float, answer: Answer | None = None, init_error: Any = None) -> None:
        """Notes an answer (or an init error) received at `at` (perf_counter)."""
        with self._lock:
            if answer is not None:
                if self.first_answer_at is None:
                    self.first_answer_at = at
                self.answers.append(answer)
            else:
                self.init_error = init_error if init_error is not None else {}
            if self.init_error is not None or len(self.answers) >= self.expected:
                self.settled.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a function still connected must not hold up close()
    api: RuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed function hangs up: expected
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real Runtime API
    disable_nagle_algorithm = True  # headers and body go out at once, not a delayed ACK apart
    server: _Server

    def log_message(self, *_args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._reply(404, {"errorMessage": "not found"})
            return
        api = self.server.api
        item = api.next_event()
        if item is None:
            self.close_connection = True
            return
        request_id, body = item
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{api.name}",
        )
        self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-00000000-{request_id.replace('-', '')[:24]}")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        api = self.server.api
        body = self._body()
        at = time.perf_counter()
        parts = self.path.removeprefix(PREFIX).strip("/").split("/")
        if parts == ["init", "error"]:
            self._reply(202, {"status": "OK"})
            api.record(at, init_error=body)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            # Acknowledged before it is recorded: once the last is recorded, the function is killed.
            self._reply(202, {"status": "OK"})
            api.record(at, Answer(parts[1], parts[2], body))
        else:
            self._reply(404, {"errorMessage": "not found"})

    def _body(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                raw += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def _reply(self, status: int, obj: Any) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def run_function(
    command: list[str],
    events: list[Any],
    env: dict[str, str] | None = None,
    name: str = "function",
    timeout: float = 30.0,
    cwd: str | None = None,
) -> Run:
    """Starts `command` as a Lambda function, feeds it `events`, and kills it
    once every event is answered, init fails, it exits, or `timeout` passes."""
    run = Run()
    with RuntimeApi(events, name) as api, tempfile.TemporaryFile() as log:
        environ = {**lambda_environment(api.address, name), **(env or {})}
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, env=environ, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = started + timeout
            while not api.settled.wait(0.01):
                if proc.poll() is not None:
                    run.exited = proc.returncode
                    break
                if time.perf_counter() > deadline:
                    run.timed_out = True
                    break
            if run.exited is None:  # read while it lives: these die with it
                run.peak_rss_kib = _peak_rss_kib(proc.pid)
                with contextlib.suppress(OSError):  # unless it ended just now
                    run.cpu_ms = cpu_ns(proc.pid) / 1e6
        finally:
            proc.kill()
            proc.wait(timeout=10)
        run.answers = list(api.answers)
        run.init_error = api.init_error
        if api.first_answer_at is not None:
            run.first_answer_ms = (api.first_answer_at - started) * 1000
        log.seek(0)
        run.log = log.read().decode(errors="replace")
    return run


def cpu_ns(pid: int) -> int:
    """CPU time used so far by the live threads of process `pid`, in ns: unlike the
    wall clock, it does not count the time other work on the machine held the core."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as stat:
                total += int(stat.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total


def _peak_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="function", help="the function name Lambda would set")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before the function is killed")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--event", action="append", required=True, metavar="FILE", help="a JSON event")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the function's command after --")
    if shutil.which(command[0]) is None:
        parser.error(f"{command[0]}: not found")
    env = dict(item.split("=", 1) for item in args.env if "=" in item)
    events = []
    for path in args.event:
        with open(path, encoding="utf-8") as file:
            events.append(json.load(file))
    run = run_function(command, events, env, args.name, args.timeout)
    result = asdict(run)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0 if run.complete and len(run.answers) == len(events) else 1


if __name__ == "__main__":
    sys.exit(main())
