#!/usr/bin/env bash
# Builds (once) and prints the pinned tools the manifest checks use, cached outside the repository:
#   kustomize   sigs.k8s.io/kustomize/kustomize/v5 at KUSTOMIZE_VERSION, by `go install` from the Go module proxy
#   kedacheck   checks/keda (KEDA's Go API module, version in its go.mod), by `go build`
#   strimzi     checks/strimzi: io.strimzi:api from Maven Central (~/.m2) and StrictDecode compiled
# Output: KEY=path lines (KUSTOMIZE, KEDACHECK, STRIMZI_CP). Cold: minutes (downloads); warm: instant.
# `make install` runs it; tests/deploy/test_k8s.py runs it too (a no-op when warm).
set -euo pipefail
KUSTOMIZE_VERSION=v5.8.2  # the newest that builds on this machine's Go 1.26 (v5.8.3 needs Go 1.27)
HERE="$(cd "$(dirname "$0")" && pwd)"
TOOLS="${O2C_TOOLS_DIR:-$HOME/.cache/o2c/tools}"
mkdir -p "$TOOLS"
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

kustomize="$TOOLS/kustomize-$KUSTOMIZE_VERSION/kustomize"
if [ ! -x "$kustomize" ]; then
  echo "building kustomize $KUSTOMIZE_VERSION (once)" >&2
  GOBIN="$(dirname "$kustomize")" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
fi

keda_dir="$TOOLS/kedacheck-$(hash_of "$HERE/checks/keda/go.mod" "$HERE/checks/keda/go.sum" "$HERE/checks/keda/main.go")"
if [ ! -x "$keda_dir/kedacheck" ]; then
  echo "building the KEDA check (once)" >&2
  mkdir -p "$keda_dir"
  (cd "$HERE/checks/keda" && GOFLAGS=-mod=readonly go build -o "$keda_dir/kedacheck.tmp" . && mv "$keda_dir/kedacheck.tmp" "$keda_dir/kedacheck") >&2
fi

strimzi_dir="$TOOLS/strimzi-$(hash_of "$HERE/checks/strimzi/pom.xml" "$HERE/checks/strimzi/StrictDecode.java")"
if [ ! -f "$strimzi_dir/classpath" ]; then
  echo "resolving io.strimzi:api and compiling the Strimzi check (once)" >&2
  mkdir -p "$strimzi_dir/classes"
  mvn -q -B -f "$HERE/checks/strimzi/pom.xml" dependency:build-classpath -Dmdep.outputFile="$strimzi_dir/deps" >&2
  javac -d "$strimzi_dir/classes" -cp "$(cat "$strimzi_dir/deps")" "$HERE/checks/strimzi/StrictDecode.java" >&2
  echo "$strimzi_dir/classes:$(cat "$strimzi_dir/deps")" > "$strimzi_dir/classpath.tmp"
  mv "$strimzi_dir/classpath.tmp" "$strimzi_dir/classpath"
fi

echo "KUSTOMIZE=$kustomize"
echo "KEDACHECK=$keda_dir/kedacheck"
echo "STRIMZI_CP=$(cat "$strimzi_dir/classpath")"
