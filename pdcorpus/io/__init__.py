"""Readers and writers. Formats are registered in ``pdcorpus.io.formats`` and imported on first use."""

from pdcorpus.io.formats import ReadOptions, format_names, get_format, register_format

__all__ = ["ReadOptions", "format_names", "get_format", "register_format"]
