#!/usr/bin/env bash
# Build the kind node image locally: Debian rootfs + our binaries + kind's base files (read from the
# pinned sigs.k8s.io/kind module) + every image kubeadm and kind's manifests name, preloaded and
# pinned in the node's containerd, so nothing is pulled when a cluster starts.
. "$(dirname "$0")/lib.sh"
bash "$BUILD_DIR/binaries.sh" node
eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
ROOTFS=$(bash "$BUILD_DIR/rootfs.sh")
self=$(cat "$0" "$BUILD_DIR"/node/* | sha256sum | cut -c1-16)
BASE_KEY=$(key node-base "$ROOTFS" "$K8S_BIN" "$RUNTIME_BIN" "$KIND_VERSION" "$self")
export NODE_BASE=kubelab/node-base:${BASE_KEY##*-}

base_context() {
  local ctx=$1 src f
  src=$(kind_src); f=$src/images/base/files
  mkdir -p "$ctx/files"
  cp -r "$f"/. "$ctx/files/"                 # entrypoint, systemd units, kubelet drop-ins, containerd config
  chmod -R u+w "$ctx/files"                   # the module cache is read-only
  mkdir -p "$ctx/files/usr/local/bin" "$ctx/files/usr/local/sbin" "$ctx/files/usr/bin" "$ctx/files/opt/cni/bin" \
    "$ctx/files/kind/manifests" "$ctx/files/etc/systemd/system/multi-user.target.wants"
  cp "$RUNTIME_BIN"/{containerd,containerd-shim-runc-v2,ctr,crictl} "$ctx/files/usr/local/bin/"
  cp "$RUNTIME_BIN/runc" "$ctx/files/usr/local/sbin/runc.real"
  cp "$BUILD_DIR/node/runc-wrapper.sh" "$ctx/files/usr/local/sbin/runc"  # privileged pods need it too
  cp "$RUNTIME_BIN"/cni/* "$ctx/files/opt/cni/bin/"
  cp "$K8S_BIN"/{kubelet,kubeadm,kubectl} "$ctx/files/usr/bin/"
  cp "$BUILD_DIR/node/kubelab-network.sh" "$ctx/files/usr/local/bin/kubelab-network"
  cp "$BUILD_DIR/node/kubelab-network.service" "$ctx/files/etc/systemd/system/"
  cp "$BUILD_DIR/node/containerd-caps.sh" "$ctx/files/usr/local/bin/kubelab-containerd-caps"
  mkdir -p "$ctx/files/etc/systemd/system/containerd.service.d"
  cp "$BUILD_DIR/node/containerd-kubelab.conf" "$ctx/files/etc/systemd/system/containerd.service.d/10-kubelab.conf"
  cp "$BUILD_DIR/node/default-cni.yaml" "$ctx/files/kind/manifests/default-cni.yaml"
  python3 "$BUILD_DIR/kindconst.py" "$src/pkg/build/nodeimage/const_storage.go" defaultStorageManifest \
    >"$ctx/files/kind/manifests/default-storage.yaml"
  echo -n "$K8S_VERSION" >"$ctx/files/kind/version"
  cp "$ROOTFS" "$ctx/rootfs.tar"
  # The same steps as kind's base image Dockerfile, on our rootfs.
  cat >"$ctx/Dockerfile" <<'DF'
FROM scratch
ADD rootfs.tar /
COPY files/ /
RUN chmod 0755 /usr/local/bin/* /usr/local/sbin/* /kind/bin/* /opt/cni/bin/* /usr/bin/kube* \
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
 && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
 && ln -sf /usr/lib/systemd/systemd /sbin/init \
 && systemctl enable kubelet.service containerd.service undo-mount-hacks.service kubelab-network.service \
 && systemctl mask systemd-binfmt.service \
 && mkdir -p /etc/kubernetes/manifests \
 && ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
DF
}

build_node_base() {
  base_context "$1/ctx"
  docker build -t "$NODE_BASE" "$1/ctx"
  rm -rf "$1/ctx"
}

# Import the image tarballs the way kind's own node-image build does: containerd in a build
# container, `ctr images import --no-unpack` with the pinned label, then commit.
build_node() {
  local images id
  images=$(bash "$BUILD_DIR/images.sh" cluster)
  id=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined "$NODE_BASE" infinity)
  BUILD_CTR=$id  # global: the EXIT trap runs after this function's locals are gone
  trap 'docker rm -f -v "$BUILD_CTR" >/dev/null 2>&1 || true' EXIT  # stages run in a subshell: this is its exit
  docker exec "$id" bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 &'
  docker exec "$id" bash -c 'for i in $(seq 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
  for t in "$images"/*.tar; do
    docker exec -i "$id" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
      --all-platforms --no-unpack --digests - <"$t"
  done
  docker exec "$id" ctr --namespace=k8s.io images list -q
  docker exec "$id" pkill containerd
  docker exec "$id" bash -c 'for i in $(seq 30); do pgrep containerd >/dev/null || exit 0; sleep 1; done'
  docker commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
    --change "LABEL io.kubelab.node-key=${1##*-}" "$id" "$NODE_IMAGE"
  docker image inspect -f '{{.Id}}' "$NODE_IMAGE" >"$1/image-id"
}

# The cache records a docker image: a docker without it (new data dir) must rebuild.
docker image inspect "$NODE_BASE" >/dev/null 2>&1 || rm -f "$BASE_KEY/.done"
stage node-base "$BASE_KEY" build_node_base
NODE_KEY=$(key node-image "$BASE_KEY" "$NODE_IMAGE")
if [ -f "$NODE_KEY/.done" ] && [ "$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE" 2>/dev/null)" != "$(cat "$NODE_KEY/image-id")" ]; then
  rm -f "$NODE_KEY/.done"
fi
stage node-image "$NODE_KEY" build_node
say "node image $NODE_IMAGE ready"
