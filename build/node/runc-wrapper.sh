#!/bin/sh
# runc wrapper: drop from the OCI spec every capability this process cannot hold.
#
# Some VMs run with a capability bounding set that lacks e.g. CAP_SYS_RESOURCE;
# a --privileged container (kind nodes) or a privileged pod (kube-proxy) then
# asks runc for all capabilities and fails with "unable to apply caps". The
# allowed set is read from this process's bounding set, so on a host with full
# capabilities nothing is removed. Installed as dockerd's default runtime and,
# inside kind nodes, as the `runc` that containerd calls.
set -eu

real=${KUBELAB_REAL_RUNC:-}
if [ -z "$real" ]; then
  for c in "$0.real" /usr/local/sbin/runc.real /usr/sbin/runc /usr/bin/runc; do
    [ -x "$c" ] && [ "$c" != "$0" ] && { real=$c; break; }
  done
fi
[ -n "$real" ] || { echo "runc wrapper: no real runc found" >&2; exit 1; }

# Capability numbers are the kernel ABI (linux/capability.h), in order.
names="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
PERFMON BPF CHECKPOINT_RESTORE"

allowed_json() {
  bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  bits=$(printf '%d' "0x$bnd")
  i=0; out=""
  for n in $names; do
    [ $(( (bits >> i) & 1 )) -eq 1 ] && out="$out\"CAP_$n\","
    i=$((i + 1))
  done
  echo "[${out%,}]"
}

# Filter the capability lists of the process object at jq path $2 ("" for the top) in file $1.
filter() {
  file=$1 path=$2
  [ -f "$file" ] || return 0
  tmp="$file.kubelab.$$"
  jq --argjson ok "$(allowed_json)" "
    if $path.capabilities then
      $path.capabilities |= with_entries(.value |= map(select(. as \$c | \$ok | index(\$c))))
    else . end" "$file" >"$tmp" && mv "$tmp" "$file"
}

cmd="" bundle="." process="" prev=""
for a in "$@"; do
  case "$prev" in
    --bundle|-b) bundle=$a ;;
    --process|-p) process=$a ;;
  esac
  case "$a" in
    --bundle=*) bundle=${a#--bundle=} ;;
    --process=*) process=${a#--process=} ;;
    create|run|exec) [ -z "$cmd" ] && cmd=$a ;;
  esac
  prev=$a
done

case "$cmd" in
  create|run) filter "$bundle/config.json" .process ;;
  exec) [ -n "$process" ] && filter "$process" "" ;;
esac
exec "$real" "$@"
