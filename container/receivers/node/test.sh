#!/bin/sh
# The Node receiver's tests: the types (tsc), the unit tests (node --test), then the conformance
# vectors. Installs the dependencies (npm ci, from package-lock.json) when they are missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules/standardwebhooks ] || [ ! -d node_modules/typescript ] || [ ! -d node_modules/@types/node ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "test.sh: tsc --noEmit (index.d.ts as a TypeScript app uses it)"
node node_modules/typescript/bin/tsc -p test/types
echo "test.sh: node --test"
node --test test/*.test.js
echo "test.sh: vectors"
node test/vectors.js ../../../tests/contract/receivers/vectors.json
