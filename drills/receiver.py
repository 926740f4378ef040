"""A webhook receiver on loopback, in the drill's own process: it answers 204 and notes every
delivery (its ``webhook-id`` and event type), duplicates included.

Rule: it counts, it never deduplicates: a delivery made twice shows as two.
"""

import asyncio
import json
from collections import Counter
from typing import Any

import uvicorn

from bench.ticketing import LOOPBACK, free_port


class Receiver:
    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.types: dict[str, str] = {}
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}/hooks"
        config = uvicorn.Config(
            self, host=LOOPBACK, port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = dict(scope["headers"])
        webhook_id = headers.get(b"webhook-id", b"").decode()
        self.deliveries[webhook_id] += 1
        try:
            self.types[webhook_id] = str(json.loads(body).get("type", ""))
        except ValueError:
            self.types[webhook_id] = ""
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def __aenter__(self) -> "Receiver":
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(200):  # ten seconds at most
            if self.server.started:
                return self
            await asyncio.sleep(0.05)
        raise RuntimeError("the webhook receiver did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)

    def of_type(self, event_type: str) -> int:
        return sum(1 for kind in self.types.values() if kind == event_type)

    def duplicated(self) -> Counter[str]:
        """The event types of the deliveries made more than once, with their extra deliveries."""
        twice: Counter[str] = Counter()
        for webhook_id, count in self.deliveries.items():
            if count > 1:
                twice[self.types.get(webhook_id, "")] += count - 1
        return twice

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.deliveries.values() if count > 1)
