"""What a build fetched, for the EU training-data summary (section 2.3, data crawled and scraped from online
sources): the crawler's User-Agent, whether robots.txt was obeyed, the collection period, and the domains by
the size of the content retrieved from them. Read from the ``fetch`` steps' tallies in the manifest, which
``FetchStage`` keeps per record fetched: ``domain:<host>`` (bytes), ``retrieved:<YYYY-MM-DD>``,
``user-agent:<agent>`` and ``robots.txt:obeyed|ignored`` (records).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdcorpus.manifest import Manifest


def crawled(manifest: "Manifest | dict[str, Any]") -> dict[str, Any] | None:
    """The crawl facts of a build, or None if it fetched nothing over HTTP."""
    from pdcorpus.manifest import Manifest

    steps = [s for s in Manifest.of(manifest).stages if s.stage == "fetch"]
    if not steps:
        return None
    tally: Counter = Counter()
    for step in steps:
        tally.update(step.tally or {})
    domains = Counter({k.split(":", 1)[1]: v for k, v in tally.items() if k.startswith("domain:")})
    days = sorted(k.split(":", 1)[1] for k in tally if k.startswith("retrieved:"))
    total = sum(domains.values())
    # the template asks for the top 10% of domain names by size of content scraped (at least one)
    top = max(1, math.ceil(len(domains) * 0.10)) if domains else 0
    ranked = sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {
        "records_fetched": sum(s.records_out for s in steps),
        "records_failed": sum(sum(s.dropped.values()) for s in steps),
        "failures": dict(sum((Counter(s.dropped) for s in steps), Counter()).most_common()),
        "user_agents": sorted(k.split(":", 1)[1] for k in tally if k.startswith("user-agent:")),
        "robots_txt": sorted(k.split(":", 1)[1] for k in tally if k.startswith("robots.txt:")),
        # fetch/reservations.py: what an unreadable robots.txt was taken to mean (deny unless the config says allow)
        "robots_unreachable": sorted(k.rsplit(":", 1)[1] for k in tally if k.startswith("reservations:robots-unreachable:")),
        "period": {"from": days[0], "to": days[-1]} if days else None,
        "domains": len(domains),
        "bytes": total,
        "top_domains": [{"domain": d, "bytes": b, "share": round(b / total, 4) if total else 0.0} for d, b in ranked],
    }


def crawled_markdown(facts: dict[str, Any]) -> list[str]:
    agents = ", ".join(f"`{a}`" for a in facts["user_agents"]) or "(none recorded)"
    unreachable = ("was read as allowing everything (`robots_unreachable: allow`)"
                   if facts.get("robots_unreachable") == ["allow"] else "was read as disallowing everything")
    robots = (f"obeyed (RFC 9309; an unreachable robots.txt {unreachable})"
              if facts["robots_txt"] == ["obeyed"] else "not obeyed for every request (`robots: false` in the config)")
    period = facts["period"]
    lines = [
        f"Were crawlers used by the provider or on its behalf? Yes, for this corpus: pdcorpus fetched "
        f"{facts['records_fetched']:,} pages or images ({facts['bytes']:,} bytes) from {facts['domains']:,} "
        f"domain{'s' if facts['domains'] != 1 else ''}"
        + (f", between {period['from']} and {period['to']}" if period else "") + ".", "",
        f"- Crawler: pdcorpus's HTTP fetcher, User-Agent {agents}.",
        "- Purpose: to collect the pages and images named in the corpus file's URL lists, for a corpus of "
        "public-domain and openly licensed material.",
        f"- Behaviour: robots.txt {robots}; per-host rate and connection limits; no log-in, no cookies, no "
        "paywalled content (no credentials are sent); private and internal addresses refused; failures set aside "
        f"with their reasons ({facts['records_failed']:,} of them).",
        "- Content: what each URL list names (see the sources above); the rights stage decides each record from "
        "the licence the page declares.",
        "", "Top domains by size of content retrieved (the top 10% of domain names):", "",
        "| domain | bytes | share |", "| --- | --- | --- |",
    ]
    lines += [f"| {d['domain']} | {d['bytes']:,} | {100 * d['share']:.1f}% |" for d in facts["top_domains"]]
    return lines + [""]
