import asyncio
import socket
from typing import Any

import pytest

from app.webhooks.targets import TargetNotAllowed, check_url, resolve

NON_GLOBAL = (
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.5",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "224.0.0.1",
    "[::1]",
    "[fe80::1]",
    "[fc00::1]",
    "[::ffff:127.0.0.1]",
)


@pytest.mark.parametrize("host", NON_GLOBAL)
def test_non_global_ip_literals_are_refused_in_production(host: str) -> None:
    with pytest.raises(TargetNotAllowed):
        check_url(f"https://{host}/hooks", require_https=True, allow_private=False)


def test_production_requires_https_and_refuses_localhost() -> None:
    with pytest.raises(TargetNotAllowed, match="https"):
        check_url("http://hooks.example.com/", require_https=True, allow_private=False)
    with pytest.raises(TargetNotAllowed):
        check_url("https://localhost:8443/", require_https=True, allow_private=False)
    check_url("https://hooks.example.com/in?x=1", require_https=True, allow_private=False)


def test_private_targets_are_accepted_when_the_setting_allows_them() -> None:
    check_url("http://127.0.0.1:9000/hooks", require_https=False, allow_private=True)


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)


async def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, "93.184.216.34", "10.0.0.7")

    with pytest.raises(TargetNotAllowed, match=r"10\.0\.0\.7"):
        await resolve("https://hooks.example.com/in", require_https=True, allow_private=False)


async def test_a_public_target_is_pinned_to_the_address_it_resolved_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, "93.184.216.34")

    target = await resolve(
        "https://Hooks.Example.com/in?x=1", require_https=True, allow_private=False
    )

    assert target.url == "https://93.184.216.34:443/in?x=1"
    assert target.host_header == "Hooks.Example.com"
    assert target.sni_hostname == "hooks.example.com"
