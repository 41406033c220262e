"""Real collections: each archive's API client, record mapping and rights fields (used by ``pipelines/``)."""
