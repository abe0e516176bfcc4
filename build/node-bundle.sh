#!/usr/bin/env bash
# The air-gapped bundle's node image ($BUNDLE_NODE_IMAGE): the node image (node-image.sh) with every image
# `cluster.sh up` otherwise streams in with `kind load` (the labs' and the add-ons') already imported and
# pinned in the node's containerd, the way node-image.sh preloads the control-plane images. A cluster made
# from it has them on every node from the start: a bundle import skips the loads (3 minutes here under load).
# The image is flattened into one layer (docker export | docker import): the node image's layers hold its
# binaries twice (COPY, then a RUN chmod), and one layer is also one extraction for `docker load`.
# Prints the stage directory: image-id (the image's ID) and images.txt ("ID NAME..." for each preloaded image).
. "$(dirname "$0")/lib.sh"
bash "$BUILD_DIR/node-image.sh" >&2
DIRS="$(bash "$BUILD_DIR/images.sh" labs) $(bash "$BUILD_DIR/addon-images.sh")"
NODE_ID=$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")

# archive_images TAR: "ID NAME..." of the image a `docker save` archive holds (ID: its config's digest,
# what crictl lists on a node).
archive_images() {
  tar -xOf "$1" manifest.json | python3 -c 'import json,sys
for m in json.load(sys.stdin):
    print("sha256:" + m["Config"].rsplit("/", 1)[-1].removesuffix(".json"), *(m.get("RepoTags") or []))'
}

build_bundle_node() {
  local id t dir
  id=$(docker run -d --entrypoint=sleep --security-opt seccomp=unconfined "$NODE_IMAGE" infinity)
  BUILD_CTR=$id  # global: the EXIT trap runs after this function's locals are gone
  trap 'docker rm -f -v "$BUILD_CTR" >/dev/null 2>&1 || true' EXIT
  docker exec "$id" bash -c 'nohup containerd >/var/log/containerd-bundle.log 2>&1 &'
  docker exec "$id" bash -c 'for i in $(seq 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
  for dir in $DIRS; do for t in "$dir"/*.tar; do
    docker exec -i "$id" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
      --all-platforms --no-unpack --digests - <"$t"
    archive_images "$t" >>"$1/images.txt"
  done; done
  docker exec "$id" ctr --namespace=k8s.io images list -q
  docker exec "$id" pkill containerd
  # Gone or a zombie (PID 1 here, sleep, reaps nothing): its store is on disk.
  docker exec "$id" bash -c 'for i in $(seq 30); do ps -C containerd -o stat= | grep -qv Z || exit 0; sleep 1; done; exit 1'
  docker exec "$id" rm -f /var/log/containerd-bundle.log
  local flat=kubelab/node-bundle-flat:${1##*-}
  docker export "$id" | docker import - "$flat"
  # The node image's config, which docker import does not carry over (a Dockerfile of config only: no layer).
  { echo "FROM $flat"
    docker image inspect -f '{{range .Config.Env}}ENV {{println .}}{{end}}' "$NODE_IMAGE" | grep .
    echo 'STOPSIGNAL SIGRTMIN+3'
    echo 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]'
    echo "LABEL io.kubelab.bundle-key=${1##*-}"
  } | docker build -q -t "$BUNDLE_NODE_IMAGE" -
  docker rmi "$flat" >/dev/null
  docker image inspect -f '{{.Id}}' "$BUNDLE_NODE_IMAGE" >"$1/image-id"
}

DIR=$(key node-bundle "$NODE_ID" $DIRS "$BUNDLE_NODE_IMAGE" "$(sha256sum <"$0")")
# The cache records a docker image: a docker without it (or with another under that name) must rebuild.
if [ -f "$DIR/.done" ] && [ "$(docker image inspect -f '{{.Id}}' "$BUNDLE_NODE_IMAGE" 2>/dev/null)" != "$(cat "$DIR/image-id")" ]; then
  rm -f "$DIR/.done"
fi
stage node-bundle "$DIR" build_bundle_node
prune_bundle_images
echo "$DIR"
