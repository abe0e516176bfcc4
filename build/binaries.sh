#!/usr/bin/env bash
# Build every Go component the cluster and the labs need, from their Go modules at the pinned versions.
# Output: $CACHE/bin-<key>/ with one binary per component; prints that directory.
. "$(dirname "$0")/lib.sh"

# gobuild DIR MODULE@VERSION LOCALVERSION LDFLAGS PKG...: build PKGs into DIR through a wrapper module.
gobuild() {
  local out=$1 modver=$2 localver=$3 ldflags=$4; shift 4
  local work=$CACHE/gowork/${modver//[\/@]/_}
  mkdir -p "$CACHE/gowork"
  python3 "$BUILD_DIR/gowrap.py" "$work" "$modver" --local-version "$localver" >"$work.src"
  (cd "$work" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/" "$@")
}
src_of() { cat "$CACHE/gowork/${1//[\/@]/_}.src"; }

k8s_ldflags() {
  local v=$K8S_VERSION minor; minor=$(echo "$v" | cut -d. -f2) f=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    # Unstamped binaries say v0.0.0-master, which kubeadm and the apiserver reject.
    f="$f -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    f="$f -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$f"
}

build_kubernetes() {
  local k=k8s.io/kubernetes
  CGO_ENABLED=0 gobuild "$1" "$k@$K8S_VERSION" "v0.${K8S_VERSION#v1.}" "$(k8s_ldflags)" \
    $k/cmd/kube-apiserver $k/cmd/kube-controller-manager $k/cmd/kube-scheduler $k/cmd/kube-proxy \
    $k/cmd/kubelet $k/cmd/kubeadm $k/cmd/kubectl $k/test/images/agnhost
  # The pause container comes from the C source shipped in the Kubernetes module.
  need_debs gcc libc6-dev
  gcc -Os -static -DVERSION="$PAUSE_VERSION" -o "$1/pause" "$(src_of "$k@$K8S_VERSION")/build/pause/linux/pause.c"
}

build_runtime() {
  need_debs gcc libseccomp-dev pkg-config
  local c=github.com/containerd/containerd/v2
  CGO_ENABLED=0 GOFLAGS="$GOFLAGS -tags=no_aufs,no_zfs,no_btrfs,no_devmapper" gobuild "$1" "$c@$CONTAINERD_VERSION" \
    "$CONTAINERD_VERSION" "-X $c/version.Version=$CONTAINERD_VERSION" $c/cmd/containerd $c/cmd/containerd-shim-runc-v2 $c/cmd/ctr
  # runc needs cgo for seccomp; it links libseccomp2, which the node's Debian has too.
  CGO_ENABLED=1 GOFLAGS="$GOFLAGS -tags=seccomp" gobuild "$1" "github.com/opencontainers/runc@$RUNC_VERSION" \
    "$RUNC_VERSION" "-X main.version=${RUNC_VERSION#v}" github.com/opencontainers/runc
  CGO_ENABLED=0 gobuild "$1" "sigs.k8s.io/cri-tools@$CRICTL_VERSION" "$CRICTL_VERSION" \
    "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
  local p=github.com/containernetworking/plugins
  mkdir -p "$1/cni"
  CGO_ENABLED=0 gobuild "$1/cni" "$p@$CNI_PLUGINS_VERSION" "$CNI_PLUGINS_VERSION" "" \
    $p/plugins/main/ptp $p/plugins/main/bridge $p/plugins/main/loopback $p/plugins/ipam/host-local $p/plugins/meta/portmap
}

build_addons() {
  CGO_ENABLED=0 gobuild "$1" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "$ETCD_VERSION" "" go.etcd.io/etcd/server/v3
  mv "$1/server" "$1/etcd"  # go names a /vN module path after the element before it
  CGO_ENABLED=0 gobuild "$1" "github.com/coredns/coredns@$COREDNS_VERSION" "$COREDNS_VERSION" "" github.com/coredns/coredns
  CGO_ENABLED=0 gobuild "$1" "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION" "$LOCAL_PATH_VERSION" \
    "-X main.VERSION=$LOCAL_PATH_VERSION" github.com/rancher/local-path-provisioner
}

build_kind() {
  CGO_ENABLED=0 gobuild "$1" "sigs.k8s.io/kind@$KIND_VERSION" "$KIND_VERSION" "" sigs.k8s.io/kind
}

build_traefik() {
  local t=github.com/traefik/traefik/v3
  CGO_ENABLED=0 gobuild "$1" "$t@$TRAEFIK_VERSION" "$TRAEFIK_VERSION" "-X $t/pkg/version.Version=$TRAEFIK_VERSION" $t/cmd/traefik
}

build_kube_router() {
  local r=github.com/cloudnativelabs/kube-router/v2
  CGO_ENABLED=0 gobuild "$1" "$r@$KUBE_ROUTER_VERSION" "$KUBE_ROUTER_VERSION" "-X $r/pkg/version.Version=$KUBE_ROUTER_VERSION" \
    $r/cmd/kube-router
}

build_metrics_server() {
  local m=sigs.k8s.io/metrics-server p=k8s.io/client-go/pkg/version
  CGO_ENABLED=0 gobuild "$1" "$m@$METRICS_SERVER_VERSION" "$METRICS_SERVER_VERSION" \
    "-X $p.gitVersion=$METRICS_SERVER_VERSION -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z" $m/cmd/metrics-server
}

# Each key holds the stage's pins and its recipe (the shell functions it runs), so editing one stage
# rebuilds that stage alone.
recipe() { declare -f gobuild src_of "$@"; cat "$BUILD_DIR/gowrap.py"; }
K8S_BIN=$(key bin-kubernetes "$K8S_VERSION" "$PAUSE_VERSION" "$(recipe k8s_ldflags build_kubernetes)")
RUNTIME_BIN=$(key bin-runtime "$CONTAINERD_VERSION" "$RUNC_VERSION" "$CRICTL_VERSION" "$CNI_PLUGINS_VERSION" "$(recipe build_runtime)")
ADDONS_BIN=$(key bin-addons "$ETCD_VERSION" "$COREDNS_VERSION" "$LOCAL_PATH_VERSION" "$(recipe build_addons)")
KIND_BIN=$(key bin-kind "$KIND_VERSION" "$(recipe build_kind)")
TRAEFIK_BIN=$(key bin-traefik "$TRAEFIK_VERSION" "$(recipe build_traefik)")
KUBE_ROUTER_BIN=$(key bin-kube-router "$KUBE_ROUTER_VERSION" "$(recipe build_kube_router)")
METRICS_SERVER_BIN=$(key bin-metrics-server "$METRICS_SERVER_VERSION" "$(recipe build_metrics_server)")

# prefetch: in the background, download the Go modules of every stage not built yet while the first ones compile
# (a cold build otherwise waits on the network at the start of each stage). It stands in for gobuild with
# `go list -deps` in a wrapper of its own; the module cache's locks keep it and the builds apart. Once per build.
prefetch() {
  [ "$(cat "$LOGS/prefetch.started" 2>/dev/null)" = "$T0" ] && return 0
  [ -f "$K8S_BIN/.done" ] && [ -f "$TRAEFIK_BIN/.done" ] && [ -f "$METRICS_SERVER_BIN/.done" ] && return 0
  echo "$T0" >"$LOGS/prefetch.started"
  (
    gobuild() {
      local modver=$2 localver=$3; shift 4
      local work=$CACHE/gowork-prefetch/${modver//[\/@]/_}
      python3 "$BUILD_DIR/gowrap.py" "$work" "$modver" --local-version "$localver" >/dev/null &&
        (cd "$work" && go list -deps "$@" >/dev/null)
    }
    need_debs() { :; }; gcc() { :; }; mv() { :; }; src_of() { :; }
    scratch=$(mktemp -d)
    for s in "$K8S_BIN build_kubernetes" "$RUNTIME_BIN build_runtime" "$ADDONS_BIN build_addons" \
             "$TRAEFIK_BIN build_traefik" "$KUBE_ROUTER_BIN build_kube_router" "$METRICS_SERVER_BIN build_metrics_server"; do
      set -- $s
      [ -f "$1/.done" ] && continue
      say "prefetching the Go modules of ${2#build_}"
      "$2" "$scratch" || say "prefetch of ${2#build_} failed (its build downloads what it needs)"
    done
    rm -rf "$scratch"
    say "prefetch done"
  ) >>"$LOGS/prefetch.log" 2>&1 &
}

case "${1:-all}" in
  paths) declare -p K8S_BIN RUNTIME_BIN ADDONS_BIN TRAEFIK_BIN KIND_BIN KUBE_ROUTER_BIN METRICS_SERVER_BIN | sed 's/^declare -- //' ;;
  kind) prefetch; stage go-kind "$KIND_BIN" build_kind ;;
  node)
    prefetch
    stage go-kind "$KIND_BIN" build_kind
    stage go-kubernetes "$K8S_BIN" build_kubernetes
    stage go-runtime "$RUNTIME_BIN" build_runtime
    stage go-addons "$ADDONS_BIN" build_addons
    ;;
  traefik) stage go-traefik "$TRAEFIK_BIN" build_traefik ;;
  cluster-addons)
    stage go-kube-router "$KUBE_ROUTER_BIN" build_kube_router
    stage go-metrics-server "$METRICS_SERVER_BIN" build_metrics_server
    ;;
  *) die "usage: binaries.sh kind|node|traefik|cluster-addons|paths" ;;
esac
