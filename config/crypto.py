"""Password hashes, signed bearer tokens and device tokens: the cryptography, nothing else.

- Passwords: scrypt (stdlib), stored as ``scrypt$n$r$p$salt$digest``.
- Staff tokens: ``st1.<claims>.<HMAC-SHA256>``, signed, so every server process that shares
  the secret key accepts them; they expire (a shift, by default 12 hours). Each has an id
  (``jti``), by which a sign-out ends it, and the account's generation (``gen``), which a
  disable or a password set by an administrator moves on (``config/accounts.py``).
- Device tokens: random strings; the hall file keeps only their SHA-256.
- Sealed personal data (a booking's contacts, a real-name rating's phone): AES-GCM under a
  key derived from the server's secret for that one purpose.
- Rating keys (评价码): a keyed hash of a ticket, made again when needed; kept only in the slip
  itself (its print job's bytes).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import hmac
import os
import platform
import secrets
from collections.abc import Callable, Iterable

import msgspec
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine

from config.database import write_transaction

__all__ = [
    "RatingKeys",
    "Sealer",
    "TokenClaims",
    "TokenSigner",
    "device_token_digest",
    "hash_password",
    "new_device_token",
    "new_token_id",
    "return_scrypt_memory",
    "verify_password",
]

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_TOKEN_PREFIX = "st1."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_MAPPED_FROM = 4 << 20  # blocks this large and larger are mapped on their own, unmapped when freed


def return_scrypt_memory() -> bool:
    """Let the 16 MB a password check takes (128·r·n bytes) go back to the system afterwards.

    glibc raises its mmap threshold to the size of each mapped block freed (up to 32 MB), so
    after the first sign-in scrypt's 16 MB comes from the heap of the thread's malloc arena
    and stays there; sign-ins run in many threads, each with an arena of its own (up to eight
    per core). 300 clerks signing in to 100 halls grew a server from 148 MB to 445 MB, for
    good; with the threshold fixed (which also stops the raising), 152 MB. False where the
    C library is not glibc (nothing to do, or nothing known to do)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM))
    except (OSError, AttributeError):
        return False


def new_device_token() -> str:
    return secrets.token_urlsafe(24)


