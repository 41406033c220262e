"""Publishing a build: its dataset card, its public summary of training content, and the upload.

``dataset_card(manifest)`` is the text of ``OUT/README.md``; ``training_data_summary(manifest)`` gives
``OUT/training-data-summary.md`` and the same summary as JSON. Both say only what the manifest records.
"""

from pdcorpus.publish.card import CardError, card_metadata, dataset_card, validate_card_metadata
from pdcorpus.publish.summary import TEMPLATE_SECTIONS, training_data_summary

__all__ = ["CardError", "TEMPLATE_SECTIONS", "card_metadata", "dataset_card", "training_data_summary",
           "validate_card_metadata"]
