"""Machine-readable reservations of text-and-data-mining rights, checked while fetching.

Four protocols, each on by default (``fetch.robots`` and the ``fetch.reservations`` block switch them):

``robots`` (robots.txt, RFC 9309, parsed with protego)
    Checked *before* a URL is requested, on every redirect hop. Our own product token
    (``user_agent``) follows RFC 9309 in full: its group, else the ``*`` group. Each name in
    ``reservations.ai_agents`` (GPTBot, CCBot, ...) reserves a URL only through a group that names it:
    a site that disallows GPTBot has said it does not want its pages used for AI training; the ``*``
    group is our own rule already. 4xx (and more than five redirects) = no rules (RFC 9309 2.3.1.3);
    5xx, 429, timeouts and network errors after the retries = complete disallow (2.3.1.4), unless
    ``robots_unreachable: allow``. An unreachable file is asked again after ten minutes, a read one after
    24 hours (2.4).
``tdmrep`` (W3C TDM Reservation Protocol, CG final report 2024)
    ``/.well-known/tdmrep.json`` is read before the host's first page; its first rule whose ``location``
    matches the URL's path (``*`` any characters, ``$`` the end, as robots.txt) gives ``tdm-reservation``.
    The ``tdm-reservation`` / ``tdm-policy`` response headers supersede the file, and in HTML the
    ``<meta name="tdm-reservation">`` / ``tdm-policy`` tags supersede both ("Processing priority"); an
    absent value never resets one. ``1`` reserves; a file that is missing, unreadable or not a JSON array,
    and any value but 0 or 1, are "unset" (a protocol error is unset).
``noai`` (``X-Robots-Tag`` header and ``<meta name="robots">``)
    ``noai`` reserves every record; ``noimageai`` reserves image records (a page's text is not an image).
    A header value may be scoped to a user agent (``X-Robots-Tag: otherbot: noai``): it counts when the
    agent is ours or one of ``ai_agents``; so does ``<meta name="GPTBot" content="noai">``.
``content-usage`` (IETF aipref: draft-ietf-aipref-attach, draft-ietf-aipref-vocab)
    The ``Content-Usage`` header (a Structured Fields dictionary, RFC 9651) and ``Content-Usage: <path>
    <preferences>`` lines of robots.txt in the group that applies to us (and the groups naming an AI
    agent), the longest matching path winning and rules of equal length combined, most restrictive first
    (vocab 7.1). ``train-ai=n`` reserves; so does ``train-genai=n`` (earlier drafts' generative-AI
    training, which a corpus may be used for), and, when ``train-ai`` has no value, ``bots=n`` or
    ``all=n`` (earlier drafts' automated processing, which includes AI training). A line without a path
    (as some sites write it) applies to ``/``. A dictionary that does not parse is no preference.

A reserved URL raises ``Reserved`` (reason ``reserved:<protocol>``; the detail names the protocol, the rule
that matched and when it was checked); the fetch stage sets the record aside with it. robots.txt and
tdmrep.json are kept per build in the work folder (``WORK/fetch-hosts/``) under a per-host lock, so every
worker process and a resumed build read the copy the first one fetched.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import re
import time
import uuid
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, field_validator

from pdcorpus.stages.base import StageParams

PROTOCOLS = ("robots", "tdmrep", "noai", "content-usage")
PROTOCOL_NAMES = {
    "robots": "robots.txt (RFC 9309): our User-Agent and the AI-crawler groups named in the config",
    "tdmrep": "W3C TDMRep: /.well-known/tdmrep.json, tdm-reservation header, HTML meta",
    "noai": "noai / noimageai in X-Robots-Tag and <meta name=\"robots\">",
    "content-usage": "IETF aipref Content-Usage (header and robots.txt), train-ai=n",
}
AI_AGENTS = ["GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "Google-Extended", "anthropic-ai", "ClaudeBot",
             "Claude-Web", "Applebot-Extended", "Bytespider", "cohere-ai", "Meta-ExternalAgent", "PerplexityBot",
             "Omgilibot", "Diffbot", "img2dataset"]
ROBOTS_TTL = 24 * 3600.0  # RFC 9309 2.4: a robots.txt should not be cached for more than 24 hours
RETRY_UNREACHABLE = 600.0  # an unreachable file is asked again after this long
HOST_FILES = {"robots": "/robots.txt", "tdmrep": "/.well-known/tdmrep.json"}
STORE_FOLDER = "fetch-hosts"  # in the work folder; removed with it (ownership.clear_work)


class ReservationOptions(StageParams):
    """``fetch.reservations``: which reservation protocols are checked (robots.txt is ``fetch.robots``)."""

    tdmrep: bool = Field(True, description="W3C TDMRep: tdmrep.json, tdm-reservation header and meta")
    noai: bool = Field(True, description="noai / noimageai in X-Robots-Tag and meta robots")
    content_usage: bool = Field(True, description="IETF aipref Content-Usage: header and robots.txt lines")
    ai_agents: list[str] = Field(default_factory=lambda: list(AI_AGENTS),
                                 description="robots.txt groups that reserve a URL when they disallow it ([] = none)")
    robots_unreachable: Literal["deny", "allow"] = Field(
        "deny", description="a robots.txt that cannot be read (5xx, timeout): deny = complete disallow (RFC 9309)")

    @field_validator("ai_agents")
    @classmethod
    def _tokens(cls, value: list[str]) -> list[str]:
        for agent in value:
            if not re.fullmatch(r"[A-Za-z_-]+", agent):
                raise ValueError(f"'{agent}' is not a robots.txt product token (letters, '-' and '_' only, RFC 9309 2.2.1)")
        return value


class Reserved(Exception):
    """A URL whose rights holder reserved text and data mining (or whose robots.txt disallows it)."""

    def __init__(self, protocol: str, rule: str, checked_at: str, verdict: "Verdict | None" = None) -> None:
        self.protocol, self.rule, self.checked_at = protocol, rule, checked_at
        self.reason = f"reserved:{protocol}"
        self.detail = f"{rule} (checked {checked_at})"
        self.verdict = verdict
        super().__init__(f"{self.reason}: {self.detail}")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Verdict:
    """What each protocol said of one URL (``checked``: protocol -> outcome), filled as the checks run."""

    checked: dict[str, str] = field(default_factory=dict)
    unreachable: bool = False  # robots.txt could not be read (and the policy let the URL pass)
    tdm: tuple[int, str] | None = None  # (tdm-reservation, where it came from) so far

    def tally(self, reserved: str | None = None) -> dict[str, int]:
        out = {f"reservations:{p}:checked": 1 for p in self.checked}
        if reserved:
            out[f"reservations:{reserved}:checked"] = 1
        if self.unreachable:
            out["reservations:robots:unreachable"] = 1
        return out


# -- path patterns (RFC 9309 2.2.2-2.2.3; TDMRep reuses them) -------------------------------------------------

_UNRESERVED = re.compile(r"%([0-9A-Fa-f]{2})")


def _normalize(path: str) -> str:
    """Percent-encoding made comparable (RFC 9309 2.2.2): unreserved characters decoded, other non-ASCII and
    encoded octets upper-case encoded."""
    def decode(m: re.Match) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if re.fullmatch(r"[A-Za-z0-9._~-]", ch) else "%" + m.group(1).upper()
    return quote(_UNRESERVED.sub(decode, path), safe="/?=&;:@!$'()*+,%#~-._[]")


def match_length(pattern: str, path: str) -> int | None:
    """len(pattern) if the robots.txt-style pattern matches the path (with its query), else None."""
    if not pattern.startswith("/") and not pattern.startswith("*"):
        return None
    pattern_n = _normalize(pattern)
    anchored = pattern_n.endswith("$")
    body = pattern_n[:-1] if anchored else pattern_n
    regex = ".*".join(re.escape(part) for part in body.split("*")) + ("$" if anchored else "")
    return len(pattern.encode("utf-8")) if re.match(regex, _normalize(path)) else None


def url_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


# -- aipref preferences ---------------------------------------------------------------------------------------


def usage_preferences(value: str) -> dict[str, str]:
    """A Content-Usage value (RFC 9651 dictionary) -> {category: 'y'|'n'}; {} when it does not parse."""
    import http_sf

    try:
        parsed = http_sf.parse(value.strip().encode("ascii", "replace"), tltype="dictionary")
    except Exception:  # noqa: BLE001 - any parse failure means "no preference" (vocab 6.4)
        return {}
    out = {}
    for key, (item, _params) in parsed.items():
        if isinstance(item, http_sf.Token) and str(item) in ("y", "n"):
            out[key] = str(item)
    return out


def training_disallowed(prefs: dict[str, str]) -> str | None:
    """The category whose 'n' reserves AI training, or None."""
    for key in ("train-ai", "train-genai"):
        if prefs.get(key) == "n":
            return key
    if "train-ai" not in prefs:
        for key in ("bots", "all"):
            if prefs.get(key) == "n":
                return key
    return None


# -- robots.txt -----------------------------------------------------------------------------------------------


@dataclass
class Group:
    agents: list[str]  # lower-case product tokens
    rules: list[tuple[str, str]]  # (field, value): allow, disallow, content-usage


def robots_groups(text: str) -> list[Group]:
    """The groups of a robots.txt (RFC 9309 2.1): user-agent lines, then rules, until the next user-agent line
    after a rule. Content-Usage lines before any group apply to every agent (group '*')."""
    groups: list[Group] = []
    current: Group | None = None
    loose: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (s.strip() for s in line.split(":", 1))
        key = key.lower().replace(" ", "-")
        if key in ("user-agent", "useragent"):
            if current is None or current.rules:
                current = Group([], [])
                groups.append(current)
            current.agents.append(value.lower())
        elif key in ("allow", "disallow", "content-usage") and value:
            if current is None:
                if key == "content-usage":
                    loose.append((key, value))
                continue
            current.rules.append((key, value))
    if loose:
        groups.append(Group(["*"], loose))
    return groups


class RobotsFile:
    """A parsed robots.txt: protego decides Allow/Disallow; the groups name the rule and hold Content-Usage."""

    def __init__(self, text: str) -> None:
        from protego import Protego

        self.parser = Protego.parse(text)
        self.groups = robots_groups(text)

    def named(self, agent: str) -> list[Group]:
        return [g for g in self.groups if agent.lower() in g.agents]

    def applying(self, agent: str) -> list[Group]:
        """RFC 9309 2.2.1: the groups naming the agent, else the '*' groups."""
        return self.named(agent) or [g for g in self.groups if "*" in g.agents]

    def disallowed(self, url: str, agent: str, own: bool) -> str | None:
        """The rule that keeps ``agent`` from the URL, or None. ``own``: our agent, with the '*' fallback;
        otherwise (an AI agent) only a group naming it counts."""
        if not own and not self.named(agent):
            return None
        if self.parser.can_fetch(url, agent):
            return None
        groups = self.applying(agent)
        path = url_path(url)
        best = max(((match_length(v, path) or -1, v) for g in groups for k, v in g.rules if k == "disallow"),
                    default=(-1, ""))
        names = ", ".join(sorted({a for g in groups for a in g.agents})) or "*"
        rule = f"'Disallow: {best[1]}'" if best[0] >= 0 else "a Disallow rule"
        return f"robots.txt group 'User-agent: {names}' has {rule} for agent '{agent}'"

    def crawl_delay(self, agent: str) -> float | None:
        return self.parser.crawl_delay(agent)

    def content_usage(self, url: str, agents: list[str]) -> tuple[str, str] | None:
        """(category, rule) when a Content-Usage line of a group applying to one of the agents reserves the URL."""
        path = url_path(url)
        for i, agent in enumerate(agents):
            groups = self.applying(agent) if i == 0 else self.named(agent)
            rules = []
            for g in groups:
                for key, value in g.rules:
                    if key != "content-usage":
                        continue
                    where, _, prefs = value.partition(" ") if value.startswith("/") else ("/", "", value)
                    length = match_length(where, path)
                    if length is not None:
                        rules.append((length, where, prefs.strip(), g))
            if not rules:
                continue
            longest = max(r[0] for r in rules)
            for _, where, prefs, g in (r for r in rules if r[0] == longest):  # equal paths: most restrictive (vocab 7.1)
                category = training_disallowed(usage_preferences(prefs))
                if category:
                    return category, (f"robots.txt group 'User-agent: {', '.join(g.agents)}' has "
                                      f"'Content-Usage: {where} {prefs}' ({category}=n)")
        return None


# -- tdmrep.json ----------------------------------------------------------------------------------------------


class TdmrepFile:
    """The rules of /.well-known/tdmrep.json; ``rules`` is empty when the file is missing or malformed."""

    def __init__(self, text: str | None) -> None:
        self.rules: list[dict[str, Any]] = []
        self.error: str | None = None
        if text is None:
            return
        try:
            data = json.loads(text)
        except ValueError as exc:
            self.error = f"not JSON ({exc})"
            return
        if not isinstance(data, list):
            self.error = "not a JSON array"
            return
        self.rules = [r for r in data if isinstance(r, dict) and isinstance(r.get("location"), str)]

    def lookup(self, url: str) -> tuple[int, str] | None:
        """(tdm-reservation, the rule) of the first rule whose location matches, None if unset."""
        path = url_path(url)
        for rule in self.rules:
            if match_length(rule["location"], path) is not None:
                value = rule.get("tdm-reservation")
                if isinstance(value, bool) or value not in (0, 1):
                    return None  # a protocol error: unset
                shown = {k: rule[k] for k in ("location", "tdm-reservation", "tdm-policy") if k in rule}
                return value, f"tdmrep.json rule {json.dumps(shown, sort_keys=True)}"
        return None


# -- after the response: headers and HTML meta ----------------------------------------------------------------


def _x_robots(values: str, agents: set[str]) -> set[str]:
    """Directives of X-Robots-Tag values (one header a line) that apply to us: unscoped, or scoped to our agents."""
    found: set[str] = set()
    for header in values.split("\n"):
        scope: str | None = None
        for part in header.split(","):
            part = part.strip()
            m = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$", part)
            if m and m.group(1).lower() not in ("unavailable_after", "max-snippet", "max-image-preview",
                                                 "max-video-preview"):
                scope, part = m.group(1).lower(), m.group(2).strip()
            if part and (scope is None or scope in agents):
                found.add(part.lower())
    return found


def page_meta(body: bytes) -> list[tuple[str, str]]:
    """(name, content) of the page's <meta name=...> elements, lower-case names."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - an unparseable page declares nothing
        return []
    return [(str(m.get("name")).strip().lower(), str(m.get("content") or "").strip())
            for m in tree.iter("meta") if m.get("name")]


