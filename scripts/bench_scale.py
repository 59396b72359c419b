"""Benchmark at national scale: every key page as the right role, served by gunicorn (2 sync
workers) on a database filled by ``flask --app expertteam seed-scale`` (not a test).

Prints, per page: p50 and p95 over N requests after a warm-up, SQL statements per request
(counted in the server: this script's own app factory, ``bench_app()``, counts the statements of
each request and sends them back in an ``X-Statement-Count`` header; production never loads it),
HTML size and status. Then the API's actions list as an organisation's system reads it (a client
of the busiest organisation of the busy team, made through the API's own services; one bearer
token from the token endpoint, then every request with it; the rate limit raised for this run
only, ``API_RATE_LIMIT`` in the server's environment). Then the ``/healthz`` floor in the same server, requests per second of the
contact's actions home against ``/healthz`` with concurrent clients (and, for scale, the same
person's smallest signed-in page), the workers' resident memory
after every page was visited (from /proc), and the time of every registered job (each run once,
in its own process, as ``scheduler --once --job ID`` would).

    .venv/bin/flask --app expertteam seed-scale            # DATABASE_URL=…/scale, once
    .venv/bin/python scripts/bench_scale.py --database postgresql://postgres@127.0.0.1:5432/scale
    .venv/bin/python scripts/bench_scale.py --small --database postgresql://postgres@127.0.0.1:5432/scale_small
    .venv/bin/python scripts/bench_scale.py --only API --no-jobs      # the API targets and the floor only

Jobs change the database (retention anonymises tonight's due cases, the meeting jobs add
meetings): a second run measures the "nothing due" case. ``--no-jobs`` skips them.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-scale-secret-key-not-for-production"
AGENT = "bench-scale/1"
HEADER = "X-Statement-Count"
#: The smallest signed-in page (one statement, no list): the throughput test's second yardstick.
SIGNED_IN_FLOOR = "/account/password"
#: The API's rate limit in the benchmark's server (per client per minute): high, so that it
#: never answers 429 while measuring. The app's default (300) is unchanged.
BENCH_API_RATE_LIMIT = "1000000"

# --- the server side: loaded by gunicorn in the workers ----------------------------------------

_statements = [0]


def bench_app():
    """The app with a statement counter per request (for this benchmark only)."""
    import sqlalchemy as sa

    from core.db import db
    from expertteam import create_app, settle

    app = create_app()
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: _statements.__setitem__(0, _statements[0] + 1))
    settle()  # as the production entry point does (expertteam.wsgi)
    inner = app.wsgi_app

    def counting(environ, start_response):
        _statements[0] = 0

        def start(status, headers, exc_info=None):
            headers.append((HEADER, str(_statements[0])))
            headers.append(("X-Worker-Pid", str(os.getpid())))
            return start_response(status, headers, exc_info)

        return inner(environ, start)

    app.wsgi_app = counting
    return app


# --- the client side -----------------------------------------------------------------------------

def env_for(database: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database, SECRET_KEY=SECRET, EXPERTTEAM_ENV="development",
               API_RATE_LIMIT=BENCH_API_RATE_LIMIT,
               PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'scripts'}")
    env.pop("FLASK_DEBUG", None)
    return env


def targets_and_cookies(database: str) -> tuple[dict, dict, dict]:
    """The key pages (from the seed) and a signed session cookie per user, as after a full
    sign-in with password and second factor (what Flask-Login and accounts.security read); and
    the API client (id, fresh secret) with its requests (``expertteam.scale.api``)."""
    os.environ.update(env_for(database))
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa
    from flask_login.utils import _create_identifier

    from core.db import db
    from core.models import User
    from expertteam import create_app
    from expertteam.scale import bench_api_client, bench_api_targets, bench_targets

    app = create_app()
    with app.app_context():
        try:
            db.session.execute(sa.text("SELECT 1"))
            targets = bench_targets()
            client_id, secret, organisation = bench_api_client()
            api = {"client_id": client_id, "secret": secret, "organisation": organisation.name,
                   "targets": bench_api_targets(organisation)}
        except LookupError as exc:
            sys.exit(f"bench_scale: {exc}")
        except sa.exc.SQLAlchemyError as exc:
            sys.exit(f"bench_scale: the database does not answer or has no schema ({exc.__class__.__name__}); "
                     f"seed it with `DATABASE_URL={database} flask --app expertteam seed-scale [--small]`")
        users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_({m for m, _ in targets.values()})))}
        serializer = app.session_interface.get_signing_serializer(app)
        now = int(time.time())
        cookies = {}
        for mail in {m for m, _ in targets.values()}:
            user = users[mail]
            with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": AGENT}):
                ident = _create_identifier()
            cookies[mail] = serializer.dumps({"_user_id": user.get_id(), "_fresh": True, "_id": ident,
                                              "_permanent": True, "login_at": now, "seen_at": now, "auth_at": now})
    return targets, cookies, api


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def credentials(cookie: str | None = None, token: str | None = None) -> dict:
    """The request headers of a signed-in user (session cookie) or an API client (bearer token)."""
    if token:
        return {"Authorization": f"Bearer {token}"}
    return {"Cookie": f"session={cookie}"} if cookie else {}


def get(url: str, cookie: str | None = None, timeout: float = 120,
        token: str | None = None) -> tuple[int, float, int, int | None, int | None]:
    """One request: status, milliseconds, body bytes, statements, worker pid."""
    req = urllib.request.Request(url, headers={"User-Agent": AGENT, **credentials(cookie, token)})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            status, headers = resp.status, resp.headers
    except urllib.error.HTTPError as err:
        body, status, headers = err.read(), err.code, err.headers
    ms = (time.perf_counter() - start) * 1000
    count = headers.get(HEADER)
    pid = headers.get("X-Worker-Pid")
    return status, ms, len(body), int(count) if count else None, int(pid) if pid else None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def api_token(base: str, client_id: str, secret: str) -> tuple[str, float, int | None]:
    """A bearer token from the token endpoint (OAuth 2 client credentials, client_secret_basic), as
    the organisation's system takes one: the token, milliseconds, statements."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    req = urllib.request.Request(base + "/api/v1/oauth/token", data=b"grant_type=client_credentials&scope=actions%3Aread",
                                 headers={"User-Agent": AGENT, "Authorization": f"Basic {basic}",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            body = json.loads(resp.read())
            count = resp.headers.get(HEADER)
    except urllib.error.HTTPError as err:
        sys.exit(f"bench_scale: the token endpoint answered {err.code}: {err.read()[:300]!r}")
    return body["access_token"], (time.perf_counter() - start) * 1000, int(count) if count else None


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


#: The server's workers (gunicorn -w): the warm-up lasts until each has served the page.
WORKERS = 2


def measure(base: str, path: str, cookie: str | None, n: int, warmup: int, budget: float,
            token: str | None = None) -> dict:
    # Warm up every worker, not just the one that happens to accept first: a worker's first
    # request of a page compiles its statements and templates, which is start-up, not the page.
    served: dict[int | None, int] = {}
    for _ in range(50):
        *_, pid = get(base + path, cookie, token=token)
        served[pid] = served.get(pid, 0) + 1
        if len(served) >= WORKERS and min(served.values()) >= warmup:
            break
    times, sizes, counts, statuses = [], [], [], set()
    started = time.monotonic()
    for _ in range(n):
        status, ms, size, count, _pid = get(base + path, cookie, token=token)
        times.append(ms)
        sizes.append(size)
        statuses.add(status)
        if count is not None:
            counts.append(count)
        if time.monotonic() - started > budget:
            break
    return {"n": len(times), "p50": pct(times, 50), "p95": pct(times, 95), "size": max(sizes),
            "statements": sorted(set(counts)), "status": sorted(statuses)}


def throughput(base: str, path: str, cookie: str | None, clients: int, seconds: float) -> float:
    done = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        while time.monotonic() < stop:
            get(base + path, cookie)
            with lock:
                done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.monotonic() - start)


