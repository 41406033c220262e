"""``format: inaturalist``: photos of the iNaturalist Open Dataset, captioned by the observation's taxon.

    read:
      format: inaturalist
      paths: ["s3://inaturalist-open-data/photos.csv.gz"]   # the photos table; the others are found beside it
      storage_options: {anon: true}
      licenses: [CC0]
      fetch: {contact: "mailto:you@example.org"}

The dataset (https://github.com/inaturalist/inaturalist-open-data, Metadata/README.md and structure.sql): four
tab-separated tables without quoting (a name may hold a quote), each with a header row, gzip'd, at the bucket's root:
``photos`` (photo_uuid, photo_id, observation_uuid, observer_id, extension, license, width, height, position),
``observations`` (observation_uuid, observer_id, latitude, longitude, positional_accuracy, taxon_id,
quality_grade, observed_on, anomaly_score), ``taxa`` (taxon_id, ancestry, rank_level, rank, name, active) and
``observers`` (observer_id, login, name). Photos are at
``https://inaturalist-open-data.s3.amazonaws.com/photos/<photo_id>/<size>.<extension>`` (``original`` at most
2048 px, ``large`` 1024, ``medium`` 500, ``small`` 240).

The reader takes the photos table from ``paths`` and the other three from the same folder, with the same ending
(``observations.csv.gz`` beside ``photos.csv.gz``). It reads the photos table, keeps the rows whose ``license`` is
in ``licenses`` (a selection, like a category: the others are counted in the manifest's read tallies as
``not-selected:<code>``, not set aside one by one), then reads the observations, taxa and observers those rows
need (memory: a few hundred bytes per selected photo; the 2.5 million CC0 photos of 2024 need about 1 GB), then
the photos table again, in its order, to make the records. One task: the tables are joined, not cut.

Records:

- ``id``: ``<source>:<photo_uuid>`` (``photo_id`` repeats in the tables, about 130,000 times); ``url``: the photo
  in ``size``; ``title``: the taxon's scientific name; ``author``: the observer's name, else login; ``date``:
  ``observed_on``
- ``caption``: "<name> (<rank>), observed on <observed_on>": e.g. "Danaus plexippus (species), observed on
  2021-07-04" (the dataset has scientific names only)
- ``license_raw``: ``{"inaturalist": {"license": "<code>"}}``, read by ``rights`` below
- ``metadata.inaturalist``: the photo's row, its observation's, taxon's and observer's rows, and the photo's and
  observation's pages on inaturalist.org

Set aside with table, line and reason: ``malformed-row`` (a row with the wrong number of columns),
``missing-observation`` (a photo whose observation is not in the observations table: the README warns that the
tables and the bucket drift apart), ``no-taxon`` (an observation without an identification, or a taxon not in the
taxa table), and the caption reasons; photos that vanished from the bucket fail their fetch (``http-status-404``,
``http-status-403``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
from typing import Any, Iterator, Literal

import fsspec
from pydantic import Field, field_validator

from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record
from pdcorpus.sources.media_api import ArchiveReader, ImageSourceOptions

PHOTO_URL = "https://inaturalist-open-data.s3.amazonaws.com/photos/{photo_id}/{size}.{extension}"
PHOTOS = ("photo_uuid", "photo_id", "observation_uuid", "observer_id", "extension", "license", "width", "height",
          "position")

# A code names a licence but no version: the id carries none either. iNaturalist's own table
# (app/models/shared/license_module.rb, LICENSE_INFO) also has "C" (copyright: all rights reserved),
# "PD" (attributed as "no known copyright restrictions", Flickr's licence 7) and "GFDL" (linked to
# gnu.org/copyleft/fdl.html, the current version, 1.3); a blank code is all rights reserved
# (license_number_for_code: "return COPYRIGHT if code.blank?").
CODES = {"cc0": "CC0-1.0", "cc-by": "CC-BY", "cc-by-sa": "CC-BY-SA", "cc-by-nc": "CC-BY-NC",
         "cc-by-nd": "CC-BY-ND", "cc-by-nc-sa": "CC-BY-NC-SA", "cc-by-nc-nd": "CC-BY-NC-ND",
         "c": "InC", "pd": "NKC", "gfdl": "GFDL-1.3"}


def rights(meta: dict) -> Any:
    """A photo's ``license_code`` (API) or ``license`` (open-data table) as a licence (``Normalized``)."""
    from pdcorpus.rights.normalize import UNKNOWN, Normalized

    code = meta.get("license_code", meta.get("license"))
    if code is None or (isinstance(code, str) and not code.strip()):  # iNaturalist: blank means all rights reserved
        return Normalized("InC", f"inaturalist license_code: {'null' if code is None else 'empty'} (all rights reserved)")
    mapped = CODES.get(str(code).strip().lower())
    return Normalized(mapped, f"inaturalist license_code: {code}") if mapped else \
        Normalized(UNKNOWN, f"inaturalist license_code not recognized: {code}")


