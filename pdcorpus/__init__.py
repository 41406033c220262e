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

from pdcorpus._version import __version__

# The public names, by the module that defines them. They are imported on first use (PEP 562), so that
# ``import pdcorpus.stages`` (or any one layer) does not import the build, the runners or publishing.
_EXPORTS = {
    "pdcorpus.record": ["SCHEMA", "Record", "content_hash", "normalize_for_hash"],
    "pdcorpus.accounting": ["Reject", "StageStats"],
    "pdcorpus.stages": ["ExactDedup", "FilterStage", "GlobalStage", "LanguageStage", "LengthFilter", "MapStage",
                        "MinHashDedup", "NormalizeStage", "Pipeline", "QualityStage", "RightsStage", "Stage",
                        "StageContext", "register_stage"],
    "pdcorpus.stages.dedup": ["PHashDedup"],
    "pdcorpus.rights.policy": ["RightsDecision", "RightsPolicy"],
    "pdcorpus.io.formats": ["register_format"],
    "pdcorpus.io.readers": ["CsvReader", "JsonlReader", "ParquetReader", "TextReader", "read_csv", "read_jsonl",
                            "read_parquet", "read_text"],
    "pdcorpus.io.parquet": ["ParquetShardWriter"],
    "pdcorpus.io.images": ["ImageReader", "read_images"],
    "pdcorpus.config": ["ConfigError", "load_config"],
    "pdcorpus.builder": ["Build", "BuildError", "build"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
_WHERE["normalize_rights"] = "pdcorpus.rights.normalize"

__all__ = sorted(_WHERE) + ["__version__"]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pdcorpus' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(module), "normalize" if name == "normalize_rights" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
