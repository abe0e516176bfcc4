#!/bin/bash
# Pod networking for kubelab's own node image, in place of kindnetd (whose module the Go proxy here
# does not serve): a ptp CNI config for this node's podCIDR, a route to every other node's podCIDR
# via that node's address, and masquerade for traffic leaving the pod network. Runs as a systemd
# service on each node and re-checks every few seconds, so nodes that join later are routed too.
set -u
KUBECONFIG=/etc/kubernetes/kubelet.conf
CONF=/etc/cni/net.d/10-kubelab.conflist
POD_NET=${KUBELAB_POD_NETWORK:-10.244.0.0/16}
me=$(cat /etc/hostname)

write_conf() {
  local cidr=$1 tmp; tmp=$(mktemp)
  cat >"$tmp" <<JSON
{"cniVersion": "1.0.0", "name": "kubelab", "plugins": [
  {"type": "ptp", "ipMasq": false, "mtu": 1500,
   "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state",
            "routes": [{"dst": "0.0.0.0/0"}], "ranges": [[{"subnet": "$cidr"}]]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
  cmp -s "$tmp" "$CONF" 2>/dev/null && rm -f "$tmp" || { mkdir -p "${CONF%/*}"; mv "$tmp" "$CONF"; }
}

iptables -t nat -C POSTROUTING -s "$POD_NET" ! -d "$POD_NET" -j MASQUERADE 2>/dev/null ||
  iptables -t nat -A POSTROUTING -s "$POD_NET" ! -d "$POD_NET" -j MASQUERADE

while true; do
  if [ -f "$KUBECONFIG" ]; then
    kubectl --kubeconfig "$KUBECONFIG" get nodes -o \
      jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' \
      2>/dev/null | while read -r name cidr ip; do
        [ -n "$cidr" ] || continue
        if [ "$name" = "$me" ]; then write_conf "$cidr"
        elif [ -n "$ip" ]; then ip route replace "$cidr" via "$ip"
        fi
      done
  fi
  sleep 5
done
