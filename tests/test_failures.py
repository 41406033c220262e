"""Clear failures through the command line: a sentence that names the path and what to do, a non-zero
exit code, no traceback unless ``--debug``; and silent mistakes of a corpus file made loud."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hub_server import FakeHub

ROOT = Path(__file__).resolve().parent.parent


def cli(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def one_sentence(run: subprocess.CompletedProcess) -> str:
    """The error as the user sees it: exit code 1 or 2, one line on stderr, no traceback."""
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("pdcorpus: "), lines[0]
    return lines[0]


def shows_traceback_with_debug(args: list[str], **kwargs) -> None:
    run = cli(["--debug", *args], **kwargs)
    assert run.returncode != 0
    assert "Traceback (most recent call last)" in run.stderr, run.stderr
    assert run.stderr.rstrip().splitlines()[-1].startswith("pdcorpus: ")  # the sentence still ends it


def write_books(folder: Path, n: int = 120) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "books.jsonl"
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"book_id": f"b{i}", "body": f"Book {i}: " + "a plain sentence of text. " * 8,
                                 "rights": "Public domain in the USA.", "issued": "1840",
                                 "creators": [{"name": f"Author {i}", "died": 1850}],
                                 "person": {"name": f"Author {i}", "death_year": 1850}}) + "\n")
    return path


def corpus_file(tmp_path: Path, source: str, stages: str = "", extra: str = "") -> Path:
    path = tmp_path / "corpus.yaml"
    path.write_text(f"name: failing\noutput: {tmp_path / 'out'}\nsources:\n{source}"
                    + (f"stages:\n{stages}" if stages else "") + extra)
    return path


BOOKS = """\
  - name: books
    read: {{format: jsonl, paths: ["{glob}"]}}
    fields: {{id: book_id, text: {text}, license: rights, date: issued}}
"""


# -- a source whose every record is set aside --------------------------------------------------


def test_a_typo_in_fields_text_fails_the_build_naming_the_field_and_the_keys(tmp_path):
    write_books(tmp_path / "in")
    config = corpus_file(tmp_path, BOOKS.format(glob=tmp_path / "in/*.jsonl", text="bdy"))
    run = cli(["build", str(config), "-q", "--workers", "1"])
    message = one_sentence(run)
    assert message.startswith("pdcorpus: source books: all 120 records were set aside as missing-text: "
                              "fields.text is 'bdy'; input records have keys: book_id, body, rights, issued"), message
    assert str(config) in message and "allow_empty" in message
    out = tmp_path / "out"
    # no dataset card, summary or manifest for an empty corpus
    assert not any((out / name).exists() for name in ("README.md", "manifest.json", "training-data-summary.md"))
    assert not (out / "data").exists()
    shows_traceback_with_debug(["build", str(config), "-q", "--fresh"])


def test_a_source_of_only_malformed_lines_fails_naming_the_reasons(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "table.jsonl").write_text("id,text\n1,hello there\n2,another row\n")  # CSV named .jsonl
    config = corpus_file(tmp_path, BOOKS.format(glob=tmp_path / "in/*.jsonl", text="text"))
    message = one_sentence(cli(["build", str(config), "-q", "--workers", "1"]))
    assert "source books: all 3 records were set aside as malformed-json" in message
    assert "read.format" in message


def test_allow_empty_accepts_an_empty_source(tmp_path):
    write_books(tmp_path / "in", n=10)
    source = BOOKS.format(glob=tmp_path / "in/*.jsonl", text="bdy") + "    allow_empty: true\n" + \
        BOOKS.format(glob=tmp_path / "in/*.jsonl", text="body").replace("name: books", "name: good")
    config = corpus_file(tmp_path, source)
    run = cli(["build", str(config), "-q", "--workers", "1"])
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sources"]["books"]["records_out"] == 0
    assert manifest["sources"]["good"]["records_out"] == 10
    assert "allow_empty" in (ROOT / "README.md").read_text()


# -- rights: published / died ------------------------------------------------------------------


def test_died_naming_neither_a_column_nor_metadata_is_a_config_error_with_its_line(tmp_path):
    write_books(tmp_path / "in", n=5)
    config = corpus_file(tmp_path, BOOKS.format(glob=tmp_path / "in/*.jsonl", text="body"),
                         stages="  - rights:\n      policy: public-domain\n      died: death_year\n")
    for command in (["validate", str(config)], ["build", str(config), "-q"]):
        run = cli(command)
        assert run.returncode == 2 and "Traceback" not in run.stderr
        # line 10 of the file is "      died: death_year"
        assert f"{config}:10: stages[0].rights.died: 'death_year' is neither a record column nor metadata.<path>" \
            in run.stderr, run.stderr
    assert not (tmp_path / "out").exists()


def test_a_rights_path_that_never_resolves_is_warned_about_and_recorded(tmp_path):
    write_books(tmp_path / "in", n=50)
    stages = "  - rights:\n      jurisdictions: [US, EU]\n      died: metadata.person.deathyear\n"
    config = corpus_file(tmp_path, BOOKS.format(glob=tmp_path / "in/*.jsonl", text="body"), stages=stages)
    run = cli(["build", str(config), "-q", "--workers", "1"])
    assert run.returncode == 0, run.stderr
    warning = ("stages[0].rights.died: 'metadata.person.deathyear' has no value in the first 50 records of books "
               "(their metadata has the keys creators, person)")
    assert f"pdcorpus: warning: {warning}" in run.stderr, run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [w for w in manifest["warnings"] if w.startswith(warning)]
    # the path written right: no warning, and the death year decides (EU life+70: died 1850)
    config.write_text(config.read_text().replace("deathyear", "death_year"))
    run = cli(["build", str(config), "-q", "--workers", "1"])
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["warnings"] == []
    assert manifest["sources"]["books"]["records_out"] == 50


@pytest.mark.parametrize("kept", [["creators.0.died"], ["creators.0"], ["creators"]])
def test_list_form_metadata_keeps_nested_paths_resolvable(tmp_path, kept):
    """A US-only public domain is allowed for US+EU only when the dates settle it: published 1840 (US
    publication+95) and the author died 1850 (EU life+70). Without the death year it goes to review."""
    write_books(tmp_path / "in", n=20)
    source = BOOKS.format(glob=tmp_path / "in/*.jsonl", text="body") + f"    metadata: {json.dumps(kept)}\n"
    stages = ("  - rights:\n      jurisdictions: [US, EU]\n      as_of: 2026-01-01\n      published: date\n"
              "      died: metadata.creators.0.died\n")
    config = corpus_file(tmp_path, source, stages=stages)
    run = cli(["build", str(config), "-q", "--workers", "1"])
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sources"]["books"]["rights_decisions"] == {"allow:pd-by-date": 20}
    rows = pq.read_table(tmp_path / "out" / manifest["shards"][0]["path"]).to_pylist()
    assert len(rows) == 20 and {r["license"] for r in rows} == {"public-domain-by-date"}


# -- raw tracebacks where a sentence is due ----------------------------------------------------


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    write_books(tmp_path / "in", n=5)
    return corpus_file(tmp_path, BOOKS.format(glob=tmp_path / "in/*.jsonl", text="body"))


def test_an_output_path_that_is_a_file(tmp_path, small_corpus):
    target = tmp_path / "taken"
    target.write_text("someone's file\n")
    args = ["build", str(small_corpus), "-q", "--output", str(target)]
    message = one_sentence(cli(args))
    assert f"output {target} is a file, not a folder" in message and "move the file away" in message
    assert target.read_text() == "someone's file\n"
    shows_traceback_with_debug(args)


@pytest.fixture
def unwritable(tmp_path):
    """An output folder pdcorpus cannot write to, even as root (where chmod stops nothing): a folder
    under a read-only tmpfs mounted here if this process may mount, else a path under /sys."""
    mountpoint = tmp_path / "ro"
    mountpoint.mkdir()
    mount = shutil.which("mount")
    run = subprocess.run([mount, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mountpoint)],
                         capture_output=True) if mount else None
    if run is not None and run.returncode == 0:
        try:
            yield mountpoint / "out", "read-only"
        finally:
            subprocess.run(["umount", str(mountpoint)], check=False)
    else:
        path = Path("/sys/pdcorpus-test-output")
        try:
            path.mkdir()
        except OSError:
            yield path, "not permitted"
        else:  # pragma: no cover - a writable /sys: nothing here is unwritable
            path.rmdir()
            pytest.skip("no way to make an unwritable folder here")


def test_a_read_only_output_folder(small_corpus, unwritable):
    target, why = unwritable
    args = ["build", str(small_corpus), "-q", "--output", str(target)]
    message = one_sentence(cli(args))
    assert str(target) in message and why in message, message
    assert "choose a folder" in message
    shows_traceback_with_debug(args)


def s3_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FSSPEC_"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def test_an_unreachable_s3_endpoint(tmp_path):
    config = corpus_file(tmp_path, """\
  - name: remote
    read:
      format: jsonl
      paths: ["s3://corpus-bucket/in/*.jsonl"]
      storage_options: {client_kwargs: {endpoint_url: "http://127.0.0.1:1"}, config_kwargs: {retries: {max_attempts: 1}}}
