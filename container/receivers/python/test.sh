#!/bin/sh
# The Python receiver library's tests: pip-installs it into a temporary directory, runs its unit
# tests against that copy (Satella's tarball unpacked beside it for the bridge's tests), then the
# conformance vectors. Exits non-zero on any failure; never skips.
#
#   SATELLA_TARBALL   Satella's source tarball (default: the first shared/vendor/satella-*.tar.gz
#                     beside the repository's directory or beside one of its parents)
#   PYTHON            the interpreter (default /usr/bin/python3, Debian's)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
py=${PYTHON:-/usr/bin/python3}
vectors="$root/tests/contract/receivers/vectors.json"

fail() { echo "test.sh: $*" >&2; exit 1; }

# the first shared/vendor/satella-*.tar.gz beside the repository's directory or beside one of
# its parents (a checkout kept next to the project's shared material, at any depth)
if [ -z "${SATELLA_TARBALL:-}" ]; then
	d=$(dirname "$root")
	while [ -z "${SATELLA_TARBALL:-}" ]; do
		for f in "$d"/shared/vendor/satella-*.tar.gz; do
			[ -f "$f" ] && SATELLA_TARBALL=$f && break
		done
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
fi
[ -n "${SATELLA_TARBALL:-}" ] && [ -f "$SATELLA_TARBALL" ] ||
	fail "Satella's tarball not found (the Satella bridge is tested against it): set SATELLA_TARBALL, or put satella-*.tar.gz in shared/vendor/ beside the repository's directory or one of its parents"
"$py" -c 'import psutil' 2>/dev/null ||
	fail "$py cannot import psutil, which Satella needs (Debian: python3-psutil)"
"$py" -m pip --version >/dev/null 2>&1 || fail "$py has no pip (Debian: python3-pip)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PYTHONDONTWRITEBYTECODE=1

# pip builds in the directory it installs from (build/, *.egg-info): install from a copy.
mkdir "$tmp/src" "$tmp/site" "$tmp/satella"
cp -R "$here/pyproject.toml" "$here/README.md" "$here/memhook" "$tmp/src/"
"$py" -m pip install --quiet --no-build-isolation --no-deps --disable-pip-version-check \
	--root-user-action=ignore --target "$tmp/site" "$tmp/src" || fail "pip install failed"
tar -xzf "$SATELLA_TARBALL" -C "$tmp/satella" || fail "cannot unpack $SATELLA_TARBALL"

export PYTHONPATH="$tmp/site:$tmp/satella"
cd "$tmp"
where=$("$py" -c 'import memhook, satella; print(memhook.__file__); print(satella.__file__)')
case "$where" in
"$tmp/site/memhook/"*) ;;
*) fail "memhook was not imported from the installed copy: $where" ;;
esac

echo "# unit tests (memhook installed in $tmp/site, Satella from $(basename "$SATELLA_TARBALL"))"
"$py" -m unittest discover -s "$here/tests" -t "$here/tests" -v 2>&1 || fail "unit tests failed"

echo "# conformance vectors: $vectors"
[ -f "$vectors" ] || fail "$vectors not found (make receiver-vectors)"
"$py" -m memhook.conformance "$vectors" || fail "conformance vectors failed"
