#!/usr/bin/env python3
"""Lists import cycles between the files of the service (src/).

An edge a -> b means file a names an item of file b through a path
(`use crate::…`, `super::…`, `self::…`, or a path in code). `mod x;` lines are
declarations, not imports. Exits 1 and prints each cycle if there is one.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def module_of(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


files = {}
for d, _, names in os.walk(ROOT):
    for n in names:
        if n.endswith(".rs"):
            p = os.path.join(d, n)
            files[module_of(p)] = os.path.relpath(p, os.path.join(ROOT, ".."))


def resolve(segments):
    """The longest module prefix of `segments` that is a file."""
    for i in range(len(segments), 0, -1):
        if tuple(segments[:i]) in files:
            return tuple(segments[:i])
    return None


def strip_comments_and_tests(text):
    text = re.sub(r"//[^\n]*", "", text)
    # Unit-test modules may reach anywhere; they are not part of the service.
    m = re.search(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)
    if m:
        text = text[: m.start()]
    return text


PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*?)\};", re.S)

edges = {m: set() for m in files}
for mod, path in files.items():
    is_dir_module = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
    text = strip_comments_and_tests(open(os.path.join(ROOT, "..", path)).read())

    def absolute(head, rest):
        if head == "crate":
            return list(rest)
        base = list(mod) if is_dir_module else list(mod[:-1])
        if head == "self":
            base = list(mod)
        while rest and rest[0] == "super":
            base = base[:-1]
            rest = rest[1:]
        if head == "super":
            base = base[:-1] if is_dir_module else base
            if not is_dir_module:
                pass
        return base + list(rest)

    def add(head, segs):
        if head == "super" and not is_dir_module:
            target = resolve(list(mod[:-1]) + segs)
        elif head == "super":
            target = resolve(list(mod[:-1]) + segs)
        elif head == "self":
            target = resolve(list(mod) + segs)
        else:
            target = resolve(segs)
        if target is not None and target != mod:
            edges[mod].add(target)

    for m in GROUP.finditer(text):
        head, prefix, inner = m.group(1), m.group(2), m.group(3)
        pre = [s for s in prefix.split("::") if s]
        for item in re.split(r"[,{}]", inner):
            item = item.strip().split(" as ")[0].strip()
            if not item:
                continue
            add(head, pre + [s for s in item.split("::") if s and s != "self"])
    for m in PATH.finditer(text):
        head, rest = m.group(1), [s for s in m.group(2).split("::") if s]
        add(head, rest)


# Tarjan's strongly connected components.
index, low, stack, on, sccs = {}, {}, [], set(), []
counter = [0]
sys.setrecursionlimit(10000)


def connect(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            connect(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)


for v in sorted(edges):
    if v not in index:
        connect(v)

if not sccs:
    print(f"no import cycle among {len(files)} files")
    sys.exit(0)
for comp in sccs:
    names = sorted(files[m] for m in comp)
    print("cycle:", " <-> ".join(names))
    for a in sorted(comp):
        for b in sorted(edges[a] & set(comp)):
            print(f"    {files[a]} -> {files[b]}")
sys.exit(1)
