"""Schemathesis over the whole served document: as a member with every scope, then anonymously.

    python -m tests.fuzz.run [--max-examples N] [--seed S] [--budget member=240,anonymous=100]

A fresh database (on the tests' server: ``MANAGER_TEST_DATABASE_URL``'s, else the embedded one
in ``.data/test``) is migrated, ``manager serve`` runs on a free port, a confirmed member gets a
personal access token with every scope, and each pass runs ``schemathesis run`` with the
configuration beside this file. Exits non-zero when a pass finds a failure; the numbers of cases
and failures are printed at the end. See tests/fuzz/README.md.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from app.accounts.schemas import SCOPES
from app.core.migrations import upgrade
from tests.conftest import _server_url as test_server_url
from tests.conftest import fresh_database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATABASE = f"manager_fuzz_{os.getpid()}"
PASSWORD = "fuzzing horse battery staple"
DEFAULT_BUDGET = "member=240,anonymous=100"


def _budget(text: str) -> dict[str, int]:
    return {name: int(seconds) for name, seconds in (part.split("=") for part in text.split(","))}


async def _confirm(database_url: str, email: str) -> None:
    connection = await asyncpg.connect(
        database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        await connection.execute(
            "UPDATE accounts SET email_confirmed_at = now() WHERE email = $1", email
        )
    finally:
        await connection.close()


async def _drop(database_url: str) -> None:
    admin = database_url.replace("postgresql+asyncpg://", "postgresql://").replace(
        f"/{DATABASE}", "/postgres", 1
    )
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not become ready within 180 s")


def _member(base: str, database_url: str) -> tuple[str, str]:
    """A confirmed account with its organization; its token with every scope and the
    organization's id."""
    email = f"fuzz.{uuid.uuid4().hex[:8]}@example.org"
    with httpx.Client(base_url=base, timeout=30) as client:
        signed_up = client.post(
            "/v1/accounts",
            json={
                "first_name": "Fuzz",
                "last_name": "Member",
                "email": email,
                "password": PASSWORD,
                "language": "en",
            },
        )
        signed_up.raise_for_status()
        asyncio.run(_confirm(database_url, email))
        login = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        access = login.json()["tokens"]["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        token = client.post(
            "/v1/account/tokens",
            json={"name": "fuzz", "scopes": list(SCOPES)},
            headers=headers,
        )
        token.raise_for_status()
        organizations = client.get("/v1/organizations", headers=headers)
        organizations.raise_for_status()
        return token.json()["token"], organizations.json()["data"][0]["id"]


def _run_pass(
    name: str,
    base: str,
    document: Path,
    args: argparse.Namespace,
    headers: list[str],
    env: dict[str, str],
) -> dict[str, int]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        str(document),
        "--url",
        base,
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        *[part for header in headers for part in ("--header", header)],
    ]
    seconds = args.budget.get(name, 0)
    if seconds:
        command += ["--max-time", str(seconds)]
    print(f"== fuzz pass: {name}", flush=True)
    started = time.monotonic()
    run = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert run.stdout is not None
    summary = ""
    for line in run.stdout:
        print(line, end="", flush=True)
        if "generated" in line:
            summary = line
    code = run.wait()
    return {**_counts(summary), "exit": code, "seconds": round(time.monotonic() - started)}


def _counts(summary: str) -> dict[str, int]:
    """Test cases and failures from the summary line ("8893 generated, 15 found 15 unique
    failures" or "9000 generated, 9000 passed")."""
    numbers = {
        word: int(number) for number, word in re.findall(r"(\d+) (generated|found)", summary)
    }
    return {"cases": numbers.get("generated", 0), "failures": numbers.get("found", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument(
        "--budget",
        type=_budget,
        default=_budget(DEFAULT_BUDGET),
        help=f"Seconds per pass, a cap (default {DEFAULT_BUDGET}; 0: none).",
    )
    parser.add_argument("--passes", default="member,anonymous")
    args = parser.parse_args()

    database_url = fresh_database(test_server_url(), DATABASE)
    upgrade(database_url)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="fuzz-data-"))
    env = {
        **os.environ,
        "MANAGER_ENVIRONMENT": "test",
        "MANAGER_DATABASE_URL": database_url,
        "MANAGER_DATA_DIR": str(data_dir),
        "MANAGER_RUN_WORKER_IN_PROCESS": "false",
        "MANAGER_LOG_LEVEL": "ERROR",
        # Cheap password hashes: the fuzzer signs up and logs in thousands of times.
        "MANAGER_PASSWORD_TIME_COST": "1",
        "MANAGER_PASSWORD_MEMORY_KIB": "8192",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("manager")), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
    )
    results: dict[str, dict[str, int]] = {}
    try:
        _wait_until_ready(base, server)
        token, organization_id = _member(base, database_url)
        # The served document, fetched once (generating it can take longer than
        # Schemathesis waits for a schema on a busy machine).
        document = data_dir / "openapi.json"
        document.write_bytes(httpx.get(f"{base}/openapi.json", timeout=120).content)
        fuzz_env = {**os.environ, "FUZZ_ORGANIZATION_ID": organization_id}
        for name in args.passes.split(","):
            headers = [f"Authorization: Bearer {token}"] if name == "member" else []
            results[name] = _run_pass(name, base, document, args, headers, fuzz_env)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        asyncio.run(_drop(database_url))
    print("== fuzz results", json.dumps(results), flush=True)
    return 0 if all(result["exit"] == 0 for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
