#!/usr/bin/env bash
# What the cluster add-ons (build/addons.sh) cost: their build stages (seconds, from the stage log of
# the last cold build in this cache), the install on a running cluster, and their memory (working
# set from the metrics API they bring, next to the whole cluster's).
#   benchmarks/addons.sh            read the figures of the cluster as it is
#   benchmarks/addons.sh --rebuild  first rebuild the add-on stages in an empty cache dir
set -euo pipefail
cd "$(dirname "$0")/.."
. build/versions.env
CACHE=${KUBELAB_CACHE:-$HOME/.cache/kubelab}
KC=(kubectl --kubeconfig "${KUBECONFIG:-$CACHE/kubeconfig}")
if [ "${1:-}" = --rebuild ]; then
  tmp=$(mktemp -d /var/tmp/kubelab-addons.XXXX)
  # Fresh kubelab cache for the add-on stages only; the rootfs is reused by copying its stage.
  mkdir -p "$tmp/cache"; cp -r "$CACHE"/rootfs-* "$CACHE"/bin-kind-* "$tmp/cache/"
  KUBELAB_CACHE=$tmp/cache GOCACHE=$tmp/go-build bash build/addon-images.sh >/dev/null
  CACHE=$tmp/cache
fi
s0=$(date +%s); bash build/addons.sh "${KUBELAB_CLUSTER:-kubelab}" 2>/dev/null; install=$(( $(date +%s) - s0 ))

echo "== kubelab add-ons benchmark ($(date -u +%F), $(nproc) cores)"
echo "build stages (seconds, last build in $CACHE):"
grep -E '^(go-kube-router|go-metrics-server|images-addons|addons-install) ' "$CACHE/logs/stage-times.txt" | sed 's/^/  /'
echo "install/refresh on the running cluster (images loaded, manifests applied, all serving): ${install}s"
echo "memory (working set, metrics API):"
"${KC[@]}" top pods -n kube-system -l k8s-app=kube-router --no-headers | sed 's/^/  /'
"${KC[@]}" top pods -n kube-system -l k8s-app=metrics-server --no-headers | sed 's/^/  /'
"${KC[@]}" top pods -n kubelab-system --no-headers 2>/dev/null | sed 's/^/  /'
"${KC[@]}" top pods -A --no-headers | awk '$2 ~ /^(kube-router|metrics-server|traefik)/ && ($1=="kube-system" || $1=="kubelab-system") {
  m=$4; sub(/Mi/,"",m); t+=m} END {printf "add-ons total: %d MiB\n", t}'
echo "whole cluster (node containers):"
docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | awk -v c="${KUBELAB_CLUSTER:-kubelab}-" 'index($1, c) == 1' | sed 's/^/  /'
