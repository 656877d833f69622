"""Kubernetes that would boot, checked without a cluster: every overlay renders with the pinned kustomize; core
objects validate strictly with kubernetes-validate; Strimzi objects decode strictly into Strimzi's Java API
(io.strimzi:api), KEDA objects into KEDA's Go API module; CloudNativePG clusters against the short schema kept
beside the manifests. Each checker is also shown a copy with an unknown field and must refuse it. Then the shape
the platform relies on: KRaft node pools, users with ACLs, one database cluster and one ScaledObject per service,
PDBs, network policies, hardened containers."""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from o2c.contracts.access import PARTNER_TOPICS_PREFIX
from o2c.contracts.topics import TOPICS
from o2c.testsupport.deploy_render import K8S, OVERLAYS, REPO, rendered, tools


def _load_generator() -> Any:
    """deploy/k8s/generate.py by path (its folder is not put on sys.path: base/, checks/… would shadow names)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("o2c_k8s_generate", K8S / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()

# The first test builds the pinned tools when make install has not (minutes, once; cached after).
pytestmark = pytest.mark.timeout(1800)
KUBERNETES_VERSION = "1.34"
SERVICES = list(generate.SERVICES)
OPERATOR_GROUPS = {"kafka.strimzi.io", "keda.sh", "postgresql.cnpg.io"}


def group(doc: dict[str, Any]) -> str:
    api = doc["apiVersion"]
    return api.split("/")[0] if "/" in api else ""


def every(kind_groups: set[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(o, d) for o in OVERLAYS for d in rendered(o) if group(d) in kind_groups]


def mutant(doc: dict[str, Any], *path: str) -> dict[str, Any]:
    """A copy with a field its API does not have, at `path`."""
    bad = copy.deepcopy(doc)
    bad["metadata"]["name"] += "-mutant"
    node = bad
    for key in path:
        node = node[key]
    node["replicationFactor"] = 3
    return bad


def by_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(overlay) if d["kind"] == kind}


def test_the_base_is_what_generate_writes() -> None:
    for name, text in generate.render().items():
        assert (K8S / "base" / name).read_text() == text, f"base/{name} is stale: run deploy/k8s/generate.py"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_objects_validate_strictly(overlay: str) -> None:
    docs = [d for d in rendered(overlay) if group(d) not in OPERATOR_GROUPS]
    assert {d["kind"] for d in docs} >= {"Namespace", "ConfigMap", "StatefulSet", "Service", "PodDisruptionBudget",
                                         "NetworkPolicy"}
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(mutant(by_kind(overlay, "StatefulSet")["sales"], "spec"), KUBERNETES_VERSION,
                                     strict=True)


def run_checker(command: list[str], docs: list[dict[str, Any]]) -> list[str]:
    result = subprocess.run(command, input=json.dumps(docs), capture_output=True, text=True, timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return lines


def test_strimzi_objects_decode_strictly_into_strimzis_java_api() -> None:
    docs = [d for _, d in every({"kafka.strimzi.io"})]
    bad = mutant(next(d for d in docs if d["kind"] == "KafkaTopic"), "spec")
    lines = run_checker(["java", "-cp", tools()["STRIMZI_CP"], "StrictDecode"], [*docs, bad])
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len([line for line in lines if line.startswith("ok")]) == len(docs), lines
    assert len(failed) == 1 and "-mutant" in failed[0] and "replicationFactor" in failed[0], lines


def test_keda_objects_decode_strictly_into_kedas_go_api() -> None:
    docs = [d for _, d in every({"keda.sh"})]
    bad = mutant(next(d for d in docs if d["kind"] == "ScaledObject"), "spec")
    lines = run_checker([tools()["KEDACHECK"]], [*docs, bad])
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len([line for line in lines if line.startswith("ok")]) == len(docs), lines
    assert len(failed) == 1 and "-mutant" in failed[0] and "replicationFactor" in failed[0], lines


def test_cloudnative_pg_clusters_match_the_schema_kept_beside_the_manifests() -> None:
    schema = json.loads((K8S / "schemas" / "cloudnative-pg-cluster.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    docs = [d for _, d in every({"postgresql.cnpg.io"})]
    assert {d["kind"] for d in docs} == {"Cluster"}
    for doc in docs:
        validator.validate(doc)
    assert not validator.is_valid(mutant(docs[0], "spec"))
    assert schema["x-operator-version"] in (K8S / "README.md").read_text()


def test_no_operator_crd_is_copied_into_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "deploy"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for path in tracked:
        if path.endswith((".yaml", ".yml", ".json")):
            assert "CustomResourceDefinition" not in (REPO / path).read_text(), path


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_runs_in_kraft_with_node_pools_topics_and_users_with_acls(overlay: str) -> None:
    (kafka,) = by_kind(overlay, "Kafka").values()
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert {lst["authentication"]["type"] for lst in kafka["spec"]["kafka"]["listeners"]} == {"scram-sha-512"}
    pools = by_kind(overlay, "KafkaNodePool").values()
    assert {r for p in pools for r in p["spec"]["roles"]} == {"controller", "broker"}
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools)
    assert {t["spec"]["topicName"] for t in by_kind(overlay, "KafkaTopic").values()} == set(TOPICS)
    users = by_kind(overlay, "KafkaUser")
    for service in SERVICES:
        acls = users[f"o2c-{service}"]["spec"]["authorization"]["acls"]
        writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        partner_feeds = {PARTNER_TOPICS_PREFIX} if service == "notify" else set()  # one topic per partner
        assert writes == {t.name for t in TOPICS.values() if t.producer == service} | partner_feeds, service
        assert any(a["resource"]["type"] == "group" and a["resource"]["name"] == f"o2c-{service}" for a in acls)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_database_its_scaler_and_its_disruption_budget(overlay: str) -> None:
    sets, clusters = by_kind(overlay, "StatefulSet"), by_kind(overlay, "Cluster")
    scalers, budgets = by_kind(overlay, "ScaledObject"), by_kind(overlay, "PodDisruptionBudget")
    for service in SERVICES:
        assert service in sets and f"o2c-{service}-db" in clusters and service in budgets, service
        env = {e["name"]: e for e in sets[service]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["O2C_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"o2c-{service}-db-app"
        assert env["O2C_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
        trigger = scalers[service]["spec"]["triggers"][0]
        assert scalers[service]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "StatefulSet",
                                                              "name": service}
        assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == f"o2c-{service}"
    assert "o2c-redis" in sets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_run_non_root_read_only_with_resources_and_probes(overlay: str) -> None:
    for doc in rendered(overlay):
        if doc["kind"] not in {"StatefulSet", "Deployment"}:
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
        for c in pod["containers"]:
            where = f"{overlay}/{doc['metadata']['name']}"
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"], where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], where
            assert c["readinessProbe"] and c["livenessProbe"], where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_keep_notify_off_private_ranges(overlay: str) -> None:
    policies = by_kind(overlay, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    for service in SERVICES:
        egress = policies[service]["spec"]["egress"]
        assert not any("ipBlock" in peer for rule in egress for peer in rule.get("to", [])), service
        db = [r for r in egress if any(p.get("podSelector", {}).get("matchLabels", {}).get("cnpg.io/cluster")
                                       for p in r["to"])]
        assert [p["podSelector"]["matchLabels"]["cnpg.io/cluster"] for r in db for p in r["to"]] == [
            f"o2c-{service}-db"], service
    internet = policies["notify-internet-egress"]["spec"]
    blocks = [peer["ipBlock"] for rule in internet["egress"] for peer in rule["to"]]
    v4 = next(b for b in blocks if b["cidr"] == "0.0.0.0/0")
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"} <= set(v4["except"])
    v6 = next(b for b in blocks if b["cidr"] == "::/0")
    assert {"fc00::/7", "fe80::/10", "::1/128"} <= set(v6["except"])
    assert internet["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "notify"}


def test_the_readme_names_the_operator_versions_the_checks_use() -> None:
    import re

    readme = (K8S / "README.md").read_text()
    strimzi = re.search(r"<strimzi.version>([^<]+)<", (K8S / "checks" / "strimzi" / "pom.xml").read_text())
    keda = re.search(r"github.com/kedacore/keda/v2 v([0-9.]+)", (K8S / "checks" / "keda" / "go.mod").read_text())
    kustomize = re.search(r"KUSTOMIZE_VERSION=(v[0-9.]+)", (K8S / "tools.sh").read_text())
    assert strimzi and keda and kustomize
    assert f"| Strimzi | **{strimzi.group(1)}**" in readme
    assert f"| KEDA | **{keda.group(1)}**" in readme
    assert f"kustomize is {kustomize.group(1)}" in readme
