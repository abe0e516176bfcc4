#!/usr/bin/env bash
# The node's root filesystem from Debian packages (debootstrap), as a tarball in the cache.
# Prints the tarball's path. Packages follow kind's base image; systemd is PID 1 in the node.
. "$(dirname "$0")/lib.sh"

PACKAGES=systemd,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,\
fuse-overlayfs,bash,ca-certificates,curl,jq,procps,e2fsprogs,libcap2-bin

# The Debian mirror this machine's apt already uses (its name belongs to the machine, not to this repo).
mirror() {
  apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v security | head -n1 | sed 's|/$||'
}

build_rootfs() {
  need_debs debootstrap
  local m; m=$(mirror); [ -n "$m" ] || die "no Debian mirror found in apt's sources"
  debootstrap --variant=minbase --include="$PACKAGES" "$DEBIAN_SUITE" "$1/root" "$m"
  # Trim what a node never uses; keep the tarball small.
  rm -rf "$1"/root/var/cache/apt/archives/*.deb "$1"/root/var/lib/apt/lists/* "$1"/root/usr/share/doc \
    "$1"/root/usr/share/man "$1"/root/usr/share/locale
  tar -C "$1/root" --numeric-owner -cf "$1/rootfs.tar" .
  rm -rf "$1/root"
}

ROOTFS=$(key rootfs "$DEBIAN_SUITE" "$PACKAGES" "$(sha256sum <"$0")")
stage rootfs "$ROOTFS" build_rootfs
echo "$ROOTFS/rootfs.tar"
