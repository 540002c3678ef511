"""`make bench`, pages: the signed-in lesson page against a bare Flask+Jinja page of the same
HTML, served with the same gunicorn settings as `make run`, alternated in one run.

For each database (SQLite always; PostgreSQL when BENCH_POSTGRES_URL or DATABASE_URL names
one), a throwaway database gets the migrations and the demo data; two gunicorns start (the app,
as `tests.bench_floor`: wsgi's app with one more route, and `tests.bench_bare` serving the
lesson page's HTML through a Jinja template); then ROUNDS rounds each load the lesson page, the
signed-in floor (the app's cheapest signed-in answer, tests/bench_floor.py) and the bare page
in turn for SECONDS seconds with CLIENTS concurrent clients (each sends its next request when
the last one is answered). Reported: the median requests per second of each, the lesson and
floor pages' ratios to the bare page, and the p99 and median latency of each over all rounds.
Figures are printed, never asserted: these machines are shared and noisy.

Settings (environment): BENCH_CLIENTS (64), BENCH_SECONDS (5), BENCH_ROUNDS (3),
BENCH_WORKERS (2, as `make run`), BENCH_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "64"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_WORKERS", os.environ.get("WORKERS", "2"))
GOAL_RATIO, GOAL_P99_MS = 0.5, 100.0
COURSE = os.environ.get("BENCH_COURSE", "ky-nang-so")  # the demo course


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a minimal HTTP/1.1 client (the load must cost the 2 cores as little as possible) ---------

async def fetch(port: int, path: str, headers: dict[str, str], body: bytes | None = None,
                method: str = "GET") -> tuple[int, dict[str, list[str]], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += [f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
    data = await reader.read()
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(found.get("transfer-encoding", [])):
        payload = _unchunk(payload)
    return int(status_line.split()[1]), found, payload


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def _cookies(headers: dict[str, list[str]], jar: dict[str, str]) -> None:
    for value in headers.get("set-cookie", []):
        name, _, rest = value.partition("=")
        jar[name] = rest.split(";", 1)[0]


def _cookie_header(jar: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}


async def sign_in(port: int, username: str, password: str) -> dict[str, str]:
    """Sign in as a browser does; return the cookie jar."""
    jar: dict[str, str] = {}
    status, headers, page = await fetch(port, "/login", {})
    _cookies(headers, jar)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    status, headers, _ = await fetch(port, "/login", {
        **_cookie_header(jar), "Content-Type": "application/x-www-form-urlencoded"},
        form, method="POST")
    _cookies(headers, jar)
    if status != 302:
        raise SystemExit(f"bench: signing in as {username} failed ({status})")
    return jar


async def load(port: int, path: str, headers: dict[str, str], seconds: float,
               clients: int) -> tuple[float, list[float], int]:
    """Run `clients` closed-loop clients for `seconds`; return req/s, latencies, errors."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, _, _ = await fetch(port, path, headers)
            except OSError:
                status = 0
            if status != 200:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies) / (time.perf_counter() - started), latencies, errors


# --- servers ----------------------------------------------------------------------------------

