#!/bin/sh
# Run before containerd in the node. Pod sandboxes ask for a negative oom_score_adj, and lowering it
# needs CAP_SYS_RESOURCE; where the host's bounding set lacks it, every sandbox fails with
# "failed to update /proc/self/oom_score_adj: Permission denied". containerd's restrict_oom_score_adj
# keeps the values at or above its own, as it does for rootless nodes.
bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
if [ $(( (0x$bnd >> 24) & 1 )) -eq 0 ]; then
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml
fi
