"""Names with life years as library catalogues write them: ``Dickens, Charles, 1812-1870`` (Project Gutenberg's
catalog, the Internet Archive's and the Biodiversity Heritage Library's ``creator``), ``Plato, 428? BCE-348? BCE``,
``Hobbes, Thomas, 1588-1679``, ``Pusey, E. B. [Translator]``, several joined by ``"; "``.

The years feed the rights stage (``died: metadata.author_died``): a work is public domain by the author's death
only when *every* author is known to have died long enough ago, so the latest death year is the one that
counts, and one author without a death year leaves it unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ", 1812-1870", ", 1812?-1870", ", -1870", ", 1812-", ", 428? BCE-348? BCE", ", active 1850-1870" (not lived dates)
_YEARS = re.compile(r",\s*(?P<active>(?:active|fl\.)\s*)?(?P<born>\d{1,4})?\??(?P<born_bce>\s*BCE)?\s*-\s*"
                    r"(?P<died>\d{1,4})?\??(?P<died_bce>\s*BCE)?\s*$", re.IGNORECASE)
_ROLE = re.compile(r"\s*\[(?P<role>[^\]]+)\]\s*$")


@dataclass(frozen=True)
class Person:
    name: str
    born: int | None = None
    died: int | None = None
    role: str | None = None


def parse_person(text: str) -> Person:
    """One catalogue name: ``Dickens, Charles, 1812-1870`` -> Person("Dickens, Charles", 1812, 1870)."""
    text = " ".join(text.split())
    role = None
    match = _ROLE.search(text)
    if match:
        role, text = match["role"].strip(), text[: match.start()].strip()
    years = _YEARS.search(text)
    if not years or years["active"] or not (years["born"] or years["died"]):
        return Person(text.strip(" ,"), role=role)

    def year(value: str | None, bce: str | None) -> int | None:
        return None if value is None else (-int(value) if bce else int(value))

    return Person(text[: years.start()].strip(" ,"), year(years["born"], years["born_bce"]),
                  year(years["died"], years["died_bce"]), role)


def parse_people(text: str | None) -> list[Person]:
    """Several names joined by ``"; "`` (Project Gutenberg's ``Authors`` column)."""
    return [parse_person(part) for part in (text or "").split(";") if part.strip()]


def latest_death(people: list[Person]) -> int | None:
    """The year the last of them died; None if any of them has no known death year (or there is nobody)."""
    if not people or any(p.died is None for p in people):
        return None
    return max(p.died for p in people)  # type: ignore[type-var]


def year_of(date: str | None) -> int | None:
    """The latest year a catalogue date names (``1868``, ``1900-1902`` -> 1902, ``1890-05-01``, ``[c1875]``), or
    None: for publication + 95 years, the last year of a run published over several is the one that counts."""
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", date or "")]
    return max(years) if years else None
