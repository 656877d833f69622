"""Tracking test support: sales' database and migrations with only the tracking projection wired (so the
projection is tested on its own), raw producers of chain messages, and the scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import Service, events_topic
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.service import ReadModel, ServiceDefinition
from o2c.sales import tracking
from o2c.sales.adapters.db import metadata as sales_metadata
from o2c.sales.settings import SalesSettings
from o2c.testsupport.sales import tracking_scenario as scenario
from o2c.testsupport.waits import until

SALES_VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
CHAIN_EVENTS = [events_topic(s) for s in Service]
NOW = scenario.at(3, 6, 30)  # 3 May 2026, 12:00 IST: the tracking tests' clock

TRACKING_ONLY = ServiceDefinition(
    name="sales", title="sales (tracking only)", http_port=8101, metadata=sales_metadata,
    versions_dir=SALES_VERSIONS, routers=lambda rt: [tracking.router], settings_class=SalesSettings,
    read_models=[ReadModel("tracking", tracking.handlers, CHAIN_EVENTS)],
)


class Publisher:
    """Publishes chain messages as their producing services would (topic, key, envelope, headers)."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, **kafka_client_options())
        self.prefix = prefix

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, message: Message) -> Envelope:
        producer = message.TOPIC.split(".")[1]
        env = Envelope.wrap(message, producer=producer)
        await self.producer.send_and_wait(self.prefix + message.TOPIC, env.to_bytes(), key=env.key.encode(),
                                          headers=env.headers())
        return env


def story(*args: Any, **kwargs: Any) -> list[Message]:
    return scenario.story(*args, **kwargs)


class LiveServer:
    """Serves an already started app on a real port (uvicorn in a background task, lifespan already run by
    the harness): for streams and the browser, which ASGI transports cannot drive."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off",
                                                    log_level="warning", access_log=False))
        self.task: Any = None
        self.url = ""

    async def start(self) -> str:
        import asyncio

        self.task = asyncio.create_task(self.server.serve())

        async def started() -> bool:
            if self.task.done():
                self.task.result()  # a server that failed to start says why
            return bool(self.server.started)

        await until(started, timeout=20, interval=0.02, what="the live server listening")
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
