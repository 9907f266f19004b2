#!/bin/sh
# The Java receiver's tests: its unit tests (test/, a runner of its own: no JUnit), the
# SoftMaxHeapSize test again under ZGC, Shenandoah and G1, then the vectors runner on
# tests/contract/receivers/vectors.json (or the path given as $1). Builds into a temporary
# directory (removed at exit). Exits non-zero on any failure; skips nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vectors=${1:-$here/../../../tests/contract/receivers/vectors.json}
build=$(mktemp -d "${TMPDIR:-/tmp}/memhook-java.XXXXXX")
trap 'rm -rf "$build"' EXIT
MEMHOOK_JAVA_BUILD=$build "$here/build.sh" --tests >/dev/null
cp="$build/classes:$build/test-classes"
status=0
echo "# unit tests"
java -cp "$cp" dev.memhook.TestMain || status=1
# Each collector in its own JVM (-Xmx256m: a 200 MiB limit gives a soft max of 50 MiB); ZGC's and
# Shenandoah's own logs must then show the value they took.
for gc in ZGC Shenandoah G1; do
  echo "# SoftMaxHeapSize under $gc"
  case $gc in
    ZGC) flag=-XX:+UseZGC took='Soft Max Capacity: 50M' ;;
    Shenandoah) flag=-XX:+UseShenandoahGC took='Soft Max Heap Size: [0-9]+[KMG] -> 51200K' ;;
    G1) flag=-XX:+UseG1GC took='' ;;
  esac
  java "$flag" -Xmx256m -Xlog:gc*=info:file="$build/gc-$gc.log" -Dmemhook.test.gc=$gc \
    -cp "$cp" dev.memhook.TestMain SoftMaxHeapTest || status=1
  if [ -n "$took" ]; then
    if grep -Eq "$took" "$build/gc-$gc.log"; then
      echo "ok $gc logged: $(grep -Eo "$took" "$build/gc-$gc.log" | head -n 1)"
    else
      echo "not ok $gc never logged /$took/"
      status=1
    fi
  fi
done
echo "# vectors: $vectors"
if [ ! -f "$vectors" ]; then
  echo "not ok vectors: $vectors is missing"
  exit 1
fi
java -cp "$cp" dev.memhook.VectorsRunner "$vectors" || status=1
exit $status
