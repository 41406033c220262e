"""Readers and writers. The image reader and the network formats register here (they build on the text readers)."""

from pdcorpus.io.images import ImageReader
from pdcorpus.io.readers import READERS

READERS["images"] = ImageReader

from pdcorpus.fetch.hf import HfReader  # noqa: E402
from pdcorpus.fetch.oai import OaiReader  # noqa: E402
from pdcorpus.fetch.warc import WarcReader  # noqa: E402

READERS.update({"warc": WarcReader, "hf": HfReader, "oai-pmh": OaiReader})

from pdcorpus.fetch.urls import UrlReader  # noqa: E402  (a list of URLs, fetched)

READERS["urls"] = UrlReader
