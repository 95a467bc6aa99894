"""API latency and throughput of a running `duban serve` on the bench data set.

    python bench/api.py --milestones 100000 --clients 20 --seconds 20 [--db sqlite|postgres]

Builds the data set (bench/dataset.py), issues an office web session and API
tokens for --token-departments departments, starts `duban serve --no-scheduler`
on 127.0.0.1 and a free port, and runs three phases of --seconds each, with
--clients concurrent keep-alive clients:

- ping: `GET /api/v1/ping`, a constant answer of the same app: the ceiling the
  server and this client reach with no work behind the route;
- worklist: `GET /api/v1/assignments` with a department's token (the 督办件
  work list: one row per measure × unit × role, its current checkpoint inside);
- inbox: `GET /api/v1/milestones?department_id=…` with that department's token
  (the checkpoint list, the work list before the 督办件);
- dashboard: the office dashboard page `/` with the office session cookie.

--phases picks and orders them (default: all four, the dashboard last).

Prints p50/p95/p99 latency (ms), requests per second, and the latency of one
request alone (no queueing) per phase; the last
line is {"milestones", "clients", "seconds", "db", and one {...} per phase}. The load comes from one asyncio process on
the same machine, so on a small machine the client takes a share of the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import build, fresh_database, issue_tokens  # noqa: E402
from service.dependencies import SESSION_COOKIE  # noqa: E402

DUBAN = str(Path(sys.executable).with_name("duban"))
TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    """`duban serve`, its log to a file (a pipe nobody reads would stall it), once it answers.
    A PostgreSQL deployment refuses to start without a signing key: the bench brings one."""
    env = {"DUBAN_SECRET_KEY": "duban-bench-key", **env}
    with log.open("wb") as out:
        process = subprocess.Popen([DUBAN, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"duban serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("duban serve did not answer within 60 s")


async def load(base: str, clients: int, seconds: float, request) -> dict:
    """`clients` loops sending request(client) for `seconds`; latency percentiles and rate."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client_loop(n: int) -> None:
        nonlocal errors
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S) as client:
            while True:  # at least one request each
                method, path, kwargs = request(rng)
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, **kwargs)
                except httpx.HTTPError:
                    errors += 1  # a timeout is an answer too slow to count as one
                    if time.perf_counter() >= stop_at:
                        break
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                if time.perf_counter() >= stop_at:
                    break

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    if not latencies:
        return {"requests": 0, "errors": errors}
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {
        "requests": len(latencies), "errors": errors, "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--departments", type=int, default=300, help="per office")
    parser.add_argument("--offices", type=int, default=1,
                        help="offices side by side in the database, the milestones split among them; "
                             "the phases read office 1's (e.g. 100 offices of 10,000 milestones each)")
    parser.add_argument("--token-departments", type=int, default=50, help="departments whose users read their inbox")
    parser.add_argument("--phases", default="ping,worklist,inbox,dashboard",
                        help="comma-separated, run in this order (the dashboard best last)")
    args = parser.parse_args()

    with fresh_database(args.db) as url, tempfile.TemporaryDirectory(prefix="duban-api-") as directory:
        data = build(url, args.milestones, 0.01, departments=args.departments, offices=args.offices)
        readers = data.department_ids[: args.token_departments]
        office_token, tokens = issue_tokens(url, readers)
        print(f"built {data.milestones} milestones in {data.seconds:.1f} s ({args.db}); "
              f"{len(tokens)} department readers, {args.clients} clients, {args.seconds:g} s per phase")
        port = free_port()
        server = start_server({**os.environ, "DUBAN_DATABASE_URL": url}, port, Path(directory) / "serve.log")
        base = f"http://127.0.0.1:{port}"
        try:
            def inbox(rng):
                department = rng.choice(readers)
                return "GET", "/api/v1/milestones", {
                    "params": {"department_id": department},
                    "headers": {"Authorization": f"Bearer {tokens[department]}"},
                }

            def worklist(rng):
                department = rng.choice(readers)
                return "GET", "/api/v1/assignments", {"headers": {"Authorization": f"Bearer {tokens[department]}"}}

            def dashboard(_rng):
                return "GET", "/", {"headers": {"Cookie": f"{SESSION_COOKIE}={office_token}"}}

            def ping(_rng):
                return "GET", "/api/v1/ping", {}

            # The machine may be shared: its load average beside the figures says how much.
            load_before = os.getloadavg()[0]
            phases = {"ping": ping, "worklist": worklist, "inbox": inbox, "dashboard": dashboard}
            results = {}
            # The dashboard last: requests abandoned at the timeout keep the server busy afterwards.
            for name in args.phases.split(","):
                request = phases[name]
                alone = asyncio.run(load(base, 1, 0, request))  # one request, warm-up and cost without queueing
                results[name] = asyncio.run(load(base, args.clients, args.seconds, request))
                r = results[name] | {"alone_ms": alone.get("p50_ms")}
                results[name] = r
                print(f"{name:9} {r.get('rps', 0):8.1f} req/s  p50 {r.get('p50_ms')} ms  p95 {r.get('p95_ms')} ms  "
                      f"p99 {r.get('p99_ms')} ms  ({r['requests']} answered, {r['errors']} not 200 or over "
                      f"{TIMEOUT_S} s); one request alone {r['alone_ms']} ms")
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:  # still busy with abandoned requests
                server.kill()
                server.wait()
    offices = {"offices": args.offices} if args.offices > 1 else {}
    print(json.dumps({"milestones": data.milestones, **offices, "clients": args.clients, "seconds": args.seconds, "db": args.db,
                      "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)], **results}))


if __name__ == "__main__":
    main()
