# o2c: the commands a newcomer types are `make demo` and `make test`; everything they need is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK := deploy/local/stack.sh
# O2C_STACK_DIR and O2C_PORT_OFFSET pick another copy of the stack (deploy/local/README.md: a second environment).
ENV := set -a; [ -f $${O2C_STACK_DIR:-.stack}/env ] && . $${O2C_STACK_DIR:-.stack}/env; set +a;
SERVICES := sales credit inventory dispatch invoicing ewaybill notify

.PHONY: help install lock up down status logs test test-faults lint typecheck contracts unit integration e2e demo token bench asyncapi security-doc clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Exactly the locked versions (every file checked against its hash), then the project itself without resolving.
# The packaged test helpers (setup.py maps each tests/support folder that exists): a new one re-installs.
$(VENV)/.installed: pyproject.toml setup.py requirements-dev.lock examples/partner-subscriber/pyproject.toml \
		$(wildcard tests/support/__init__.py libs/*/tests/support/__init__.py services/*/tests/support/__init__.py)
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip install -q --no-deps -e examples/partner-subscriber  # the partners' reference subscriber
	@touch $@

LOCK := $(VENV)/bin/uv pip compile pyproject.toml -q --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock"
lock: $(VENV)/.installed ## pin every dependency with hashes: requirements.lock (the image), requirements-dev.lock (make install)
	$(LOCK) -o requirements.lock
	$(LOCK) --extra dev -o requirements-dev.lock

install: $(VENV)/.installed ## Python packages (venv), the stack's system packages (Prometheus, Alertmanager too), Kafka jars, Jaeger (Go build, once), Chromium
	bash $(STACK) install
	bash deploy/local/install_browser.sh
	bash deploy/k8s/tools.sh >/dev/null  # pinned kustomize and the Strimzi/KEDA checks, built once (cached)

up: $(VENV)/.installed ## start Kafka, PostgreSQL, Redis, Prometheus, Alertmanager and Jaeger (idempotent), topics, the dev token issuer
	bash $(STACK) up
	@$(PY) -m o2c.kit.local_issuer --init

down: ## stop the stack (data kept)
	bash $(STACK) down

status: ## one line per server
	@bash $(STACK) status || true
	@bash deploy/local/services.sh status 2>/dev/null || true

logs: ## tail the stack's logs (make logs S=kafka|postgres|redis)
	bash $(STACK) logs $(S)

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed ## mypy --strict on every src/ (the partner subscriber example's too)
	$(VENV)/bin/mypy libs/india/src libs/contracts/src libs/kit/src $(foreach s,$(SERVICES),services/$(s)/src) \
		examples/partner-subscriber/src

contracts: $(VENV)/.installed ## JSON Schema snapshots are compatible; both AsyncAPI documents are current
	$(PY) -m o2c.contracts.schemas check
	@$(PY) -m o2c.contracts.asyncapi | diff -q - docs/asyncapi.json >/dev/null \
		|| { echo 'docs/asyncapi.json is stale: run make asyncapi'; exit 1; }
	@$(PY) -m o2c.contracts.asyncapi --partner | diff -q - docs/asyncapi-partner.json >/dev/null \
		|| { echo 'docs/asyncapi-partner.json is stale: run make asyncapi'; exit 1; }

test: up lint typecheck contracts ## everything: lint, types, contracts, unit, integration and e2e tests on the real stack
	@bash deploy/local/install_browser.sh >/dev/null
	bash deploy/k8s/tools.sh >/dev/null  # the manifest checks' pinned tools: minutes once, then cached
	$(ENV) O2C_STRICT_SKIPS=1 $(VENV)/bin/pytest -q

test-faults: up ## the fault suite (kill -9, broker, PostgreSQL, Redis, duplicates, poison) on a stack of its own
	$(ENV) O2C_STRICT_SKIPS=1 $(VENV)/bin/pytest -q -s -m "faults or integration" tests/faults

unit: $(VENV)/.installed ## only the fast tests (no stack needed)
	$(VENV)/bin/pytest -q -m "not integration and not e2e"

demo: up ## the stack up and the Pune distributor's orders flowing through the chain
	$(ENV) $(PY) demo/run.py

token: $(VENV)/.installed ## a dev bearer token: make token ROLE=finance_head [CUSTOMER=C-0001] [WAREHOUSES=PNQ]
	@$(PY) -m o2c.kit.local_issuer --role "$(ROLE)" $(if $(CUSTOMER),--customer "$(CUSTOMER)") \
		$(if $(WAREHOUSES),--warehouses "$(WAREHOUSES)") $(if $(OWNER),--sales-owner "$(OWNER)") \
		$(if $(LIMIT),--approval-limit "$(LIMIT)") $(if $(PARTNER),--partner "$(PARTNER)")

bench: up ## benchmarks: relay, the chain beside the bare chain (BENCH_ARGS='--orders 50 --lines 5'), the measurement suites; figures to bench/results/
	$(ENV) $(PY) bench/relay_throughput.py
	$(ENV) $(PY) bench/chain.py $(BENCH_ARGS)
	@mkdir -p bench/results
	$(ENV) $(VENV)/bin/pytest -q -s -p no:cacheprovider bench/suites | tee bench/results/suites.txt

asyncapi: $(VENV)/.installed ## regenerate docs/asyncapi.json, docs/asyncapi-partner.json and the schema snapshots
	$(PY) -m o2c.contracts.schemas write
	$(PY) -m o2c.contracts.asyncapi > docs/asyncapi.json
	$(PY) -m o2c.contracts.asyncapi --partner > docs/asyncapi-partner.json

security-doc: $(VENV)/.installed ## regenerate docs/security.md (the role × action table) from the access policy
	$(PY) -m o2c.kit.policy write docs/security.md

clean: ## stop and wipe the local stack's data (keeps downloaded jars)
	bash $(STACK) reset
