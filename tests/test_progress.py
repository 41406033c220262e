"""Progress: bars on a terminal; in a log (stderr not a terminal) one line per phase, no carriage returns."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from conftest import write_config, write_corpus

LINE = re.compile(r"^phase (p\d+-[a-z0-9-]+): ([\d,]+) tasks?, ([\d,]+) records in \d+\.\d s \(([\d,]+) rec/s\)$")


def build_cmd(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pdcorpus.cli", "build", str(config), *extra]


def test_a_build_logging_to_a_file_writes_one_line_per_phase(tmp_path):
    facts = write_corpus(tmp_path / "in", files=3, per_file=200, bad_lines=False)
    config = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"))
    log = tmp_path / "build.log"
    with log.open("wb") as err:
        run = subprocess.run(build_cmd(config, "--workers", "2"), stdout=subprocess.PIPE, stderr=err, timeout=300)
    assert run.returncode == 0, log.read_text()
    data = log.read_bytes()
    assert b"\r" not in data
    lines = data.decode().splitlines()
    # length is a streaming stage and runs in the read tasks: phases read, unique ids, exact dedup, write
    assert [LINE.match(line).group(1) if LINE.match(line) else line for line in lines] == \
        ["p0-read", "p1-ids", "p2-dedup-exact", "p3-write"]
    read = LINE.match(lines[0])
    assert read.group(2) == "3"  # one task per input file
    assert int(read.group(3).replace(",", "")) == facts["good"]  # every record read


def test_a_terminal_gets_progress_bars(tmp_path):
    write_corpus(tmp_path / "in", files=1, per_file=50, bad_lines=False)
    config = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    try:
        run = subprocess.run(build_cmd(config, "--workers", "1"), stdout=subprocess.PIPE, stderr=follower,
                             timeout=300)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert run.returncode == 0
    shown = b"".join(chunks).decode(errors="replace")
    assert "\r" in shown and "p0-read" in shown and "rec" in shown
    assert not any(LINE.match(line.strip()) for line in shown.replace("\r", "\n").splitlines())


def test_quiet_writes_no_progress_at_all(tmp_path):
    write_corpus(tmp_path / "in", files=1, per_file=50, bad_lines=False)
    config = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"))
    run = subprocess.run(build_cmd(config, "--workers", "1", "-q"), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
