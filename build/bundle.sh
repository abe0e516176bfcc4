#!/usr/bin/env bash
# Air-gapped bundle: everything `cluster.sh up` needs, for a machine with Docker but no network and no Go.
#   bundle.sh export [FILE]   the bundle's node image (build/node-bundle.sh: the node image with every lab and
#                             add-on image already in containerd's store), the Gateway API CRDs and
#                             metrics-server's base (addons.sh --export), kind and kubectl, the pins and a
#                             SHA-256 manifest, in one tar
#                             (default FILE: $CACHE/bundles/kubelab-bundle-N-<pins>.tar, where .ci/run looks)
#   bundle.sh import FILE     check it completely (pins, checksums) before installing anything, then
#                             `docker load` the node image, keep the rest in $CACHE/bundle-3-<pins>/ and bring
#                             the cluster up from it (cluster.sh uses the bundle when Go or its caches are absent)
#   bundle.sh cached          print the cached bundle for the current pins, if there is one
. "$(dirname "$0")/lib.sh"
FORMAT=$BUNDLE_FORMAT
CACHED=$CACHE/bundles/$FORMAT-$PINS.tar  # the format in the name: .ci/run never picks an older one

mib() { echo "$(( ($(stat -c %s "$1") + 524288) / 1048576 )) MiB"; }

export_bundle() {
  local file=${1:-$CACHED} s0 node; s0=$(date +%s)
  TMP=$(mktemp -d "$CACHE/bundle-export.XXXXXX"); local stage=$TMP
  trap 'rm -rf "$TMP"' EXIT
  mkdir -p "$stage/bin"
  if from_bundle; then  # exporting again what was imported here: no Go needed
    say "bundle: from the imported bundle $BUNDLE_DIR"
    cp "$BUNDLE_DIR/images.txt" "$BUNDLE_DIR/node-image-id" "$stage/"
    cp "$BUNDLE_DIR/bin/kind" "$BUNDLE_DIR/bin/kubectl" "$stage/bin/"
  else
    eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
    docker image inspect "$NODE_IMAGE" >/dev/null 2>&1 || die "node image $NODE_IMAGE not in Docker: run make cluster first"
    [ -x "$K8S_BIN/kubectl" ] || die "kubectl not built ($K8S_BIN): run make cluster first"
    bash "$BUILD_DIR/binaries.sh" kind
    say "bundle: node image with the lab and add-on images preloaded"
    node=$(bash "$BUILD_DIR/node-bundle.sh") || exit 1
    cp "$node/images.txt" "$stage/images.txt"; cp "$node/image-id" "$stage/node-image-id"
    cp "$KIND_BIN/kind" "$K8S_BIN/kubectl" "$stage/bin/"
  fi
  [ "$(docker image inspect -f '{{.Id}}' "$BUNDLE_NODE_IMAGE" 2>/dev/null)" = "$(cat "$stage/node-image-id")" ] ||
    die "node image $BUNDLE_NODE_IMAGE is not in Docker (or not the one recorded): run make cluster, then export again"
  say "bundle: saving node image $BUNDLE_NODE_IMAGE"
  docker save -o "$stage/node-image.tar" "$BUNDLE_NODE_IMAGE"
  say "bundle: add-ons (Gateway API CRDs, metrics-server base)"
  bash "$BUILD_DIR/addons.sh" --export "$stage/addons"
  cp "$BUILD_DIR/versions.env" "$stage/versions.env"
  echo "$FORMAT $PINS" >"$stage/PINS"
  (cd "$stage" && find . -type f ! -name MANIFEST -printf '%P\n' | sort | xargs sha256sum >MANIFEST)
  mkdir -p "$(dirname "$file")"
  tar -cf "$file.part" -C "$stage" . && mv "$file.part" "$file"
  say "bundle written in $(( $(date +%s) - s0 ))s: $file ($(mib "$file"); node image $(mib "$stage/node-image.tar"), pins $PINS)"
}

