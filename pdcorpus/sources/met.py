"""``format: met``: objects of The Metropolitan Museum of Art's Collection API, with their Open Access images.

    read:
      format: met
      endpoint: https://collectionapi.metmuseum.org/public/collection/v1
      departmentIds: [11]                # or search: {q: sunflowers, hasImages: true}, or object_ids: [...]
      fetch: {contact: "mailto:you@example.org"}

The API (https://metmuseum.github.io/): ``GET /objects`` (optionally ``departmentIds=1|3``, ``metadataDate``)
or ``GET /search?q=...&hasImages=true&...`` answers ``{"total": n, "objectIDs": [...]}`` (``objectIDs`` is
``null`` when nothing matches); then ``GET /objects/{objectID}`` per object, ``window`` at a time in the
listing's order. The listing answer is kept in the task's work folder (a resumed build does not ask it again);
object answers are kept by ``fetch.cache`` when it is set.

Rights (https://www.metmuseum.org/policies/image-resources, Open Access): ``isPublicDomain: true`` marks the
objects whose images the Met releases under CC0; for the others the API gives empty image URLs.

Records:

- ``id``: ``<source>:<objectID>``; ``title``: ``title``; ``author``: ``artistDisplayName``; ``date``: ``objectDate``
- ``caption``: composed from the catalogue: ``title``, then ``objectName`` (when the title does not say it) and
  ``by artistDisplayName (artistDisplayBio)``, ``objectDate``, ``medium``, ``culture`` / ``period``: e.g.
  "Wheat Field with Cypresses. Painting by Vincent van Gogh (Dutch, Zundert 1853–1890 Auvers-sur-Oise), 1889.
  Oil on canvas."
- ``url``: ``primaryImageSmall`` (the web-large JPEG) or, with ``image: original``, ``primaryImage``
- ``license_raw``: ``{"met": {"isPublicDomain": ...}}`` as the API gives it; ``None`` when the object has no
  ``isPublicDomain``; the rights stage reads ``true`` as CC0-1.0 and ``false`` as in copyright
- ``metadata.met``: the object's whole API record (``objectID``, ``accessionNumber``, ``objectURL``,
  ``department``, ``creditLine``, ``rightsAndReproduction``, ``metadataDate``, ``tags``, ...)

Set aside: ``object-not-found`` (the object answers 404: it has left the collection API since the listing),
``object-unavailable`` (another failure after the retries, with the fetcher's reason), ``malformed-object``
(an answer that is not a JSON object with ``objectID``), ``no-image`` (no image URL: every object that is not
public domain, and public-domain objects without a photograph), and the caption reasons.
"""

from __future__ import annotations

from typing import Any, Iterator, Literal
from urllib.parse import urlencode

from pydantic import Field, field_validator, model_validator

from pdcorpus.io.readers import InputFile
from pdcorpus.record import Record
from pdcorpus.sources.media_api import ApiError, ArchiveOptions, ArchiveReader, Journal, in_order, parse_json

DEFAULT_ENDPOINT = "https://collectionapi.metmuseum.org/public/collection/v1"
EVIDENCE = "https://www.metmuseum.org/policies/image-resources"


# -- rights (called by pdcorpus.rights.normalize for {"met": {...}} statements) ----------------------------------


def rights(meta: dict) -> Any:
    """``isPublicDomain`` (API) or ``Is Public Domain`` (MetObjects.csv) as a licence (``Normalized``)."""
    from pdcorpus.rights.normalize import UNKNOWN, Normalized, truthy

    flag = truthy(meta.get("Is Public Domain", meta.get("isPublicDomain")))
    if flag is True:  # The Met releases the images of works it deems public domain under CC0
        return Normalized("CC0-1.0", "met isPublicDomain: true (Open Access, CC0)")
    if flag is False:
        return Normalized("InC", "met isPublicDomain: false")
    return Normalized(UNKNOWN, "met record without isPublicDomain", missing=True)


def detects(keys: set[str]) -> bool:
    return bool(keys & {"Is Public Domain", "isPublicDomain"})


# -- the reader -----------------------------------------------------------------------------------------------


class MetOptions(ArchiveOptions):
    endpoint: str = Field(DEFAULT_ENDPOINT, description="the Collection API's base URL (.../public/collection/v1)")
    departmentIds: list[int] | None = Field(None, min_length=1, description="objects of these departments")  # noqa: N815
    metadataDate: str | None = Field(None, description="objects updated since this date (YYYY-MM-DD)")  # noqa: N815
    search: dict[str, Any] | None = Field(None, description="arguments of /search: q (required), hasImages, "
                                          "departmentId, isHighlight, medium, dateBegin, dateEnd, ...")
    object_ids: list[int] | None = Field(None, min_length=1, description="these objects, in this order")
    image: Literal["small", "original"] = Field("small", description="primaryImageSmall (web-large) or primaryImage")
    window: int = Field(16, ge=1, le=256, description="object requests in flight (within fetch's per-host limits)")

    @field_validator("metadataDate", mode="before")
    @classmethod
    def _yaml_date(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    @model_validator(mode="after")
    def _one_listing(self) -> "MetOptions":
        if self.search is not None and not str(self.search.get("q") or "").strip():
            raise ValueError("search needs q (the Met's /search requires it; q: '*' matches every object)")
        by_objects = self.departmentIds is not None or self.metadataDate is not None
        if by_objects + (self.search is not None) + (self.object_ids is not None) > 1:
            raise ValueError("format met lists objects by one of: departmentIds / metadataDate (/objects), search "
                             "(/search) or object_ids")
        return self


def listing_url(read: Any) -> str | None:
    """The listing request (None for object_ids)."""
    if read.object_ids is not None:
        return None
    if read.search is not None:
        args = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in read.search.items()}
        return f"{read.endpoint}/search?{urlencode(args)}"
    args = {}
    if read.metadataDate:
        args["metadataDate"] = read.metadataDate
    if read.departmentIds:
        args["departmentIds"] = "|".join(str(d) for d in read.departmentIds)
    return f"{read.endpoint}/objects" + (f"?{urlencode(args)}" if args else "")


