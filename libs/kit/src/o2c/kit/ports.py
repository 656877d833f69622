"""Local ports, moved together by one offset: `O2C_PORT_OFFSET=300` gives a second copy of the platform on one
machine its own services, metrics, sandboxes, cross-service URLs and stack servers (deploy/local reads the same
numbers). An explicit setting (`O2C_SALES_HTTP_PORT`, `O2C_INVENTORY_URL`, `O2C_KAFKA_PORT`…) still wins."""

from __future__ import annotations

import os

SERVICE_PORTS = {"sales": 8101, "credit": 8102, "inventory": 8103, "dispatch": 8104, "invoicing": 8105,
                 "ewaybill": 8106, "notify": 8107}
SANDBOX_PORTS = {"irp-sandbox": 8205, "nic-sandbox": 8206}
# Below Linux's ephemeral range (32768-60999) at every offset: a client reconnecting to a stopped broker or database
# on a port inside that range can be given that very port as its own source port and connect to itself (TCP
# simultaneous open), and the restarted server then cannot bind it ("Address already in use").
EPHEMERAL_PORTS_FROM = 32768
STACK_PORTS = {"kafka": 19092, "kafka-controller": 19093, "postgres": 15432, "redis": 16379,
               # observability (deploy/local/observability.sh)
               "prometheus": 19190, "alertmanager": 19193, "jaeger-otlp": 14318, "jaeger-query": 16686,
               "jaeger-grpc": 16685}
METRICS_DISTANCE = 1000
"""A service's metrics port is its API port + this (unless `O2C_<SVC>_METRICS_PORT`)."""
MAX_OFFSET = 5000


def port_offset() -> int:
    """`O2C_PORT_OFFSET` (0 when unset). Copies at 0, 300 and 600 keep every port clear of each other's (API 81xx,
    sandboxes 82xx, metrics 91xx); `clear_of` checks any two offsets."""
    raw = os.environ.get("O2C_PORT_OFFSET", "").strip() or "0"
    try:
        offset = int(raw)
    except ValueError:
        raise ValueError(f"O2C_PORT_OFFSET must be a whole number, not {raw!r}") from None
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"O2C_PORT_OFFSET must be between 0 and {MAX_OFFSET}, not {offset}")
    return offset


def copy_ports(offset: int) -> set[int]:
    """Every port a copy at this offset listens on: stack servers, APIs, their metrics, sandboxes."""
    api = {base + offset for base in SERVICE_PORTS.values()}
    return (api | {port + METRICS_DISTANCE for port in api} | {base + offset for base in SANDBOX_PORTS.values()}
            | {base + offset for base in STACK_PORTS.values()})


def clear_of(offset: int, other: int) -> bool:
    """Two copies at these offsets share no port (differences near 100, 900 or 1000 would)."""
    return not copy_ports(offset) & copy_ports(other)


def local_port(base: int) -> int:
    return base + port_offset()


def service_port(name: str) -> int:
    return local_port(SERVICE_PORTS[name])


def service_url(name: str) -> str:
    return f"http://127.0.0.1:{service_port(name)}"


def sandbox_url(name: str) -> str:
    return f"http://127.0.0.1:{local_port(SANDBOX_PORTS[name])}"


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{local_port(STACK_PORTS['kafka'])}"


def redis_url() -> str:
    return f"redis://127.0.0.1:{local_port(STACK_PORTS['redis'])}/0"

