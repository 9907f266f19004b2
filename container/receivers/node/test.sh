#!/bin/sh
# The Node receiver's tests: the types (tsc), the unit tests (node --test), then the conformance
# vectors. Installs the dependencies (npm ci, from package-lock.json) when they are missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
# Again when the lockfile changed, or when run-example installed only the runtime dependency.
need=0
[ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || need=1
for d in standardwebhooks typescript @types/node express; do [ -d "node_modules/$d" ] || need=1; done
if [ "$need" = 1 ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "test.sh: tsc --noEmit (index.d.ts as a TypeScript app uses it)"
node node_modules/typescript/bin/tsc -p test/types
echo "test.sh: node --test"
node --test test/*.test.js
echo "test.sh: vectors"
node test/vectors.js ../../../tests/contract/receivers/vectors.json
