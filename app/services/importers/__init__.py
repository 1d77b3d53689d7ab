"""Streaming readers for preference-pair files: JSONL, JSON array, CSV and Parquet, in the TRL, HH-RLHF,
AlpacaFarm and Label Studio row formats, normalised to (external_id, prompt, chosen, rejected, meta).

Readers hold one record at a time (at most `ImportLimits.max_row_bytes` of it), so any file size streams
in bounded memory; what is wrong with a row comes back as {row, field, message}.
"""

from app.services.importers.fields import item_content_hash
from app.services.importers.formats import ROW_FORMATS, detect_format
from app.services.importers.pairs import PairStream, RowResult, open_pairs, read_pairs
from app.services.importers.records import FileRejected, ImportLimits, PreferencePair, RowError
from app.services.importers.sources import FILE_TYPES, Source, open_source

__all__ = [
    "FILE_TYPES", "ROW_FORMATS", "FileRejected", "ImportLimits", "PairStream", "PreferencePair", "RowError",
    "RowResult", "Source", "detect_format", "item_content_hash", "open_pairs", "open_source", "read_pairs",
]
