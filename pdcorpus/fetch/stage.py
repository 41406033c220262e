"""The ``fetch`` stage: fills each record from its ``url`` (pages to text, or images), asynchronously.

    stages:
      - fetch: {contact: "https://example.org/crawler", images: {max_side: 1024, format: WEBP}}

The requests of one task run on an asyncio event loop in a background thread of the worker (httpx,
up to ``concurrency`` at once, within each host's limits), while this thread extracts the text of
the pages that came back; records leave in the order they came in (at most ``window`` of them in
flight), so the output does not depend on which server answered first. A record that cannot be
filled is set aside with the reason (``http-status-404``, ``timeout``, ``too-large``,
``refused-address``, ``bad-content-type``, ``truncated-body``, ``too-many-redirects``,
``connection-error``, ``dns-error``, ``bad-url``, the extractor's reasons, the image reasons) and
the URL in its detail; a record without a ``url`` is set aside as ``missing-url``; a URL whose rights holder
reserved text and data mining as ``reserved:<protocol>`` (``fetch/reservations.py``: robots.txt before the
request, TDMRep, noai and Content-Usage after it, before the page is extracted).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import deque
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

from pdcorpus._version import __version__

from pdcorpus.fetch.options import FetchOptions
from pdcorpus.fetch.reservations import Reserved, Verdict, check_response
from pdcorpus.record import Record
from pdcorpus.stages.base import Stage, StageContext
from pdcorpus.stages.params import stage_params


class FetchSession:
    """An event loop in a background thread with one ``Fetcher`` on it."""

    def __init__(self, options: FetchOptions, work: tuple[Any, str] | None = None) -> None:
        from pdcorpus.fetch.http import Fetcher

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pdcorpus-fetch", daemon=True)
        self.thread.start()
        self.fetcher = Fetcher(options, work=work)
        self._call(self.fetcher.__aenter__())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def submit(self, url: str) -> concurrent.futures.Future:
        """The response (robots.txt checked before the request; an archive's API client takes this)."""
        return asyncio.run_coroutine_threadsafe(self.fetcher.fetch(url), self.loop)

    def submit_checked(self, url: str) -> concurrent.futures.Future:
        """The response and what the reservation checks found so far (``Fetcher.fetch_checked``)."""
        return asyncio.run_coroutine_threadsafe(self.fetcher.fetch_checked(url), self.loop)

    def close(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.fetcher.__aexit__(None, None, None)

        try:
            self._call(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
            self.loop.close()


class FetchStage(Stage):
    """Fetches each record's ``url`` and fills the record with what came back (see the module notes)."""

    name = "fetch"
    Params = FetchOptions

    def __init__(self, params: FetchOptions | None = None, /, **options: Any) -> None:
        """``FetchStage(contact="mailto:me@example.org")``, or from validated ``FetchOptions``."""
        super().__init__()
        self.params = options = stage_params(FetchOptions, params, options, "FetchStage")
        self.options = options
        self.agent = f"{options.user_agent}/{__version__} (+{options.contact})"
        self.requests = 0
        self.cache_hits = 0
        self.work: tuple[Any, str] | None = None  # the build's work folder: robots.txt, tdmrep.json kept per build

    def bind(self, context: StageContext) -> None:
        self.work = getattr(context, "work", None)

    @classmethod
    def from_params(cls, params: FetchOptions) -> "FetchStage":  # type: ignore[override]
        return cls(params)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        from pdcorpus.fetch.http import FetchError

        session: FetchSession | None = None
        pending: deque[tuple[Record, concurrent.futures.Future | None]] = deque()
        window = self.options.window
        try:
            for record in records:
                if record.url:
                    if session is None:
                        session = FetchSession(self.options, self.work)
                    pending.append((record, session.submit_checked(record.url)))
                else:
                    pending.append((record, None))
                while pending and (len(pending) >= window or pending[0][1] is None or pending[0][1].done()):
                    yield from self._finish(*pending.popleft(), FetchError)
            while pending:
                yield from self._finish(*pending.popleft(), FetchError)
        finally:
            for _, future in pending:
                if future is not None:
                    future.cancel()
            if session is not None:
                self.requests += session.fetcher.requests
                self.cache_hits += session.fetcher.cache_hits
                session.close()

    def _settings(self) -> dict[str, int]:
        """The reservation settings a record was checked with, as tallies (they reach the manifest's fetch step)."""
        o = self.options
        if not o.robots:
            return {}
        out = {f"reservations:ai-agent:{a}": 1 for a in o.reservations.ai_agents}
        out[f"reservations:robots-unreachable:{o.reservations.robots_unreachable}"] = 1
        return out

    def _finish(self, record: Record, future: concurrent.futures.Future | None, error: type) -> Iterator[Record]:
        from pdcorpus.fetch.content import HTML_TYPES, ContentError, fill

        add = self.stats.add
        if future is None:
            add(record.source, 1, 0)
            self.drop(record, "missing-url", "the record has no url to fetch")
            return
        o = self.options
        try:
            response, verdict = future.result()
            check_response(response, verdict, o.user_agent, o.reservations.ai_agents,
                           o.reservations, image=o.images is not None, html=response.mime_type in HTML_TYPES)
            fill(record, response, o)
        except Reserved as exc:  # not used: set aside with the protocol, the rule and when
            add(record.source, 1, 0, tally={**(exc.verdict or Verdict()).tally(exc.protocol), **self._settings()})
            self.drop(record, exc.reason, f"{record.url}: {exc.detail}")
            return
        except error as exc:  # FetchError
            add(record.source, 1, 0)
            self.drop(record, exc.reason, f"{record.url}: {exc.detail}")
            return
        except ContentError as exc:
            add(record.source, 1, 0)
            self.drop(record, exc.reason, f"{record.url}: {exc.detail}")
            return
        # facts for the training-data summary (what was crawled, from where, when, as whom): see fetch/report.py
        tally = {f"domain:{urlsplit(response.final_url).hostname or '?'}": len(response.body),
                 f"retrieved:{response.retrieved_at[:10]}": 1, f"user-agent:{self.agent}": 1,
                 f"robots.txt:{'obeyed' if self.options.robots else 'ignored'}": 1, **verdict.tally(),
                 **self._settings()}
        # each URL's verdict, with the record (the time of the checks is its retrieval; reserved URLs are in rejects)
        _note_verdict(record, verdict)
        add(record.source, 1, 1, tally=tally)
        yield record


def _note_verdict(record: Record, verdict: Verdict) -> None:
    import json

    meta = record.meta()
    meta.setdefault("fetch", {})["reservations"] = dict(sorted(verdict.checked.items()))
    record.metadata = json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)