def detects(keys: set[str]) -> bool:
    return "license_code" in keys



# -- the reader -----------------------------------------------------------------------------------------------


class InatOptions(ImageSourceOptions):
    licenses: list[str] | None = Field(default_factory=lambda: ["CC0"], description="licence codes of the photos "
                                       "to read (case-insensitive); null reads every photo")
    size: Literal["original", "large", "medium", "small"] = Field("large", description="which rendition to fetch")
    photo_url: str = Field(PHOTO_URL, description="where a photo is: {photo_id}, {size} and {extension} are filled in")
    quality_grades: list[str] | None = Field(None, description="only observations of these grades (research, "
                                             "needs_id, casual)")

    @field_validator("photo_url")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(photo_id=1, size="large", extension="jpg")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"photo_url may name only {{photo_id}}, {{size}} and {{extension}}: {exc}") from None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"photo_url must be an http(s) URL, got '{value}'")
        return value


class _Hashing(io.RawIOBase):
    """The raw bytes of a table, hashed as they are read (the manifest's sha256 without a second read)."""

    def __init__(self, raw: Any, digest: Any) -> None:
        self.raw, self.digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.digest.update(data)
        buffer[:len(data)] = data
        return len(data)


class InatReader(ArchiveReader):
    """Photos of the iNaturalist Open Dataset (see the module notes)."""

    format = "inaturalist"
    Options = InatOptions

    def __init__(self, *args: Any, licenses: list[str] | None = None, size: str = "large",
                 photo_url: str = PHOTO_URL, quality_grades: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.licenses = None if licenses is None else {c.strip().lower() for c in licenses}
        self.size = size
        self.photo_url = photo_url
        self.grades = None if quality_grades is None else {g.strip().lower() for g in quality_grades}
        self.digest = hashlib.sha256()

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        return Reader.list_inputs.__func__(cls, read)  # the photos table, as paths names it

    def input_sha256(self, file: InputFile) -> str:
        return self.digest.hexdigest()

    def _rows(self, url: str, columns: tuple[str, ...], digest: Any = None
              ) -> Iterator[tuple[int, dict[str, str] | None, str]]:
        """(line, row by column name or None for a row of the wrong width, the line) of a table; the header is
        checked against the columns the reader needs."""
        name = posixpath.basename(url)
        try:
            raw = fsspec.open(url, "rb", **self.storage_options).open()
        except (OSError, ValueError) as exc:
            raise InputError(f"{url}: cannot open the {name} table: {exc}") from exc
        with raw:
            stream: Any = io.BufferedReader(_Hashing(raw, digest)) if digest is not None else raw
            if url.endswith(".gz"):
                stream = gzip.GzipFile(fileobj=stream, mode="rb")
            header: list[str] | None = None
            for number, line in enumerate(stream, 1):
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if header is None:
                    header = text.removeprefix("\ufeff").split("\t")
                    missing = [c for c in columns if c not in header]
                    if missing:
                        raise InputError(f"{url}: the {name} table has no column {', '.join(missing)} (its header: "
                                         f"{', '.join(header)}); is it the iNaturalist Open Dataset's?")
                    continue
                if not text:
                    continue
                fields = text.split("\t")
                if len(fields) != len(header):
                    yield number, None, text
                    continue
                yield number, dict(zip(header, fields)), text

    def _table(self, photos_url: str, table: str) -> str:
        folder, name = posixpath.split(photos_url)
        return posixpath.join(folder, name.replace("photos", table, 1))

    def seeds(self, file: InputFile) -> Iterator[Record]:
        url = file.url
        # 1. which photos: the selected licences, and the observations they need
        wanted: set[str] = set()
        not_selected: dict[str, int] = {}
        for _, row, _ in self._rows(url, PHOTOS, self.digest):
            if row is None:
                continue  # set aside in the last pass, where records are made in order
            code = row["license"].strip()
            if self.licenses is not None and code.lower() not in self.licenses:
                not_selected[code or "(blank)"] = not_selected.get(code or "(blank)", 0) + 1
                continue
            wanted.add(row["observation_uuid"])
        if not_selected:
            self.stats.add(self.source, tally={f"not-selected:{k}": v for k, v in sorted(not_selected.items())})
        # 2. the rows they join
        observations: dict[str, dict[str, str]] = {}
        taxa_wanted: set[str] = set()
        observers_wanted: set[str] = set()
        for _, row, _ in self._rows(self._table(url, "observations"), ("observation_uuid", "taxon_id", "observed_on")):
            if row is not None and row["observation_uuid"] in wanted:
                observations[row["observation_uuid"]] = row
                taxa_wanted.add(row["taxon_id"])
                observers_wanted.add(row.get("observer_id", ""))
        taxa = self._keyed(self._table(url, "taxa"), "taxon_id", taxa_wanted, ("taxon_id", "name", "rank"))
        observers = self._keyed(self._table(url, "observers"), "observer_id", observers_wanted, ("observer_id",))
        # 3. the records, in the photos table's order
        for number, row, line in self._rows(url, PHOTOS):
            if row is None:
                self.reject(url, number, "malformed-row", "not as many tab-separated columns as the header",
                            raw=line[:2000])
                continue
            if self.licenses is not None and row["license"].strip().lower() not in self.licenses:
                continue
            record = self._record(url, number, row, observations, taxa, observers)
            if record is not None:
                yield record

    def _keyed(self, url: str, key: str, wanted: set[str], columns: tuple[str, ...]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for _, row, _ in self._rows(url, columns):
            if row is not None and row[key] in wanted:
                out[row[key]] = row
        return out

    def _record(self, url: str, number: int, row: dict[str, str], observations: dict, taxa: dict,
                observers: dict) -> Record | None:
        rid = f"{self.source}:{row['photo_uuid']}"
        observation = observations.get(row["observation_uuid"])
        if observation is None:
            self.reject(url, number, "missing-observation", f"photo {row['photo_id']}: observation "
                        f"{row['observation_uuid']} is not in the observations table", id=rid)
            return None
        if self.grades is not None and observation.get("quality_grade", "").strip().lower() not in self.grades:
            self.stats.add(self.source, tally={f"not-selected:grade-{observation.get('quality_grade') or '(blank)'}": 1})
            return None
        taxon = taxa.get(observation.get("taxon_id", ""))
        if taxon is None or not taxon.get("name", "").strip():
            why = "the observation has no identification" if not observation.get("taxon_id") else \
                f"taxon {observation['taxon_id']} is not in the taxa table"
            self.reject(url, number, "no-taxon", f"photo {row['photo_id']}: {why}", id=rid)
            return None
        observer = observers.get(row.get("observer_id") or observation.get("observer_id", "")) or {}
        name, rank, when = taxon["name"].strip(), taxon.get("rank", "").strip(), observation.get("observed_on", "").strip()
        caption = name + (f" ({rank})" if rank else "") + (f", observed on {when}" if when else "")
        photo = self.photo_url.format(photo_id=row["photo_id"], size=self.size, extension=row["extension"].strip())
        meta = {"inaturalist": {
            "photo": row, "observation": observation, "taxon": taxon, "observer": observer or None,
            "photo_page": f"https://www.inaturalist.org/photos/{row['photo_id']}",
            "observation_page": f"https://www.inaturalist.org/observations/{row['observation_uuid']}"}}
        import json

        return self.seed(url, number, rid=rid, url=photo, caption=caption, title=name,
                         author=(observer.get("name") or "").strip() or (observer.get("login") or "").strip() or None,
                         date=when or None, license_raw=json.dumps({"inaturalist": {"license": row["license"]}}),
                         metadata=meta)


__all__ = ["CODES", "InatOptions", "InatReader", "detects", "rights"]