# check DIR FILE NODE_SUM: the extracted bundle (all but the node image, whose checksum is NODE_SUM) is
# complete, intact and for these pins (nothing installed yet).
check() {
  local d=$1 got
  [ -f "$d/PINS" ] && [ -f "$d/MANIFEST" ] || die "$2: not a kubelab bundle (no PINS/MANIFEST); nothing installed"
  got=$(cat "$d/PINS")
  [ "$got" = "$FORMAT $PINS" ] || die "$2: bundle is for other pins ($got; this checkout: $FORMAT $PINS): export it from a checkout with the same build/versions.env and build recipes; nothing installed"
  local bad; bad=$(cd "$d" && { grep -v ' node-image.tar$' MANIFEST | sha256sum -c --quiet - 2>&1 || true; } | head -n 3 | tr '\n' ' ')
  [ -z "$bad" ] || die "$2: corrupted bundle (checksum mismatch: $bad); nothing installed"
  local want; want=$(awk '$2 == "node-image.tar" {print $1}' "$d/MANIFEST")
  [ -z "$want" ] || [ "$3" = "$want" ] || die "$2: corrupted bundle (checksum mismatch: node-image.tar); nothing installed"
  local f; for f in node-image.tar node-image-id images.txt bin/kind bin/kubectl; do
    grep -q " $f\$" "$d/MANIFEST" || die "$2: bundle lacks $f; nothing installed"
  done
  for f in addons/gateway-api-crds/ addons/metrics-server-base/; do
    grep -q " $f" "$d/MANIFEST" || die "$2: bundle lacks $f (the cluster add-ons); nothing installed"
  done
  local extra; extra=$(cd "$d" && find . -type f ! -name MANIFEST -printf '%P\n' | sort | comm -23 - <(awk '{print $2}' MANIFEST | sort) | tr '\n' ' ')
  [ -z "$extra" ] || die "$2: bundle holds files outside its manifest ($extra); nothing installed"
}

# sha256_of: the SHA-256 of stdin (Python's hashlib uses the CPU's SHA instructions: 5x less CPU than
# sha256sum on the 1.4 GB node image).
sha256_of() {
  python3 -c 'import hashlib, sys
h = hashlib.sha256()
while b := sys.stdin.buffer.read(1 << 20):
    h.update(b)
print(h.hexdigest())'
}

import_bundle() {
  local file=${1:?usage: bundle.sh import FILE} s0 t; s0=$(date +%s)
  [ -f "$file" ] || die "$file: no such file"
  TMP=$(mktemp -d "$CACHE/bundle-import.XXXXXX"); local tmp=$TMP
  trap 'rm -rf "$TMP"' EXIT
  say "bundle: unpacking and checking $file ($(mib "$file"))"
  # The node image (most of the bundle) is never written out: checked, then loaded, straight from the file.
  tar -xf "$file" -C "$tmp" --exclude=node-image.tar 2>"$LOGS/bundle.log" ||
    die "$file: corrupted bundle (tar: $(head -n 1 "$LOGS/bundle.log" | sed "s/^tar: //")); nothing installed"
  local node_sum; node_sum=$(tar -xOf "$file" ./node-image.tar 2>>"$LOGS/bundle.log" | sha256_of) || node_sum=absent
  check "$tmp" "$file" "$node_sum"
  say "bundle: checked in $(( $(date +%s) - s0 ))s"
  bash "$BUILD_DIR/docker.sh"
  t=$(date +%s)
  if [ "$(docker image inspect -f '{{.Id}}' "$BUNDLE_NODE_IMAGE" 2>/dev/null)" = "$(cat "$tmp/node-image-id")" ]; then
    # An image ID is the digest of its config, which names every layer's digest: the same image.
    say "bundle: node image $BUNDLE_NODE_IMAGE already in Docker (the same ID): not loaded again"
  else
    say "bundle: loading node image $BUNDLE_NODE_IMAGE into Docker"
    tar -xOf "$file" ./node-image.tar | docker load >>"$LOGS/bundle.log" 2>&1 || die "docker load failed; see $LOGS/bundle.log"
    [ "$(docker image inspect -f '{{.Id}}' "$BUNDLE_NODE_IMAGE" 2>/dev/null)" = "$(cat "$tmp/node-image-id")" ] ||
      die "$file: docker load did not give $BUNDLE_NODE_IMAGE as $(cat "$tmp/node-image-id"); see $LOGS/bundle.log"
    say "bundle: node image loaded in $(( $(date +%s) - t ))s"
  fi
  prune_bundle_images
  local dest=$BUNDLE_DIR
  rm -rf "$dest" && mv "$tmp" "$dest"
  touch "$dest/.done"
  trap - EXIT
  say "bundle: installed in $dest in $(( $(date +%s) - s0 ))s; bringing the cluster up from it"
  KUBELAB_FROM_BUNDLE=1 bash "$BUILD_DIR/cluster.sh" up
  say "bundle: import to ready cluster in $(( $(date +%s) - s0 ))s ($(mib "$file"))"
}

case "${1:-}" in
  export) export_bundle "${2:-}" ;;
  import) import_bundle "${2:-}" ;;
  cached) [ -f "$CACHED" ] && echo "$CACHED" ;;
  *) die "usage: bundle.sh export [FILE] | import FILE | cached" ;;
esac
