#!/usr/bin/env bash
# Cluster add-ons, installed by `cluster.sh up` on a new or a reused cluster (idempotent: server-side
# apply, then wait until each one serves):
#   Gateway API CRDs (standard channel, from the pinned sigs.k8s.io/gateway-api module)
#   the shared Traefik (IngressClass and GatewayClass `traefik`, host ports 80/443) when a node is
#     labelled ingress-ready=true
#   kube-router's firewall (NetworkPolicy enforcement), metrics-server (the metrics API)
# KUBELAB_ADDONS (default: all): the add-ons to install, a space- or comma-separated subset of
#   gateway-api traefik kube-router metrics-server, or none. A second cluster can so differ from the
#   shared one on purpose (tests/cluster/test_any_cluster.py's kubelab-alt gets metrics-server only).
# Usage: addons.sh CLUSTER_NAME
#        addons.sh --export DIR   copy what the install needs besides manifests/ and the images (the Gateway
#                                 API CRDs, metrics-server's upstream base) into DIR, for a bundle
#        addons.sh --images-dir   print the directory of the add-on image archives (building them if needed;
#                                 nothing from a bundle, whose node image holds them)
# From an imported bundle (lib.sh's from_bundle) those come from $BUNDLE_DIR/addons/: no Go, no registry.
. "$(dirname "$0")/lib.sh"
NAME=${1:?usage: addons.sh CLUSTER_NAME | --export DIR}
NODE=$NAME-control-plane
ADDONS=$REPO_DIR/manifests/cluster/addons
if from_bundle; then KIND=$BUNDLE_DIR/bin/kind; else eval "$(bash "$BUILD_DIR/binaries.sh" paths)"; KIND=$KIND_BIN/kind; fi
# kubectl of the control-plane node: matches the cluster, and this machine may have none.
kc() { docker exec "$NODE" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }
kci() { docker exec -i "$NODE" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }  # reads stdin
# The pins the add-on manifests name.
render() {
  sed -e "s|\${KUBE_ROUTER_VERSION}|$KUBE_ROUTER_VERSION|g" -e "s|\${METRICS_SERVER_VERSION}|$METRICS_SERVER_VERSION|g" \
      -e "s|\${TRAEFIK_VERSION}|$TRAEFIK_VERSION|g" "$@"
}
apply() { kci apply --server-side --force-conflicts --field-manager=kubelab-addons -f - >>"$LOGS/addons.log"; }
modsrc() { (cd /tmp && go mod download -json "$1" | jq -r .Dir); }

# Where the install reads from: the bundle, else the build cache and the Go module cache.
images_dir() { if from_bundle; then return 0; else bash "$BUILD_DIR/addon-images.sh"; fi; }
# The Gateway API CRDs and metrics-server's base: copied once out of their Go modules into the build cache (the
# bundle's layout), so later installs and `bundle export` read them there, without Go.
copy_files() {
  local out=$1
  mkdir -p "$out/gateway-api-crds" "$out/metrics-server-base"
  cp "$(modsrc "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")/config/crd/standard"/*.yaml "$out/gateway-api-crds/"
  cp -r "$(modsrc "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION")/manifests/base"/. "$out/metrics-server-base/"
  chmod -R u+w "$out"  # the module cache's files are read-only
}
files_dir() {
  if from_bundle; then echo "$BUNDLE_DIR/addons"; return; fi
  local dir; dir=$(key addon-files "$GATEWAY_API_VERSION" "$METRICS_SERVER_VERSION")
  stage addon-files "$dir" copy_files >&2
  echo "$dir"
}
crd_dir() { echo "$(files_dir)/gateway-api-crds"; }
metrics_base() { echo "$(files_dir)/metrics-server-base"; }

# export_files DIR: the CRDs and metrics-server's base, as the bundle carries them (DIR/gateway-api-crds, …-base);
# the images travel in the bundle's node image (build/node-bundle.sh).
export_files() {
  local src; src=$(files_dir)
  mkdir -p "$1"
  cp -r "$src/gateway-api-crds" "$src/metrics-server-base" "$1/"
}

load_images() {
  local dir t; dir=$(images_dir)
  [ -n "$dir" ] || return 0  # from a bundle: preloaded in its node image
  for t in "$dir"/*.tar; do
    say "addons: loading $(basename "$t" .tar) into the cluster"
    "$KIND" load image-archive --name "$NAME" "$t" >>"$LOGS/kind-load.log" 2>&1 ||
      die "kind load of $t failed; see $LOGS/kind-load.log"
  done
}

gateway_crds() {
  local src; src=$(crd_dir)
  say "addons: Gateway API $GATEWAY_API_VERSION CRDs (standard channel)"
  for f in "$src"/*.yaml; do echo "---"; cat "$f"; done | apply ||
    die "applying the Gateway API CRDs failed; see $LOGS/addons.log"
  local crds=() f; for f in "$src"/*.yaml; do
    f=${f##*/}; f=${f%.yaml}; crds+=("crd/${f#*_}.${f%%_*}"); done
  kc wait --for=condition=Established --timeout=60s "${crds[@]}" >>"$LOGS/addons.log" ||
    die "Gateway API CRDs not established; see $LOGS/addons.log"
}

