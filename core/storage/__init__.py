"""Storage of what holds faces, encrypted at rest below the stores (the rest of the engine sees plain rows and
arrays, never a key):

- ``database``: SQLite opened safely (WAL, secure delete, checked and versioned schema), through SQLCipher when
  the folder has a key;
- ``keys``: a random data key per folder, wrapped by a passphrase (scrypt), the system keyring or a key file in
  the config folder; ``sealed``: other files (indexes, the grouping state, exports) under AES-256-GCM;
- ``migrate``: encrypt, decrypt and re-key a folder in place, safe against a kill at any moment;
- ``opening``: the one way a store's folder is opened (``open_store``: locks, recovery, the vault, then the
  database);
- ``locks``: the folder's advisory locks (open, create, work);
- ``layout``: each folder that holds faces declared once (:class:`StoreLayout`), for the privacy facade.

May import: ``core.errors``, ``core.paths``, ``core.fileutil``.
"""

from core.errors import PassphraseNeeded, SealBroken, WrongKey
from core.storage import keys
from core.storage.database import checkpoint, connect, open_database
from core.storage.keys import Vault, set_prompt
from core.storage.layout import REGISTRY, FolderStore, StoreLayout, declare
from core.storage.locks import LOCKS, WORK_LOCK, folder_lock, waiting_lock
from core.storage.migrate import decrypt_folder, encrypt_folder
from core.storage.opening import open_store, prepare
from core.storage.sealed import read_maybe_sealed, write_maybe_sealed

__all__ = ["LOCKS", "REGISTRY", "WORK_LOCK", "FolderStore", "PassphraseNeeded", "SealBroken", "StoreLayout", "Vault",
           "WrongKey", "checkpoint", "connect", "declare", "decrypt_folder", "encrypt_folder", "folder_lock", "keys",
           "open_database", "open_store", "prepare", "read_maybe_sealed", "set_prompt", "waiting_lock", "write_maybe_sealed"]
