"""Domain errors: every failure a user can cause or meet, as one clear sentence.

Each error carries an ``exit_code`` the CLI uses (2 usage, 3 bad input,
4 model problem, 5 a store's problem: the gallery, the photo library or the evaluation cache, 6 dataset problem,
7 disk full, 130 cancelled) and a short ``kind`` used in JSON error objects.
"""

from __future__ import annotations


class FaceRecError(Exception):
    """Base class: ``str(err)`` is a sentence a person can act on."""

    exit_code = 1
    kind = "error"

    def to_json(self) -> dict:
        return {"error": {"kind": self.kind, "message": str(self)}}


class UsageError(FaceRecError):
    """The command line or the call itself was wrong."""

    exit_code = 2
    kind = "usage"


class BadInput(FaceRecError):
    """An input file or array cannot be used."""

    exit_code = 3
    kind = "bad_input"


class NotAnImage(BadInput):
    kind = "not_an_image"


class CorruptImage(BadInput):
    kind = "corrupt_image"


class ImageTooLarge(BadInput):
    kind = "image_too_large"


class NoFaceFound(BadInput):
    kind = "no_face"


class MultipleFaces(BadInput):
    kind = "multiple_faces"


class ModelUnavailable(FaceRecError):
    """A model's weights are not on this machine and cannot be fetched now."""

    exit_code = 4
    kind = "model_unavailable"


class ModelFileInvalid(FaceRecError):
    """A weights file or exported model is not what it claims to be."""

    exit_code = 4
    kind = "model_invalid"


class UnknownName(UsageError):
    """A registry lookup failed; the message lists the known names."""

    kind = "unknown_name"


class BadValue(UsageError):
    """A value a user set (settings file, flag, GUI field) is out of range; the message names the
    value and the allowed ones."""

    kind = "bad_value"


class LicenceNotAccepted(UsageError):
    """A model's licence must be accepted before its weights are fetched."""

    kind = "licence_not_accepted"


class StoreError(FaceRecError):
    """A folder that holds faces (the gallery, the photo library, the evaluation cache) cannot do what was asked."""

    exit_code = 5
    kind = "store"


class StoreMissing(StoreError):
    """There is no store where one was named (no folder, no database, or a file in the folder's place)."""

    kind = "store_missing"


class StoreClosed(StoreError):
    """A store was used after it was closed (the window closed it to encrypt it or to switch models)."""

    kind = "store_closed"


class StoreCorrupt(StoreError):
    """A store's database, vault or key file is damaged or is not what it claims to be; it is left untouched."""

    kind = "store_corrupt"


class StoreTooNew(StoreError):
    """A store was written by a newer facerec (its schema version is higher than this program knows)."""

    kind = "store_too_new"


class EncryptionUnavailable(StoreError):
    """SQLCipher cannot be used in this process, so an encrypted store cannot be opened or made."""

    kind = "encryption_unavailable"


class WrongKey(StoreError):
    """A store's key does not open it: a wrong passphrase, or a key file or keyring entry that is not there."""

    kind = "wrong_key"


class KeyUnavailable(StoreError):
    """A store's key exists but cannot be reached now (a locked or absent system keyring, an unreadable key file):
    nothing is changed, and trying again once it is reachable opens the store."""

    kind = "key_unavailable"


class PassphraseNeeded(StoreError):
    """A store is protected by a passphrase and none was given (nor can be asked for)."""

    kind = "passphrase_needed"


class SealBroken(StoreCorrupt):
    """A sealed file (an index, the grouping state) was changed, damaged, or belongs to another key."""

    kind = "seal_broken"


class StoreBusy(StoreError):
    """Another program holds the store for work that cannot be shared (a scan, a migration, a busy database)."""

    kind = "busy"


class GalleryError(StoreError):
    """The gallery cannot do what was asked (a name taken, a face not there, an archive refused)."""

    kind = "gallery"


class GalleryCorrupt(StoreCorrupt):
    """A gallery archive is damaged, forged or not an archive."""

    kind = "gallery_corrupt"


class IdentityNotFound(GalleryError):
    kind = "identity_not_found"


class LibraryError(StoreError):
    """The photo library cannot do what was asked."""

    kind = "library"


class NotInLibrary(LibraryError):
    """A face, group or person id the photo library does not hold (any more)."""

    kind = "not_in_library"


class NameInUse(UsageError):
    """A name given to a group already belongs to another person: joining them must be asked for.

    ``existing_id``: that person's group (-1: a person only in the gallery); ``similarity``: the smaller set's mean
    identity score against the larger set's centroid (None when either has no faces with this model);
    ``threshold``: the score a stranger reaches against that many faces 1% of the time; ``likely_same``:
    similarity at or above it (:mod:`core.library.likeness`)."""

    kind = "name_in_use"

    def __init__(self, message: str, existing_id: int, similarity: float | None, threshold: float,
                 likely_same: bool):
        super().__init__(message)
        self.existing_id, self.similarity, self.threshold, self.likely_same = (existing_id, similarity, threshold,
                                                                               likely_same)

    def to_json(self) -> dict:
        out = super().to_json()
        out["error"].update(existing_id=self.existing_id, threshold=round(self.threshold, 4),
                            similarity=None if self.similarity is None else round(self.similarity, 4),
                            likely_same=self.likely_same)
        return out


class DatasetError(FaceRecError):
    exit_code = 6
    kind = "dataset"


class UnsafePickle(DatasetError):
    kind = "unsafe_pickle"


class DiskFull(FaceRecError):
    exit_code = 7
    kind = "disk_full"


class Cancelled(FaceRecError):
    exit_code = 130
    kind = "cancelled"


def describe(exc: BaseException) -> str:
    """One sentence for any exception: a domain error's own words, otherwise a short internal-error line
    (the CLI and the GUI both word errors with this)."""
    if isinstance(exc, FaceRecError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Out of memory; try fewer or smaller images."
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"Unexpected internal error ({type(exc).__name__}: {first[:300]}). "
            "Run again with FACEREC_DEBUG=1 for the details, and please report it.")


class SidecarNotWritten(BadInput):
    """A photo's XMP sidecar cannot be written (a read-only folder, or a damaged sidecar that is left as it is);
    the photo itself is never touched."""

    kind = "sidecar_not_written"
