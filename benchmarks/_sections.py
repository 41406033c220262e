"""Shared by the benchmark scripts: a script's own section of RESULTS.md, and the CPU's name."""

from __future__ import annotations

import platform
from pathlib import Path


def write_section(path: Path, heading: str, text: str) -> None:
    """Replaces the section that starts at ``heading`` (up to the next '## ' heading), or appends it."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# pdcorpus benchmark results\n"
    if heading in old:
        start = old.index(heading)
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + text.rstrip("\n") + "\n" + (old[nxt:] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
