#!/usr/bin/env bash
# Build Kyverno Chainsaw (the benchmark's baseline) from its Go module, cached by pin like the build stages.
# Prints the path of the chainsaw binary. v0.2.12 does not build with Go 1.26: its pinned toolchain is
# fetched through the module proxy (GOTOOLCHAIN).
. "$(dirname "$0")/../build/lib.sh"
CHAINSAW_VERSION=${CHAINSAW_VERSION:-v0.2.12}
CHAINSAW_GO=${CHAINSAW_GO:-go1.24.13}

build_chainsaw() {
  GOBIN=$1 GOTOOLCHAIN=$CHAINSAW_GO GOFLAGS= CGO_ENABLED=0 go install "github.com/kyverno/chainsaw@$CHAINSAW_VERSION"
}

dir=$(key bin-chainsaw "$CHAINSAW_VERSION" "$CHAINSAW_GO" "$(declare -f build_chainsaw)")
stage go-chainsaw "$dir" build_chainsaw
echo "$dir/chainsaw"
