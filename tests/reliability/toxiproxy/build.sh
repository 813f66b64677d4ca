#!/usr/bin/env bash
# Builds the toxiproxy server (github.com/Shopify/toxiproxy/v2, MIT; pinned in go.mod/go.sum as
# a `tool`) into bin/toxiproxy-server for the network-fault scenarios (tests/reliability/
# network_faults_test.ts drives it over its HTTP API). Cached: skipped when bin/.stamp matches
# a hash of the inputs. Prints the binary path.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:${PATH}"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED=0
if [ -z "${HOME:-}" ]; then export HOME="${TMPDIR:-/tmp}"; fi

stamp="$(cat go.mod go.sum build.sh <(go version) | sha256sum | cut -d' ' -f1)"
if [ -x bin/toxiproxy-server ] && [ -f bin/.stamp ] && [ "$(cat bin/.stamp)" = "${stamp}" ]; then
  echo "$(pwd)/bin/toxiproxy-server"
  exit 0
fi
mkdir -p bin
go build -o bin/toxiproxy-server github.com/Shopify/toxiproxy/v2/cmd/server >&2
echo "${stamp}" >bin/.stamp
echo "$(pwd)/bin/toxiproxy-server"
