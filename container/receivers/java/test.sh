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
for gc in ZGC Shenandoah G1; do
  echo "# SoftMaxHeapSize under $gc"
  case $gc in
    ZGC) flag=-XX:+UseZGC ;;
    Shenandoah) flag=-XX:+UseShenandoahGC ;;
    G1) flag=-XX:+UseG1GC ;;
  esac
  java "$flag" -Xmx256m -Dmemhook.test.gc=$gc -cp "$cp" dev.memhook.TestMain SoftMaxHeapTest \
    || status=1
done
echo "# vectors: $vectors"
if [ ! -f "$vectors" ]; then
  echo "not ok vectors: $vectors is missing"
  exit 1
fi
java -cp "$cp" dev.memhook.VectorsRunner "$vectors" || status=1
exit $status
