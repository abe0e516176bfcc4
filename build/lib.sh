# Shared helpers for the build scripts: pins, cache layout, staged progress with logs.
# shellcheck shell=bash
set -euo pipefail
BUILD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BUILD_DIR")
# shellcheck source=versions.env
. "$BUILD_DIR/versions.env"
CACHE=${KUBELAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab}
LOGS=$CACHE/logs
mkdir -p "$CACHE" "$LOGS"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
T0=${KUBELAB_T0:-$(date +%s)}; export KUBELAB_T0=$T0

elapsed() { local s=$(( $(date +%s) - T0 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
say() { printf '[kubelab %s] %s\n' "$(elapsed)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# The kind module's source (kind's base image files, the storage manifest's image names). Only a stage that
# builds reads it: a cached build, and so `kubelab bundle export` on a built machine, runs without Go.
kind_src() { (cd /tmp && go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir); }

# key NAME PARTS...: a cache directory named by NAME and a hash of PARTS (pins and recipe files).
key() {
  local name=$1; shift
  printf '%s\n' "$@" | sha256sum | cut -c1-12 | sed "s|^|$CACHE/$name-|"
}

# pins_key: names what the pins and the recipes of the node image and of every image build (an air-gapped
# bundle is only for the pins and recipes it was made from: a changed recipe changes the node image).
pins_key() {
  (cd "$BUILD_DIR" && cat versions.env binaries.sh gowrap.py kindconst.py rootfs.sh node-image.sh node/* images.sh \
    addon-images.sh node-bundle.sh) | sha256sum | cut -c1-16
}

# An imported air-gapped bundle (build/bundle.sh) for these pins is used when Go or its module cache is absent
# (or KUBELAB_FROM_BUNDLE=1; =0 never): kind, kubectl, the add-ons' files and the bundle's node image (every
# image the cluster needs preloaded, build/node-bundle.sh) then come from $BUNDLE_DIR instead of being built.
BUNDLE_FORMAT=kubelab-bundle-3  # 3: the lab and add-on images inside the node image (2: loaded with kind load)
PINS=$(pins_key)
BUNDLE_DIR=$CACHE/bundle-3-$PINS
BUNDLE_NODE_IMAGE=kubelab/node-bundle:$PINS
from_bundle() {
  [ -f "$BUNDLE_DIR/.done" ] && [ "${KUBELAB_FROM_BUNDLE:-}" != 0 ] || return 1
  [ "${KUBELAB_FROM_BUNDLE:-}" = 1 ] || ! command -v go >/dev/null 2>&1 ||
    [ ! -d "$(go env GOMODCACHE)/sigs.k8s.io/kind@$KIND_VERSION" ]
}

# stage NAME DIR CMD...: run CMD (which fills DIR) unless DIR/.done exists; log to LOGS/NAME.log.
stage() {
  local name=$1 dir=$2; shift 2
  if [ -f "$dir/.done" ]; then say "$name: cached ($dir)"; return 0; fi
  local log=$LOGS/$name.log s0; s0=$(date +%s)
  say "$name: building (log: $log)"
  rm -rf "$dir"; mkdir -p "$dir"
  # Run in the background so errexit applies inside (it is off in an `if` condition), with a
  # heartbeat so a long compile still shows it is alive.
  # `go build -v` lists each package it compiles: the heartbeat counts them. No DWARF from the compiler (the
  # binaries are linked with -s -w) and a lazier GC in it: ~10% less time for the same binaries, so neither is
  # part of any key.
  ( GOFLAGS="$GOFLAGS -v -gcflags=all=-dwarf=false" GOGC=${GOGC:-400} "$@" "$dir" ) >"$log" 2>&1 &
  local job=$!
  ( while sleep "${KUBELAB_HEARTBEAT:-60}"; do say "$name: still running ($(progress_of "$log" "$job"))"; done ) >/dev/null &  # not holding a caller's $(…) open
  local hb=$!
  if ! wait "$job"; then
    kill "$hb" 2>/dev/null || true
    tail -n 25 "$log" >&2
    die "$name failed after $(( $(date +%s) - s0 ))s; full log: $log"
  fi
  kill "$hb" 2>/dev/null || true
  touch "$dir/.done"
  say "$name: done in $(( $(date +%s) - s0 ))s"
  echo "$name $(( $(date +%s) - s0 ))" >>"$LOGS/stage-times.txt"
}

# compiling PID: the packages Go compiles right now under process PID (the `-p` argument of each `compile`).
compiling() {
  ps -e -o pid=,ppid=,args= | awk -v root="$1" '
    { pid[NR]=$1; ppid[NR]=$2; line[NR]=$0 }
    END { keep[root]=1; do { grew=0; for (i=1; i<=NR; i++) if (keep[ppid[i]] && !keep[pid[i]]) { keep[pid[i]]=1; grew=1 } } while (grew)
          for (i=1; i<=NR; i++) if (keep[pid[i]] && line[i] ~ /\/compile /) {
            if (match(line[i], / -p [^ ]+/)) print substr(line[i], RSTART+4, RLENGTH-4)
            else if (match(line[i], / @[^ ]+/)) print substr(line[i], RSTART+1, RLENGTH-1) } }' |
    while read -r x; do   # a long command line goes in a response file (@file, one argument a line)
      case $x in @*) grep -A1 -x -e -p "${x#@}" 2>/dev/null | tail -n 1 ;; *) echo "$x" ;; esac
    done | sort -u | head -n 3 | paste -sd, -
}

# progress_of LOG PID: one line on a running stage. For Go builds: packages compiled so far and what compiles
# now (the last "go: downloading" line would stay on screen for minutes); otherwise the log's tail.
progress_of() {
  local log=$1 now n dl
  now=$(compiling "$2" 2>/dev/null || true)
  n=$(grep -cE '^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~+-]+)+$' "$log" 2>/dev/null || true)
  dl=$(grep -c '^go: downloading' "$log" 2>/dev/null || true)
  if [ -n "$now" ] || [ "${n:-0}" -gt 0 ]; then echo "${n:-0} Go packages compiled${now:+; compiling $now}"
  elif [ "${dl:-0}" -gt 0 ]; then echo "downloading Go modules: ${dl} so far"
  else tail -c 120 "$log" | tr '\n' ' ' | cut -c1-80; fi
}

# need_debs PKG...: install Debian packages that are missing (apt lists refreshed once if needed).
need_debs() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  apt_get install -y -qq "${missing[@]}" >>"$LOGS/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed; see $LOGS/apt.log"
}

# apt_get ARGS...: apt-get, retried once after `apt-get update` (a new machine may have no lists yet).
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get "$@" && return 0
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOGS/apt.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# prune_bundle_images: bundle node images of other pins (1.4 GB each) go, unless a cluster still runs on one.
prune_bundle_images() {
  docker images kubelab/node-bundle --format '{{.Repository}}:{{.Tag}}' | grep -vx "$BUNDLE_NODE_IMAGE" |
    xargs -r docker rmi >/dev/null 2>&1 || true
}
