#!/usr/bin/env bash
# Make sure a Docker daemon answers; install Debian's docker.io and start dockerd if not.
. "$(dirname "$0")/lib.sh"

docker info >/dev/null 2>&1 && { say "docker: daemon answers"; exit 0; }

command -v dockerd >/dev/null || need_debs docker.io
need_debs jq

# The runc wrapper is dockerd's default runtime: kind's --privileged nodes need it
# where the capability bounding set is short (it is a no-op elsewhere).
install -m 0755 "$BUILD_DIR/node/runc-wrapper.sh" /usr/local/bin/kubelab-runc
mkdir -p "$CACHE/docker"
cat >"$CACHE/docker/daemon.json" <<JSON
{"runtimes": {"kubelab-runc": {"path": "/usr/local/bin/kubelab-runc"}}, "default-runtime": "kubelab-runc"}
JSON
# A dockerd that is still starting or shutting down would make a second one fail: let it finish.
for _ in $(seq 60); do
  pgrep -x dockerd >/dev/null || break
  docker info >/dev/null 2>&1 && { say "docker: daemon answers"; exit 0; }
  sleep 1
done
say "docker: starting dockerd (log: $LOGS/dockerd.log)"
echo "--- $(date -u +%FT%TZ) kubelab starts dockerd" >>"$LOGS/dockerd.log"
nohup dockerd --config-file "$CACHE/docker/daemon.json" >>"$LOGS/dockerd.log" 2>&1 &
pid=$!
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && { say "docker: ready"; exit 0; }
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
tail -n 20 "$LOGS/dockerd.log" >&2
die "dockerd did not start; see $LOGS/dockerd.log"
