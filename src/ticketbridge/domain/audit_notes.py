"""Signed checkpoints: C2SP tlog-checkpoint text in a C2SP signed note, Ed25519.

A checkpoint is "<origin>\\n<size>\\n<base64 root>\\n"; the note appends a blank line and one
line per signature, "— <key name> <base64(key hash[4] ‖ signature[64])>". The key hash is
SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)[:4]; the verifier key is written
"<name>+<hex key hash>+<base64(0x01 ‖ public key)>" (Go's sumdb/note vkey form).

Standard library and `cryptography` only: the exported evidence pack's verifier inlines this
module (services.audit_export), so nothing here may import ticketbridge.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_ED25519 = b"\x01"
_DASH = "\u2014 "  # the em dash and space that open a signature line
MAX_NOTE = 16_384


class NoteError(ValueError):
    """A checkpoint that is malformed or not signed by the key it is checked against."""


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"invalid key name {name!r}")


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, public: bytes) -> str:
    """The vkey text `ticketbridge audit key` prints and auditors check notes with."""
    _check_name(name)
    encoded = base64.b64encode(_ED25519 + public).decode()
    return f"{name}+{_key_hash(name, public).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: bytes
    key: Ed25519PublicKey


def parse_verifier_key(vkey: str) -> Verifier:
    parts = vkey.strip().split("+", 2)  # the key's base64 may hold "+" too
    if len(parts) != 3:
        raise NoteError("a verifier key is <name>+<hash>+<key>")
    name, hash_hex, encoded = parts
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
        key_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as err:
        raise NoteError(f"verifier key not decodable: {err}") from err
    if len(raw) != 33 or raw[:1] != _ED25519:
        raise NoteError("verifier key is not an Ed25519 key")
    if key_hash != _key_hash(name, raw[1:]):
        raise NoteError("verifier key hash does not match its key")
    return Verifier(name, key_hash, Ed25519PublicKey.from_public_bytes(raw[1:]))


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    if not origin or "\n" in origin or size < 0 or len(root) != 32:
        raise NoteError("invalid checkpoint")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signed note of `text` (which ends with a newline)."""
    _check_name(name)
    signature = key.sign(text.encode())
    stamp = base64.b64encode(_key_hash(name, public_bytes(key.public_key())) + signature)
    return f"{text}\n{_DASH}{name} {stamp.decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str  # the signed note as written


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint `note` carries, if `verifier` signed it; NoteError otherwise."""
    if len(note) > MAX_NOTE or not note.endswith("\n"):
        raise NoteError("not a signed note")
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise NoteError("a signed note has a blank line before its signatures")
    text += "\n"
    signed = False
    for line in signatures.rstrip("\n").split("\n"):
        signed = _signed_by(line, text, verifier) or signed
    if not signed:
        raise NoteError(f"not signed by {verifier.name} (another key, or altered)")
    return _parse_checkpoint(text, note)


def _signed_by(line: str, text: str, verifier: Verifier) -> bool:
    if not line.startswith(_DASH):
        raise NoteError("malformed signature line")
    name, _, stamp = line[len(_DASH) :].partition(" ")
    try:
        raw = base64.b64decode(stamp, validate=True)
    except binascii.Error as err:
        raise NoteError("signature not decodable") from err
    if name != verifier.name or raw[:4] != verifier.key_hash or len(raw) != 68:
        return False  # another signer's line: not ours to judge
    try:
        verifier.key.verify(raw[4:], text.encode())
    except InvalidSignature:
        return False
    return True


def _parse_checkpoint(text: str, note: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[0]:
        raise NoteError("a checkpoint has an origin, a size and a root")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("checkpoint size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as err:
        raise NoteError("checkpoint root not decodable") from err
    if len(root) != 32:
        raise NoteError("checkpoint root is not a SHA-256 hash")
    return Checkpoint(origin, int(size_text), root, note)


def split_notes(text: str) -> list[str]:
    """The signed notes of a file they were appended to one after another (a sink)."""
    notes: list[str] = []
    current: list[str] = []
    in_signatures = False
    for line in text.splitlines(keepends=True):
        if in_signatures and not line.startswith(_DASH):
            notes.append("".join(current))
            current, in_signatures = [], False
        current.append(line)
        if line == "\n":
            in_signatures = True
    if current and "".join(current).strip():
        notes.append("".join(current))
    return notes
