"""The ``manager`` command on the embedded default: a first start seeds the catalog, the
catalog command works, and SIGTERM stops everything, the embedded PostgreSQL included."""

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
