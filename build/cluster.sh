#!/usr/bin/env bash
# kubelab's kind cluster: up (create or reuse), down, status.
. "$(dirname "$0")/lib.sh"
# KUBELAB_CLUSTER names a second cluster beside the default one (its own kubeconfig file);
# KUBELAB_KIND_CONFIG gives it another kind config (e.g. kind-plain.yaml: one node, no host ports).
NAME=${KUBELAB_CLUSTER:-kubelab}
CONFIG_DIR=$REPO_DIR/manifests/cluster
KIND_CONFIG=${KUBELAB_KIND_CONFIG:-$CONFIG_DIR/kind.yaml}
if [ "$NAME" = kubelab ]; then KUBECONFIG_OUT=$CACHE/kubeconfig; else KUBECONFIG_OUT=$CACHE/kubeconfig-$NAME; fi
# kind create/delete merge into $KUBECONFIG and switch its current context: never into a file other runs read
# (make test exports the shared cluster's; the fault suite's cluster once became its current context, and the
# delete then left it with none). The default cluster merges into ~/.kube/config, as kind does for everyone;
# a second cluster into its own file only.
if [ "$NAME" = kubelab ]; then export KUBECONFIG=$HOME/.kube/config; else export KUBECONFIG=$KUBECONFIG_OUT; fi

kind_bin() {
  if from_bundle; then echo "$BUNDLE_DIR/bin/kind"; return; fi
  eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
  [ -f "$KIND_BIN/.done" ] || command -v go >/dev/null ||
    die "kind is not built here and Go is absent: bring the cluster up from a bundle (kubelab bundle import FILE)"
  bash "$BUILD_DIR/binaries.sh" kind; echo "$KIND_BIN/kind"
}

healthy() {
  # not grep -q: it would stop reading, kind would die of SIGPIPE and pipefail would call a healthy cluster absent
  "$KIND" get clusters 2>/dev/null | grep -x "$NAME" >/dev/null || return 1
  for n in $("$KIND" get nodes --name "$NAME" 2>/dev/null); do
    [ "$(docker inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" = true ] || return 1
  done
  # Up to 3 minutes: `up` recreates an unhealthy cluster (every learner's namespace lost), and right after Docker
  # restarted the nodes the API server takes a minute or more to answer; on a loaded machine one call can time out.
  local t0; t0=$(date +%s)
  while :; do
    docker exec "$NAME-control-plane" kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /readyz \
      --request-timeout=10s >/dev/null 2>&1 && return 0
    [ $(( $(date +%s) - t0 )) -lt 180 ] || return 1
    [ $(( $(date +%s) - t0 )) -lt 15 ] || say "waiting for the API server of $NAME ($(( $(date +%s) - t0 ))s)"
    sleep 5
  done
}

# On a cgroup v1 host a container process can stay FROZEN (runc freezes a container while it changes its device
# rules; a node stopped at that moment keeps it so): the frozen process never exits, so its node container cannot
# be killed and `kind delete` fails. Thaw every frozen cgroup under this cluster's nodes first.
thaw_nodes() {
  local n id
  [ -d /sys/fs/cgroup/freezer ] || return 0
  for n in $("$KIND" get nodes --name "$NAME" 2>/dev/null); do
    id=$(docker inspect -f '{{.Id}}' "$n" 2>/dev/null) || continue
    { grep -rlxE "FROZEN|FREEZING" --include=freezer.state "/sys/fs/cgroup/freezer/docker/$id" 2>/dev/null || true; } |
      while read -r f; do echo THAWED >"$f" && say "thawed a frozen process group in node $n"; done
  done
  return 0
}

delete_cluster() {
  thaw_nodes
  "$KIND" delete cluster --name "$NAME" >>"$LOGS/kind.log" 2>&1 && return 0
  tail -n 5 "$LOGS/kind.log" >&2
  die "kind delete cluster --name $NAME failed (log: $LOGS/kind.log); if a node container will not die, restart Docker (systemctl restart docker, or kill dockerd and run make cluster again)"
}

