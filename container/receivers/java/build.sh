#!/bin/sh
# Compiles the library, its example and (with --tests) its tests into a build directory, never
# into the source tree: $MEMHOOK_JAVA_BUILD, else build/receivers/java at the top of the checkout.
# Prints the build directory. Needs only a JDK 17 (javac, jar): no other jar.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${MEMHOOK_JAVA_BUILD:-$here/../../../build/receivers/java}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/classes" "$out/test-classes"
javac -Xlint:all -Werror --release 17 -d "$out/classes" \
  $(find "$here/src" "$here/example" -name '*.java' | sort)
jar --create --file "$out/memhook-receiver.jar" --main-class dev.memhook.example.Example \
  -C "$out/classes" .
if [ "${1:-}" = --tests ]; then
  javac -Xlint:all -Werror --release 17 -cp "$out/classes" -d "$out/test-classes" \
    $(find "$here/test" -name '*.java' | sort)
fi
echo "$out"
