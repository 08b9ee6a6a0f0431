"""Keys of the folders that hold faces (a gallery, a photo library, the evaluation cache).

Each encrypted folder has a random 256-bit data key, kept only wrapped (AES-256-GCM) in ``<folder>/vault.json``.
The key that wraps it is one of:

- ``passphrase``: scrypt (n = 2^15, r = 8, p = 1; about 0.3 s) of a passphrase the user sets (``--passphrase``,
  ``FACEREC_PASSPHRASE``, a prompt in a terminal, a dialog in the window);
- ``keyring``: a random key in the operating system's keyring (``keyring``), where a real one answers;
- ``keyfile``: a random key in a file only the user can read, in the config folder (``keys/<id>.key``), apart
  from the data folder: the default where there is neither (a server, a headless machine, CI), so every
  command keeps working unattended while a copied data folder or backup stays unreadable.

A wrong passphrase fails the authenticated unwrap: :class:`WrongKey` (a gallery problem, exit 5), and nothing
is opened or written.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadValue, KeyUnavailable, PassphraseNeeded, StoreCorrupt, WrongKey
from core.fileutil import write_bytes_atomic
from core.paths import config_dir

VAULT = "vault.json"
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
PROTECTIONS = ("passphrase", "keyring", "keyfile")
SERVICE = "facerec"
_PASSPHRASES: dict[str, str] = {}        # passphrases given in this process, by folder
_PROMPT = None                            # callable(folder, what) -> passphrase | None, set by the CLI or the GUI
_KEYRING_OK: bool | None = None


__all__ = ["PassphraseNeeded", "Vault", "WrongKey"]


@dataclass
class Vault:
    """A folder's protection: its id, how its key is wrapped (``protection``, or "none" when not encrypted)
    and the data key itself (None when not encrypted)."""

    root: Path
    id: str = ""
    protection: str = "none"
    key: bytes | None = None


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def vault_path(root: Path) -> Path:
    return Path(root) / VAULT


def read_vault(root: Path) -> dict | None:
    p = vault_path(root)
    if not p.exists():
        return None
    damaged = f"{p} is damaged, so the data beside it cannot be decrypted."
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise StoreCorrupt(damaged) from exc
    if not isinstance(doc, dict) or doc.get("protection") not in PROTECTIONS or not isinstance(doc.get("id"), str):
        raise StoreCorrupt(damaged)
    return doc


def protection(root: Path) -> str:
    doc = read_vault(root)
    return doc["protection"] if doc else "none"


def set_prompt(fn) -> None:
    """How to ask for a passphrase when none was given: ``fn(folder, what) -> passphrase or None``."""
    global _PROMPT
    _PROMPT = fn


def remember(root: Path, passphrase: str) -> None:
    """Use ``passphrase`` for the folder ``root`` in this process (the window asks once)."""
    _PASSPHRASES[str(Path(root).resolve())] = passphrase


def ask_passphrase(what: str, env: str, confirm: bool = False) -> str:
    """A passphrase for something that is not a folder (an export): from ``env``, else the prompt (which asks
    twice when ``confirm``), else :class:`PassphraseNeeded`."""
    pw = os.environ.get(env)
    if not pw and _PROMPT is not None:
        pw = _PROMPT(None, what if not confirm else f"new {what}")
    if not pw:
        raise PassphraseNeeded(f"The {what} needs a passphrase: set {env}, or run the command in a terminal to be "
                               "asked for it.")
    return pw


def _passphrase(root: Path, what: str, given: str | None) -> str:
    pw = given or _PASSPHRASES.get(str(Path(root).resolve())) or os.environ.get("FACEREC_PASSPHRASE")
    if not pw and _PROMPT is not None:
        pw = _PROMPT(root, what)
    if not pw:
        raise PassphraseNeeded(f"The {what} at {root} is protected by a passphrase: set FACEREC_PASSPHRASE, or run "
                               "the command in a terminal to be asked for it.")
    return pw


def _scrypt(pw: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pw.encode("utf-8"))


def keyring_usable(timeout: float = 5.0) -> bool:
    """Whether a real system keyring answers a store/read/delete round trip within ``timeout`` (checked once;
    never hangs on a D-Bus service that does not answer or an unlock prompt nobody can see)."""
    global _KEYRING_OK
    if _KEYRING_OK is not None:
        return _KEYRING_OK
    result: list[bool] = []

    def probe() -> None:
        try:
            import keyring

            backend = type(keyring.get_keyring()).__module__
            if backend.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
                result.append(False)
                return
            user = f"probe-{uuid.uuid4().hex}"
            keyring.set_password(SERVICE, user, "ok")
            ok = keyring.get_password(SERVICE, user) == "ok"
            keyring.delete_password(SERVICE, user)
            result.append(ok)
        except Exception:  # noqa: BLE001 - any failure means: no usable keyring
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout)
    _KEYRING_OK = bool(result and result[0])
    return _KEYRING_OK


def _keyfile(vault_id: str) -> Path:
    return config_dir() / "keys" / f"{vault_id}.key"


def _wrapping_key(doc: dict, root: Path, what: str, passphrase: str | None, create: bool) -> bytes:
    how = doc["protection"]
    if how == "passphrase":
        k = doc["kdf"]
        return _scrypt(_passphrase(root, what, passphrase), base64.b64decode(k["salt"]), k["n"], k["r"], k["p"])
    if how == "keyring":
        import keyring

        if create:
            kek = secrets.token_bytes(32)
            keyring.set_password(SERVICE, doc["id"], _b64(kek))
            return kek
        try:
            stored = keyring.get_password(SERVICE, doc["id"])
        except Exception as exc:  # noqa: BLE001 - a locked or absent keyring is one sentence
            raise KeyUnavailable(f"The system keyring holding the key of the {what} at {root} cannot be read "
                                 f"({exc}); unlock it and try again.") from exc
        if not stored:
            raise WrongKey(f"The key of the {what} at {root} is not in this user's system keyring; it was encrypted "
                           "on another account or machine.")
        return base64.b64decode(stored)
    path = _keyfile(doc["id"])
    if create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        kek = secrets.token_bytes(32)
        with os.fdopen(fd, "wb") as f:
            f.write(kek)
            f.flush()
            os.fsync(f.fileno())
        return kek
    try:
        kek = path.read_bytes()
    except FileNotFoundError as exc:
        raise WrongKey(f"The key file of the {what} at {root} ({path}) is missing: it is kept in the config folder, "
                       "apart from the data; restore it from where the config folder is backed up.") from exc
    except OSError as exc:
        raise KeyUnavailable(f"The key file of the {what} at {root} ({path}) cannot be read "
                             f"({exc.strerror or exc}); nothing was changed.") from exc
    if len(kek) != 32:
        raise StoreCorrupt(f"{path} is not a facerec key file.")
    return kek


def choose_protection(passphrase: str | None = None, wanted: str = "auto") -> str:
    """The protection a new key gets: ``wanted``, or (auto) a passphrase when one is given (or in
    FACEREC_PASSPHRASE), else the system keyring when it answers, else a key file."""
    if wanted != "auto":
        if wanted not in PROTECTIONS:
            raise BadValue(f"Unknown key protection '{wanted}'; use one of auto, {', '.join(PROTECTIONS)}.")
        return wanted
    if passphrase or os.environ.get("FACEREC_PASSPHRASE"):
        return "passphrase"
    return "keyring" if keyring_usable() else "keyfile"


def new_vault_doc(root: Path, key: bytes, what: str, protection_: str = "auto",
                  passphrase: str | None = None) -> dict:
    """A vault document wrapping ``key`` (the wrapping key is created: a key file or keyring entry)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    doc: dict = {"version": 1, "id": uuid.uuid4().hex, "protection": choose_protection(passphrase, protection_),
                 "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "what": what}
    if doc["protection"] == "passphrase":
        doc["kdf"] = {"name": "scrypt", "salt": _b64(os.urandom(16)), **SCRYPT}
        if passphrase:
            remember(root, passphrase)
    kek = _wrapping_key(doc, root, what, passphrase, create=True)
    nonce = os.urandom(12)
    doc["nonce"] = _b64(nonce)
    doc["wrapped"] = _b64(AESGCM(kek).encrypt(nonce, key, f"facerec-key|{doc['id']}".encode()))
    return doc


def write_vault(root: Path, doc: dict, name: str = VAULT) -> None:
    write_bytes_atomic(Path(root) / name, (json.dumps(doc, indent=1) + "\n").encode())


def unwrap(root: Path, doc: dict, what: str, passphrase: str | None = None) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kek = _wrapping_key(doc, root, what, passphrase, create=False)
    try:
        return AESGCM(kek).decrypt(base64.b64decode(doc["nonce"]), base64.b64decode(doc["wrapped"]),
                                   f"facerec-key|{doc['id']}".encode())
    except InvalidTag:
        _PASSPHRASES.pop(str(Path(root).resolve()), None)
        hint = "The passphrase is wrong" if doc["protection"] == "passphrase" else "The key does not fit"
        raise WrongKey(f"{hint} for the {what} at {root}; nothing was opened or changed.") from None


def open_vault(root: Path, what: str, passphrase: str | None = None) -> Vault:
    """The folder's vault with its data key unwrapped (protection "none" when it has no vault)."""
    doc = read_vault(root)
    if doc is None:
        return Vault(Path(root))
    return Vault(Path(root), doc["id"], doc["protection"], unwrap(root, doc, what, passphrase))


def create_vault(root: Path, what: str, protection_: str = "auto", passphrase: str | None = None) -> Vault:
    """A new data key for an empty folder, wrapped and written to its vault."""
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    doc = new_vault_doc(root, key, what, protection_, passphrase)
    write_vault(root, doc)
    return Vault(Path(root), doc["id"], doc["protection"], key)


def forget_wrapping_key(doc: dict) -> None:
    """Remove a vault's key file or keyring entry (the vault is gone; its key has no use)."""
    try:
        if doc["protection"] == "keyfile":
            _keyfile(doc["id"]).unlink(missing_ok=True)
        elif doc["protection"] == "keyring":
            import keyring

            keyring.delete_password(SERVICE, doc["id"])
    except Exception:  # noqa: BLE001 - an entry already gone is what we want
        pass