# The node image: present locally, else pulled, else built here from modules and Debian packages.
node_image() {
  local label
  if from_bundle; then
    NODE_IMAGE=$BUNDLE_NODE_IMAGE
    [ "$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE" 2>/dev/null)" = "$(cat "$BUNDLE_DIR/node-image-id")" ] ||
      die "node image $NODE_IMAGE missing (or not the bundle's): import the bundle again (kubelab bundle import FILE)"
    say "node image $NODE_IMAGE (from the bundle, every lab and add-on image preloaded)"; return
  fi
  if label=$(docker image inspect -f '{{index .Config.Labels "io.kubelab.node-key"}}' "$NODE_IMAGE" 2>/dev/null); then
    # One we built: bring it up to date with the pins (a cache hit when nothing changed).
    if [ -n "$label" ]; then bash "$BUILD_DIR/node-image.sh"; else say "node image $NODE_IMAGE present"; fi
    return
  fi
  say "trying to pull $NODE_IMAGE (60s at most)"
  if timeout 60 docker pull -q "$NODE_IMAGE" >/dev/null 2>&1; then say "pulled $NODE_IMAGE"; return; fi
  say "no registry reachable: building $NODE_IMAGE locally (a cold build takes tens of minutes)"
  bash "$BUILD_DIR/node-image.sh"
}

render_config() {
  local out=$CACHE/kind-config-$NAME.yaml
  cat "$KIND_CONFIG" >"$out"
  if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
    say "host is on cgroup v1: kubelet gets failCgroupV1: false, kubelet and runc the cgroupfs driver"
    cat "$CONFIG_DIR/cgroup-v1.yaml" >>"$out"
  fi
  echo "$out"
}

# kind_steps: kind's output into its log, each step it completes ("✓ Joining worker nodes") also as a progress line.
kind_steps() {
  local l
  while IFS= read -r l || [ -n "$l" ]; do
    echo "$l" >>"$LOGS/kind.log"
    case $l in *"✓ "*) say "kind: ${l#*✓ }" ;; esac
  done
}

# made_from: the key (hash) of the kind config the running cluster was created from; `up` recreates a cluster
# whose config changed since (e.g. the cgroup driver), or that predates the key.
made_from() { docker exec "$NAME-control-plane" cat /kind/kubelab-config-key 2>/dev/null || true; }

KC="kubectl --kubeconfig /etc/kubernetes/admin.conf"
kc() { docker exec "$NAME-control-plane" $KC "$@"; }

# routing_broken: prints the nodes from which a ClusterIP does not reach its Service (the API server's
# /readyz must say "ok", CoreDNS's metrics port on the DNS Service must name CoreDNS), i.e. where
# kube-proxy's rules are missing or stale; a node's own traffic to a ClusterIP goes through the same
# kube-proxy rules as its pods'. The answer's content is checked: where the host's network answers any
# address (a proxy), a mere connection proves nothing. Each probe is bounded (3s).
routing_broken() {
  local kip dip n
  kip=$(kc get svc kubernetes -o jsonpath='{.spec.clusterIP}' 2>/dev/null) &&
    dip=$(kc -n kube-system get svc kube-dns -o jsonpath='{.spec.clusterIP}' 2>/dev/null) ||
    { echo "(API unreachable)"; return; }
  # Broken only when a second try fails too: on a loaded machine one slow answer is not a broken node, and
  # `up` restarts kube-proxy (or recreates the cluster) for a broken one.
  local probe="for t in 1 2; do [ \"\$(curl -sk -m 5 https://$kip/readyz)\" = ok ] &&
    curl -s -m 5 http://$dip:9153/metrics | grep -q '^coredns_build_info' && exit 0; sleep 1; done; exit 1"
  for n in $("$KIND" get nodes --name "$NAME" 2>/dev/null); do
    docker exec "$n" bash -c "$probe" >/dev/null 2>&1 || echo "$n" &
  done | sort | tr '\n' ' ' | sed 's/ $//'
}

# repair_routing NODES: restart kube-proxy on those nodes and wait (60s at most) for their routing.
repair_routing() {
  local n bad
  say "Service routing broken on node(s) $1 (ClusterIPs get no answer): restarting kube-proxy there"
  for n in $1; do kc -n kube-system delete pod -l k8s-app=kube-proxy --field-selector "spec.nodeName=$n" >/dev/null 2>&1 || true; done
  kc -n kube-system rollout status ds/kube-proxy --timeout=60s >/dev/null 2>&1 || true
  for _ in $(seq 30); do
    bad=$(routing_broken); [ -z "$bad" ] && { say "Service routing repaired"; return 0; }
    sleep 2
  done
  say "Service routing still broken on node(s) $bad after restarting kube-proxy"
  return 1
}

wait_ready() {
  for _ in $(seq 180); do
    if kc wait --for=condition=Ready nodes --all --timeout=1s >/dev/null 2>&1 &&
       kc -n kube-system rollout status deploy/coredns --timeout=1s >/dev/null 2>&1 &&
       [ -z "$(routing_broken)" ]; then
      return 0
    fi
    sleep 2
  done
  kc get nodes,pods -A -o wide >&2 || true
  die "nodes, CoreDNS or Service routing not ready after 6 minutes (broken on: $(routing_broken)); see above, and 'kind export logs --name $NAME'"
}

