"""Evidence store (host side): one verified attestation per unit, kept for the label's lifetime.

    store = open_store("evidence.db")                    # SQLite, or "postgresql://…"
    keys = KeyRing(); keys.add_file("unit.pub")
    result = ingest(store, read_sources(["in/"]), keys, station="line-1")
    store.query(Query(serial="SN123"))

Never needed on the device: nothing here is imported by ``check``/``attest``.
"""
from .interface import Conflict, Query, Store, StoreError, open_store
from .model import Record

__all__ = ["Conflict", "Query", "Record", "Store", "StoreError", "open_store"]
