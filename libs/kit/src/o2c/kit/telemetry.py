"""Traces, metrics and logs: one trace per order hop, Prometheus metrics, JSON logs with ids.

Traces are on by default: OTLP/HTTP to the local stack's Jaeger (port 14318 + O2C_PORT_OFFSET), a parent-based
sampler keeping DEFAULT_SAMPLE_RATIO of new traces (a caller's decision is always followed). The standard
variables win over these defaults: OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT,
OTEL_TRACES_SAMPLER(_ARG), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_PROPAGATORS; an explicit
O2C_OTEL_EXPORTER / O2C_OTEL_ENDPOINT wins over them (docs/operations.md, "Traces")."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from prometheus_client import Counter, Gauge, Histogram, start_http_server

HANDLER_SECONDS = Histogram(
    "o2c_handler_seconds", "Time to handle one message", ["service", "topic", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HANDLER_FAILURES = Counter("o2c_handler_failures_total", "Handler failures", ["service", "topic", "type", "kind"])
MESSAGES_HANDLED = Counter("o2c_messages_handled_total", "Messages handled", ["service", "topic", "type"])
CONSUMER_LAG = Gauge("o2c_consumer_lag", "Records behind the partition end", ["service", "topic", "partition"])
CONSUMER_RESTARTS = Counter("o2c_consumer_restarts", "Times the consumer was torn down and rejoined", ["service"])
CONSUMER_LAST_COMMIT = Gauge(
    "o2c_consumer_last_commit_timestamp_seconds", "Unix time of the consumer's last offset commit", ["service"]
)
CONSUMER_LAST_ERROR = Gauge(
    "o2c_consumer_last_error_timestamp_seconds", "Unix time of the consumer's last failure, by its class",
    ["service", "error_class"],
)
CONSUMER_STALLED = Gauge(
    "o2c_consumer_stalled", "1 while the consumer has been restarting, unable to commit or fenced beyond the "
    "threshold (liveness fails)", ["service"],
)
OUTBOX_BACKLOG = Gauge("o2c_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge("o2c_outbox_oldest_unsent_seconds", "Age of the oldest unsent outbox row", ["service"])
OUTBOX_PUBLISHED = Counter("o2c_outbox_published_total", "Outbox rows published", ["service"])
DEAD_LETTERS = Counter("o2c_dead_letters_total", "Messages dead-lettered", ["service", "topic", "type"])
DEAD_LETTERS_OPEN = Gauge("o2c_dead_letters_open", "Dead letters waiting for a person (status open)", ["service"])
DEAD_LETTERS_PARKED = Gauge(
    "o2c_dead_letters_parked", "Messages held behind an open dead letter of their key (status parked)", ["service"]
)
PARKED_KEYS = Gauge("o2c_parked_keys", "Keys (orders, mostly) whose messages wait behind a dead letter", ["service"])
HTTP_SECONDS = Histogram("o2c_http_seconds", "HTTP request time", ["service", "method", "route", "status"])

DEFAULT_SAMPLE_RATIO = 1.0
"""New traces kept when OTEL_TRACES_SAMPLER is not set (OTEL_TRACES_SAMPLER_ARG changes it): every order on the
local stack and in the tests; a production deployment sets e.g. 0.1 (docs/operations.md)."""

_configured = False


class JsonLinesFileExporter(SpanExporter):
    """Writes finished spans as JSON lines: lets tests follow one trace across processes."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        # 0600: spans carry order ids and paths; only the service's own user reads them.
        with open(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8") as fh:
            for span in spans:
                ctx = span.get_span_context()
                parent = span.parent
                fh.write(json.dumps({
                    "name": span.name,
                    "trace_id": format(ctx.trace_id, "032x") if ctx else "",
                    "span_id": format(ctx.span_id, "016x") if ctx else "",
                    "parent_id": format(parent.span_id, "016x") if parent else None,
                    "service": span.resource.attributes.get("service.name"),
                    "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
                }) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def default_sampler() -> Sampler | None:
    """ParentBased(TraceIdRatioBased(ratio)) unless OTEL_TRACES_SAMPLER names one (the SDK reads it then)."""
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return None
    raw = os.environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    try:
        ratio = min(max(float(raw), 0.0), 1.0) if raw else DEFAULT_SAMPLE_RATIO
    except ValueError:
        ratio = DEFAULT_SAMPLE_RATIO
    return ParentBased(TraceIdRatioBased(ratio))


def trace_exporter_choice(exporter: str = "") -> str:
    """An explicit O2C_OTEL_EXPORTER, else OTEL_TRACES_EXPORTER, else otlp; OTEL_SDK_DISABLED=true: none."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "none"
    return (exporter or os.environ.get("OTEL_TRACES_EXPORTER", "").split(",")[0].strip() or "otlp").lower()


def otlp_endpoint(endpoint: str = "") -> str | None:
    """An explicit endpoint, else None when a standard variable names one (the exporter reads it), else the local
    stack's Jaeger."""
    if endpoint:
        return endpoint
    if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from o2c.kit.ports import STACK_PORTS, local_port

    return f"http://127.0.0.1:{local_port(STACK_PORTS['jaeger-otlp'])}/v1/traces"


def setup_tracing(service: str, exporter: str = "", file: str = "", endpoint: str = "") -> None:
    global _configured
    chosen = trace_exporter_choice(exporter)
    if _configured or chosen == "none":
        # Without an exporter the API's no-op tracer still carries an incoming traceparent through the outbox.
        return
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": f"o2c-{service}"}
    provider = TracerProvider(resource=Resource.create(attributes), sampler=default_sampler())
    if chosen == "file" and file:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesFileExporter(file)))
    elif chosen == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif chosen == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint(endpoint))))
    trace.set_tracer_provider(provider)
    # Outgoing HTTP (service to service, IRP, NIC, webhooks): a client span and the traceparent header.
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _configured = True


