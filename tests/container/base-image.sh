#!/usr/bin/env bash
# Makes the Debian base images the Dockerfile names (debian:bookworm, debian:bookworm-slim) in the
# local Docker engine when they are missing, without a registry: a minimal Debian root made by
# debootstrap from the mirror apt is configured with, imported with `docker import`. The root is
# cached as a tarball between runs. The Dockerfile itself stays what a user builds against Docker Hub.
#
# Usage: base-image.sh            (uses the engine `docker` talks to: DOCKER_HOST etc.)
# Environment: MEMHOOK_CONTAINER_CACHE  cache directory (default /var/cache/memhook-container)
#              DEBIAN_MIRROR            mirror URL (default: the one apt uses for bookworm/main)
# Exit codes: 0 images present, 1 failure.
set -euo pipefail

suite=bookworm
cache_dir=${MEMHOOK_CONTAINER_CACHE:-/var/cache/memhook-container}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
tarball=$cache_dir/$suite-$arch.tar
slim_tarball=$cache_dir/$suite-slim-$arch.tar
tags=("debian:$suite" "debian:$suite-slim")

say() { echo "base-image: $*" >&2; }

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

missing=()
for t in "${tags[@]}"; do have_image "$t" || missing+=("$t"); done
if [ ${#missing[@]} -eq 0 ]; then
	say "present: ${tags[*]}"
	exit 0
fi

# The mirror apt already uses for <suite>/main (deb822 .sources or sources.list alike): the first
# "500 http://host/path bookworm/main amd64 Packages" line of `apt-cache policy`.
find_mirror() {
	apt-cache policy 2>/dev/null |
		awk -v s="$suite/main" '$3 == s && $NF == "Packages" { print $2; exit }'
}

# What the official -slim images leave out, and keep out of packages installed later (the rules
# debuerreotype's slimify applies).
slimify() {
	mkdir -p "$1/etc/dpkg/dpkg.cfg.d"
	cat >"$1/etc/dpkg/dpkg.cfg.d/docker-slim" <<'RULES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
RULES
	find "$1/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
	find "$1/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$1"/usr/share/{man,groff,info,lintian,linda}/*
	find "$1/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}

if [ ! -s "$tarball" ] || [ ! -s "$slim_tarball" ]; then
	command -v debootstrap >/dev/null || { say "debootstrap is not installed"; exit 1; }
	mirror=${DEBIAN_MIRROR:-$(find_mirror)}
	[ -n "$mirror" ] || { say "no $suite/main mirror in the apt configuration; set DEBIAN_MIRROR"; exit 1; }
	mkdir -p "$cache_dir"
	root=$(mktemp -d "$cache_dir/root.XXXXXX")
	trap 'rm -rf "$root" "$root.log" "$tarball.tmp" "$slim_tarball.tmp"' EXIT
	say "debootstrap --variant=minbase $suite from $mirror (once; cached in $tarball)"
	debootstrap --variant=minbase --arch="$arch" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
		tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
	rm -f "$root.log"
	# What the official images also leave out: downloaded packages and package lists.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
	tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
	slimify "$root"
	tar -C "$root" --numeric-owner -cf "$slim_tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	mv "$slim_tarball.tmp" "$slim_tarball"
	rm -rf "$root"
	trap - EXIT
fi

docker import --change 'CMD ["bash"]' "$tarball" "debian:$suite" >/dev/null
docker import --change 'CMD ["bash"]' "$slim_tarball" "debian:$suite-slim" >/dev/null
say "imported debian:$suite ($(du -h "$tarball" | cut -f1)) and debian:$suite-slim ($(du -h "$slim_tarball" | cut -f1)) from $cache_dir"
