#!/usr/bin/env bash
# Container images built from our binaries and Debian packages, tagged with the exact upstream names
# that kubeadm, kind's manifests and the labs reference. Saved as tarballs in the cache.
#   images.sh cluster   control-plane and add-on images (preloaded into the node image)
#   images.sh labs      agnhost, busybox, traefik (loaded into the cluster with `kind load`)
# Prints the directory holding the tarballs.
. "$(dirname "$0")/lib.sh"
eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
NODE_BASE=${NODE_BASE:-}   # set by node-image.sh: the node rootfs image, source of nft and its libraries

# image TAG... -- CONTEXT: build CONTEXT (holding a Dockerfile) as every TAG, save them to one tarball.
image() {
  local tags=() ctx
  while [ "$1" != "--" ]; do tags+=("$1"); shift; done; ctx=$2
  local args=(); for t in "${tags[@]}"; do args+=(-t "$t"); done
  docker build -q "${args[@]}" "$ctx"
  docker save -o "$OUT/$(basename "$ctx").tar" "${tags[@]}"
}

# simple NAME SRC_BINARY PATH_IN_IMAGE TAG...: FROM scratch + one static binary as the entrypoint.
simple() {
  local name=$1 bin=$2 path=$3; shift 3
  local ctx=$WORK/$name; mkdir -p "$ctx"; cp "$bin" "$ctx/bin"
  cat >"$ctx/Dockerfile" <<DF
FROM scratch
COPY bin $path
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENTRYPOINT ["$path"]
DF
  image "$@" -- "$ctx"
}