def device_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sealer:
    """Seals and opens bytes with AES-GCM under a key of its own ``purpose``, derived from the
    server's secret: a key for one kind of data opens nothing else. After a key rotation what
    was sealed under an ``old`` secret still opens; only the new one seals."""

    def __init__(self, secret: bytes, purpose: bytes, aad: bytes, old: Iterable[bytes] = ()) -> None:
        self._aeads = [AESGCM(hmac.new(s, purpose, hashlib.sha256).digest()) for s in (secret, *old)]
        self._aad = aad

    def seal(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aeads[0].encrypt(nonce, data, self._aad)

    def open(self, sealed: bytes) -> bytes:
        """``sealed`` opened under the new secret or one before it (InvalidTag: under none)."""
        for aead in self._aeads[:-1]:
            with contextlib.suppress(InvalidTag):
                return aead.decrypt(sealed[:12], sealed[12:], self._aad)
        return self._aeads[-1].decrypt(sealed[:12], sealed[12:], self._aad)  # its failure is the answer

    def reseal(self, sealed: bytes) -> bytes:
        """Sealed again under the new secret (a key rotation's ``hall rekey``)."""
        return self.seal(self.open(sealed))


class RatingKeys:
    """评价码: what the slip holds beside its ticket's id, and what rates its service on the web.

    The ticket id is seen by the clerk who serves it (his counter's page and channel, the desk);
    the key is made only for the slip (its QR code's link, the ticket machine's answer), from
    the hall, the ticket and a key derived from the server's secret, so nobody who knows the id
    alone can make it. Not kept apart: it is made again to check (only the slip's print job holds
    it, in the slip's bytes). 16 characters (96 bits, base64url); after a rotation a key made
    under an ``old`` secret still holds, only the new one makes keys."""

    def __init__(self, secret: bytes, old: Iterable[bytes] = ()) -> None:
        self._keys = [hmac.new(s, b"hallq slip rating key v1", hashlib.sha256).digest() for s in (secret, *old)]

    @staticmethod
    def _make(key: bytes, hall: str, ticket_id: str) -> str:
        return _b64(hmac.new(key, f"{hall}\x00{ticket_id}".encode(), hashlib.sha256).digest()[:12])

    def key(self, hall: str, ticket_id: str) -> str:
        """The rating key of ``ticket_id`` of ``hall``, under the new secret."""
        return self._make(self._keys[0], hall, ticket_id)

    def holds(self, hall: str, ticket_id: str, given: str) -> bool:
        """``given`` is that ticket's key, made under the new secret or one before it."""
        if not given:
            return False
        return any(
            hmac.compare_digest(given.encode(), self._make(key, hall, ticket_id).encode())  # bytes: any text is safe
            for key in self._keys
        )


class TokenClaims(msgspec.Struct, frozen=True):
    hall: str
    sub: str  # the username
    role: str
    name: str
    exp: int  # unix seconds
    jti: str  # the token's id: a sign-out ends this token only
    gen: int = 0  # the account's generation when the token was issued


def new_token_id() -> str:
    return secrets.token_urlsafe(12)


class TokenSigner:
    """Signs and checks staff tokens with ``secret`` alone: a key rotated out (perhaps because
    it leaked) mints no token that still works.

    A token found genuine is remembered (its claims, by its text: at most ``KEPT``), so that a
    clerk's every call is not checked with HMAC again: what it says cannot change under the
    same key. Its expiry is read on every call; a forged or altered token is never kept."""

    KEPT = 4096  # genuine tokens remembered: a hall's staff many times over (~2 MB at most)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self._secret = secret
        self._genuine: dict[str, TokenClaims] = {}

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, (_TOKEN_PREFIX + payload).encode(), hashlib.sha256).digest())

    def issue(self, claims: TokenClaims) -> str:
        payload = _b64(msgspec.json.encode(claims))
        return f"{_TOKEN_PREFIX}{payload}.{self._mac(payload)}"

    def verify(self, token: str, now: int) -> TokenClaims | None:
        """The claims of a genuine, unexpired token; None otherwise."""
        claims = self._genuine.get(token)
        if claims is None:
            claims = self._genuine_claims(token)
            if claims is None:
                return None
            if len(self._genuine) >= self.KEPT:  # rare: start again (safe beside other threads)
                self._genuine.clear()
            self._genuine[token] = claims
        return claims if claims.exp > now else None

    def _genuine_claims(self, token: str) -> TokenClaims | None:
        if not token.startswith(_TOKEN_PREFIX):
            return None
        payload, _, mac = token[len(_TOKEN_PREFIX) :].partition(".")
        if not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):  # bytes: any text is safe
            return None
        try:
            return msgspec.json.decode(_unb64(payload), type=TokenClaims)
        except (msgspec.DecodeError, ValueError):
            return None


def reseal_rows(
    engine: Engine,
    id_column: sa.Column,
    sealed: sa.Column,
    present: sa.ColumnElement[bool],
    reseal: Callable[[bytes], bytes],
) -> tuple[int, int]:
    """Every ``sealed`` value of the rows where ``present`` sealed again (``reseal``, a key
    rotation's ``hall rekey``), 500 rows per transaction: how many, and how many no key opened
    (left as they were). Safe to run again, and beside running servers: a value changed
    meanwhile (anonymised, dropped) is left as it now is."""
    table = sealed.table
    done, unopened, last = 0, 0, ""
    while True:
        with write_transaction(engine) as conn, conn.begin():
            rows = conn.execute(
                sa.select(id_column, sealed).where(id_column > last, present).order_by(id_column).limit(500)
            ).all()
            for key, value in rows:
                try:
                    again = reseal(value)
                except InvalidTag:
                    unopened += 1
                    continue
                done += 1
                conn.execute(table.update().where(id_column == key, sealed == value).values({sealed.name: again}))
        if not rows:
            return done, unopened
        last = rows[-1][0]
