"""Writes the Kubernetes manifests from the project's own registries (services, topics), so they cannot drift.

Run: `python deploy/k8s/generate.py` → deploy/k8s/*.yaml (committed). Kafka runs under the Strimzi operator
(`Kafka` + `KafkaTopic` resources); PostgreSQL and Redis are expected as managed services whose URLs come from
the `o2c-<service>-db` secrets (and `o2c-notify-webhooks`) and the `o2c-config` config map. No secret values live here.
"""

from __future__ import annotations

import json
from pathlib import Path

from o2c.contracts.topics import TOPICS

HERE = Path(__file__).parent
NAMESPACE = "o2c"
SERVICES = {"sales": 8101, "credit": 8102, "inventory": 8103, "dispatch": 8104, "invoicing": 8105,
            "ewaybill": 8106, "notify": 8107}
SANDBOXES = {"irp-sandbox": ("o2c.invoicing.adapters.irp_sandbox", 8205),
             "nic-sandbox": ("o2c.ewaybill.adapters.sandbox_server", 8206)}
IMAGE = "ghcr.io/example/o2c:latest"


def dump(docs: list[dict[str, object]]) -> str:
    # JSON is valid YAML; one document per resource keeps the files diff-friendly without a YAML dependency.
    return "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)


def deployment(name: str, module: str, port: int, *, database: bool) -> list[dict[str, object]]:
    env: list[dict[str, object]] = [
        {"name": "O2C_HTTP_HOST", "value": "0.0.0.0"},
        {"name": "O2C_HTTP_PORT", "value": str(port)},
        # Unique among live replicas (static group membership fences a duplicate): the pod's own name.
        {"name": "O2C_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    if database:
        env.append({"name": "O2C_DATABASE_URL",
                    "valueFrom": {"secretKeyRef": {"name": f"o2c-{name}-db", "key": "url"}}})
    if name == "notify":  # seals each webhook subscription's signing secret; notify does not start without it
        env.append({"name": "O2C_NOTIFY_WEBHOOK_SECRETS_KEY",
                    "valueFrom": {"secretKeyRef": {"name": "o2c-notify-webhooks", "key": "secrets-key"}}})
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "o2c"}
    # A service serves Prometheus /metrics on its own port (http + 1000), not on the API port: the scraper
    # needs no token, and a network policy can admit only the scraper to it. The sandboxes have no metrics.
    metrics = port + 1000 if database else None
    ports: list[dict[str, object]] = [{"containerPort": port, "name": "http"}]
    annotations: dict[str, str] = {}
    if metrics is not None:
        env.append({"name": "O2C_METRICS_PORT", "value": str(metrics)})
        ports.append({"containerPort": metrics, "name": "metrics"})
        annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics),
                       "prometheus.io/path": "/metrics"}
    return [
        {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "replicas": 2 if database else 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {
                    "metadata": {"labels": labels, "annotations": annotations},
                    "spec": {"containers": [{
                        "name": name, "image": IMAGE, "command": ["python", "-m", module],
                        "ports": ports,
                        "envFrom": [{"configMapRef": {"name": "o2c-config"}}],
                        "env": env,
                        "readinessProbe": {"httpGet": {"path": "/readyz" if database else "/healthz", "port": port},
                                           "periodSeconds": 5},
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10},
                        "resources": {"requests": {"cpu": "100m", "memory": "192Mi"},
                                      "limits": {"memory": "512Mi"}},
                        "volumeMounts": [{"name": "jwks", "mountPath": "/run/o2c", "readOnly": True}],
                    }], "volumes": [{"name": "jwks", "configMap": {"name": "o2c-jwks", "optional": True}}]},
                },
            },
        },
        {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"selector": {"app.kubernetes.io/name": name}, "ports": [
                {"port": p["containerPort"], "targetPort": p["containerPort"], "name": p["name"]} for p in ports]},
        },
        *([] if metrics is None else [{
            # Prometheus Operator: scrape the metrics port only.
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}]},
        }, {
            # The API port is open to callers (they carry tokens); the metrics port only to the monitoring
            # namespace's Prometheus.
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"{name}-metrics", "namespace": NAMESPACE, "labels": labels},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                     "policyTypes": ["Ingress"],
                     "ingress": [
                         {"ports": [{"port": port, "protocol": "TCP"}]},
                         {"from": [{"namespaceSelector": {"matchLabels": {
                             "kubernetes.io/metadata.name": "monitoring"}}}],
                          "ports": [{"port": metrics, "protocol": "TCP"}]}]},
        }]),
    ]


def main() -> None:
    base = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "o2c-config", "namespace": NAMESPACE},
         "data": {"O2C_KAFKA_BOOTSTRAP": "o2c-kafka-kafka-bootstrap:9092",
                  "O2C_REDIS_URL": "redis://o2c-redis:6379/0",
                  "O2C_JWKS_URL": "https://auth.example.in/.well-known/jwks.json",
                  "O2C_JWT_ISSUER": "https://auth.example.in/", "O2C_JWT_AUDIENCE": "o2c",
                  "O2C_OTEL_EXPORTER": "otlp", "O2C_OTEL_ENDPOINT": "http://otel-collector:4318/v1/traces",
                  "O2C_INVENTORY_URL": "http://inventory:8103", "O2C_IRP_URL": "http://irp-sandbox:8205",
                  "O2C_NIC_URL": "http://nic-sandbox:8206"}},
    ]
    kafka = [{
        "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "Kafka",
        "metadata": {"name": "o2c-kafka", "namespace": NAMESPACE,
                     "annotations": {"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"}},
        "spec": {"kafka": {"version": "4.1.1", "listeners": [{"name": "plain", "port": 9092, "type": "internal",
                                                              "tls": False}],
                           "config": {"auto.create.topics.enable": "false", "min.insync.replicas": 2,
                                      "default.replication.factor": 3}},
                 "entityOperator": {"topicOperator": {}}},
    }]
    for spec in TOPICS.values():
        kafka.append({
            "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
            "metadata": {"name": spec.name.replace(".", "-"), "namespace": NAMESPACE,
                         "labels": {"strimzi.io/cluster": "o2c-kafka"}},
            "spec": {"topicName": spec.name, "partitions": spec.partitions, "replicas": 3,
                     "config": spec.config()},
        })
    services: list[dict[str, object]] = []
    for name, port in SERVICES.items():
        services += deployment(name, f"o2c.{name}", port, database=True)
    for name, (module, port) in SANDBOXES.items():
        services += deployment(name, module, port, database=False)
    (HERE / "00-base.yaml").write_text(dump(base))
    (HERE / "10-kafka.yaml").write_text(dump(kafka))
    (HERE / "20-services.yaml").write_text(dump(services))
    (HERE / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n  - 00-base.yaml\n  - 10-kafka.yaml\n  - 20-services.yaml\n"
    )


if __name__ == "__main__":
    main()
