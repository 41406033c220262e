"""Sources from the network: HTTP fetching, HTML extraction, WARC, OAI-PMH and Hugging Face datasets."""
