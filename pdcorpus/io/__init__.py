"""Readers and writers. The image reader registers here (it builds on the text readers)."""

from pdcorpus.io.images import ImageReader
from pdcorpus.io.readers import READERS

READERS["images"] = ImageReader

from pdcorpus.fetch.urls import UrlReader  # noqa: E402  (a list of URLs, fetched)

READERS["urls"] = UrlReader