def check_response(response: Any, verdict: Verdict, agent: str, ai_agents: list[str], options: ReservationOptions,
                   image: bool, html: bool) -> None:
    """Header and meta checks of a fetched response; raises Reserved. ``verdict`` holds the pre-fetch results."""
    when = now_iso()
    headers = response.headers
    meta = page_meta(response.body) if html and (options.tdmrep or options.noai) else []
    if options.tdmrep:
        tdm = verdict.tdm
        header = headers.get("tdm-reservation", "").strip()
        if header in ("0", "1"):  # supersedes the file (TDMRep "Processing priority"); other values are unset
            tdm = (int(header), f"'tdm-reservation: {header}' header"
                   + (f" (tdm-policy {headers['tdm-policy']})" if "tdm-policy" in headers else ""))
        for name, content in meta:
            if name == "tdm-reservation" and content in ("0", "1"):
                policy = next((c for n, c in meta if n == "tdm-policy"), None)
                tdm = (int(content), f"<meta name=\"tdm-reservation\" content=\"{content}\">"
                       + (f" (tdm-policy {policy})" if policy else ""))
        verdict.checked["tdmrep"] = "unset" if tdm is None else str(tdm[0])
        if tdm is not None and tdm[0] == 1:
            raise Reserved("tdmrep", f"TDM rights reserved by the {tdm[1]}", when, verdict)
    if options.noai:
        agents = {agent.lower(), *(a.lower() for a in ai_agents)}
        directives = {(d, f"'X-Robots-Tag: {headers['x-robots-tag']}' header".replace("\n", "', '"))
                      for d in _x_robots(headers.get("x-robots-tag", ""), agents)}
        for name, content in meta:
            if name == "robots" or name in agents:
                directives |= {(d.strip().lower(), f"<meta name=\"{name}\" content=\"{content}\">")
                               for d in content.split(",")}
        verdict.checked["noai"] = "none"
        for directive, where in sorted(directives):
            if directive == "noai" or (directive == "noimageai" and image):
                raise Reserved("noai", f"'{directive}' in the {where}", when, verdict)
    if options.content_usage:
        value = headers.get("content-usage")
        if value is not None:
            category = training_disallowed(usage_preferences(value))
            if category:
                raise Reserved("content-usage", f"'Content-Usage: {value}' header ({category}=n)", when, verdict)
        verdict.checked.setdefault("content-usage", "none")


