"""The mail the drill's `manager worker` processes write as `.eml` files in the shared data folder.

Rule: read as a client would, by recipient; never deduplicated, so a mail sent twice shows twice.
"""

import asyncio
import email
import email.policy
import time
from email.message import EmailMessage
from pathlib import Path

WAIT = 90.0


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def to(self, address: str) -> list[EmailMessage]:
        found = []
        for path in self.folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if address in str(message["To"]):
                found.append(message)
        return found

    async def wait(self, address: str, count: int) -> list[EmailMessage]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.5)
        raise RuntimeError(f"no mail to {address} after {WAIT:.0f} s")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""
