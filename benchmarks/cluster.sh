#!/usr/bin/env bash
# Cluster figures: build time per stage, warm create time, memory the running cluster uses.
#   benchmarks/cluster.sh          warm: delete and recreate the cluster with the cache as it is
#   benchmarks/cluster.sh --cold   also rebuild everything in empty caches (Go build and module
#                                  caches included; tens of minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --cold ]; then
  tmp=$(mktemp -d /var/tmp/kubelab-cold.XXXX)
  export KUBELAB_CACHE=$tmp/cache GOCACHE=$tmp/go-build GOMODCACHE=$tmp/gomod
  docker image rm -f "$(. build/versions.env; echo "$NODE_IMAGE")" >/dev/null 2>&1 || true
  bash build/cluster.sh down >/dev/null 2>&1 || true
  s0=$(date +%s); bash build/cluster.sh up; cold=$(( $(date +%s) - s0 ))
fi
CACHE=${KUBELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab}
bash build/cluster.sh down >/dev/null
s0=$(date +%s); bash build/cluster.sh up 2>/dev/null; warm=$(( $(date +%s) - s0 ))
s0=$(date +%s); bash build/cluster.sh up 2>/dev/null; reuse=$(( $(date +%s) - s0 ))
sleep 30  # let the control plane settle before reading memory
mem=$(docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | awk '/^kubelab-/ {print}')

echo "== kubelab cluster benchmark ($(date -u +%F), $(nproc) cores)"
if [ -n "${cold:-}" ]; then
  echo "cold build + create: ${cold}s; per stage (seconds):"
  sed 's/^/  /' "$CACHE/logs/stage-times.txt"
fi
echo "warm create (cache full, cluster deleted first): ${warm}s"
echo "reuse (cluster already healthy): ${reuse}s"
[ -n "${cold:-}" ] && awk -v w="$warm" -v c="$cold" 'BEGIN {printf "warm create / cold build+create: %.3f\n", w / c}'
awk -v r="$reuse" -v w="$warm" 'BEGIN {printf "reuse / warm create: %.3f\n", r / w}'
echo "memory per node container:"; echo "$mem" | sed 's/^/  /'
echo "$mem" | awk '{v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[^0-9.]/,"",v); m=(u=="GiB")?v*1024:(u=="KiB")?v/1024:v; t+=m}
  END {printf "memory total: %.0f MiB\n", t}'