# -- the per-build store of robots.txt and tdmrep.json -------------------------------------------------------


@dataclass
class HostFile:
    """One fetched robots.txt or tdmrep.json: status (None when unreachable), text, why not, when."""

    url: str
    status: int | None
    text: str | None
    error: str | None
    fetched_at: str
    expires: float  # epoch seconds

    @property
    def unreachable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status == 429


class HostFiles:
    """robots.txt and tdmrep.json of each origin, fetched once per build: one asyncio task per file in a
    process, a lock file per (work folder, origin, file) across processes, the answer kept as JSON in
    ``WORK/fetch-hosts/``; without a work folder (a stage used on its own), in memory only."""

    def __init__(self, work: tuple[Any, str] | None, lock_dir: str) -> None:
        self.work = work
        self.lock_dir = lock_dir
        self.pending: dict[tuple[str, str], asyncio.Future] = {}
        self.parsed: dict[tuple[str, str, str], Any] = {}

    def _key(self, origin: str, kind: str) -> str:
        scope = self.work[1] if self.work else f"pid{os.getpid()}"
        return re.sub(r"[^A-Za-z0-9.-]", "_", origin)[:60] + "-" + hashlib.sha256(
            f"{scope}\0{origin}\0{kind}".encode()).hexdigest()[:16]

    async def get(self, origin: str, kind: str, load: Callable[[str], Awaitable[HostFile]]) -> HostFile:
        key = (origin, kind)
        pending = self.pending.get(key)
        if pending is None or (pending.done() and (pending.cancelled() or pending.exception() is not None
                                                   or pending.result().expires < time.time())):
            pending = self.pending[key] = asyncio.ensure_future(self._get(origin, kind, load))
        return await asyncio.shield(pending)

    def parse(self, host_file: HostFile, kind: str) -> Any:
        key = (host_file.url, kind, host_file.fetched_at)
        if key not in self.parsed:
            text = host_file.text if host_file.status is not None and 200 <= host_file.status < 300 else None
            self.parsed[key] = (RobotsFile(text) if text is not None else None) if kind == "robots" else TdmrepFile(text)
        return self.parsed[key]

    async def _get(self, origin: str, kind: str, load: Callable[[str], Awaitable[HostFile]]) -> HostFile:
        url = origin + HOST_FILES[kind]
        if self.work is None:
            return await load(url)
        fs, root = self.work
        path = f"{root}/{STORE_FOLDER}/{kind}-{self._key(origin, kind)}.json"
        async with self._lock(self._key(origin, kind)):
            kept = await asyncio.to_thread(_read_entry, fs, path)
            if kept is not None and kept.expires >= time.time():
                return kept
            fresh = await load(url)
            await asyncio.to_thread(_write_entry, fs, path, fresh)
            return fresh

    @asynccontextmanager
    async def _lock(self, key: str) -> AsyncIterator[None]:
        os.makedirs(self.lock_dir, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self.lock_dir, f"hostfile-{key}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        delay = 0.005
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(delay)
                    delay = min(0.1, delay * 1.5)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _read_entry(fs: Any, path: str) -> HostFile | None:
    try:
        with fs.open(path, "rb") as fh:
            data = json.loads(fh.read())
        return HostFile(**data)
    except (FileNotFoundError, OSError, ValueError, TypeError):
        return None


def _write_entry(fs: Any, path: str, entry: HostFile) -> None:
    folder = path.rsplit("/", 1)[0]
    fs.makedirs(folder, exist_ok=True)
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with fs.open(tmp, "wb") as fh:
        fh.write(json.dumps(entry.__dict__, sort_keys=True).encode("utf-8"))
    fs.mv(tmp, path)


# -- reporting ------------------------------------------------------------------------------------------------


def reservation_report(manifest: Any) -> dict[str, Any]:
    """Per protocol, records checked and records set aside as reserved, from the ``fetch`` steps of a manifest
    (``pdcorpus.manifest.Manifest``, or its JSON); with the AI agents and the unreachable-robots.txt policy the
    checks used. Empty protocols when nothing was fetched (or the checks were off)."""
    tally: Counter = Counter()
    dropped: Counter = Counter()
    steps = manifest.get("stages", []) if isinstance(manifest, dict) else manifest.stages
    for step in steps:
        if isinstance(step, dict):
            if step.get("stage") == "fetch":
                tally.update(step.get("tally") or {})
                dropped.update(step.get("dropped") or {})
        elif step.stage == "fetch":  # the typed manifest (only the fields read count as read)
            tally.update(step.tally or {})
            dropped.update(step.dropped or {})
    protocols = {}
    for p in PROTOCOLS:
        checked = tally.get(f"reservations:{p}:checked", 0)
        if checked:
            protocols[p] = {"description": PROTOCOL_NAMES[p], "checked": checked, "reserved": dropped.get(f"reserved:{p}", 0)}
    if "robots" in protocols:
        protocols["robots"]["unreachable"] = tally.get("reservations:robots:unreachable", 0)
    return {
        "protocols": protocols,
        "records_reserved": sum(v["reserved"] for v in protocols.values()),
        "ai_agents": sorted(k.split(":", 2)[2] for k in tally if k.startswith("reservations:ai-agent:")),
        "robots_unreachable": sorted(k.split(":", 2)[2] for k in tally if k.startswith("reservations:robots-unreachable:")),
    }


def reservation_markdown(report: dict[str, Any]) -> list[str]:
    """The sentences and table the dataset card and the EU summary (3.1) give of the checks."""
    protocols = report["protocols"]
    if not protocols:
        return []
    lines = ["Machine-readable reservations of text-and-data-mining rights (EU DSM Directive Art. 4(3)) were checked "
             "for every fetched URL; a reserved URL was not used (set aside in `rejects/` with the protocol, the rule "
             "that matched and the time of the check).", "",
             "| protocol | what was checked | records checked | records removed |", "| --- | --- | --- | --- |"]
    lines += [f"| {p} | {v['description']} | {v['checked']:,} | {v['reserved']:,} |" for p, v in protocols.items()]
    lines.append("")
    if "robots" in protocols:
        agents = ", ".join(f"`{a}`" for a in report["ai_agents"]) or "none"
        policy = ", ".join(report["robots_unreachable"]) or "deny"
        lines.append(f"AI-crawler groups of robots.txt honoured: {agents}. A robots.txt that could not be read (5xx, "
                     f"timeout) was read as {'complete disallow (RFC 9309 2.3.1.4)' if policy == 'deny' else policy}"
                     f" ({protocols['robots']['unreachable']:,} records met one).")
    off = [p for p in PROTOCOLS if p not in protocols]
    if off:
        lines.append("Not checked (switched off or nothing reached the check): " + ", ".join(off) + ".")
    lines.append("These checks apply to the URLs pdcorpus fetched; records read from files were not checked. "
                 "Spawning's Do-Not-Train registry and other opt-out lists are not part of these checks.")
    return lines + [""]


__all__ = ["AI_AGENTS", "PROTOCOLS", "HostFile", "HostFiles", "ReservationOptions", "Reserved", "RobotsFile",
           "TdmrepFile", "Verdict", "check_response", "match_length", "reservation_markdown", "reservation_report",
           "usage_preferences"]
