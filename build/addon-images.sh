#!/usr/bin/env bash
# Images of the cluster add-ons (kube-router, metrics-server) from our binaries and Debian packages,
# tagged with the upstream names the add-on manifests use, saved as tarballs in the cache for
# `kind load`. Prints the directory holding the tarballs.
. "$(dirname "$0")/lib.sh"
bash "$BUILD_DIR/binaries.sh" cluster-addons
eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
ROOTFS=$(bash "$BUILD_DIR/rootfs.sh")

# image TAG CONTEXT: build CONTEXT (holding a Dockerfile) as TAG, save it to CONTEXT's name .tar.
image() {
  docker build -q -t "$1" "$2"
  docker save -o "$OUT/$(basename "$2").tar" "$1"
}

build_metrics_server() {
  local ctx=$WORK/metrics-server; mkdir -p "$ctx"
  cp "$METRICS_SERVER_BIN/metrics-server" "$ctx/metrics-server"
  printf 'FROM scratch\nCOPY metrics-server /metrics-server\nENTRYPOINT ["/metrics-server"]\n' >"$ctx/Dockerfile"
  image "registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION" "$ctx"
}

# kube-router drives iptables (the nft backend, like the node's own iptables) and ipset: Debian's
# binaries and every library they load, copied out of the node rootfs with Debian's ipset added.
build_kube_router() {
  local ctx=$WORK/kube-router d=$CACHE/debs/$DEBIAN_SUITE p
  mkdir -p "$ctx/debs" "$d"
  for p in ipset libipset13; do
    ls "$d/${p}"_*.deb >/dev/null 2>&1 || (cd "$d" && apt_get download "$p")
    cp "$d/${p}"_*.deb "$ctx/debs/"
  done
  cp "$KUBE_ROUTER_BIN/kube-router" "$ctx/kube-router"
  cp "$ROOTFS" "$ctx/rootfs.tar"
  cat >"$ctx/Dockerfile" <<'DF'
FROM scratch AS deps
ADD rootfs.tar /
COPY debs/ /tmp/debs/
RUN set -e; dpkg -i /tmp/debs/*.deb; mkdir -p /out/tmp /out/run /out/var/lib; \
    x=/usr/lib/x86_64-linux-gnu/xtables; \
    for b in /usr/sbin/xtables-nft-multi /usr/sbin/ipset "$x"/*.so; do \
      cp --parents "$b" /out; for l in $(ldd "$b" | grep -o '/[^ ]*'); do cp --parents -L "$l" /out; done; done; \
    for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do \
      ln -sf xtables-nft-multi /out/usr/sbin/$n; done
FROM scratch
COPY --from=deps /out/ /
COPY kube-router /usr/local/bin/kube-router
ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/usr/local/bin/kube-router"]
DF
  image "docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_VERSION" "$ctx"
}

build_addon_images() {
  OUT=$1; WORK=$1/ctx
  build_metrics_server
  build_kube_router
  rm -rf "$WORK"
}

dir=$(key images-addons "$KUBE_ROUTER_BIN" "$METRICS_SERVER_BIN" "$ROOTFS" "$(sha256sum <"$0")")
stage images-addons "$dir" build_addon_images
echo "$dir"