def tracer(name: str = "o2c") -> trace.Tracer:
    return trace.get_tracer(name)


def current_trace_headers() -> dict[str, str]:
    """W3C trace context of the active span, to store with an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> otel_context.Context:
    return propagate.extract(dict(headers))


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx and ctx.trace_id else ""


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line; carries trace id and order id when the record has them."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx and ctx.trace_id:
            out["trace_id"] = format(ctx.trace_id, "032x")
            out["span_id"] = format(ctx.span_id, "016x")
        for extra in ("order_id", "message_id", "message_type", "topic"):
            if hasattr(record, extra):
                out[extra] = getattr(record, extra)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class RateLimit(logging.Filter):
    """At most `burst` lines of one kind (logger and message template) per `window` seconds, then one line
    saying how many were held back: a broker that is away must not flood the log from a client's retry loop."""

    def __init__(self, burst: int = 3, window: float = 30.0) -> None:
        super().__init__()
        self.burst, self.window = burst, window
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    LIMITED = ("aiokafka", "o2c.consumer", "o2c.relay", "opentelemetry")
    """The broker clients' and the trace exporter's loggers (a trace backend that is away); everything else passes
    untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.LIMITED):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        started, count = self._seen.get(key, (now, 0))
        if now - started >= self.window:
            if count > self.burst:
                record.msg = f"{record.msg} [{count - self.burst} like this held back in {self.window:.0f}s]"
            started, count = now, 0
        self._seen[key] = (started, count + 1)
        if len(self._seen) > 1000:  # message templates are few; stray formatted messages must not pile up
            self._seen.clear()
        return count < self.burst


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter(service))
    handler.addFilter(RateLimit())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def serve_metrics(host: str, port: int) -> None:
    """Prometheus `/metrics` on its own port, in a thread of this process: the API port has no metrics route,
    so the console's forwarder and a caller with a token never reach it."""
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        raise SystemExit(f"metrics port {host}:{port} unavailable ({exc.strerror}): "
                         "set O2C_<SVC>_METRICS_PORT") from exc
    logging.getLogger("o2c.telemetry").info("metrics on %s:%d", host, port)