def worker_rss(master: int) -> dict[int, float]:
    """Resident memory (MiB) of the gunicorn master's children."""
    out = {}
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[int(pid)] = int(line.split()[1]) / 1024
    return out


JOB_RUNNER = """
import json, sys, time
from expertteam import create_app
from expertteam import scheduler
app = create_app()
start = time.perf_counter()
runs = scheduler.run_once(app, [sys.argv[1]])
print(json.dumps({"seconds": time.perf_counter() - start,
                  "status": runs[0].status, "summary": runs[0].summary or runs[0].error or ""}))
"""


def run_jobs(database: str, timeout: float) -> list[tuple[str, str, str]]:
    env = env_for(database)
    listed = subprocess.run([sys.executable, "-m", "flask", "--app", "expertteam", "scheduler", "--list"],
                            env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in listed.splitlines():
        job = line.split("\t")[0]
        try:
            out = subprocess.run([sys.executable, "-c", JOB_RUNNER, job], env=env, cwd=ROOT, capture_output=True, check=False,
                                 text=True, timeout=timeout)
            data = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
        except subprocess.TimeoutExpired:
            rows.append((job, f"> {timeout:.0f} s", "stopped: took too long"))
            continue
        if data is None:
            rows.append((job, "-", "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1][:80]))
        else:
            rows.append((job, f"{data['seconds']:.2f} s", f"{data['status']}: {str(data['summary'])[:70]}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL URL of a seeded database (default: $DATABASE_URL, else the scale or scale_small database)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_true", help="The database holds the small seed (label and default URL).")
    size.add_argument("--national", action="store_true", help="The database holds the national seed (the default).")
    parser.add_argument("--requests", type=int, default=40, help="Measured requests per page (after warm-up; 40 so that p95 is not simply the slowest request).")
    parser.add_argument("--warmup", type=int, default=2, help="Warm-up requests per page and worker.")
    parser.add_argument("--budget", type=float, default=60, help="At most this many seconds of measuring per page.")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent clients for the throughput test.")
    parser.add_argument("--seconds", type=float, default=10, help="Duration of each throughput test.")
    parser.add_argument("--no-jobs", action="store_true", help="Do not run the jobs.")
    parser.add_argument("--only", action="append", metavar="WORD",
                        help="Measure only the targets whose name contains WORD (case-insensitive; repeatable), "
                             "e.g. --only API; the /healthz floor is always measured, the throughput test only "
                             "when the contact's home is selected.")
    parser.add_argument("--job-timeout", type=float, default=900)
    args = parser.parse_args()
    database = args.database or f"postgresql://postgres@127.0.0.1:5432/{'scale_small' if args.small else 'scale'}"
    if not database.startswith(("postgresql", "postgres:")):
        sys.exit("bench_scale: --database must be a PostgreSQL URL (the seed is PostgreSQL only)")
    label = "small" if args.small else "national"
    targets, cookies, api = targets_and_cookies(database)
    if args.only:
        wanted = lambda name: any(word.lower() in name.lower() for word in args.only)
        targets = {name: target for name, target in targets.items() if wanted(name)}
        api["targets"] = {name: path for name, path in api["targets"].items() if wanted(name)}

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k", "sync", "-b", f"127.0.0.1:{port}", "--timeout", "300",
         "--log-level", "warning", "bench_scale:bench_app()"],
        env=env_for(database), cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if get(base + "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("bench_scale: the server did not start")
        print(f"Benchmark ({label} seed, {database.rsplit('/', 1)[-1]}): gunicorn, 2 sync workers, "
              f"{args.requests} requests per page after {args.warmup} warm-up per worker\n")
        print("| page | role | p50 ms | p95 ms | statements | HTML/JSON KB | status |\n|---|---|---:|---:|---:|---:|---|")
        results = {}
        for name, (mail, path) in targets.items():
            r = measure(base, path, cookies[mail], args.requests, args.warmup, args.budget)
            results[name] = r
            statements = "/".join(map(str, r["statements"])) or "-"
            n = "" if r["n"] == args.requests else f" (n={r['n']})"
            print(f"| {name} | {mail.split('@')[0]} | {r['p50']:.0f} | {r['p95']:.0f}{n} | {statements} | "
                  f"{r['size'] / 1024:.0f} | {','.join(map(str, r['status']))} |", flush=True)
        if api["targets"]:
            token, token_ms, token_statements = api_token(base, api["client_id"], api["secret"])
            for name, path in api["targets"].items():
                r = measure(base, path, None, args.requests, args.warmup, args.budget, token=token)
                results[name] = r
                statements = "/".join(map(str, r["statements"])) or "-"
                n = "" if r["n"] == args.requests else f" (n={r['n']})"
                print(f"| {name} | API client | {r['p50']:.0f} | {r['p95']:.0f}{n} | {statements} | "
                      f"{r['size'] / 1024:.0f} | {','.join(map(str, r['status']))} |", flush=True)
        floor = measure(base, "/healthz", None, max(args.requests, 50), args.warmup, args.budget)
        print(f"| /healthz (floor) | - | {floor['p50']:.1f} | {floor['p95']:.1f} | "
              f"{'/'.join(map(str, floor['statements']))} | - | {','.join(map(str, floor['status']))} |")
        if api["targets"]:
            print(f"\nAPI client of {api['organisation']} (team T01's busiest organisation): one bearer token "
                  f"in {token_ms:.0f} ms, {token_statements if token_statements is not None else '?'} statements; "
                  f"rate limit {BENCH_API_RATE_LIMIT} per period for this run; sizes are JSON (KB)")
        rss = worker_rss(server.pid)
        print("\nWorker RSS after every page: " + ", ".join(f"{v:.0f} MiB" for v in sorted(rss.values())))
        if "contact home" in targets:
            mail, path = targets["contact home"]
            home = throughput(base, path, cookies[mail], args.clients, args.seconds)
            health = throughput(base, "/healthz", None, args.clients, args.seconds)
            # For scale: the same person's smallest signed-in page (their password form: the
            # signed-in user's one statement, a form, the layout), what any page costs at least.
            least = throughput(base, SIGNED_IN_FLOOR, cookies[mail], args.clients, args.seconds)
            print(f"Throughput ({args.clients} clients, {args.seconds:.0f} s each): contact's home {home:.1f} req/s, "
                  f"/healthz {health:.1f} req/s ({100 * home / health:.1f} % of the floor); the smallest signed-in page "
                  f"({SIGNED_IN_FLOOR}) {least:.1f} req/s ({100 * least / health:.1f} % of the floor)")
        bad = [n for n, r in results.items() if r["status"] != [200]]
        if bad:
            print(f"Pages that did not answer 200: {', '.join(bad)}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if not args.no_jobs:
        print("\n| job | time | result |\n|---|---:|---|")
        # The whole chain once (it writes the checkpoint the nightly audit.verify starts from).
        start = time.perf_counter()
        full = subprocess.run([sys.executable, "-m", "flask", "--app", "expertteam", "audit", "verify", "--full"],
                              env=env_for(database), cwd=ROOT, capture_output=True, text=True, check=False)
        print(f"| audit verify --full | {time.perf_counter() - start:.2f} s | "
              f"exit {full.returncode}: {(full.stdout.strip().splitlines() or ['?'])[-1][:70]} |", flush=True)
        for job, seconds, summary in run_jobs(database, args.job_timeout):
            print(f"| {job} | {seconds} | {summary} |", flush=True)


if __name__ == "__main__":
    main()