metrics_server() {
  local src tmp=/tmp/kubelab-addons; src=$(metrics_base)
  say "addons: metrics-server $METRICS_SERVER_VERSION"
  # Rendered with the node's kubectl kustomize: upstream's base plus our patch.
  docker exec "$NODE" rm -rf "$tmp"; docker exec "$NODE" mkdir -p "$tmp/ms"
  # A tar stream, not `docker cp`: the node's /tmp is a tmpfs that docker cp cannot see.
  docker exec "$NODE" mkdir -p "$tmp/base"
  tar -C "$src" -cf - . | docker exec -i "$NODE" tar -C "$tmp/base" -xf -
  render "$ADDONS/metrics-server.yaml" | docker exec -i "$NODE" sh -c "cat >$tmp/ms/patch.yaml"
  printf 'resources: [../base]\npatches: [{path: patch.yaml}]\n' | docker exec -i "$NODE" sh -c "cat >$tmp/ms/kustomization.yaml"
  # upstream's base still says commonLabels: kustomize's deprecation warning goes to the log, not the user
  kc kustomize "$tmp/ms" 2>>"$LOGS/addons.log" | apply || die "applying metrics-server failed; see $LOGS/addons.log"
}

wait_rollout() {  # wait_rollout NS KIND/NAME
  kc -n "$1" rollout status "$2" --timeout=240s >>"$LOGS/addons.log" 2>&1 && return 0
  kc -n "$1" get pods -o wide >&2 || true
  die "$2 in $1 is not ready after 4 minutes; see $LOGS/addons.log and kubectl -n $1 describe $2"
}

case $NAME in
  --export) export_files "${2:?usage: addons.sh --export DIR}"; exit 0 ;;
  --images-dir) images_dir; exit 0 ;;
esac
ADDONS_WANTED=" $(echo "${KUBELAB_ADDONS:-all}" | tr ',' ' ') "
for a in $ADDONS_WANTED; do case $a in all|none|gateway-api|traefik|kube-router|metrics-server) ;;
  *) die "KUBELAB_ADDONS: unknown add-on '$a' (known: gateway-api traefik kube-router metrics-server, all, none)" ;;
esac; done
wanted() { [[ $ADDONS_WANTED == *" all "* || $ADDONS_WANTED == *" $1 "* ]]; }
s0=$(date +%s)
# cluster.sh up loads them itself, with the labs' images, all at once.
[ "${KUBELAB_ADDON_IMAGES_LOADED:-}" = 1 ] || load_images
# metrics-server first: it serves last (ready only after its first scrape, 20 s after it starts), so it
# starts while the others are applied.
wanted metrics-server && metrics_server
if wanted kube-router; then
  say "addons: kube-router $KUBE_ROUTER_VERSION (NetworkPolicy firewall)"
  render "$ADDONS/kube-router.yaml" | apply || die "applying kube-router failed; see $LOGS/addons.log"
fi
wanted gateway-api && gateway_crds
if ! wanted traefik; then
  say "addons: no shared Traefik (KUBELAB_ADDONS=${KUBELAB_ADDONS:-})"
elif [ -n "$(kc get nodes -l ingress-ready=true -o name 2>/dev/null)" ]; then
  say "addons: shared Traefik $TRAEFIK_VERSION (IngressClass and GatewayClass traefik)"
  render "$ADDONS/traefik.yaml" | apply || die "applying Traefik failed; see $LOGS/addons.log"
else
  say "addons: no node labelled ingress-ready=true: no shared Traefik (the ingress and gateway labs need it)"
fi
say "addons: waiting until they serve"
wanted kube-router && wait_rollout kube-system daemonset/kube-router
wanted metrics-server && wait_rollout kube-system deployment/metrics-server
kc get -n kubelab-system deployment/traefik >/dev/null 2>&1 && wait_rollout kubelab-system deployment/traefik
if wanted metrics-server; then
  kc wait --for=condition=Available --timeout=120s apiservice/v1beta1.metrics.k8s.io >>"$LOGS/addons.log" 2>&1 ||
    die "the metrics API is not available; see kubectl describe apiservice v1beta1.metrics.k8s.io"
fi
say "addons: ready in $(( $(date +%s) - s0 ))s"
echo "addons-install $(( $(date +%s) - s0 ))" >>"$LOGS/stage-times.txt"
