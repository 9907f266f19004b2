#!/usr/bin/env python3
"""make test: lib/'s layers (lib/README.md). Usage: check_layers.py LAYER... (lowest first).

Fails when a file in lib/ includes a header of a layer above its own, a header without its folder,
or a header that does not exist; when a .c or .h lies directly in lib/ or in a folder that is not a
layer; and when the includes between lib/'s files run in a circle."""
import os
import re
import sys

layers = sys.argv[1:]
rank = {name: i for i, name in enumerate(layers)}
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
errors = []
graph = {}

for entry in sorted(os.listdir('lib')):
    path = os.path.join('lib', entry)
    if os.path.isfile(path) and entry.endswith(('.c', '.h')):
        errors.append(f'{path}: a source file directly in lib/; it belongs in a layer folder')
    elif os.path.isdir(path) and entry not in rank:
        errors.append(f'{path}/: not a layer (the layers: {" ".join(layers)})')

for layer in layers:
    folder = os.path.join('lib', layer)
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith(('.c', '.h')):
            continue
        path = os.path.join(folder, name)
        text = open(path, encoding='utf-8').read()
        graph[path] = []
        for m in include.finditer(text):
            target = m.group(1)
            line = text.count('\n', 0, m.start()) + 1
            where = f'{path}:{line}'
            parts = target.split('/')
            if len(parts) != 2 or parts[0] not in rank:
                if not os.path.exists(os.path.join(folder, target)):
                    errors.append(f'{where}: #include "{target}" names no layer folder (write "<layer>/{target}")')
                else:
                    errors.append(f'{where}: #include "{target}": name the folder ("{layer}/{target}")')
                continue
            if not os.path.exists(os.path.join('lib', target)):
                errors.append(f'{where}: #include "{target}": no such file')
                continue
            if rank[parts[0]] > rank[layer]:
                errors.append(f'{where}: {layer}/ includes "{target}" from {parts[0]}/, a layer above it')
            graph[path].append(os.path.join('lib', target))

# Circles between files (#pragma once hides them from the compiler, not from a reader).
units = {p: set(deps) for p, deps in graph.items()}
state = {}
def visit(u, stack):
    state[u] = 1
    for d in sorted(units.get(u, ())):
        if state.get(d) == 1:
            errors.append('a circle of includes: ' + ' -> '.join(stack[stack.index(d):] + [d]))
        elif d not in state:
            visit(d, stack + [d])
    state[u] = 2
for u in sorted(units):
    if u not in state:
        visit(u, [u])

for e in errors:
    print('layers:', e)
print(f'layers: {len(graph)} files in {len(layers)} layers, {sum(map(len, graph.values()))} includes, '
      f'{len(errors)} problem{"s" if len(errors) != 1 else ""}')
sys.exit(1 if errors else 0)