# The directories whose image archives `up` loads into the cluster (a bundle's node image holds them already).
image_dirs() {
  if from_bundle; then return 0; fi
  bash "$BUILD_DIR/images.sh" labs
  bash "$BUILD_DIR/addons.sh" --images-dir
}

# archive_id TAR: the image ID a `docker save` archive holds (its config's digest).
archive_id() {
  tar -xOf "$1" manifest.json 2>/dev/null | python3 -c \
    'import json,sys; c=json.load(sys.stdin)[0]["Config"]; print("sha256:"+c.rsplit("/",1)[-1].removesuffix(".json"))' 2>/dev/null
}

# images_on_nodes: the image IDs every node of the cluster already has (one per line).
images_on_nodes() {
  local n nodes; nodes=$("$KIND" get nodes --name "$NAME" 2>/dev/null)
  for n in $nodes; do docker exec "$n" crictl images -q --no-trunc 2>/dev/null | sort -u; done |
    sort | uniq -c | awk -v k="$(echo "$nodes" | wc -w)" '$1 == k {print $2}'
}

# preloaded HAVE: every image the bundle's node image preloads (its images.txt) is on every node (HAVE: their IDs).
preloaded() {
  local id names missing=""
  while read -r id names; do grep -qx "$id" <<<"$1" || missing="$missing $names"; done <"$BUNDLE_DIR/images.txt"
  # A reused cluster made before this bundle lacks them, and the bundle has no archives to load: recreate it.
  [ -z "$missing" ] || die "images missing on the nodes of $NAME:$missing (the bundle's node image holds them: was the cluster made from another image?); delete the cluster (kubelab cluster down) and import the bundle again"
  say "images: all $(wc -l <"$BUNDLE_DIR/images.txt") lab and add-on images preloaded on every node (no kind load)"
}

