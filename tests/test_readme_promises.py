"""README's "What pdcorpus will and will not touch" stays true: its names and claims against the code.

The behaviour behind each claim is tested through `pdcorpus build` in test_ownership.py, test_lock.py,
test_lock_s3.py, test_secrets.py, test_resume_changes.py and test_disk_full.py; this test ties the
section's words (file names, flags, parameter names) to the constants and functions those tests run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pdcorpus import ownership
from pdcorpus.cli import parser
from pdcorpus.redact import redact

README = Path(__file__).resolve().parent.parent / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## What pdcorpus will and will not touch\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README has no section 'What pdcorpus will and will not touch'"
    return match.group(1)


def bullet(title: str) -> str:
    match = re.search(rf"^- \*\*{re.escape(title)}\*\*(.*?)(?=^- \*\*|\Z)", section(), re.S | re.M)
    assert match, f"the section has no bullet '{title}'"
    return " ".join(match.group(1).split())


def test_the_section_covers_folders_locks_secrets_and_resume():
    for title in ("Output folder.", "Work folder.", "Inputs", "Lock.", "Secrets.", "Resume."):
        bullet(title)


def test_file_names_are_the_code_s():
    assert f"`{ownership.OUTPUT_MARKER}`" in bullet("Output folder.")
    assert f"`{ownership.WORK_MARKER}`" in bullet("Work folder.")
    assert f"`OUTPUT/{ownership.LOCK_FILE}`" in bullet("Lock.")
    for name in ownership.OUTPUT_FILES:
        assert f"`{name}`" in bullet("Output folder.") or (name.endswith(".json") and "`.json`" in bullet("Output folder."))
    for sub in ownership.OUTPUT_DIRS:
        assert f"`{sub}/`" in bullet("Output folder.")


def test_the_break_lock_flag_exists():
    assert "`--break-lock`" in bullet("Lock.")
    args = parser().parse_args(["build", "c.yaml", "--break-lock"])
    assert args.break_lock is True


@pytest.mark.parametrize("place", ['""', "/", "C:\\"])
def test_roots_named_are_refused(place):
    assert f"`{place}`" in bullet("Inputs")
    with pytest.raises(ownership.OwnershipError):
        ownership.check_places("" if place == '""' else place, "/tmp/w", {})


def test_the_glob_example_is_refused_and_a_bucket_root_is_not():
    text = bullet("Inputs")
    glob = re.search(r'paths: \["([^"]+)"\]', text).group(1)
    output = re.search(r"output: (\S+?)`", text).group(1)
    with pytest.raises(ownership.OwnershipError, match="overlaps the input"):
        ownership.check_places(output, f"{output}/.work", {"s": [glob]})
    assert "`s3://bucket`" in text
    ownership.check_places("s3://bucket", "s3://bucket/.work", {"s": ["s3://other/*.jsonl"]})


def test_every_query_parameter_named_is_redacted():
    names = re.findall(r"`([A-Za-z_-]+)`", bullet("Secrets.").split("query parameters such as", 1)[1].split(")")[0])
    assert len(names) >= 8
    for name in names:
        assert redact(f"https://h/f.jsonl?{name}=SECRETVALUE&page=2") == f"https://h/f.jsonl?{name}=***&page=2"
    assert redact("https://user:pass@h/f.jsonl") == "https://***@h/f.jsonl"
    assert redact("s3://b/k?token=${X}", {"X": "abcdef"}) == "s3://b/k?token=***"


def test_resume_claims_match_what_identity_records():
    text = bullet("Resume.")
    assert "size and modification time" in text and "ETag" in text
    identity = ownership.file_identity({"size": 10, "mtime": 1.5, "ino": 7})
    assert "size=10" in identity and "mtime=1.5" in identity
    assert "ETag=" in ownership.file_identity({"size": 10, "ETag": '"abc"'})
