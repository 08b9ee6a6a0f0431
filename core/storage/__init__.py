"""Storage of what holds faces: SQLite databases opened safely (WAL, secure delete, checked and versioned
schema) for the gallery and the photo library (``database``).

May import: ``core.errors``, ``core.paths``, ``core.fileutil``.
"""

from core.storage.database import checkpoint, open_database

__all__ = ["checkpoint", "open_database"]
