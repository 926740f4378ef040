"""The signing key kept in the data folder: made once, whoever asks for it first."""

import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.security.jwt import KeyRing, key_id, keyring
from app.core.settings import Settings

RACES = 30
CALLERS = 4


def _first_uses_at_once(settings: Settings) -> list[KeyRing | Exception]:
    """``keyring(settings)`` called by threads released together, as a replica's thread pool
    resolves it for requests arriving at once: each result, or the exception raised."""
    barrier = threading.Barrier(CALLERS)
    results: list[KeyRing | Exception] = []

    def call() -> None:
        barrier.wait()
        try:
            results.append(keyring(settings))
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _kid_on_disk(folder: Path) -> str:
    """The key another replica sharing the folder (or this one, restarted) signs with."""
    key = serialization.load_pem_private_key(
        (folder / "jwt-signing-key.pem").read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return key_id(key.public_key())


def test_callers_making_the_key_at_once_all_sign_with_the_one_kept(
    settings: Settings, tmp_path: Path
) -> None:
    for race in range(RACES):
        folder = tmp_path / str(race)  # each race makes a new key
        results = _first_uses_at_once(
            settings.model_copy(update={"data_dir": folder, "jwt_private_key": None})
        )
        assert not [r for r in results if isinstance(r, Exception)], f"race {race}: {results}"
        kids = {r.signing_kid for r in results if isinstance(r, KeyRing)}
        assert kids == {_kid_on_disk(folder)}, f"race {race}"
        assert [path.name for path in folder.iterdir()] == ["jwt-signing-key.pem"]
