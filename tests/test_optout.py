"""Opt-out lists (the `optout` stage) and removal from a finished release (`pdcorpus optout apply`).

Expectations come from the list format's definition (pdcorpus/stages/optout.py, README) and RFC 3986's
normalization: each test names the exact records that must go.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import xxhash

from conftest import read_shards, write_config, write_corpus

ROOT = Path(__file__).resolve().parent.parent


def cli(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # -P: pdcorpus from PYTHONPATH or the installed package, never from the working directory
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


def xxh3_of_text(text: str) -> str:
    """The content hash as record.py defines it: xxh3-128 of the NFC, lower-cased, whitespace-collapsed text
    (these texts are ASCII, so NFC changes nothing)."""
    return xxhash.xxh3_128_hexdigest(" ".join(text.lower().split()).encode("utf-8"))


def rejects(out: Path) -> list[dict]:
    found = []
    for path in sorted((out / "rejects").glob("*.jsonl")):
        found += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return found


# -- the stage --------------------------------------------------------------------------------------

# (raw id, url); every text is distinct, so only the lists decide what goes
RECORDS = [
    ("a1", "https://example.com/a"),            # url rule, written HTTPS://Example.COM:443/a#top
    ("a2", "https://example.com/a?page=2"),     # another query: another URL
    ("a3", "http://example.com:8080/a"),        # a port that is not the default: another URL
    ("g1", "https://EXAMPLE.com/%7Euser"),      # url rule written with '~' (an unreserved character, decoded)
    ("g2", "http://example.com/a"),             # http and https name the same work
    ("b1", "https://site.org/books/1"),         # prefix https://site.org/books/
    ("b2", "https://site.org/bookshelf"),       # not in the folder /books/
    ("b3", "https://site.org.evil.net/books/1"),  # another host that starts with the prefix's host
    ("c1", "https://www.example.net/x"),        # domain example.net: a subdomain
    ("c2", "https://EXAMPLE.NET./"),            # the domain itself (case, trailing dot)
    ("c3", "https://notexample.net/x"),         # not a subdomain of example.net
    ("c4", "https://example.net.other.org/"),   # nor is this
    ("d1", "https://other.org/d1"),             # id rule docs:d1
    ("d2", "https://other.org/d2"),             # id rule for another source's record: docs:d2 stays
    ("e1", "https://other.org/e1"),             # hash rule (of its text)
    ("e2", None),                               # no URL at all
    ("h1", "https://bücher.example/seite"),     # domain rule written in punycode (IDNA)
]
MUST_GO = {"docs:a1", "docs:g1", "docs:g2", "docs:b1", "docs:c1", "docs:c2", "docs:d1", "docs:e1", "docs:h1"}


def text_of(rid: str) -> str:
    return f"The record {rid} has a text of its own, long enough for every stage, about {rid} and nothing else."


def optout_corpus(tmp_path: Path, lists: dict[str, str], stage: str | None = None) -> tuple[Path, Path]:
    (tmp_path / "in").mkdir()
    with open(tmp_path / "in" / "docs.jsonl", "w", encoding="utf-8") as fh:
        for rid, url in RECORDS:
            fh.write(json.dumps({"doc_id": rid, "body": text_of(rid), "link": url, "rights": "CC0-1.0"}) + "\n")
    (tmp_path / "lists").mkdir()
    for name, text in lists.items():
        (tmp_path / "lists" / name).write_text(text, encoding="utf-8")
    stage = stage or "  - optout: {lists: [" + ", ".join(f"lists/{n}" for n in lists) + "]}\n"
    config = tmp_path / "corpus.yaml"
    config.write_text("name: optout-corpus\noutput: out\nsources:\n  - name: docs\n"
                      "    read: {format: jsonl, paths: [in/docs.jsonl]}\n"
                      "    fields: {id: doc_id, text: body, url: link, license: rights}\n"
                      f"stages:\n{stage}  - dedup: {{method: exact}}\n", encoding="utf-8")
    return config, tmp_path / "out"


PLAIN = ("# rights holders who asked\n"
         "url:HTTPS://Example.COM:443/a#top\n"
         "url: https://example.com/~user\n"
         "\n"
         "prefix:https://site.org/books/\n"
         "domain:example.net\n"
         "domain:xn--bcher-kva.example\n")
CSV = ("kind,value,reason\n"
       "# by record\n"
       "id,docs:d1,asked by the author\n"
       "id,other:d2,another source's record\n"
       f"hash,{xxh3_of_text(text_of('e1')).upper()},same text anywhere\n")


def test_the_stage_removes_by_each_kind_of_rule_and_nothing_else(tmp_path):
    config, out = optout_corpus(tmp_path, {"plain.txt": PLAIN, "rules.csv": CSV})
    run = cli(["build", str(config), "--workers", "1", "-q"], cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    kept = {r["id"] for r in read_shards(out)}
    assert kept == {f"docs:{rid}" for rid, _ in RECORDS} - MUST_GO
    gone = {r["id"]: r for r in rejects(out) if r["reason"] == "opted-out"}
    assert set(gone) == MUST_GO
    assert all(r["stage"] == "optout" for r in gone.values())
    # the detail names the list, its line and the rule as written, and the list's reason
    assert gone["docs:a1"]["detail"] == "plain.txt:2: url:HTTPS://Example.COM:443/a#top"
    assert gone["docs:g2"]["detail"] == "plain.txt:2: url:HTTPS://Example.COM:443/a#top"
    assert gone["docs:g1"]["detail"] == "plain.txt:3: url:https://example.com/~user"
    assert gone["docs:b1"]["detail"] == "plain.txt:5: prefix:https://site.org/books/"
    assert gone["docs:c1"]["detail"] == gone["docs:c2"]["detail"] == "plain.txt:6: domain:example.net"
    assert gone["docs:h1"]["detail"] == "plain.txt:7: domain:xn--bcher-kva.example"
    assert gone["docs:d1"]["detail"] == "rules.csv:3: id:docs:d1 (asked by the author)"
    assert gone["docs:e1"]["detail"].startswith("rules.csv:5: hash:")

    manifest = json.loads((out / "manifest.json").read_text())
    section = manifest["opt_outs"]
    by_list = {e["list"]: e for e in section["lists"]}
    assert by_list["plain.txt"]["rules"] == {"url": 2, "prefix": 1, "domain": 2}
    assert by_list["plain.txt"]["removed"] == 7
    assert by_list["plain.txt"]["removed_by_kind"] == {"url": 3, "prefix": 1, "domain": 3}
    assert by_list["rules.csv"]["rules"] == {"id": 2, "hash": 1}
    assert by_list["rules.csv"]["removed"] == 2 and by_list["rules.csv"]["removed_by_kind"] == {"id": 1, "hash": 1}
    assert by_list["rules.csv"]["sha256"] == hashlib.sha256(CSV.encode()).hexdigest()
    assert by_list["plain.txt"]["path"] == "lists/plain.txt"  # relative to the corpus file, no home folder
    assert section["removed"] == 9 and section["removed_by_kind"] == {"domain": 3, "hash": 1, "id": 1, "prefix": 1,
                                                                       "url": 3}
    assert manifest["dropped"]["optout:opted-out"] == 9

    card = (out / "README.md").read_text()
    assert "| plain.txt | global |" in card and "| 7 | domain 3, prefix 1, url 3 |" in card
    assert "| rules.csv | global |" in card and "| 2 | hash 1, id 1 |" in card
    assert "Opt-out lists applied" in card and "9 records removed" in card
    summary = json.loads((out / "training-data-summary.json").read_text())
    optouts = summary["data_processing_aspects"]["tdm_opt_outs"]
    assert optouts["records_removed_by_lists"] == 9 and optouts["records_removed_for_opt_out"] == 9
    assert [e["list"] for e in optouts["opt_out_lists"]] == ["plain.txt", "rules.csv"]
    assert "| plain.txt | global |" in (out / "training-data-summary.md").read_text()


@pytest.mark.parametrize("name, text, line, says", [
    ("bad.txt", "url:https://example.com/a\n# fine\nulr:https://example.com/b\n", 3, "'ulr' is not a kind of rule"),
    ("bad.txt", "domain:example.com\nhttps://example.com/b\n", 2, "is a URL without a kind; write url:https"),
    ("bad.txt", "domain:example.com\njust words\n", 2, "has no kind"),
    ("bad.txt", "\n\ndomain:https://example.com/x\n", 3, "is not a domain name"),
    ("bad.txt", "hash:1234\n", 1, "is not a content hash"),
    ("bad.txt", "url:/relative/path\n", 1, "is not an absolute URL"),
    ("bad.csv", "kind,value\nid,docs:a1\nurl,https://x.org/,why,extra\n", 3, "4 fields"),
    ("bad.csv", "kind,value,reason\nprefix,,no value\n", 2, "has no value"),
    ("bad.csv", "kind,value\nid,docs:a1\nid,\"docs:a2\n", 3, "not valid CSV (unexpected end of data)"),
])
def test_a_bad_line_is_a_config_error_naming_the_list_and_line_before_any_work(tmp_path, name, text, line, says):
    config, out = optout_corpus(tmp_path, {name: text})
    for command in (["validate", str(config)], ["build", str(config), "--workers", "1", "-q"]):
        run = cli(command, cwd=tmp_path)
        assert run.returncode == 2, run.stdout + run.stderr
        assert "invalid corpus file:" in run.stderr
        assert f"corpus.yaml:8: stages[0].optout: {name}:{line}: " in run.stderr and says in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
    assert not out.exists()  # nothing was written


def test_a_missing_list_is_a_config_error(tmp_path):
    config, out = optout_corpus(tmp_path, {}, stage="  - optout: {lists: [lists/nowhere.txt]}\n")
    run = cli(["build", str(config), "--workers", "1", "-q"], cwd=tmp_path)
    assert run.returncode == 2 and "opt-out list" in run.stderr and "nowhere.txt: no such file" in run.stderr
    assert not out.exists()


# -- removal from a release --------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, str]:
    """Every file under a folder, with its sha256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def many_shards(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    write_corpus(tmp_path / "in", bad_lines=False)
    out = tmp_path / "out"
    config = write_config(tmp_path / "corpus.yaml", out, str(tmp_path / "in" / "*.jsonl.gz"),
                          extra=extra)  # 64KB shards: ~15 of them
    return config, out


def removal_list(out: Path, tmp_path: Path) -> tuple[Path, list[str], set[str]]:
    """A list naming records of two shards (by id, by URL and by content hash); returns it, the two shards,
    and the ids that must go."""
    manifest = json.loads((out / "manifest.json").read_text())
    shards = [s["path"] for s in manifest["shards"]]
    assert len(shards) >= 6, shards
    first, second = shards[1], shards[4]
    a = pq.read_table(out / first).to_pylist()
    b = pq.read_table(out / second).to_pylist()
    assert b[3]["url"].startswith("https://example.org/")  # written so by conftest.write_corpus
    # the URL as a rights holder may write it: scheme and host in capitals, the default port
    url = b[3]["url"].replace("https://example.org/", "HTTPS://EXAMPLE.ORG:443/")
    lines = ["# removal requests", f"id:{a[0]['id']}", f"id:{a[-1]['id']}", f"url:{url}",
             f"hash:{b[7]['content_hash'].upper()}", "id:docs:no-such-record"]
    path = tmp_path / "removals.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [first, second], {a[0]["id"], a[-1]["id"], b[3]["id"], b[7]["id"]}


def test_apply_rewrites_only_the_shards_that_hold_listed_records_and_a_rebuild_keeps_them_out(tmp_path):
    config, out = many_shards(tmp_path)
    run = cli(["build", str(config), "--workers", "1", "-q"])
    assert run.returncode == 0, run.stderr[-3000:]
    lst, changed, must_go = removal_list(out, tmp_path)
    before_rows = read_shards(out)
    before = tree(out)
    schemas = {p: pq.read_schema(out / p) for p in changed}
    codecs = {p: pq.ParquetFile(out / p).metadata.row_group(0).column(0).compression for p in changed}

    run = cli(["optout", "apply", str(out), "--list", str(lst), "--reason", "rights holder request"])
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"removed {len(must_go)} records" in run.stdout
    after = tree(out)
    data_changed = {p for p in before if p.startswith("data/") and before[p] != after.get(p)}
    assert data_changed == set(changed)
    assert {p for p in after if p.startswith("data/")} == {p for p in before if p.startswith("data/")}
    assert {p for p in after if p not in before} == {"removals.jsonl"}
    # every listed record is gone and nothing else is; the others keep their order
    assert [r["id"] for r in read_shards(out)] == [r["id"] for r in before_rows if r["id"] not in must_go]
    assert read_shards(out) == [r for r in before_rows if r["id"] not in must_go]
    for path in changed:  # same schema (with its Hugging Face features) and compression
        assert pq.read_schema(out / path).equals(schemas[path], check_metadata=True)
        meta = pq.ParquetFile(out / path).metadata
        assert {meta.row_group(g).column(c).compression for g in range(meta.num_row_groups)
                for c in range(meta.num_columns)} == {codecs[path]} == {"ZSTD"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["records_out"] == len(before_rows) - len(must_go)
    assert manifest["sources"]["docs"]["records_out"] == manifest["records_out"]
    # no rights stage: the licence column is empty, counted as "none" as the build counts it
    assert manifest["sources"]["docs"]["licenses"] == {"none": manifest["records_out"]}
    assert manifest["sources"]["docs"]["text_chars"] == sum(len(r["text"]) for r in read_shards(out))
    assert manifest["sources"]["docs"]["bytes"] == sum(s["bytes"] for s in manifest["shards"])
    for shard in manifest["shards"]:
        assert shard["sha256"] == after[shard["path"]] and shard["rows"] == pq.ParquetFile(out / shard["path"]).metadata.num_rows
    tombstones = [json.loads(line) for line in (out / "removals.jsonl").read_text().splitlines()]
    assert {t["id"] for t in tombstones} == must_go
    for t in tombstones:
        assert set(t) == {"id", "source", "content_hash", "shard", "list", "line", "rule", "reason", "date"}
        assert t["reason"] == "rights holder request" and t["list"] == "removals.txt" and t["shard"] in changed
    assert not any("text" in t or "caption" in t for t in tombstones)  # no content
    assert manifest["removals"]["records"] == len(must_go)
    applied = manifest["removals"]["applied"]
    assert len(applied) == 1 and applied[0]["removed"] == len(must_go) and applied[0]["shards"] == sorted(changed)
    assert applied[0]["lists"][0]["path"] == "removals.txt"  # not the absolute path: no home folder published
    assert applied[0]["lists"][0]["removed_by_kind"] == {"hash": 1, "id": 2, "url": 1}
    card = (out / "README.md").read_text()
    assert f"Removed from this release after it was built" in card and f"{len(must_go)} records" in card
    verify = cli(["verify", str(out)])
    assert verify.returncode == 0, verify.stderr

    # the same list again: nothing to remove, not a byte changed
    again = cli(["optout", "apply", str(out), "--list", str(lst)])
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stdout
    assert tree(out) == after

    # a rebuild of the same corpus into the same output keeps them out, and keeps the tombstones
    rebuild = cli(["build", str(config), "--workers", "2", "-q"])
    assert rebuild.returncode == 0, rebuild.stderr[-3000:]
    ids = [r["id"] for r in read_shards(out)]
    assert not must_go & set(ids)
    assert ids == [r["id"] for r in before_rows if r["id"] not in must_go]
    assert (out / "removals.jsonl").read_text() == "".join(json.dumps(t, ensure_ascii=False, sort_keys=True) + "\n"
                                                           for t in tombstones)
    kept_out = [r for r in rejects(out) if r["reason"] == "removed-after-release"]
    assert {r["id"] for r in kept_out} >= must_go
    rebuilt = json.loads((out / "manifest.json").read_text())
    assert rebuilt["opt_outs"]["kept_out_after_release"] == len(kept_out)
    assert "were kept out of this build" in (out / "README.md").read_text()
    assert cli(["verify", str(out)]).returncode == 0


def test_an_apply_killed_half_way_is_finished_by_the_next(tmp_path, monkeypatch):
    import importlib

    from pdcorpus.verify import verify

    build_module = importlib.import_module("pdcorpus.builder")
    optout = importlib.import_module("pdcorpus.optout")

    config, out = many_shards(tmp_path)
    build_module.build(str(config), workers=1, progress=False)
    lst, changed, must_go = removal_list(out, tmp_path)
    real = build_module.write_publication

    def killed(*args, **kwargs):  # the shards are in place, the card, the tombstones and the manifest are not
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "write_publication", killed)
    with pytest.raises(KeyboardInterrupt):
        optout.apply_removals(str(out), [str(lst)])
    assert (out / "removals.pending.json").exists()
    assert verify(str(out))  # shards and manifest disagree for now
    monkeypatch.setattr(build_module, "write_publication", real)
    result = optout.apply_removals(str(out), [str(lst)])
    assert result.finished_pending and result.removed == 0
    assert not (out / "removals.pending.json").exists()
    assert verify(str(out)) == []
    gone = {json.loads(line)["id"] for line in (out / "removals.jsonl").read_text().splitlines()}
    assert gone == must_go and not gone & {r["id"] for r in read_shards(out)}
    assert not any(".tmp-" in p for p in tree(out))


def test_apply_refuses_an_output_without_a_manifest_and_a_locked_one(tmp_path):
    (tmp_path / "empty").mkdir()
    lst = tmp_path / "l.txt"
    lst.write_text("id:x\n")
    run = cli(["optout", "apply", str(tmp_path / "empty"), "--list", str(lst)])
    assert run.returncode == 1 and "no manifest.json" in run.stderr
    config, out = many_shards(tmp_path)
    assert cli(["build", str(config), "--workers", "1", "-q"]).returncode == 0
    (out / ".pdcorpus.lock").write_text(json.dumps({"host": "elsewhere", "pid": 1}))
    run = cli(["optout", "apply", str(out), "--list", str(lst)])
    assert run.returncode == 1 and "another build holds output" in run.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("id:x\nnope\n")
    (out / ".pdcorpus.lock").unlink()
    run = cli(["optout", "apply", str(out), "--list", str(bad)])
    assert run.returncode == 1 and "bad.txt:2: 'nope' has no kind" in run.stderr


def test_a_correction_reaches_the_hub_in_one_commit_of_only_the_changed_files(tmp_path):
    from hub_server import FakeHub
    from test_publish import hub_env, published_files

    config, out = many_shards(tmp_path, extra="publish: {repo: pd-org/corrected, private: true}\n")
    with FakeHub() as hub:
        env = hub_env(hub, tmp_path)
        run = cli(["build", str(config), "--workers", "1", "-q"], env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        repo = hub.repos["pd-org/corrected"]
        assert len(repo.commits) == 1
        lst, changed, must_go = removal_list(out, tmp_path)
        puts = sum(1 for method, _, _ in hub.requests if method == "PUT")

        run = cli(["optout", "apply", str(out), "--list", str(lst), "--publish"], env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert len(repo.commits) == 2
        commit = repo.commits[1]
        assert commit["added"] == sorted(changed + ["README.md", "manifest.json", "removals.jsonl",
                                                    "training-data-summary.json", "training-data-summary.md"])
        assert commit["summary"].startswith("pdcorpus: remove 4 records from test-corpus")
        assert repo.branches["main"] == published_files(out)  # the Hub holds the corrected release
        new_puts = [path for method, path, _ in hub.requests if method == "PUT"][puts:]
        assert sorted(p.rsplit("/", 1)[1] for p in new_puts) == sorted(
            hashlib.sha256((out / p).read_bytes()).hexdigest() for p in changed)  # only the two shards' bytes
        assert hub.token not in run.stdout + run.stderr
        assert f"commit {commit['oid']}" in run.stdout

        again = cli(["optout", "apply", str(out), "--list", str(lst), "--publish"], env=env)
        assert again.returncode == 0 and "nothing changed" in again.stdout
        assert len(repo.commits) == 2


# -- a Do-Not-Train registry on 127.0.0.1 ----------------------------------------------------------------


class RegistryServer:
    """Answers as Spawning's Do-Not-Train API documents: a POST of newline-separated URLs (at most 10,000) with
    ``Authorization: API <key>``, answered ``{"urls": [{"url": ..., "optOut": true|false}]}``; other keys get 401."""

    def __init__(self, key: str, opted_out: set[str], status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.key, self.opted_out, self.status = key, opted_out, status
        self.queries: list[list[str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                if self.headers.get("Authorization") != f"API {server.key}":
                    return self._send(401, {"detail": "Invalid API key"})
                urls = [u for u in body.split("\n") if u]
                if len(urls) > 10_000:
                    return self._send(400, {"detail": "at most 10,000 URLs"})
                server.queries.append(urls)
                if server.status != 200:
                    return self._send(server.status, {"detail": "unavailable"})
                self._send(200, {"urls": [{"url": u, "optOut": u in server.opted_out} for u in urls]})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/query/urls"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "RegistryServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


REGISTRY_KEY = "spawning-secret-key-7f3a9c"


def registry_stage(url: str, batch: int = 4, lists: str = "") -> str:
    return ("  - optout:\n" + (f"      lists: [{lists}]\n" if lists else "")
            + f"      registry: {{endpoint: \"{url}\", key: \"${{DNT_KEY}}\", batch: {batch}}}\n")


def test_a_registry_is_asked_in_batches_its_answers_cached_and_its_key_never_shown(tmp_path):
    opted = {"https://other.org/d2", "https://site.org/bookshelf", "https://notexample.net/x"}
    with RegistryServer(REGISTRY_KEY, opted) as registry:
        config, out = optout_corpus(tmp_path, {"rules.csv": CSV},
                                    stage=registry_stage(registry.url, lists="lists/rules.csv"))
        env = dict(os.environ, DNT_KEY=REGISTRY_KEY)
        run = cli(["build", str(config), "--workers", "1", "-q", "--keep-work"], cwd=tmp_path, env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        # the lists settle d1 and e1 first; every other record with a URL is asked about, 4 URLs a request,
        # in input order, each URL once
        asked = [url for _, url in RECORDS if url and f"docs:{_}" not in ("docs:d1", "docs:e1")]
        batches = [[url for rid, url in RECORDS[i:i + 4] if url and rid not in ("d1", "e1")]
                   for i in range(0, len(RECORDS), 4)]
        assert registry.queries == [b for b in batches if b]
        assert sorted(u for q in registry.queries for u in q) == sorted(asked)
        kept = {r["id"] for r in read_shards(out)}
        assert kept == {f"docs:{rid}" for rid, _ in RECORDS} - {"docs:d1", "docs:e1", "docs:d2", "docs:b2", "docs:c3"}
        gone = {r["id"]: r["detail"] for r in rejects(out) if r["reason"] == "opted-out"}
        assert gone["docs:b2"] == "registry:127.0.0.1: optOut true for https://site.org/bookshelf"
        manifest = json.loads((out / "manifest.json").read_text())
        entry = next(e for e in manifest["opt_outs"]["lists"] if e["list"] == "registry:127.0.0.1")
        assert entry["removed"] == 3 and entry["removed_by_kind"] == {"url": 3} and entry["registry"] is True
        assert "| registry:127.0.0.1 | global | (registry, asked per URL) |" in (out / "README.md").read_text()
        # the key: in the Authorization header only
        everything = run.stdout + run.stderr + "".join(
            p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
        assert REGISTRY_KEY not in everything
        assert list((out / ".work" / "optout-registry").rglob("*.json"))  # the answers, cached in the work folder

        # a second build asks nothing: the answers are in the cache
        again = cli(["build", str(config), "--workers", "2", "-q"], cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(registry.queries) == len([b for b in batches if b])
        assert {r["id"] for r in read_shards(out)} == kept


def test_a_refused_key_and_an_unavailable_registry_fail_the_build_saying_so_without_the_key(tmp_path):
    env = dict(os.environ, DNT_KEY=REGISTRY_KEY)
    (tmp_path / "refused").mkdir()
    with RegistryServer("another-key", set()) as registry:
        config, out = optout_corpus(tmp_path / "refused", {}, stage=registry_stage(registry.url))
        run = cli(["build", str(config), "--workers", "1", "-q"], cwd=tmp_path, env=env)
        assert run.returncode == 1
        assert f"opt-out registry {registry.url} refused the key (HTTP 401)" in run.stderr
        assert REGISTRY_KEY not in run.stdout + run.stderr and "Traceback" not in run.stderr
    (tmp_path / "down").mkdir()
    with RegistryServer(REGISTRY_KEY, set(), status=503) as registry:
        stage = registry_stage(registry.url).replace("batch: 4}", "batch: 4, retries: 1}")
        config, out = optout_corpus(tmp_path / "down", {}, stage=stage)
        run = cli(["build", str(config), "--workers", "1", "-q"], cwd=tmp_path, env=env)
        assert run.returncode == 1
        assert "no answer after 2 attempts (HTTP 503)" in run.stderr and REGISTRY_KEY not in run.stderr
        assert len(registry.queries) == 2  # the first batch, asked twice; nothing after it


def test_a_shard_that_loses_every_record_stays_empty_and_the_release_still_loads(tmp_path):
    import importlib

    import datasets

    from pdcorpus.verify import verify

    config, out = many_shards(tmp_path)
    importlib.import_module("pdcorpus.builder").build(str(config), workers=1, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    emptied = manifest["shards"][2]["path"]
    ids = [r["id"] for r in pq.read_table(out / emptied).to_pylist()]
    lst = tmp_path / "all.csv"
    lst.write_text("kind,value,reason\n" + "".join(f"id,{i},test\n" for i in ids))
    run = cli(["optout", "apply", str(out), "--list", str(lst)])
    assert run.returncode == 0, run.stderr
    assert pq.ParquetFile(out / emptied).metadata.num_rows == 0
    assert pq.read_schema(out / emptied).equals(pq.read_schema(out / manifest["shards"][0]["path"]), check_metadata=True)
    assert verify(str(out)) == []
    after = json.loads((out / "manifest.json").read_text())
    assert [s["path"] for s in after["shards"]] == [s["path"] for s in manifest["shards"]]
    assert after["records_out"] == manifest["records_out"] - len(ids)
    loaded = datasets.load_dataset("parquet", data_files=str(out / "data" / "docs" / "*.parquet"), split="train",
                                   cache_dir=str(tmp_path / "hf-cache"))
    assert loaded.num_rows == after["records_out"]
    assert not set(ids) & set(loaded["id"])
