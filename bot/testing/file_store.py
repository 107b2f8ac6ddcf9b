"""A folder that keeps the in-memory Bot API's files, so they outlive the process.

The sandbox's database keeps evidence by Telegram file id; without this folder the next run's
in-memory API would know none of those ids, and, counting from 1 again, would hand the same
ids to other files. Each file is two entries named by its number: `N.bin` (the bytes) and
`N.json` (its ids, path, name, type, size and SHA-256). `namespace` holds the store's random
part of every file id, so ids of a deleted or another store never name a file of this one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any

__all__ = ["FileStore"]

log = logging.getLogger(__name__)

_NAMESPACE_FILE = "namespace"
_NAMESPACE_RE = re.compile(r"[0-9a-f]{16}")
_ENTRY_RE = re.compile(r"([1-9][0-9]*)\.(bin|json)")


class FileStore:
    """Keep each file's bytes and metadata in one folder, and the store's id namespace."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.namespace = self._namespace()

    def _namespace(self) -> str:
        path = self.folder / _NAMESPACE_FILE
        try:
            # O_EXCL: two sandboxes starting together on one folder agree on one namespace.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            namespace = path.read_text(encoding="ascii").strip()
            if not _NAMESPACE_RE.fullmatch(namespace):
                raise ValueError(f"{path} is damaged; delete the folder {self.folder}") from None
            return namespace
        namespace = secrets.token_hex(8)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(namespace + "\n")
        return namespace

    def _entries(self) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {}
        for path in self.folder.iterdir():
            match = _ENTRY_RE.fullmatch(path.name)
            if match:
                found.setdefault(int(match.group(1)), set()).add(match.group(2))
        return found

    def highest_number(self) -> int:
        """Return the highest number any file of the store took, whole or not (0 if none)."""
        return max(self._entries(), default=0)

    def load(self) -> list[tuple[int, bytes, dict[str, Any]]]:
        """Return (number, bytes, metadata) of every whole file, in number order.

        A file whose bytes are missing or differ from the SHA-256 recorded with them (a crash
        while writing) is left out: unknown to the API, refused as Telegram refuses a bad id,
        rather than served as something else.
        """
        loaded: list[tuple[int, bytes, dict[str, Any]]] = []
        for number, kinds in sorted(self._entries().items()):
            if kinds != {"bin", "json"}:
                continue
            try:
                meta = json.loads((self.folder / f"{number}.json").read_text(encoding="utf-8"))
                content = (self.folder / f"{number}.bin").read_bytes()
            except (OSError, ValueError) as error:
                log.warning("file %d of %s is unreadable, left out: %s", number, self.folder, error)
                continue
            if not isinstance(meta, dict) or meta.get("sha256") != _digest(content):
                log.warning("file %d of %s is damaged, left out", number, self.folder)
                continue
            loaded.append((number, content, meta))
        return loaded

    def claim(self, number: int) -> bool:
        """Reserve a number for a new file; False if another process took it first."""
        try:
            descriptor = os.open(
                self.folder / f"{number}.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
        except FileExistsError:
            return False
        os.close(descriptor)
        return True

    def save(self, number: int, content: bytes, meta: dict[str, Any]) -> None:
        """Write a claimed file's bytes, then its metadata (which makes it whole)."""
        (self.folder / f"{number}.bin").write_bytes(content)
        self.save_meta(number, content, meta)

    def save_meta(self, number: int, content: bytes, meta: dict[str, Any]) -> None:
        """Write (or rewrite) a file's metadata, replacing the old one in one step."""
        record = {**meta, "size": len(content), "sha256": _digest(content)}
        temporary = self.folder / f"{number}.json.tmp"
        temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.folder / f"{number}.json")

    def remove(self, number: int) -> None:
        """Forget a file: its metadata first, so a half-removed file is never whole."""
        for suffix in (".json", ".bin"):
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{number}{suffix}").unlink()


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
