"""pdcorpus: build AI training corpora from public-domain and openly licensed material.

Library use, without a corpus file::

    import pdcorpus as pdc

    records = pdc.read_jsonl("samples/books/*.jsonl.gz", source="books",
                             fields={"id": "book_id", "text": "body", "license": "rights"})
    pipeline = pdc.Pipeline([pdc.LengthFilter(min_chars=50), pdc.ExactDedup()])
    with pdc.ParquetShardWriter("out/books", max_bytes="64MB") as writer:
        writer.write_all(pipeline(records))

With a corpus file: ``pdc.build("configs/sample.yaml")`` or ``pdcorpus build configs/sample.yaml``.
"""

__version__ = "0.1.0"

from pdcorpus.record import SCHEMA, Record, content_hash, normalize_for_hash  # noqa: E402
from pdcorpus.stages import (ExactDedup, FilterStage, GlobalStage, LengthFilter, MapStage,  # noqa: E402
                             LanguageStage, MinHashDedup, NormalizeStage, Pipeline, QualityStage, Reject, RightsStage, Stage, StageContext, StageStats)
from pdcorpus.rights.normalize import normalize as normalize_rights  # noqa: E402
from pdcorpus.rights.policy import RightsDecision, RightsPolicy  # noqa: E402
from pdcorpus.io.readers import (CsvReader, JsonlReader, ParquetReader, TextReader,  # noqa: E402
                                 read_csv, read_jsonl, read_parquet, read_text)
from pdcorpus.io.parquet import ParquetShardWriter  # noqa: E402
from pdcorpus.io.images import ImageReader, read_images  # noqa: E402
from pdcorpus.stages.dedup import PHashDedup  # noqa: E402
from pdcorpus.config import ConfigError, load_config  # noqa: E402
from pdcorpus.build import Build, BuildError, build  # noqa: E402

__all__ = [
    "SCHEMA", "Build", "BuildError", "ConfigError", "CsvReader", "ExactDedup", "FilterStage", "GlobalStage",
    "ImageReader", "JsonlReader", "PHashDedup", "read_images", "LanguageStage", "LengthFilter", "MapStage", "MinHashDedup", "NormalizeStage", "QualityStage", "ParquetReader", "ParquetShardWriter", "Pipeline", "Record",
    "Reject", "RightsDecision", "RightsPolicy", "RightsStage", "Stage", "StageContext", "StageStats", "TextReader", "build", "content_hash", "load_config", "normalize_for_hash", "normalize_rights",
    "read_csv", "read_jsonl", "read_parquet", "read_text",
]
