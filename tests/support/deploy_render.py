"""The pinned tools (deploy/k8s/tools.sh: kustomize, the KEDA and Strimzi checks; built once, cached outside the
repository) and each overlay rendered once per test session."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")


@functools.cache
def tools() -> dict[str, str]:
    out = subprocess.run(["bash", str(K8S / "tools.sh")], check=True, capture_output=True, text=True, timeout=1800)
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


@functools.cache
def rendered_text(overlay: str) -> str:
    return subprocess.run([tools()["KUSTOMIZE"], "build", str(K8S / "overlays" / overlay)], check=True,
                          capture_output=True, text=True, timeout=120).stdout


def rendered(overlay: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered_text(overlay)) if d]