def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """Start gunicorn as `make run` does (sync workers, WORKERS of them), logs to a file."""
    log = open(Path(env["BENCH_DIR"]) / f"gunicorn-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", WORKERS, "--bind", f"127.0.0.1:{port}",
         "--backlog", "2048", app], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"bench: gunicorn {app} did not start; see {log.name}")
            time.sleep(0.2)
    raise SystemExit(f"bench: gunicorn {app} did not answer on port {port}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def prepare(database_url: str, directory: Path) -> dict[str, str]:
    """Migrate a fresh database and load the demo data; return the servers' environment."""
    env = {**os.environ, "DATABASE_URL": database_url, "HOCSO_ENV": "development",
           "SECRET_KEY": "bench-secret-key-" + os.urandom(8).hex(),
           "HOCSO_MEDIA_DIR": str(directory / "media"), "BENCH_DIR": str(directory),
           "FLASK_APP": "wsgi"}
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    return env


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def bench_database(label: str, database_url: str, directory: Path) -> None:
    env = prepare(database_url, directory)
    app_port, bare_port = free_port(), free_port()
    app = gunicorn("tests.bench_floor:app", app_port, env)
    try:
        jar = asyncio.run(sign_in(app_port, "learner", "hocso-demo"))
        headers = {**_cookie_header(jar), "Accept-Language": "vi"}
        # the lesson the demo official goes on with (her next step may be a quiz)
        status, found, _ = asyncio.run(fetch(app_port, f"/courses/{COURSE}/continue", headers))
        lesson_path = found.get("location", [""])[0].replace(f"http://127.0.0.1:{app_port}", "")
        if "/lessons/" not in lesson_path:
            raise SystemExit(f"bench: {COURSE} did not lead to a lesson ({status} {lesson_path})")
        status, _, html = asyncio.run(fetch(app_port, lesson_path, headers))
        if status != 200:
            raise SystemExit(f"bench: the lesson page answered {status}")
        (directory / "lesson.html").write_bytes(html)
        bare = gunicorn("tests.bench_bare:app", bare_port,
                        {**env, "BENCH_HTML": str(directory / "lesson.html")})
        try:
            pages = (("lesson", app_port, lesson_path), ("floor", app_port, "/bench/floor"),
                     ("bare", bare_port, "/"))
            results = {name: [] for name, _, _ in pages}
            latencies = {name: [] for name, _, _ in pages}
            failures = {name: 0 for name, _, _ in pages}
            for name, port, path in pages:
                asyncio.run(load(port, path, headers, 1.0, 8))  # warm them up
            for _ in range(ROUNDS):
                for name, port, path in pages:
                    rate, times, errors = asyncio.run(load(port, path, headers, SECONDS, CLIENTS))
                    results[name].append(rate)
                    latencies[name].extend(times)
                    failures[name] += errors
        finally:
            stop(bare)
    finally:
        stop(app)
    lesson_rate = statistics.median(results["lesson"])
    bare_rate = statistics.median(results["bare"])
    ratio = lesson_rate / bare_rate if bare_rate else 0.0
    print(f"pages [{label}] {len(html) // 1024} KB lesson page, {CLIENTS} clients, "
          f"{ROUNDS}×{SECONDS:g} s alternated, gunicorn --workers {WORKERS}:")
    for name in results:
        rate = statistics.median(results[name])
        print(f"  {name:6} {rate:7.0f} req/s (median of {ROUNDS}), "
              f"p50 {1000 * percentile(latencies[name], 0.5):6.1f} ms, "
              f"p99 {1000 * percentile(latencies[name], 0.99):6.1f} ms"
              + (f", {failures[name]} failed" if failures[name] else ""))
    p99 = 1000 * percentile(latencies["lesson"], 0.99)
    floor_ratio = statistics.median(results["floor"]) / bare_rate if bare_rate else 0.0
    print(f"  ratio lesson/bare {ratio:.0%} (goal ≥ {GOAL_RATIO:.0%}); lesson p99 {p99:.0f} ms "
          f"(goal < {GOAL_P99_MS:.0f} ms); signed-in floor/bare {floor_ratio:.0%}")


def postgres_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


def main() -> int:
    directory = Path(tempfile.mkdtemp(prefix="hocso-bench-pages-"))
    bench_database("SQLite", f"sqlite:///{directory / 'bench.db'}", directory)
    url = postgres_url()
    if url:
        # a database of its own, dropped afterwards: the bench never touches the caller's data
        import psycopg
        name = "hocso_bench_" + os.urandom(4).hex()
        base = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            server, _, rest = url.partition("?")
            bench_database("PostgreSQL", server.rsplit("/", 1)[0] + "/" + name
                           + (f"?{rest}" if rest else ""), directory)
        finally:
            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("pages [PostgreSQL] skipped: set BENCH_POSTGRES_URL=postgresql+psycopg://... "
              "to bench it too")
    return 0


if __name__ == "__main__":
    sys.exit(main())
