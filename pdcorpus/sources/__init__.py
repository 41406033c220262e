"""Readers and record mappings for real public-domain and openly licensed collections (``pipelines/``).

Each module knows one archive: its API, its paging, its record fields and its rights fields, and registers an
input format in ``pdcorpus.io.formats``. What several archives share (the polite fetcher, paging kept in the
work folder, fetching items in order) is in ``pdcorpus.sources.api``.
"""
