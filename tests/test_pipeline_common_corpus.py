"""pipelines/common-corpus: the composite recipe (Gutenberg, Wikisource, BHL, Internet Archive; rights for the US
and the EU, language, quality, exact and near dedup, publishing) built through the CLI against the four archive
stand-ins on 127.0.0.1 and published to the Hugging Face Hub stand-in (tests/hub_server.py).

Expectations: each source keeps what its own recipe keeps (the recipes' tests say why, from the archives'
statements and dates); the Internet Archive's OCR of *Alice's Adventures in Wonderland* and Project Gutenberg's
text of it share all but the scan's running title (word 5-gram Jaccard about 0.95, over the 0.8 threshold), so
the near-duplicate stage keeps one, Gutenberg's (the earlier source); the Hub receives what was built."""

from __future__ import annotations

import json

from archive_server import ArchiveServer
from hub_server import FakeHub
from pipeline_helpers import build, by_id, loopback_env, manifest, meta, rejects, shard_rows
from test_pipeline_bhl import serve as serve_bhl
from test_pipeline_gutenberg import serve as serve_gutenberg
from test_pipeline_internet_archive import QUERY, serve as serve_ia
from test_pipeline_wikisource import serve as serve_wikisource


def test_the_composite_builds_deduplicates_across_collections_and_publishes(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server, FakeHub() as hub:
        catalog = serve_gutenberg(server)
        serve_wikisource(server)
        serve_bhl(server)
        serve_ia(server)
        env = loopback_env(
            tmp_path, GUTENBERG_CATALOG=catalog, GUTENBERG_MIRROR=server.base, WIKISOURCE_API=f"{server.base}/w/api.php",
            BHL_OAI=f"{server.base}/oai", IA_ENDPOINT=server.base, IA_QUERY=QUERY,
            GUTENBERG_REQUESTS_PER_SECOND="250.0", WIKISOURCE_REQUESTS_PER_SECOND="250.0",
            BHL_REQUESTS_PER_SECOND="250.0", IA_REQUESTS_PER_SECOND="250.0",
            PDCORPUS_PUBLISH_REPO="pd-org/common-corpus-test",
            HF_ENDPOINT=hub.url, HF_TOKEN=hub.token, HF_HUB_DISABLE_XET="1", HOME=str(tmp_path),
            HF_HOME=str(tmp_path / "hf"), HF_HUB_DISABLE_TELEMETRY="1")
        run, seconds = build("common-corpus", out, env, workers=2)
        assert run.returncode == 0, run.stderr[-3000:]
        repo = hub.repos["pd-org/common-corpus-test"]
        published = repo.branches["main"]

    kept = by_id(shard_rows(out))
    assert set(kept) == {"gutenberg:11", "gutenberg:2701", "gutenberg:4791", "wikisource:1001", "wikisource:1005",
                         "bhl:7", "bhl:21", "internet-archive:historyofwhaling00scor",
                         "internet-archive:naturalhistory00buff"}
    near = [r for r in rejects(out) if r["reason"] == "near-duplicate"]
    assert [r["id"] for r in near] == ["internet-archive:alicesadventures00carr"]
    assert "gutenberg:11" in near[0]["detail"]
    assert kept["gutenberg:11"]["dedup_cluster"] and kept["gutenberg:11"]["dedup_cluster_size"] == 2
    # every record carries its archive's identifiers and raw rights, and a decision with its reason
    assert meta(kept["internet-archive:historyofwhaling00scor"])["identifier"] == "historyofwhaling00scor"
    assert meta(kept["bhl:7"])["oai_identifier"] == "oai:biodiversitylibrary.org:item/7"
    assert meta(kept["wikisource:1001"])["pageid"] == 1001 and meta(kept["gutenberg:2701"])["gutenberg_id"] == 2701
    assert all(r["rights_reason"].startswith("allow") and r["language"] and r["quality"] for r in kept.values())
    assert kept["gutenberg:4791"]["language"] == "fr"

    facts = manifest(out)
    assert set(facts["sources"]) == {"gutenberg", "wikisource", "bhl", "internet-archive"}
    # published: the shards, the card, the manifest and the summary, byte for byte; not the rejects or review
    for path, data in published.items():
        assert (out / path).read_bytes() == data
    assert {s["path"] for s in facts["shards"]} <= set(published)
    assert not any(p.startswith(("rejects/", "review/")) for p in published)
    summary = json.loads((out / "training-data-summary.json").read_text())
    assert "127.0.0.1" in json.dumps(summary)  # the summary names where the texts were retrieved from
    print(f"\ncommon-corpus composite: {facts['sources']['gutenberg']['records_read'] + 8 + 7 + 9} records read "
          f"in {seconds:.2f} s (build wall time, 2 workers, publishing included)")
