#!/bin/bash
# Builds berth's test host image: a Debian bookworm root file system with
# real systemd, D-Bus and single-user Nix, laid out like a NixOS host.
#
# Usage:
#   build.sh            build the image if the cache lacks it; print its path
#   build.sh --key      print the cache key (hash of the recipe files)
#   build.sh --into DIR build a fresh root file system into DIR (no cache)
#
# The cache lives under $BERTH_E2E_CACHE (default /var/cache/berth-e2e), one
# directory per recipe hash, so editing any file in e2e/image/ rebuilds.
# Concurrent builders are serialized by flock on $cache/lock.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${BERTH_E2E_CACHE:-/var/cache/berth-e2e}
suite=bookworm
mirror=${BERTH_E2E_MIRROR:-http://deb.debian.org/debian}
# libdbi-perl provides perl-dbdabi-94, a virtual package nix-bin needs that
# debootstrap cannot resolve on its own.
packages=systemd,systemd-sysv,dbus,nix-bin,libdbi-perl,ca-certificates,git,openssh-client,iproute2,procps,util-linux,less

# recipe_key hashes the name and content of every recipe file; the README
# is documentation and does not change the image.
recipe_key() {
	(
		cd "$here"
		for f in $(find . -type f ! -name README.md | LC_ALL=C sort); do
			printf '%s\n' "$f"
			sha256sum <"$f"
		done
	) | sha256sum | cut -c1-16
}

# build_into makes a complete root file system in $1 (which must not exist).
build_into() {
	local root=$1
	if ! command -v debootstrap >/dev/null; then
		echo "build.sh: debootstrap is missing (apt-get install debootstrap)" >&2
		exit 1
	fi
	mkdir -p "$(dirname "$root")"
	debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >&2
	configure "$root"
}

configure() {
	local root=$1
	cp -a "$here/rootfs/." "$root/"
	chmod 0755 "$root/usr/local/bin/nix"
	# An empty machine-id would make systemd run first-boot setup; the
	# harness writes a fresh id into every booted copy instead.
	echo uninitialized >"$root/etc/machine-id"
	# debootstrap copies the build machine's host name; the harness writes
	# each host's own name at boot.
	echo localhost >"$root/etc/hostname"
	mkdir -p "$root/nix/var/nix/profiles" "$root/nix/var/nix/gcroots" \
		"$root/etc/berth" "$root/var/lib/berth" "$root/var/log/journal"
	mask_units "$root"
	# Nix's daemon is not used: root builds in single-user mode.
	rm -f "$root"/etc/systemd/system/*.wants/nix-daemon.*
	chroot "$root" apt-get clean
	rm -rf "$root"/var/lib/apt/lists/*
}

# mask_units masks units that cannot work in a container and would leave
# the system "degraded" or waiting on hardware that is not there.
mask_units() {
	local root=$1 u
	for u in systemd-networkd-wait-online.service getty@.service \
		console-getty.service serial-getty@.service getty.target \
		systemd-remount-fs.service systemd-firstboot.service \
		systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer e2scrub_reap.service fstrim.timer \
		systemd-journald-audit.socket nix-daemon.service nix-daemon.socket; do
		ln -sfn /dev/null "$root/etc/systemd/system/$u"
	done
}

# prune_old removes images of earlier recipes (340 MB each) unless a
# running host still uses one as its overlay's lower layer.
prune_old() {
	local keep=$1 old
	for old in "$cache"/*/rootfs; do
		old=${old%/rootfs}
		[[ -d $old && $(basename "$old") != "$keep" ]] || continue
		grep -qF "lowerdir=$old/rootfs" /proc/mounts || rm -rf "$old"
	done
}

# ensure builds into the cache unless a complete image is already there.
ensure() {
	local key dir
	key=$(recipe_key)
	dir=$cache/$key
	mkdir -p "$cache"
	exec 9>"$cache/lock"
	flock 9
	if [[ ! -e $dir/complete ]]; then
		rm -rf "$cache"/tmp.* "$dir"
		# tmp is global: the EXIT trap runs outside this function.
		tmp=$(mktemp -d "$cache/tmp.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		local start=$SECONDS
		build_into "$tmp/rootfs"
		echo "built image $key in $((SECONDS - start))s" >&2
		touch "$tmp/complete"
		mv "$tmp" "$dir"
		trap - EXIT
		prune_old "$key"
	fi
	echo "$dir/rootfs"
}

case "${1:-}" in
--key) recipe_key ;;
--into) build_into "${2:?usage: build.sh --into DIR}" ;;
"") ensure ;;
*)
	echo "usage: build.sh [--key | --into DIR]" >&2
	exit 2
	;;
esac