""")
    args = ["build", str(config), "-q"]
    message = one_sentence(cli(args, env=s3_env(tmp_path)))
    assert "source remote: cannot list s3://corpus-bucket/in/*.jsonl: cannot connect to http://127.0.0.1:1" in message
    assert "endpoint_url" in message
    shows_traceback_with_debug(args, env=s3_env(tmp_path))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("built")
    write_books(tmp / "in", n=5)
    config = corpus_file(tmp, BOOKS.format(glob=tmp / "in/*.jsonl", text="body"))
    run = cli(["build", str(config), "-q", "--workers", "1"])
    assert run.returncode == 0, run.stderr
    return tmp / "out"


def hub_env(tmp_path: Path, endpoint: str, token: str | None) -> dict[str, str]:
    """No token from this machine: HF_HOME is an empty folder and no HF_TOKEN unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    (tmp_path / "hf-home").mkdir(exist_ok=True)
    env.update({"HF_ENDPOINT": endpoint, "HF_HOME": str(tmp_path / "hf-home"), "HOME": str(tmp_path),
                "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1"})
    if token is not None:
        env["HF_TOKEN"] = token
    return env


def test_an_unreachable_hub_endpoint(built, tmp_path):
    args = ["publish", str(built), "--repo", "pd-org/books"]
    env = hub_env(tmp_path, "http://127.0.0.1:1", "hf_some_token")
    message = one_sentence(cli(args, env=env))
    assert f"cannot reach the Hub at http://127.0.0.1:1 to publish {built}" in message
    assert "check HF_ENDPOINT" in message and "hf_some_token" not in message
    shows_traceback_with_debug(args, env=env)


def test_publish_without_a_token_says_so(built, tmp_path):
    with FakeHub() as hub:  # a Hub that would answer 401 to an anonymous upload
        env = hub_env(tmp_path, hub.url, None)
        args = ["publish", str(built), "--repo", "pd-org/books"]
        message = one_sentence(cli(args, env=env))
        assert message == ("pdcorpus: no token found: set HF_TOKEN or run `huggingface-cli login` "
                           "(a token with write access to pd-org/books)")
        assert "401" not in message and not hub.repos
        shows_traceback_with_debug(args, env=env)
