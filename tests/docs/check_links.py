#!/usr/bin/env python3
"""The documentation's links, checked (make docs-check, part of make test).

1. Every relative link [text](path#anchor) in every tracked Markdown file points to a file or
   directory that exists, and an anchor names a heading of the target file (GitHub's rule:
   lowercase, punctuation dropped except - and _, spaces to -, a repeated heading gets -1, -2, ...).
   Links in fenced code blocks and inside `code spans` are not links and are skipped; a link's
   text may be wrapped over several lines.
2. README.md is at most 300 lines: it is the entrance; the reference lives beside what it
   describes.
3. Every section of the README as it was before the split (## and ### headings, listed once in
   tests/docs/old_readme_headings.txt) is one link away: a heading of README.md itself, or a
   heading of policies/, container/, lib/ or tests/README.md that README.md links to directly, at
   that heading's anchor.

Exit 0 when all hold, 1 with one line per problem otherwise. Python 3 standard library only.
"""
import os
import re
import subprocess
import sys
import unicodedata
from urllib.parse import unquote

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = "README.md"
README_MAX_LINES = 300
OLD_HEADINGS = "tests/docs/old_readme_headings.txt"
HOMES = ["README.md", "policies/README.md", "container/README.md", "lib/README.md", "tests/README.md"]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
CODE_SPAN = re.compile(r"(`+)((?:(?!\n[ \t]*\n).)+?)\1", re.S)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


def tracked_markdown():
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", "*.md"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode()
        return sorted(p for p in out.split("\0") if p)
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, files in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in (".git", "build", "node_modules")]
            found += [os.path.relpath(os.path.join(d, f), ROOT) for f in files if f.endswith(".md")]
        return sorted(found)


def lines_outside_fences(text):
    """(line number, line) for every line not inside a fenced code block."""
    fence = None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        yield n, line


def heading_text(raw):
    """A heading as GitHub renders its text: links become their text, code and emphasis marks go."""
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    t = re.sub(r"<[^>]+>", "", t)
    return t.replace("`", "")


def slug(raw):
    t = heading_text(raw).strip().lower()
    t = "".join(c for c in t if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return t.replace(" ", "-")


def headings(text):
    """[(level, raw text)] of the ATX headings outside code blocks."""
    out = []
    for _, line in lines_outside_fences(text):
        m = HEADING.match(line)
        if m:
            out.append((len(m.group(1)), m.group(2)))
    return out


def anchors(text):
    seen = {}
    result = set()
    for _, raw in headings(text):
        s = slug(raw)
        n = seen.get(s, 0)
        seen[s] = n + 1
        result.add(s if n == 0 else "%s-%d" % (s, n))
    for _, line in lines_outside_fences(text):
        result.update(HTML_ANCHOR.findall(line))
    return result


def links(text):
    """(line number, target) of every link outside code blocks and code spans; a link's text may
    run over several lines, as wrapped paragraphs do."""
    kept = {n for n, _ in lines_outside_fences(text)}
    body = "\n".join(l if n in kept else "" for n, l in enumerate(text.split("\n"), 1))
    body = CODE_SPAN.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    for m in INLINE_LINK.finditer(body):
        yield body.count("\n", 0, m.start()) + 1, m.group(1)
    for n, line in enumerate(body.split("\n"), 1):
        m = REF_DEF.match(line)
        if m:
            yield n, m.group(1)


def is_external(target):
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


_anchor_cache = {}


def anchors_of(path):
    if path not in _anchor_cache:
        _anchor_cache[path] = anchors(read(path))
    return _anchor_cache[path]


def resolve(src, target):
    """(repo-relative path or None for the same file, anchor or None) of a relative link."""
    path, _, anchor = target.partition("#")
    path = unquote(path)
    if not path:
        return src, (unquote(anchor) or None)
    base = os.path.dirname(src)
    full = os.path.normpath(os.path.join(base, path)) if not path.startswith("/") else path.lstrip("/")
    return full, (unquote(anchor) or None)


def check_links(files):
    problems = []
    for src in files:
        for n, target in links(read(src)):
            if not target or is_external(target):
                continue
            dest, anchor = resolve(src, target)
            where = "%s:%d: %s" % (src, n, target)
            if dest.startswith(".."):
                problems.append("%s: points outside the repository" % where)
                continue
            full = os.path.join(ROOT, dest)
            if not os.path.exists(full):
                problems.append("%s: %s does not exist" % (where, dest))
                continue
            if anchor is None:
                continue
            if not dest.endswith(".md") or os.path.isdir(full):
                problems.append("%s: an anchor on %s, which is not a Markdown file" % (where, dest))
                continue
            if anchor not in anchors_of(dest):
                problems.append("%s: %s has no heading with the anchor #%s" % (where, dest, anchor))
    return problems


def check_readme_length():
    n = read(README).count("\n")
    if n > README_MAX_LINES:
        return ["%s: %d lines, at most %d (the reference goes beside what it describes)"
                % (README, n, README_MAX_LINES)]
    return []


def check_old_sections():
    problems = []
    readme = read(README)
    readme_anchors = anchors_of(README)
    direct = set()
    for _, target in links(readme):
        if not is_external(target):
            dest, anchor = resolve(README, target)
            if anchor:
                direct.add((dest, anchor))
    for n, line in enumerate(read(OLD_HEADINGS).split("\n"), 1):
        if not line.strip():
            continue
        m = HEADING.match(line)
        if not m:
            problems.append("%s:%d: not a heading: %s" % (OLD_HEADINGS, n, line))
            continue
        s = slug(m.group(2))
        if s in readme_anchors:
            continue
        homes = [h for h in HOMES[1:] if os.path.exists(os.path.join(ROOT, h)) and s in anchors_of(h)]
        if not homes:
            problems.append("old README section %r (#%s) is a heading of none of %s"
                            % (m.group(2), s, ", ".join(HOMES)))
        elif not any((h, s) in direct for h in homes):
            problems.append("old README section %r is in %s, but README.md does not link to %s"
                            % (m.group(2), " and ".join(homes), " or ".join("%s#%s" % (h, s) for h in homes)))
    return problems


def main():
    files = tracked_markdown()
    problems = check_links(files) + check_readme_length() + check_old_sections()
    for p in problems:
        print("docs-check: " + p, file=sys.stderr)
    if problems:
        print("docs-check: %d problem(s)" % len(problems), file=sys.stderr)
        return 1
    print("docs-check: %d Markdown files, their relative links and anchors resolve; README.md %d lines; "
          "every old README section one link away" % (len(files), read(README).count("\n")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
