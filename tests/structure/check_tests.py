#!/usr/bin/env python3
"""make test: unit tests mirror lib/ (lib/README.md). Usage: check_tests.py LAYER...

Every lib/<layer>/<file>.c has its test, tests/unit/<layer>/test_<file>.c, or more than one named
test_<file>_<aspect>.c, unless tests/structure/untested.txt lists it with its reason (a file without
logic of its own). Every tests/unit/<layer>/test_*.c names a lib file of its layer. Prints each
problem on its own line, then a summary; exits 1 when there is one."""
import os
import sys

layers = sys.argv[1:]
UNTESTED = 'tests/structure/untested.txt'
errors = []

lib = {layer: sorted(n[:-2] for n in os.listdir(f'lib/{layer}') if n.endswith('.c'))
       for layer in layers if os.path.isdir(f'lib/{layer}')}
sources = {f'lib/{layer}/{name}.c' for layer, names in lib.items() for name in names}

# untested.txt: "lib/<layer>/<file>.c: reason", one a line; blank lines and # comments ignored.
untested = {}
for number, line in enumerate(open(UNTESTED, encoding='utf-8'), 1):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    path, _, reason = line.partition(':')
    path, reason = path.strip(), reason.strip()
    where = f'{UNTESTED}:{number}'
    if not reason:
        errors.append(f'{where}: {path} has no reason (write "{path}: why it has no test")')
    if path not in sources:
        errors.append(f'{where}: {path} is not a lib/<layer>/*.c file')
    if path in untested:
        errors.append(f'{where}: {path} is listed twice')
    untested[path] = reason

# Each test file belongs to the lib file whose name it starts with (the longest such name).
tested = {}
n_tests = 0
for layer in layers:
    folder = f'tests/unit/{layer}'
    for entry in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not (entry.startswith('test_') and entry.endswith('.c')):
            continue
        n_tests += 1
        stem = entry[len('test_'):-len('.c')]
        owners = [n for n in lib.get(layer, []) if stem == n or stem.startswith(n + '_')]
        if not owners:
            errors.append(f'{folder}/{entry}: names no lib file (want test_<file>.c or '
                          f'test_<file>_<aspect>.c for a lib/{layer}/<file>.c)')
            continue
        tested.setdefault(f'lib/{layer}/{max(owners, key=len)}.c', []).append(f'{folder}/{entry}')

for entry in sorted(os.listdir('tests/unit')):
    if os.path.isdir(f'tests/unit/{entry}') and entry not in layers:
        errors.append(f'tests/unit/{entry}/: not a layer of lib/ (the layers: {" ".join(layers)})')
    elif entry.endswith('.c'):
        errors.append(f'tests/unit/{entry}: directly in tests/unit/; it belongs in a layer folder')

for path in sorted(sources):
    layer, name = path.split('/')[1], os.path.basename(path)[:-2]
    if path in tested and path in untested:
        errors.append(f'{path}: listed in {UNTESTED} but tested by {", ".join(tested[path])}; '
                      'remove it from the list')
    elif path not in tested and path not in untested:
        errors.append(f'{path}: no test (tests/unit/{layer}/test_{name}.c), and not in {UNTESTED}')

for e in errors:
    print('test-layout:', e)
print(f'test-layout: {len(sources)} lib files, {n_tests} unit test files, {len(untested)} listed '
      f'untested, {len(errors)} problem{"s" if len(errors) != 1 else ""}')
sys.exit(1 if errors else 0)
