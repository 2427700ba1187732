"""Keyed slow hashes of identity numbers (a proxy's ID card number), checked at the door.

A Chinese resident ID number has little entropy (a birth date, a region, a check digit), so
a fast hash of it is reversed by trying them all. Two defences, both needed:

- a key of its own, `LIBREACH_ID_HASH_KEY` (not the secret key, so rotating one does not
  disturb the other), mixed in with HMAC-SHA256 before anything else: a copy of the
  database without the key is useless;
- scrypt on top, with a salt per hash, so even someone holding the key pays about
  20 ms of a core per guess, per stored hash.

Rotation works like Django's SECRET_KEY_FALLBACKS: new hashes use the key, checks also
accept hashes made with a key in `LIBREACH_ID_HASH_KEY_FALLBACKS`. Each hash names its key
by a short fingerprint, so a check costs one scrypt whatever the number of fallbacks.

Input is normalised first (NFKC, no white space or invisible characters, case folded), so
an ID number typed with full-width digits or a lower-case x matches the one on file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings

ALGORITHM = "scrypt"
# scrypt's cost: 2**13 x 8 x 128 bytes = 8 MiB of memory and 22 ms of CPU per hash on
# the 2-core CI machine (2**14 took 42 ms; a handover checks one hash). Stored with each
# hash, so raising it later leaves existing hashes checkable.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**13, 8, 1
SALT_BYTES = 16
DIGEST_BYTES = 32
_MAXMEM = 64 * 1024 * 1024


def normalise(value: object) -> str:
    """The form an ID number is hashed in: NFKC (full-width digits and letters to ASCII,
    the ideographic space to a space), without white space or invisible characters, case
    folded (the check character X)."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    visible = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})
    return "".join(visible.split()).casefold()


def make_id_hash(value: str) -> str:
    """`scrypt$<key id>$<n>$<r>$<p>$<salt>$<digest>` of the normalised `value`."""
    key = _current_key()
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _digest(key, normalise(value), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        [ALGORITHM, _key_id(key), str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]
        + [_b64(salt), _b64(digest)]
    )


def id_hash_matches(value: str | None, stored: str) -> bool:
    """Whether `value` is the ID number `stored` was made from, in constant time.

    Accepts hashes made with the current key or a fallback key, and the salted
    HMAC-SHA256 hashes made before (`<salt>$<hex>`, keyed by the secret key), so requests
    submitted before the change are still handed over. Malformed input is no match."""
    typed = normalise(value)
    if not typed or not stored:
        return False
    if not stored.startswith(ALGORITHM + "$"):
        return _legacy_matches(typed, stored)
    try:
        _, key_id, n, r, p, salt, digest = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        salt, digest = _unb64(salt), _unb64(digest)
    except ValueError:
        return False
    try:
        return any(
            hmac.compare_digest(_digest(key, typed, salt, n, r, p), digest)
            for key in _keys()
            if hmac.compare_digest(_key_id(key), key_id)
        )
    except (ValueError, TypeError):  # cost parameters scrypt refuses, a mangled key id
        return False


def _digest(key: str, normalised: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    keyed = hmac.new(key.encode(), normalised.encode(), hashlib.sha256).digest()
    return hashlib.scrypt(keyed, salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=DIGEST_BYTES)


def _current_key() -> str:
    return settings.LIBREACH_ID_HASH_KEY


def _keys() -> list[str]:
    return [settings.LIBREACH_ID_HASH_KEY, *settings.LIBREACH_ID_HASH_KEY_FALLBACKS]


def _key_id(key: str) -> str:
    # Names the key without revealing it: 8 hex digits of a MAC under it.
    return hmac.new(key.encode(), b"libreach id hash key", hashlib.sha256).hexdigest()[:8]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc


def _legacy_matches(typed: str, stored: str) -> bool:
    # The format before scrypt: `salt$hex(HMAC-SHA256(SECRET_KEY, "salt:ID"))`, the ID
    # without white space and upper case.
    salt, _, digest = stored.partition("$")
    message = f"{salt}:{typed.upper()}".encode()
    return any(
        hmac.compare_digest(hmac.new(key.encode(), message, hashlib.sha256).hexdigest(), digest)
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )
