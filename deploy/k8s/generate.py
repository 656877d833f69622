"""Writes the Kubernetes base (deploy/k8s/base) from the project's own registries, so it cannot drift: the topics
and their producers (o2c.contracts.topics), what each service consumes (its ServiceDefinition), its port and
settings. The overlays (deploy/k8s/overlays/{dev,prod}) are written by hand on top. README.md beside this file
says what runs where and why; tests/deploy/test_k8s.py renders, validates and checks this output is current.

Run: `.venv/bin/python deploy/k8s/generate.py` (committed output). No secret values live here: passwords come
from the operators (CloudNativePG's `<cluster>-app`, Strimzi's `<KafkaUser>` secrets) or from secrets the
platform team creates (`o2c-notify-webhooks`, `o2c-keda-kafka`, prod's portal credentials).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from o2c.contracts.access import service_grants
from o2c.contracts.topics import TOPICS

HERE = Path(__file__).parent
BASE = HERE / "base"
NAMESPACE = "o2c"
IMAGE = "ghcr.io/example/o2c"
KAFKA = "o2c-kafka"
KAFKA_VERSION = "4.1.1"
KAFKA_PORT = 9093  # the TLS listener with SCRAM-SHA-512: the only way into the broker
BOOTSTRAP = f"{KAFKA}-kafka-bootstrap.{NAMESPACE}.svc:{KAFKA_PORT}"
POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:17.6"
REDIS_IMAGE = "docker.io/library/redis:7.4.6"
SERVICES = {"sales": 8101, "credit": 8102, "inventory": 8103, "dispatch": 8104, "invoicing": 8105,
            "ewaybill": 8106, "notify": 8107}
SANDBOXES = {"irp-sandbox": ("o2c.invoicing.adapters.irp_sandbox", 8205, "O2C_IRP_SANDBOX_"),
             "nic-sandbox": ("o2c.ewaybill.adapters.sandbox_server", 8206, "O2C_EWB_SANDBOX_")}
CALLS = {"sales": [s for s in SERVICES if s != "sales"], "invoicing": ["irp-sandbox"], "ewaybill": ["nic-sandbox"]}
"""The other APIs a process calls (sales: inventory's ATP and the console's forwarder)."""
PRIVATE_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4"]
PRIVATE_V6 = ["::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "::ffff:0:0/96", "64:ff9b::/96"]
PART_OF = {"app.kubernetes.io/part-of": "o2c"}


def labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component, **PART_OF}


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, **extra}


def subscriptions() -> dict[str, list[str]]:
    """Each service's consumed topics (its own and its read models'), from its own ServiceDefinition."""
    return {s: importlib.import_module(f"o2c.{s}.app").DEFINITION.consumed_topics() for s in SERVICES}


def pod_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}}


def secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def service_env(name: str, port: int) -> list[dict[str, Any]]:
    up = name.upper()
    env: list[dict[str, Any]] = [
        {"name": "O2C_HTTP_PORT", "value": str(port)},
        {"name": "O2C_METRICS_PORT", "value": str(port + 1000)},
        # Stable per pod across restarts (StatefulSet ordinal): static group membership keeps its partitions.
        {"name": "O2C_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        # CloudNativePG's app secret of this service's own cluster: postgresql://o2c_<svc>:…@<cluster>-rw…/o2c_<svc>
        secret_env("O2C_DATABASE_URL", f"o2c-{name}-db-app", "uri"),
        {"name": "O2C_KAFKA_SASL_USERNAME", "value": f"o2c-{name}"},
        secret_env("O2C_KAFKA_SASL_PASSWORD", f"o2c-{name}", "password"),  # Strimzi's secret of the KafkaUser
        {"name": "OTEL_SERVICE_NAME", "value": f"o2c-{name}"},
    ]
    if name == "sales":
        env += [{"name": f"O2C_SALES_{other.upper()}_URL", "value": f"http://{other}:{SERVICES[other]}"}
                for other in CALLS["sales"]]
    if name == "invoicing":
        env.append({"name": f"O2C_{up}_IRP_BASE_URL", "value": "http://irp-sandbox:8205"})
    if name == "ewaybill":
        env.append({"name": f"O2C_{up}_EWB_SANDBOX_URL", "value": "http://nic-sandbox:8206"})
    if name == "notify":
        env += [
            secret_env("O2C_NOTIFY_WEBHOOK_SECRETS_KEY", "o2c-notify-webhooks", "secrets-key"),
            # The link customers get: invoicing's PDF through the public ingress (the overlay names the host).
            {"name": "O2C_NOTIFY_INVOICE_PDF_URL",
             "value": "https://o2c.example.in/invoicing/invoices/{invoice_id}/pdf"},
        ]
    return env


def probes(port: int, ready: str) -> dict[str, Any]:
    return {
        "startupProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 2, "failureThreshold": 60},
        "readinessProbe": {"httpGet": {"path": ready, "port": port}, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10, "failureThreshold": 3,
                          "timeoutSeconds": 3},
    }


def workload(name: str) -> list[dict[str, Any]]:
    """A service: a StatefulSet (stable pod names → stable static-membership ids), its Services, PDB,
    KafkaUser, CloudNativePG cluster, KEDA ScaledObject and NetworkPolicies."""
    port = SERVICES[name]
    lbl = labels(name, "service")
    container = {
        "name": name, "image": f"{IMAGE}:0.1.0", "command": ["python", "-m", f"o2c.{name}"],
        "ports": [{"containerPort": port, "name": "http"}, {"containerPort": port + 1000, "name": "metrics"}],
        "envFrom": [{"configMapRef": {"name": "o2c-config"}}],
        "env": service_env(name, port),
        **probes(port, "/readyz"),
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": container_security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "jwks", "mountPath": "/run/o2c", "readOnly": True},
                         {"name": "kafka-ca", "mountPath": "/run/kafka-ca", "readOnly": True}],
    }
    return [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, labels=lbl), "spec": {
            "serviceName": f"{name}-pods", "replicas": 2, "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": lbl, "annotations": {"prometheus.io/scrape": "true",
                                                            "prometheus.io/port": str(port + 1000)}},
                "spec": {"automountServiceAccountToken": False, "securityContext": pod_security(),
                         "terminationGracePeriodSeconds": 30, "containers": [container],
                         "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                                     {"name": "jwks", "configMap": {"name": "o2c-jwks"}},
                                     {"name": "kafka-ca", "secret": {"secretName": f"{KAFKA}-cluster-ca-cert",
                                                                     "items": [{"key": "ca.crt",
                                                                                "path": "ca.crt"}]}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, labels=lbl), "spec": {
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": port, "targetPort": "http"},
                      {"name": "metrics", "port": port + 1000, "targetPort": "metrics"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(f"{name}-pods", labels=lbl), "spec": {
            "clusterIP": "None", "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": port, "targetPort": "http"}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name, labels=lbl),
         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": name}}}},
        {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta(name, labels=lbl), "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name},
            "minReplicaCount": 2, "maxReplicaCount": 6,  # 6: the events topics' partitions, no idle members
            "pollingInterval": 15, "cooldownPeriod": 300,
            "triggers": [{"type": "kafka", "authenticationRef": {"name": "o2c-keda-kafka"}, "metadata": {
                "bootstrapServers": BOOTSTRAP, "consumerGroup": f"o2c-{name}", "lagThreshold": "200",
                "activationLagThreshold": "10", "offsetResetPolicy": "earliest", "allowIdleConsumers": "false",
                "sasl": "scram_sha512", "tls": "enable"}}]}},
        # Not the service's labels: an operator's pods must never match the service's selectors or o2c's policies.
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta(f"o2c-{name}-db", labels={
            "app.kubernetes.io/name": f"o2c-{name}-db", "app.kubernetes.io/component": "database"}),
         "spec": {"instances": 2, "imageName": POSTGRES_IMAGE,
                  "bootstrap": {"initdb": {"database": f"o2c_{name}", "owner": f"o2c_{name}"}},
                  "storage": {"size": "10Gi"},
                  "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}},
                  "postgresql": {"parameters": {"max_connections": "200"}},
                  "enablePDB": True}},
    ]


def kafka_user(name: str, subs: list[str]) -> dict[str, Any]:
    """The service's Kafka identity: the grants o2c.contracts.access computes (the local stack's ACLs are the
    same): write where it is the producer, read what it consumes, its own consumer groups. Nothing else."""
    acls = [{"resource": {"type": g.resource, "name": g.name, "patternType": "prefix" if g.pattern == "prefixed"
                          else "literal"}, "operations": list(g.operations)} for g in service_grants(name, subs)]
    return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
            "metadata": meta(f"o2c-{name}", labels={"strimzi.io/cluster": KAFKA}),
            "spec": {"authentication": {"type": "scram-sha-512"},
                     "authorization": {"type": "simple", "acls": acls}}}


def network_policies(name: str) -> list[dict[str, Any]]:
    port = SERVICES[name]
    dns = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                   "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
           "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    egress: list[dict[str, Any]] = [
        dns,
        {"to": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA, "strimzi.io/kind": "Kafka"}}}],
         "ports": [{"port": KAFKA_PORT, "protocol": "TCP"}]},
        {"to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": f"o2c-{name}-db"}}}],
         "ports": [{"port": 5432, "protocol": "TCP"}]},
        {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}}}],
         "ports": [{"port": 6379, "protocol": "TCP"}]},
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                 "podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}],
         "ports": [{"port": 4318, "protocol": "TCP"}]},
    ]
    for other in CALLS.get(name, []):
        other_port = SERVICES.get(other) or SANDBOXES[other][1]
        egress.append({"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": other}}}],
                       "ports": [{"port": other_port, "protocol": "TCP"}]})
    callers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    callers += [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": caller}}}
                for caller, called in CALLS.items() if name in called]
    docs = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(name, labels=PART_OF),
             "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                      "policyTypes": ["Ingress", "Egress"],
                      "ingress": [{"from": callers, "ports": [{"port": port, "protocol": "TCP"}]},
                                  {"from": [{"namespaceSelector": {"matchLabels": {
                                      "kubernetes.io/metadata.name": "monitoring"}}}],
                                   "ports": [{"port": port + 1000, "protocol": "TCP"}]}],
                      "egress": egress}}]
    if name == "notify":
        # Webhooks, SMTP and WhatsApp go to the internet: public addresses only, never the cluster's or any
        # private, loopback, link-local (cloud metadata) or carrier-grade NAT range.
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": meta("notify-internet-egress", labels=PART_OF),
                     "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "notify"}},
                              "policyTypes": ["Egress"],
                              "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_V4}},
                                                 {"ipBlock": {"cidr": "::/0", "except": PRIVATE_V6}}],
                                          "ports": [{"port": 443, "protocol": "TCP"},
                                                    {"port": 587, "protocol": "TCP"}]}]}})
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": meta(f"o2c-{name}-db", labels=PART_OF),
                 "spec": {"podSelector": {"matchLabels": {"cnpg.io/cluster": f"o2c-{name}-db"}},
                          "policyTypes": ["Ingress"],
                          "ingress": [
                              {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}}}],
                               "ports": [{"port": 5432, "protocol": "TCP"}]},
                              # replication among the cluster's own instances, and the operator's status calls
                              {"from": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": f"o2c-{name}-db"}}}]},
                              {"from": [{"namespaceSelector": {"matchLabels": {
                                  "kubernetes.io/metadata.name": "cnpg-system"}}}],
                               "ports": [{"port": 8000, "protocol": "TCP"}]},
                              {"from": [{"namespaceSelector": {"matchLabels": {
                                  "kubernetes.io/metadata.name": "monitoring"}}}],
                               "ports": [{"port": 9187, "protocol": "TCP"}]}]}})
    return docs


def sandbox(name: str) -> list[dict[str, Any]]:
    module, port, prefix = SANDBOXES[name]
    lbl = labels(name, "sandbox")
    callers = [c for c, called in CALLS.items() if name in called]
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, labels=lbl), "spec": {
            "replicas": 1,  # state in memory: one portal
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": {"labels": lbl}, "spec": {
                "automountServiceAccountToken": False, "securityContext": pod_security(),
                "containers": [{
                    "name": name, "image": f"{IMAGE}:0.1.0", "command": ["python", "-m", module],
                    "ports": [{"containerPort": port, "name": "http"}],
                    "env": [{"name": f"{prefix}HOST", "value": "0.0.0.0"},
                            {"name": f"{prefix}PORT", "value": str(port)}],
                    **probes(port, "/healthz"),
                    "resources": {"requests": {"cpu": "50m", "memory": "192Mi"},
                                  "limits": {"cpu": "500m", "memory": "384Mi"}},
                    "securityContext": container_security(),
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}],
                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, labels=lbl), "spec": {
            "selector": {"app.kubernetes.io/name": name}, "ports": [{"name": "http", "port": port,
                                                                     "targetPort": "http"}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(name, labels=PART_OF),
         "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                  "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": c}}}
                                        for c in callers], "ports": [{"port": port, "protocol": "TCP"}]}],
                  "egress": []}},
    ]


def redis() -> list[dict[str, Any]]:
    lbl = labels("redis", "cache")
    return [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("o2c-redis", labels=lbl), "spec": {
            "serviceName": "o2c-redis", "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
            "template": {"metadata": {"labels": lbl}, "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {**pod_security(), "runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
                "containers": [{
                    "name": "redis", "image": REDIS_IMAGE,
                    "args": ["--appendonly", "yes", "--dir", "/data", "--protected-mode", "no"],
                    "ports": [{"containerPort": 6379, "name": "redis"}],
                    "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}, "periodSeconds": 5},
                    "livenessProbe": {"tcpSocket": {"port": 6379}, "periodSeconds": 10},
                    "resources": {"requests": {"cpu": "50m", "memory": "128Mi"},
                                  "limits": {"cpu": "500m", "memory": "512Mi"}},
                    "securityContext": container_security(),
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("o2c-redis", labels=lbl), "spec": {
            "selector": {"app.kubernetes.io/name": "redis"}, "ports": [{"name": "redis", "port": 6379,
                                                                        "targetPort": "redis"}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("o2c-redis",
                                                                                          labels=PART_OF),
         "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
                  "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "service",
                                                                         **PART_OF}}}],
                               "ports": [{"port": 6379, "protocol": "TCP"}]}],
                  "egress": []}},
    ]


def kafka(subs: dict[str, list[str]]) -> list[dict[str, Any]]:
    storage = {"type": "jbod", "volumes": [{"id": 0, "type": "persistent-claim", "size": "20Gi",
                                            "deleteClaim": False, "kraftMetadata": "shared"}]}
    docs: list[dict[str, Any]] = [
        {"apiVersion": "kafka.strimzi.io/v1", "kind": "Kafka", "metadata": meta(KAFKA), "spec": {
            "kafka": {
                "version": KAFKA_VERSION,
                "listeners": [{"name": "tls", "port": KAFKA_PORT, "type": "internal", "tls": True,
                               "authentication": {"type": "scram-sha-512"},
                               "networkPolicyPeers": [
                                   {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "service"}}},
                                   {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "keda"}}}]}],
                "authorization": {"type": "simple"},
                "config": {"auto.create.topics.enable": "false", "min.insync.replicas": 2,
                           "default.replication.factor": 3, "offsets.topic.replication.factor": 3,
                           "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2},
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        }},
        {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaNodePool",
         "metadata": meta("controllers", labels={"strimzi.io/cluster": KAFKA}),
         "spec": {"replicas": 3, "roles": ["controller"], "storage": storage,
                  "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}}},
        {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaNodePool",
         "metadata": meta("brokers", labels={"strimzi.io/cluster": KAFKA}),
         "spec": {"replicas": 3, "roles": ["broker"], "storage": storage,
                  "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}}},
    ]
    for spec in TOPICS.values():
        docs.append({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
                     "metadata": meta(spec.name.replace(".", "-"), labels={"strimzi.io/cluster": KAFKA}),
                     "spec": {"topicName": spec.name, "partitions": spec.partitions, "replicas": 3,
                              "config": spec.config()}})
    docs += [kafka_user(name, subs[name]) for name in SERVICES]
    # KEDA reads each group's lag: describe every o2c topic and group, nothing more. Its password is one the
    # platform team puts in the o2c-keda-kafka secret (KEDA needs the user name beside it).
    docs.append({"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
                 "metadata": meta("o2c-keda", labels={"strimzi.io/cluster": KAFKA}),
                 "spec": {"authentication": {"type": "scram-sha-512", "password": {"valueFrom": {
                     "secretKeyRef": {"name": "o2c-keda-kafka", "key": "password"}}}},
                          "authorization": {"type": "simple", "acls": [
                              {"resource": {"type": "topic", "name": "o2c.", "patternType": "prefix"},
                               "operations": ["Describe"]},
                              {"resource": {"type": "group", "name": "o2c-", "patternType": "prefix"},
                               "operations": ["Describe"]}]}}})
    docs.append({"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
                 "metadata": meta("o2c-keda-kafka", labels=PART_OF),
                 "spec": {"secretTargetRef": [
                     {"parameter": "username", "name": "o2c-keda-kafka", "key": "username"},
                     {"parameter": "password", "name": "o2c-keda-kafka", "key": "password"},
                     {"parameter": "ca", "name": f"{KAFKA}-cluster-ca-cert", "key": "ca.crt"}]}})
    return docs


def base_objects() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": {
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
            **PART_OF}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("o2c-config", labels=PART_OF), "data": {
            "O2C_KAFKA_BOOTSTRAP": BOOTSTRAP,
            "O2C_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "O2C_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "O2C_KAFKA_SSL_CAFILE": "/run/kafka-ca/ca.crt",
            "O2C_REDIS_URL": f"redis://o2c-redis.{NAMESPACE}.svc:6379/0",
            # The identity provider's signing keys, mounted from the o2c-jwks config map (no egress for them).
            "O2C_JWKS_FILE": "/run/o2c/jwks.json",
            "O2C_JWT_ISSUER": "https://auth.example.in/", "O2C_JWT_AUDIENCE": "o2c",
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring.svc:4318",
        }},
        # Every o2c pod: nothing in or out unless a policy lets it. Operator-managed pods (Kafka, PostgreSQL) are not
        # labelled part-of o2c (Strimzi's policies guard its pods; each database cluster has one below).
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny",
                                                                                          labels=PART_OF),
         "spec": {"podSelector": {"matchLabels": PART_OF}, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("dns", labels=PART_OF),
         "spec": {"podSelector": {"matchLabels": PART_OF}, "policyTypes": ["Egress"],
                  "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                      "kubernetes.io/metadata.name": "kube-system"}},
                      "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                      "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}},
    ]


def dump(docs: list[dict[str, Any]]) -> str:
    # JSON is valid YAML; one document per resource keeps the files diff-friendly without a YAML dependency.
    return "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)


FILES = ("00-base.yaml", "10-kafka.yaml", "20-services.yaml", "30-sandboxes.yaml", "40-redis.yaml")


def render() -> dict[str, str]:
    subs = subscriptions()
    services: list[dict[str, Any]] = []
    for name in SERVICES:
        services += workload(name) + network_policies(name)
    sandboxes = [doc for name in SANDBOXES for doc in sandbox(name)]
    out = dict(zip(FILES, map(dump, [base_objects(), kafka(subs), services, sandboxes, redis()]), strict=True))
    out["kustomization.yaml"] = ("# Generated by deploy/k8s/generate.py: edit that, not this.\n"
                                 "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                 "namespace: o2c\nresources:\n" + "".join(f"  - {f}\n" for f in FILES))
    return out


def main() -> None:
    BASE.mkdir(exist_ok=True)
    for name, text in render().items():
        (BASE / name).write_text(text)


if __name__ == "__main__":
    main()
