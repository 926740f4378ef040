"""Argon2id password hashing, run off the event loop (argon2-cffi releases the GIL)."""

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.settings import get_settings


@lru_cache
def hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
        type=Type.ID,
    )


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. With no hash, spends the same time and answers False."""
    target = password_hash or _dummy_hash()
    try:
        await asyncio.to_thread(hasher().verify, target, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@lru_cache
def _dummy_hash() -> str:
    return hasher().hash("an unguessable password that matches no account")
