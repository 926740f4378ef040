"""The ``manager`` command on the embedded default: a first start seeds the catalog, the
catalog command works, SIGTERM stops everything, the embedded PostgreSQL included, and a backup
restored into a fresh data folder holds every row of every table."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

MANAGER = Path(sys.executable).with_name("manager")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(data_dir: Path, port: int) -> dict[str, str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("MANAGER_")
    }
    environment.update(
        MANAGER_DATA_DIR=str(data_dir), MANAGER_PORT=str(port), MANAGER_LOG_LEVEL="WARNING"
    )
    return environment


def _postgres_of(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "postgres" in (process.info["name"] or "") and str(data_dir) in command:
            found.append(process)
    return found


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited before it was ready"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def _stop(process: subprocess.Popen[bytes], signum: int) -> int:
    process.send_signal(signum)
    try:
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    for leftover in _postgres_of(tmp_path):
        leftover.kill()


def test_sigterm_to_serve_stops_the_embedded_postgres(data_dir: Path) -> None:
    port = _free_port()
    environment = _environment(data_dir, port)
    server = subprocess.Popen([MANAGER, "serve"], env=environment)  # noqa: S603
    try:
        _wait_until_ready(server, f"http://127.0.0.1:{port}/readyz", seconds=180)
        plans = httpx.get(f"http://127.0.0.1:{port}/v1/catalog/plans").json()["data"]
        assert plans, "the first start of the embedded default seeds the catalog"
        assert _postgres_of(data_dir)
    finally:
        code = _stop(server, signal.SIGTERM)
    assert code == 0
    assert _postgres_of(data_dir) == []

    seeded = subprocess.run(  # noqa: S603
        [MANAGER, "seed-catalog"], env=environment, capture_output=True, text=True, timeout=180
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "0 plans added" in seeded.stdout
    assert _postgres_of(data_dir) == []


def test_sigint_to_worker_stops_the_embedded_postgres(data_dir: Path, tmp_path: Path) -> None:
    environment = _environment(data_dir, _free_port()) | {"MANAGER_LOG_LEVEL": "INFO"}
    output = tmp_path / "worker.log"
    with output.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603
            [MANAGER, "worker"], env=environment, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 180
        while b"worker_started" not in output.read_bytes():
            assert worker.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.3)
        assert _postgres_of(data_dir)
    finally:
        code = _stop(worker, signal.SIGINT)
    assert code == 0
    assert _postgres_of(data_dir) == []


async def _table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows, in a stable order."""
    import asyncpg

    from app.core.backups import libpq_url

    connection = await asyncpg.connect(libpq_url(url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        digests = {}
        for row in tables:
            name = row["tablename"]
            count, digest = await connection.fetchrow(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{name}\" t"  # noqa: S608, E501
            )
            digests[name] = (count, digest)
        return digests
    finally:
        await connection.close()


def _manager(environment: dict[str, str], *arguments: str) -> str:
    finished = subprocess.run(  # noqa: S603
        [MANAGER, *arguments], env=environment, capture_output=True, text=True, timeout=180
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_backup_restores_into_a_fresh_embedded_folder_row_for_row(
    data_dir: Path, tmp_path: Path
) -> None:
    import asyncio

    from app.core.embedded import start_embedded_server, stop_embedded_server

    source = _environment(data_dir / "source", _free_port())
    _manager(source, "migrate")
    _manager(source, "seed-catalog")
    file = tmp_path / "manager.dump"
    assert "backed up" in _manager(source, "backup", str(file))

    target = _environment(data_dir / "target", _free_port())
    assert "restored" in _manager(target, "restore", str(file))
    assert _postgres_of(data_dir) == [], "each command stops the embedded server it started"

    digests = []
    for folder in (data_dir / "source", data_dir / "target"):
        url = start_embedded_server(folder)
        try:
            digests.append(asyncio.run(_table_digests(url)))
        finally:
            stop_embedded_server(folder)
    expected, restored = digests
    assert restored == expected
    assert expected["billing_plans"][0] > 0, "the seeded catalog travelled"
    assert expected["alembic_version"][0] == 1


def test_restore_of_a_missing_or_broken_file_fails_and_changes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP not really")
    environment = _environment(data_dir, _free_port())
    for file in (tmp_path / "absent.dump", broken):
        refused = subprocess.run(  # noqa: S603
            [MANAGER, "restore", str(file)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert refused.returncode == 1
        assert "restore failed" in refused.stderr
