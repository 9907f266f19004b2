#!/bin/sh
# The Go receiver library's checks: gofmt, go vet, its unit tests (with the race detector when cgo
# can build it), then the conformance vectors. Standard library only: GOPROXY=off, and the build
# cache and GOPATH live outside the source tree. Exits non-zero on any failure; never skips.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
vectors=${1:-$root/tests/contract/receivers/vectors.json}
build=${MEMHOOK_GO_BUILD:-${TMPDIR:-/tmp}/memhook-receiver-go.$(id -u)}
mkdir -p "$build"
export GOPATH="$build/gopath" GOCACHE="$build/gocache" GOPROXY=off GOTOOLCHAIN=local GOFLAGS=
cd "$here"

echo "# gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not formatted (gofmt -w): $unformatted" >&2
	exit 1
fi
echo "# go vet"
go vet ./...
race=
if [ "$(go env CGO_ENABLED)" = 1 ] && command -v "$(go env CC)" >/dev/null 2>&1; then race=-race; fi
echo "# go test $race"
out=$(mktemp "$build/test.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! go test $race -count=1 -v ./... > "$out" 2>&1; then
	cat "$out"
	exit 1
fi
grep -E '^(--- |ok )' "$out"
echo "# $(grep -c '^--- PASS' "$out") tests passed"
echo "# vectors: $vectors"
go build -o "$build/vectors" ./cmd/vectors
"$build/vectors" "$vectors"
