"""The key that hashes ID and phone numbers, kept outside the database (docs/security.md, 个人信息保护).

A ticket keeps HMAC-SHA256(key, "<hall id>:<number>") and the id of the key that made it, never the number. The
space of valid ID and mobile numbers is small enough to brute-force any unkeyed or salted hash in seconds, so
what protects a stolen database backup is that the key is not in it:

- `HALLQ_PERSON_KEY` in the environment (hex, at least 32 bytes), with `HALLQ_PERSON_KEY_RETIRED` (comma-separated)
  for keys being rotated out; or
- `person_keys.json` in the instance folder beside `secret_key`, mode 0600, created on first use; `hallq key rotate`
  adds a new current key there and drops retired ones once no stored hash uses them.

A retired key stays in the ring while today's tickets still carry its hashes, so per-person limits keep counting a
person across a rotation; the engine re-keys a person's rows under the current key when that person comes again.

Stdlib only (vocabulary layer): the engine, the CLI and the web app all use it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

KEY_FILE = "person_keys.json"
MIN_KEY_BYTES = 32


class PersonKeyError(Exception):
    """A key that cannot be used (too short, not hex, a file others can read): the message says what to fix."""


def key_id(key: bytes) -> str:
    """A short public name for a key (stored beside each hash); reveals nothing about the key."""
    return hmac.new(key, b"hallq person key id", hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The current key and the retired ones still needed to find today's rows."""

    current: bytes
    retired: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def digest(self, hall_id: int, value: str, key: bytes | None = None) -> str:
        """The stored hash of `value` in hall `hall_id` (another hall never sees the same hash)."""
        return hmac.new(key or self.current, f"{hall_id}:{value}".encode(), hashlib.sha256).hexdigest()

    def all_digests(self, hall_id: int, value: str) -> dict[str, str]:
        """key id -> hash of `value`, current key first: what a lookup across a rotation must match."""
        return {key_id(k): self.digest(hall_id, value, k) for k in (self.current, *self.retired)}


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise PersonKeyError(f"{where} is not hex") from exc
    if len(key) < MIN_KEY_BYTES:
        raise PersonKeyError(f"{where} is shorter than {MIN_KEY_BYTES} bytes ({MIN_KEY_BYTES * 2} hex digits)")
    return key


def new_key() -> bytes:
    return secrets.token_bytes(MIN_KEY_BYTES)


def write_ring(path: Path, ring: KeyRing) -> None:
    """Replace the key file atomically, created 0600 (a reader never sees half a file or a readable copy)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"current": ring.current.hex(), "retired": [k.hex() for k in ring.retired]}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_file(path: Path) -> KeyRing:
    mode = path.stat().st_mode
    if os.name == "posix" and mode & 0o077:
        raise PersonKeyError(f"{path} is readable by other users (mode {mode & 0o777:o}): chmod 600 it")
    data = json.loads(path.read_text())
    return KeyRing(_parse(data["current"], f"{path} current"),
                   tuple(_parse(k, f"{path} retired") for k in data.get("retired", [])))


def from_env(env: dict[str, str]) -> KeyRing | None:
    if not env.get("HALLQ_PERSON_KEY"):
        return None
    retired = [k for k in (env.get("HALLQ_PERSON_KEY_RETIRED") or "").split(",") if k.strip()]
    return KeyRing(_parse(env["HALLQ_PERSON_KEY"], "HALLQ_PERSON_KEY"),
                   tuple(_parse(k, "HALLQ_PERSON_KEY_RETIRED") for k in retired))


class KeySource:
    """Where this process reads its ring: the environment, else the instance folder's file, re-read when another
    process (`hallq key rotate`) replaced it, so a running server hashes with the new key at once."""

    def __init__(self, instance: Path, env: dict[str, str] | None = None) -> None:
        self.path = instance / KEY_FILE
        self.fixed = from_env(dict(os.environ if env is None else env))
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._ring: KeyRing | None = None

    @property
    def from_environment(self) -> bool:
        return self.fixed is not None

    def ring(self) -> KeyRing:
        if self.fixed is not None:
            return self.fixed
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                self._create()
                st = self.path.stat()
            if self._ring is None or self._seen != (st.st_mtime_ns, st.st_ino):
                self._ring, self._seen = _read_file(self.path), (st.st_mtime_ns, st.st_ino)
            return self._ring

    def _create(self) -> None:
        """The first key, made once; O_EXCL so two processes starting together share it."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as fh:
            json.dump({"current": new_key().hex(), "retired": []}, fh)

    def replace(self, ring: KeyRing) -> None:
        if self.fixed is not None:
            raise PersonKeyError("the person key comes from HALLQ_PERSON_KEY: set a new one there and move the old "
                                 "one to HALLQ_PERSON_KEY_RETIRED instead")
        with self._lock:
            write_ring(self.path, ring)
            self._ring = None
