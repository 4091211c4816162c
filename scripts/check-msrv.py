#!/usr/bin/env python3
"""Checks that the declared minimum Rust version is true.

The workspace's `rust-version` (Cargo.toml) and the README's "Rust
toolchain (X or newer)" must both be at least the highest `rust-version`
that any package in Cargo.lock declares: a toolchain older than that cannot
build the locked dependencies, whatever our own code needs. Run by .ci/run.
"""
import json
import re
import subprocess
import sys
from pathlib import Path


def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    root = Path(__file__).resolve().parent.parent
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--locked", "--format-version", "1"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    resolved = {node["id"] for node in metadata["resolve"]["nodes"]}
    needs = sorted(
        (
            (version(p["rust_version"]), f'{p["name"]} {p["version"]}')
            for p in metadata["packages"]
            if p["id"] in resolved and p.get("rust_version") and p["source"]
        ),
        reverse=True,
    )
    required, by = needs[0]
    cargo_toml = (root / "Cargo.toml").read_text()
    declared = re.search(r'^rust-version\s*=\s*"([0-9.]+)"', cargo_toml, re.M)
    readme = re.search(r"Rust toolchain \(([0-9.]+) or newer\)", (root / "README.md").read_text())
    shown = ".".join(map(str, required))
    print(f"locked dependencies need Rust {shown} (highest: {by})", flush=True)
    failed = False
    if not declared or version(declared.group(1)) < required:
        print(f"error: Cargo.toml rust-version is {declared and declared.group(1)}, below {shown}", file=sys.stderr)
        failed = True
    if not readme or version(readme.group(1)) < required:
        print(f"error: the README's 'Rust toolchain (X or newer)' is {readme and readme.group(1)}, below {shown}", file=sys.stderr)
        failed = True
    if declared and readme and declared.group(1) != readme.group(1):
        print(f"error: Cargo.toml says {declared.group(1)}, the README {readme.group(1)}", file=sys.stderr)
        failed = True
    if failed:
        sys.exit(1)
    print(f"rust-version {declared.group(1)} and the README agree")


if __name__ == "__main__":
    main()
