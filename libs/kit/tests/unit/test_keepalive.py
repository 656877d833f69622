"""A pooled client must drop an idle connection before the server does, or it may send a request on a connection
the server is closing and get a ReadError (the console saw a 502 forwarding to inventory that way)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import uvicorn
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS, SERVER_KEEPALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[4]


def test_clients_give_up_idle_connections_before_any_server_does() -> None:
    uvicorn_default = inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default
    assert min(uvicorn_default, SERVER_KEEPALIVE_SECONDS) > CLIENT_KEEPALIVE_SECONDS


def test_every_long_lived_client_in_the_services_sets_its_keepalive() -> None:
    """A client made outside `async with` lives across requests; it must carry `limits=` (the keep-alive above)."""
    missing = []
    for path in sorted(ROOT.glob("services/*/src/**/*.py")):
        tree = ast.parse(path.read_text())
        scoped = {id(item.context_expr) for node in ast.walk(tree) if isinstance(node, ast.AsyncWith)
                  for item in node.items}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "AsyncClient"
                    and id(node) not in scoped and "limits" not in {k.arg for k in node.keywords}):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, f"long-lived httpx clients without limits=: {missing}"