def caption_of(obj: dict) -> str | None:
    """The caption composed from the catalogue fields (see the module notes)."""
    def s(key: str) -> str:
        value = obj.get(key)
        return " ".join(str(value).split()) if value not in (None, "") else ""

    title, name, artist, bio = s("title"), s("objectName"), s("artistDisplayName"), s("artistDisplayBio")
    who = f"by {artist}" + (f" ({bio})" if bio else "") if artist else ""
    head = name if name and name.lower() not in title.lower() else ""
    second = " ".join(x for x in (head, who) if x)
    if s("objectDate"):
        second = f"{second}, {s('objectDate')}" if second else s("objectDate")
    place = ", ".join(x for x in (s("culture"), s("period")) if x)
    parts = [p.rstrip(".") for p in (title, second[:1].upper() + second[1:] if second else "", s("medium"), place) if p]
    return ". ".join(parts) + "." if parts else None


class MetReader(ArchiveReader):
    """Objects of the Met's Collection API as image records (see the module notes)."""

    format = "met"
    Options = MetOptions

    def __init__(self, *args: Any, departmentIds: list[int] | None = None, metadataDate: str | None = None,  # noqa: N803
                 search: dict[str, Any] | None = None, object_ids: list[int] | None = None,
                 image: str = "small", window: int = 16, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing_url(MetOptions.model_construct(
            endpoint=self.endpoint, departmentIds=departmentIds, metadataDate=metadataDate, search=search,
            object_ids=object_ids))
        self.object_ids = object_ids
        self.image = image
        self.window = window

    @classmethod
    def describe(cls, read: Any) -> str:
        return listing_url(read) or f"{read.endpoint}/objects/{{{','.join(map(str, read.object_ids))}}}"

    def _ids(self) -> list[int]:
        if self.listing is None:
            return list(self.object_ids or [])
        from pdcorpus.fetch.http import FetchError

        journal = Journal(self.work)
        state = journal.state()
        if state["pages"]:
            body = next(journal.pages(1))
        else:
            try:
                body = self.api.get(self.listing).body
            except FetchError as exc:
                raise ApiError(f"{self.listing}: {exc.reason}: {exc.detail}; running the same command again "
                               "retries it") from None
            journal.save(1, body, {"pages": 1, "next": None, "done": True})
        self.api.digest.update(body)
        data = parse_json(body, self.listing)
        if not isinstance(data, dict) or "objectIDs" not in data:
            raise ApiError(f"{self.listing}: not a listing of the Collection API (no objectIDs); check the endpoint")
        ids = data["objectIDs"] or []  # null: nothing matched
        bad = [i for i in ids if not isinstance(i, int)]
        if bad:
            raise ApiError(f"{self.listing}: objectIDs holds {len(bad)} values that are not numbers, e.g. {bad[0]!r}")
        return ids

    def seeds(self, file: InputFile) -> Iterator[Record]:
        from pdcorpus.fetch.http import FetchError

        where = self.listing or f"{self.endpoint}/objects"
        ids = self._ids()
        for number, (oid, answer) in enumerate(in_order(self.api, ids, lambda i: f"{self.endpoint}/objects/{i}",
                                                        self.window), 1):
            rid = f"{self.source}:{oid}"
            if isinstance(answer, FetchError):
                if answer.reason == "http-status-404":
                    self.reject(where, number, "object-not-found", f"object {oid}: {answer.detail}", id=rid)
                else:
                    self.reject(where, number, "object-unavailable", f"object {oid}: {answer.reason}: "
                                f"{answer.detail}", id=rid)
                continue
            self.api.digest.update(answer.body)
            try:
                obj = parse_json(answer.body, f"object {oid}")
            except ApiError as exc:
                self.reject(where, number, "malformed-object", str(exc), id=rid)
                continue
            if not isinstance(obj, dict) or obj.get("objectID") is None:
                self.reject(where, number, "malformed-object", f"object {oid}: not a Collection API object",
                            raw=answer.body[:2000].decode("utf-8", "replace"), id=rid)
                continue
            record = self._record(obj, where, number, rid)
            if record is not None:
                yield record

    def _record(self, obj: dict, where: str, number: int, rid: str) -> Record | None:
        flag = obj.get("isPublicDomain")
        url = obj.get("primaryImageSmall") if self.image == "small" else obj.get("primaryImage")
        url = url or obj.get("primaryImage") or None  # a small rendition is not always listed
        if not url:
            why = "isPublicDomain is false: the Met publishes images of public-domain works only" if flag is False \
                else "the object has no photograph (primaryImage is empty)"
            self.reject(where, number, "no-image", f"object {obj.get('objectID')}: {why}", id=rid)
            return None
        import json

        license_raw = json.dumps({"met": {"isPublicDomain": flag}}) if "isPublicDomain" in obj and flag is not None \
            else None

        def text(key: str) -> str | None:
            value = obj.get(key)
            return " ".join(str(value).split()) or None if value not in (None, "") else None

        return self.seed(where, number, rid=rid, url=url, caption=caption_of(obj), title=text("title"),
                         author=text("artistDisplayName"), date=text("objectDate"), license_raw=license_raw,
                         metadata={"met": obj})


__all__ = ["EVIDENCE", "MetOptions", "MetReader", "caption_of", "listing_url", "rights"]