# busybox_root DIR: Debian's busybox-static with its applets linked, a minimal /etc.
busybox_root() {
  local d=$1 deb=$CACHE/debs/busybox-static.deb
  if [ ! -f "$deb" ]; then
    mkdir -p "$CACHE/debs"
    (cd "$CACHE/debs" && apt_get download busybox-static >/dev/null && mv busybox-static_*.deb busybox-static.deb)
  fi
  mkdir -p "$d/x" "$d/root/bin" "$d/root/etc" "$d/root/tmp"
  dpkg-deb -x "$deb" "$d/x"
  cp "$d/x/bin/busybox" "$d/root/bin/busybox"
  for a in $("$d/root/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$d/root/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$d/root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$d/root/etc/group"
  rm -rf "$d/x"
}

# nft_roundtrip IMAGE: the image's own nft, in a network namespace of its own, must read a
# kube-proxy map element back exactly as kube-proxy writes it; kube-proxy's full resync relies on it.
nft_roundtrip() {
  local out want='{"concat": ["10.0.0.1", "tcp", 80]}'
  out=$(printf '%s\n' 'add table ip t' \
    'add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict ; }' \
    'add element ip t m { 10.0.0.1 . tcp . 80 : drop }' 'list map ip t m' |
    docker run --rm -i --network none --cap-add NET_ADMIN --entrypoint nft "$1" -j -i) ||
    die "nft in $1 does not run: $out"
  [[ "$out" == *"$want"* ]] || die "nft in $1 lists a map element as ${out#*\"elem\": } instead of $want"
  echo "nft round trip in $1: ok"
}

build_cluster_images() {
  OUT=$1; WORK=$1/ctx
  local v=$K8S_VERSION reg=registry.k8s.io
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    simple "$c" "$K8S_BIN/$c" "/usr/local/bin/$c" "$reg/$c:$v"
  done
  simple etcd "$ADDONS_BIN/etcd" /usr/local/bin/etcd "$reg/etcd:$ETCD_IMAGE_TAG"
  simple coredns "$ADDONS_BIN/coredns" /coredns "$reg/coredns/coredns:$COREDNS_VERSION"
  # kubeadm names pause:$PAUSE_VERSION, kind's containerd config names pause:3.10: one image, both tags.
  simple pause "$K8S_BIN/pause" /pause "$reg/pause:$PAUSE_VERSION" "$reg/pause:3.10"
  local kc; kc=$(kind_src)/pkg/build/nodeimage/const_storage.go
  simple local-path-provisioner "$ADDONS_BIN/local-path-provisioner" /usr/local/bin/local-path-provisioner \
    "$(python3 "$BUILD_DIR/kindconst.py" "$kc" storageProvisionerImage)"
  # The helper pod runs `sh -c "mkdir …"`/`rm -rf …`: busybox is all it needs.
  local ctx=$WORK/local-path-helper; busybox_root "$ctx"
  printf 'FROM scratch\nCOPY root/ /\nENV PATH=/bin\n' >"$ctx/Dockerfile"
  image "$(python3 "$BUILD_DIR/kindconst.py" "$kc" storageHelperImage)" -- "$ctx"
  # kube-proxy (nftables mode) needs `nft` and its libraries: copied out of the node rootfs. And
  # /etc/protocols: without it `nft --json list map` prints protocols as numbers (6, not "tcp"), so
  # on every full resync (hourly, or at a restart) kube-proxy reads back keys it does not recognise,
  # deletes them as leftovers in the same transaction that re-adds them, and the service-ips map is
  # left empty (docs/service-routing.md).
  ctx=$WORK/kube-proxy; mkdir -p "$ctx"; cp "$K8S_BIN/kube-proxy" "$ctx/kube-proxy"
  cat >"$ctx/Dockerfile" <<DF
FROM $NODE_BASE AS deps
RUN set -e; mkdir -p /out/tmp /out/etc; cp /etc/protocols /etc/services /out/etc/; \
    for b in /usr/sbin/nft /usr/sbin/conntrack; do \
      cp --parents "\$b" /out; for l in \$(ldd "\$b" | grep -o '/[^ ]*'); do cp --parents -L "\$l" /out; done; done
FROM scratch
COPY --from=deps /out/ /
COPY kube-proxy /usr/local/bin/kube-proxy
ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/usr/local/bin/kube-proxy"]
DF
  image "$reg/kube-proxy:$v" -- "$ctx"
  nft_roundtrip "$reg/kube-proxy:$v"
  rm -rf "$WORK"
}

build_lab_images() {
  OUT=$1; WORK=$1/ctx
  local ctx=$WORK/busybox; busybox_root "$ctx"
  printf 'FROM scratch\nCOPY root/ /\nENV PATH=/bin\nCMD ["sh"]\n' >"$ctx/Dockerfile"
  image "docker.io/library/busybox:$BUSYBOX_IMAGE_TAG" -- "$ctx"
  # agnhost with a busybox userland: its /shell endpoint and learners' `kubectl exec` need a shell.
  ctx=$WORK/agnhost; busybox_root "$ctx"; cp "$K8S_BIN/agnhost" "$ctx/root/agnhost"
  printf 'FROM scratch\nCOPY root/ /\nENV PATH=/bin\nENTRYPOINT ["/agnhost"]\n' >"$ctx/Dockerfile"
  image "registry.k8s.io/e2e-test-images/agnhost:$AGNHOST_VERSION" -- "$ctx"
  simple traefik "$TRAEFIK_BIN/traefik" /usr/local/bin/traefik "docker.io/library/traefik:$TRAEFIK_VERSION"
  rm -rf "$WORK"
}

self=$(sha256sum "$0" | cut -c1-16)
case "${1:-}" in
  cluster)
    [ -n "$NODE_BASE" ] || die "images.sh cluster needs NODE_BASE (run through node-image.sh)"
    dir=$(key images-cluster "$K8S_BIN" "$ADDONS_BIN" "$NODE_BASE" "$self")
    stage images-cluster "$dir" build_cluster_images ;;
  labs)
    bash "$BUILD_DIR/binaries.sh" traefik
    dir=$(key images-labs "$K8S_BIN" "$TRAEFIK_BIN" "$BUSYBOX_IMAGE_TAG" "$self")
    stage images-labs "$dir" build_lab_images ;;
  *) die "usage: images.sh cluster|labs" ;;
esac
echo "$dir"
