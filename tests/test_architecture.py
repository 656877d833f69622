"""The shape every service keeps (issue 18), read from the source with `ast` (no import runs, no stack needed).

- Services never import each other: `o2c.<service>` imports only itself, the libs (kit, contracts, india) and
  third-party packages.
- `domain/` is pure: no web, database, broker, cache or HTTP client framework, no operating-system I/O.
- Adapters depend on ports, never the reverse: `adapters/` imports from `service_layer/` only its `ports`
  module (with the records and errors the ports declare), never a use-case module; the service layer imports no
  adapter; the domain imports no other room; neither the service layer nor the adapters import an entry point
  or the wiring (only `app.py` and its bootstrap know them all).
- Every service has the four rooms `domain/ service_layer/ adapters/ entrypoints/` and its wiring module `app.py`.
- A service with its one typed bootstrap (`bootstrap.py`: `transaction()`, `reading()`, `handling(ctx)` on a unit
  of work) has `app.py` wire its entry points through it, and no entry point builds a repository of its own from
  `adapters/` (the services that have one yet are listed in BOOTSTRAPPED); such a service's ports declare a
  `UnitOfWork` with `publish`, and no entry point opens a session or builds a SQL unit of work itself.
- No test file edits `sys.path` (the shared test helpers are installed packages).
- No test sleeps a fixed time: `asyncio.sleep(<constant>)` / `time.sleep(<constant>)` appear only in the shared
  wait helpers (`o2c.testsupport.waits`), which sleep inside a loop that waits on a condition.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
ROOMS = ("domain", "service_layer", "adapters", "entrypoints")
# The services wired through one typed bootstrap so far (issue 18); each joins as it gets one.
BOOTSTRAPPED = ("inventory", "credit", "notify", "ewaybill", "dispatch", "invoicing", "sales")
UNIT_OF_WORK_SCOPES = {"transaction", "reading", "handling"}
# Frameworks and I/O the domain must not reach (top-level module names).
IMPURE = {
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "alembic", "asyncpg", "psycopg", "aiokafka",
    "faststream", "kafka", "redis", "httpx", "requests", "aiohttp", "os", "socket", "subprocess", "shutil",
    "asyncio", "pathlib", "io", "tempfile", "smtplib", "ssl", "sqlite3", "pickle", "fpdf", "segno", "aiosmtplib",
    "urllib.request", "http.client", "http.server",  # urllib.parse and http.HTTPStatus are pure
}
# Kit modules that are plumbing (database, broker, HTTP, settings): the domain uses none of them.
IMPURE_KIT = ("o2c.kit.db", "o2c.kit.messaging", "o2c.kit.service", "o2c.kit.http", "o2c.kit.settings",
              "o2c.kit.testing", "o2c.kit.policy", "o2c.kit.scope", "o2c.kit.idempotency", "o2c.kit.redis")
# What an adapter may take from its service layer: the ports it implements, the records they carry, the errors
# they declare (none of these holds a use case).
PORT_MODULES = {"ports", "records", "errors"}
WAIT_HELPERS = REPO / "tests" / "support" / "waits.py"
SLEEPS = {("asyncio", "sleep"), ("time", "sleep"), ("anyio", "sleep"), ("trio", "sleep")}
TEST_ROOTS = [REPO / "tests", REPO / "libs", REPO / "services", REPO / "demo", REPO / "deploy"]


def service_root(service: str) -> Path:
    return REPO / "services" / service / "src" / "o2c" / service


def python_files(root: Path) -> Iterator[Path]:
    yield from (p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts)


def module_name(path: Path, service: str) -> str:
    relative = path.relative_to(service_root(service)).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(["o2c", service, *parts])


def imports(path: Path, own_module: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative imports resolved against its module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = own_module.split(".") if path.name == "__init__.py" else own_module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            yield node.lineno, stem
            for alias in node.names:  # `from o2c.x.service_layer import use_cases` imports a module too
                yield node.lineno, f"{stem}.{alias.name}"


def suite_files() -> Iterator[Path]:
    """Every Python file of every test suite (test modules, conftests and test helpers)."""
    for root in TEST_ROOTS:
        for path in python_files(root):
            relative = path.relative_to(REPO).parts
            if "tests" in relative and "src" not in relative:
                yield path


def located(path: Path, line: int) -> str:
    return f"{path.relative_to(REPO)}:{line}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {f"o2c.{s}" for s in SERVICES if s != service}
    found = [f"{located(path, line)} imports {name}"
             for path in python_files(service_root(service))
             for line, name in imports(path, module_name(path, service))
             if ".".join(name.split(".")[:2]) in others]
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_domain_imports_no_framework_or_io(service: str) -> None:
    found = [f"{located(path, line)} imports {name}"
             for path in python_files(service_root(service) / "domain")
             for line, name in imports(path, module_name(path, service))
             if name.split(".")[0] in IMPURE or ".".join(name.split(".")[:2]) in IMPURE
             or name.startswith(IMPURE_KIT)
             or name.startswith((f"o2c.{service}.adapters", f"o2c.{service}.entrypoints",
                                 f"o2c.{service}.service_layer", f"o2c.{service}.app"))]
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_adapters_import_ports_not_use_cases(service: str) -> None:
    layer = f"o2c.{service}.service_layer"
    found = []
    for path in python_files(service_root(service) / "adapters"):
        for line, name in imports(path, module_name(path, service)):
            if name.startswith(layer + "."):
                module = name[len(layer) + 1:].split(".")[0]
                if module not in PORT_MODULES:
                    found.append(f"{located(path, line)} imports {name}")
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_layer_imports_no_adapter_entry_point_or_wiring(service: str) -> None:
    """One direction only: an adapter implements a port of the service layer, the service layer never reaches
    for an adapter (the knot issue 18 found in credit and ewaybill, where each imported the other), and neither
    the service layer nor the adapters import an entry point or the wiring."""
    root = service_root(service)
    outer = (f"o2c.{service}.adapters", f"o2c.{service}.entrypoints", f"o2c.{service}.app")
    found = [f"{located(path, line)} imports {name}"
             for room, forbidden in (("service_layer", outer), ("adapters", outer[1:]))
             for path in python_files(root / room)
             for line, name in imports(path, module_name(path, service)) if name.startswith(forbidden)]
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_four_rooms_and_its_wiring(service: str) -> None:
    root = service_root(service)
    missing = [room for room in ROOMS if not (root / room / "__init__.py").is_file()]
    assert missing == [], f"{service} lacks {missing}"
    wiring = ast.parse((root / "app.py").read_text(encoding="utf-8"))
    assigned = {t.id for node in wiring.body if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)}
    assert "DEFINITION" in assigned, f"{service}/app.py defines no DEFINITION"


@pytest.mark.parametrize("service", BOOTSTRAPPED)
def test_a_bootstrapped_service_wires_its_entry_points_through_its_bootstrap(service: str) -> None:
    root = service_root(service)
    tree = ast.parse((root / "bootstrap.py").read_text(encoding="utf-8"))
    scopes = {item.name for node in tree.body if isinstance(node, ast.ClassDef) for item in node.body
              if isinstance(item, ast.AsyncFunctionDef) and item.name in UNIT_OF_WORK_SCOPES}
    assert scopes == UNIT_OF_WORK_SCOPES, f"{service}/bootstrap.py offers {sorted(scopes)}"
    wiring = {name for _, name in imports(root / "app.py", f"o2c.{service}.app")}
    assert f"o2c.{service}.bootstrap" in wiring, f"{service}/app.py does not wire through its bootstrap"
    found = [f"{located(path, line)} imports {name}"
             for path in python_files(root / "entrypoints")
             for line, name in imports(path, module_name(path, service))
             if name.startswith(f"o2c.{service}.adapters.") and name.split(".")[3] in {"repository", "sql"}]
    assert found == []


@pytest.mark.parametrize("service", BOOTSTRAPPED)
def test_a_bootstrapped_service_publishes_on_its_unit_of_work_and_opens_no_session_in_an_entry_point(
        service: str) -> None:
    root = service_root(service)
    ports = ast.parse((root / "service_layer" / "ports.py").read_text(encoding="utf-8"))
    unit = [n for n in ports.body if isinstance(n, ast.ClassDef) and n.name == "UnitOfWork"]
    assert unit, f"{service}/service_layer/ports.py declares no UnitOfWork"
    assert "publish" in {n.name for n in unit[0].body if isinstance(n, ast.FunctionDef)}
    found = [f"{located(path, node.lineno)} calls {ast.unparse(node.func)}"
             for path in python_files(root / "entrypoints")
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and (
                 (isinstance(node.func, ast.Attribute) and node.func.attr == "sessions")
                 or (isinstance(node.func, ast.Name) and node.func.id == "SqlUnitOfWork"))]
    assert found == []


def is_sys_path(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
            and node.value.id == "sys")


def sys_path_edits(tree: ast.AST) -> Iterator[int]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_sys_path(node.func.value):
            yield node.lineno  # sys.path.insert / append / extend / remove ...
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(is_sys_path(t) or (isinstance(t, ast.Subscript) and is_sys_path(t.value)) for t in targets):
                yield node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "addsitedir":
            yield node.lineno


def test_no_test_file_edits_sys_path() -> None:
    found = [located(path, line) for path in suite_files()
             for line in sys_path_edits(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert found == []


def fixed_sleeps(tree: ast.AST) -> Iterator[int]:
    """Calls of asyncio.sleep / time.sleep (however imported) whose argument is a literal number."""
    aliases: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"asyncio", "time", "anyio", "trio"}:
            for alias in node.names:
                if alias.name == "sleep":
                    aliases[alias.asname or alias.name] = (node.module, "sleep")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            called = (func.value.id, func.attr)
        elif isinstance(func, ast.Name):
            called = aliases.get(func.id)
        if called not in SLEEPS or not node.args:
            continue
        delay = node.args[0]
        if isinstance(delay, ast.UnaryOp):
            delay = delay.operand
        if isinstance(delay, ast.Constant) and isinstance(delay.value, int | float) and delay.value != 0:
            yield node.lineno  # sleep(0) only yields to the loop: it proves nothing by time


def test_no_test_sleeps_a_fixed_time_outside_the_wait_helpers() -> None:
    found = [located(path, line) for path in suite_files() if path != WAIT_HELPERS
             for line in fixed_sleeps(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert found == []


def test_the_rules_see_what_they_forbid() -> None:
    """The checks themselves catch what they are for (a rule that finds nothing because it looks nowhere is no
    rule): a sys.path edit, a fixed sleep by either import, and a cross-service import are all reported."""
    sample = ast.parse("import sys, asyncio\nfrom time import sleep as nap\nsys.path.insert(0, 'x')\n"
                       "sys.path += ['y']\nasync def f():\n    await asyncio.sleep(1.5)\n    nap(2)\n"
                       "    await asyncio.sleep(0)\n    await asyncio.sleep(delay)\n")
    assert sorted(sys_path_edits(sample)) == [3, 4]
    assert sorted(fixed_sleeps(sample)) == [6, 7]
    assert len(list(suite_files())) > 100
    assert WAIT_HELPERS.is_file()
