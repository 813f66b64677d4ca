#!/usr/bin/env bash
# Builds the Go interop peers (tests/interop/gopeers) into bin/gopeers: generates the push.v1
# Go and connect-go code from tests/support/proto with protoc and the plugin versions pinned
# in go.mod (`tool` directives), then `go build`. Cached: skipped when bin/.stamp matches a
# hash of every input (Go's build cache keeps rebuilds fast otherwise). Prints the binary path.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:${PATH}"
export GOFLAGS="${GOFLAGS:--mod=mod}"
export CGO_ENABLED=0
if [ -z "${HOME:-}" ]; then export HOME="${TMPDIR:-/tmp}"; fi

PROTO=../../support/proto
inputs() {
  cat go.mod go.sum build.sh "${PROTO}/push/v1/push.proto" "${PROTO}/types/v1/types.proto"
  find . -name '*.go' -not -path './gen/*' -print0 | sort -z | xargs -0 cat
  go version
}
stamp="$(inputs | sha256sum | cut -d' ' -f1)"
if [ -x bin/gopeers ] && [ -f bin/.stamp ] && [ "$(cat bin/.stamp)" = "${stamp}" ]; then
  echo "$(pwd)/bin/gopeers"
  exit 0
fi

mkdir -p bin
go mod download >&2
go build -o bin/ google.golang.org/protobuf/cmd/protoc-gen-go \
  connectrpc.com/connect/cmd/protoc-gen-connect-go >&2
rm -rf gen
mkdir -p gen
M="Mpush/v1/push.proto=profcol/tests/interop/gopeers/gen/push/v1;pushv1"
M="${M},Mtypes/v1/types.proto=profcol/tests/interop/gopeers/gen/types/v1;typesv1"
protoc -I "${PROTO}" \
  --plugin=protoc-gen-go=bin/protoc-gen-go --go_out=gen \
  --go_opt=module=profcol/tests/interop/gopeers/gen --go_opt="${M}" \
  --plugin=protoc-gen-connect-go=bin/protoc-gen-connect-go --connect-go_out=gen \
  --connect-go_opt=module=profcol/tests/interop/gopeers/gen --connect-go_opt="${M}" \
  push/v1/push.proto types/v1/types.proto
go build -o bin/gopeers . >&2
echo "${stamp}" >bin/.stamp
echo "$(pwd)/bin/gopeers"
