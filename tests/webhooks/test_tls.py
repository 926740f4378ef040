"""An https target is reached at the address it was checked at, yet with its own name: in the
TLS handshake (SNI, and the certificate it must present) and in the Host header."""

import datetime
import http.server
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.settings import Settings
from app.webhooks import delivery
from app.webhooks.delivery import Claim, send

HOST = "localhost"  # resolves to loopback, which the test settings allow


class TlsReceiver:
    """An https server for ``HOST`` only: notes the SNI name and Host header of each request."""

    def __init__(self, folder: Path) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.certificate = folder / "cert.pem"
        self.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file = folder / "key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.server_names: list[str | None] = []
        self.hosts: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certificate, key_file)
        context.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.hosts.append(self.headers["host"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[TlsReceiver]:
    server = TlsReceiver(tmp_path)
    yield server
    server.stop()


def _claim(url: str) -> Claim:
    return Claim(
        delivery_id=uuid.uuid4(),
        lease_token=uuid.uuid4(),
        subscription_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        event_type="member.added",
        target_url=url,
        body="{}",
        secrets=("whsec_" + "A" * 44,),
    )


async def _send(url: str, settings: Settings) -> delivery.Result:
    clients: dict[str, aiohttp.ClientSession] = {}
    try:
        return await send(_claim(url), settings, clients)
    finally:
        for client in clients.values():
            await client.close()


async def test_an_https_target_gets_its_own_name_in_the_handshake_and_the_host_header(
    settings: Settings, tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting = ssl.create_default_context(cafile=str(tls_receiver.certificate))
    monkeypatch.setattr(delivery, "_SSL_CONTEXT", trusting)

    result = await _send(tls_receiver.url, settings)

    assert (result.status_code, result.error) == (204, None)
    assert tls_receiver.server_names == [HOST]
    assert tls_receiver.hosts == [f"{HOST}:{tls_receiver.port}"]


async def test_a_certificate_not_made_for_the_target_name_is_refused(
    settings: Settings, tls_receiver: TlsReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting = ssl.create_default_context(cafile=str(tls_receiver.certificate))
    monkeypatch.setattr(delivery, "_SSL_CONTEXT", trusting)

    # The same server, named by its address: its certificate is for HOST only.
    result = await _send(f"https://127.0.0.1:{tls_receiver.port}/hooks", settings)

    assert result.status_code is None
    assert "certificate" in (result.error or "").lower()
    assert tls_receiver.hosts == []