# load_images: every image archive the cluster needs (the labs' and the add-ons'), all at once: each
# `kind load` streams one archive into every node's containerd and mostly waits on I/O.
load_images() {
  local dir t have id jobs=() j log=$LOGS/kind-load.log
  have=$(images_on_nodes)
  if from_bundle; then preloaded "$have"; return; fi
  for dir in $(image_dirs); do for t in "$dir"/*.tar; do
    # a reused cluster already holds most of them: loading again costs minutes and changes nothing
    id=$(archive_id "$t")
    if [ -n "$id" ] && grep -qx "$id" <<<"$have"; then say "$(basename "$t" .tar): already on every node"; continue; fi
    "$KIND" load image-archive --name "$NAME" "$t" >>"$log" 2>&1 & jobs+=("$!:$t")
  done; done
  [ ${#jobs[@]} -gt 0 ] || return 0
  say "loading ${#jobs[@]} image(s) into the cluster: $(for j in "${jobs[@]}"; do basename "${j#*:}" .tar; done | paste -sd' ')"
  for j in "${jobs[@]}"; do wait "${j%%:*}" || die "kind load of ${j#*:} failed; see $log"; done
  say "images loaded"
}

publish() {
  "$KIND" get kubeconfig --name "$NAME" >"$KUBECONFIG_OUT"
  eval "$(bash "$BUILD_DIR/binaries.sh" paths)"
  if from_bundle; then K8S_BIN=$BUNDLE_DIR/bin; fi
  # Learners type kubectl: offer the one matching the cluster, unless someone else's is there.
  local link=/usr/local/bin/kubectl
  if [ -x "$K8S_BIN/kubectl" ] && [ -w /usr/local/bin ] &&
     { [ ! -e "$link" ] || [[ "$(readlink "$link")" == "$CACHE"/* ]]; }; then
    ln -sfn "$K8S_BIN/kubectl" "$link"
  fi
  say "cluster $NAME ready; kubeconfig: $KUBECONFIG_OUT (also merged into ~/.kube/config as context kind-$NAME)"
}

# start_stopped: node containers that stopped (a node restart that did not come back, a crash, dockerd
# restarted) are started again and waited for (3 minutes at most): a repair instead of a new cluster.
start_stopped() {
  "$KIND" get clusters 2>/dev/null | grep -x "$NAME" >/dev/null || return 0
  local n started=""
  for n in $("$KIND" get nodes --name "$NAME" 2>/dev/null); do
    [ "$(docker inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" = true ] && continue
    say "node $n is stopped: starting it"
    docker start "$n" >/dev/null 2>&1 && started="$started $n"
  done
  [ -n "$started" ] || return 0
  for _ in $(seq 90); do
    if kc wait --for=condition=Ready nodes --all --timeout=1s >/dev/null 2>&1; then say "node(s)$started Ready again"; return 0; fi
    sleep 2
  done
  say "node(s)$started not Ready after 3 minutes"
}

# The host's root user has 128 inotify instances by default and every kind node's systemd, kubelet, containerd
# and kube-proxy take theirs (84-89 at the peak of a `make test` here, two clusters of two nodes): kind's known issues
# name the limit as a cause of "too many open files" in pods. Raised as they advise, never lowered.
host_limits() {
  local kv key want have
  for kv in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288; do
    key=${kv%=*} want=${kv#*=}
    have=$(sysctl -n "$key" 2>/dev/null) || continue
    [ "$have" -lt "$want" ] || continue
    if sysctl -qw "$kv" 2>/dev/null; then say "raised $key from $have to $want (kind: nodes and pods need more than the default)"
    else say "WARNING: $key is $have; run: sudo sysctl -w $kv (else pods fail with \"too many open files\")"; fi
  done
}

up() {
  bash "$BUILD_DIR/docker.sh"
  host_limits
  KIND=$(kind_bin) || exit 1
  local bad="" loading="" addons="" cfg key s0
  cfg=$(render_config); key=$(sha256sum <"$cfg" | cut -c1-16)
  start_stopped
  if healthy && [ "$(made_from)" = "$key" ] && { bad=$(routing_broken); [ -z "$bad" ] || repair_routing "$bad"; }; then
    say "reusing healthy cluster $NAME"
  else
    if "$KIND" get clusters 2>/dev/null | grep -x "$NAME" >/dev/null; then
      if [ "$(made_from)" = "$key" ]; then say "cluster $NAME exists but is not healthy: recreating"
      else say "cluster $NAME was made from an older kind config (manifests/cluster changed): recreating it; its namespaces are lost"; fi
      delete_cluster
    fi
    node_image
    s0=$(date +%s)
    say "creating cluster $NAME (log: $LOGS/kind.log)"
    : >"$LOGS/kind.log"
    # --retain keeps the nodes of a failed create for `kind export logs`; then they go, or a half-made control
    # plane would run on beside everything after
    "$KIND" create cluster --name "$NAME" --image "$NODE_IMAGE" --config "$cfg" --retain 2>&1 | kind_steps || {
      tail -n 30 "$LOGS/kind.log" >&2
      "$KIND" export logs "$LOGS/kind-failed-$NAME" --name "$NAME" >/dev/null 2>&1 || true
      delete_cluster
      die "kind create failed; full log: $LOGS/kind.log; the nodes' logs: $LOGS/kind-failed-$NAME"; }
    docker exec "$NAME-control-plane" sh -c "echo $key >/kind/kubelab-config-key"
    # containerd already runs on every node: the images load while the cluster settles.
    load_images & loading=$!
    if from_bundle; then
      # Every image is on the nodes already (the bundle's node image): the add-ons go on while the cluster settles.
      wait "$loading" || exit 1; loading=""
      KUBELAB_ADDON_IMAGES_LOADED=1 bash "$BUILD_DIR/addons.sh" "$NAME" & addons=$!
    fi
    say "waiting for nodes, CoreDNS and Service routing"
    wait_ready
    say "cluster created in $(( $(date +%s) - s0 ))s"
    echo "cluster-create $(( $(date +%s) - s0 ))" >>"$LOGS/stage-times.txt"
  fi
  if [ -n "$loading" ]; then wait "$loading" || exit 1; elif [ -z "$addons" ]; then load_images; fi
  if [ -n "$addons" ]; then wait "$addons" || exit 1
  else KUBELAB_ADDON_IMAGES_LOADED=1 bash "$BUILD_DIR/addons.sh" "$NAME"; fi
  publish
}

case "${1:-}" in
  up) up ;;
  down)
    KIND=$(kind_bin) || exit 1
    delete_cluster
    rm -f "$KUBECONFIG_OUT"; say "cluster $NAME deleted" ;;
  status)
    KIND=$(kind_bin) || exit 1
    if ! healthy; then say "cluster $NAME is not running (kubelab cluster up, or make cluster in a checkout)"; exit 1; fi
    kc get nodes -o wide
    bad=$(routing_broken)
    # Exit 3: running, but Service routing is broken (kubelab cluster status then tells what exactly).
    if [ -n "$bad" ]; then say "cluster $NAME: Service routing BROKEN on node(s) $bad (repair: make cluster)"; exit 3; fi
    say "cluster $NAME healthy, Service routing works on every node; kubeconfig: $KUBECONFIG_OUT" ;;
  image-dirs) image_dirs ;;
  *) die "usage: cluster.sh up|down|status|image-dirs" ;;
esac
