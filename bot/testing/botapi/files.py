"""Files: uploads and file ids, getFile and downloads, and the media JSON of a sent file."""

import copy
import json
import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.testing.botapi.model import (
    MAX_DOWNLOAD_SIZE,
    JSONDict,
    StoredFile,
    UploadedFile,
)
from bot.testing.botapi.params import MethodTable, Params, bad_request
from bot.testing.file_store import FileStore

METHODS = MethodTable()

# The kinds of media a message may carry -> Telegram's folder and default extension.
FILE_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ".bin"),
    "video": ("videos", ".mp4"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "sticker": ("stickers", ".webp"),
    "animation": ("animations", ".mp4"),
    "video_note": ("video_notes", ".mp4"),
}
_DEFAULT_MIME = {
    "document": "application/octet-stream",
    "video": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
}


class Files:
    """Every file the API knows, by file_id and by file_path."""

    def __init__(self, lock: threading.RLock, file_store: Path | None) -> None:
        self._lock = lock
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, str] = {}
        self._file_counter = 0
        # A folder keeping every file (the sandbox's, beside its database), so a file id kept in
        # a database names the same bytes after a restart. Its ids carry the store's namespace
        # and its numbers go on from the last run's: no id ever names two files.
        self._file_store = FileStore(file_store) if file_store is not None else None
        if self._file_store is not None:
            self._load_files(self._file_store)

    def file_content(self, file_id: str) -> bytes:
        """Return the bytes of a known file; KeyError if unknown."""
        with self._lock:
            return self._files[file_id].content

    def file_unique_id(self, file_id: str) -> str:
        """Return the file_unique_id of a known file; KeyError if unknown."""
        with self._lock:
            return self._files[file_id].file_unique_id

    def download_file(self, url_or_path: str) -> tuple[int, bytes]:
        """Return (status, bytes) for a file URL ``<base_file_url><token>/<file_path>``."""
        segments = [s for s in urlsplit(url_or_path).path.split("/") if s]
        with self._lock:
            for start in range(len(segments)):
                file_id = self._file_paths.get("/".join(segments[start:]))
                if file_id is not None:
                    return 200, self._files[file_id].content
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return 404, json.dumps(body).encode()

    def forget_media(self, raw: JSONDict) -> None:
        """Drop the files a message carries (and their copies in the file store)."""
        for kind in FILE_FOLDERS:
            media = raw.get(kind)
            for item in media if isinstance(media, list) else [media]:
                if isinstance(item, dict):
                    dropped = self._files.pop(str(item.get("file_id")), None)
                    if dropped is not None:
                        self._file_paths.pop(dropped.file_path, None)
                        if self._file_store is not None:
                            self._file_store.remove(dropped.number)

    def _load_files(self, store: FileStore) -> None:
        for number, content, meta in store.load():
            stored = StoredFile(
                file_id=str(meta["file_id"]),
                file_unique_id=str(meta["file_unique_id"]),
                content=content,
                file_path=str(meta["file_path"]),
                file_name=meta.get("file_name"),
                mime_type=meta.get("mime_type"),
                photo_sizes=meta.get("photo_sizes"),
                number=number,
            )
            self._files[stored.file_id] = stored
            self._file_paths[stored.file_path] = stored.file_id
        self._file_counter = store.highest_number()

    def _keep_file(self, stored: StoredFile, *, new: bool) -> None:
        """Write a file (new) or its changed metadata to the file store, if there is one."""
        if self._file_store is None:
            return
        meta: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "photo_sizes": stored.photo_sizes,
        }
        if new:
            self._file_store.save(stored.number, stored.content, meta)
        else:
            self._file_store.save_meta(stored.number, stored.content, meta)

    def store_file(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_unique_id: str | None = None,
    ) -> StoredFile:
        """Keep new bytes under a fresh file_id and file_path named after their kind."""
        self._file_counter += 1
        # Another sandbox on the same folder may have taken the number meanwhile.
        while self._file_store is not None and not self._file_store.claim(self._file_counter):
            self._file_counter += 1
        number = self._file_counter
        serial = f"{self._file_store.namespace}-{number}" if self._file_store else str(number)
        folder, default_ext = FILE_FOLDERS.get(kind, ("documents", ".bin"))
        ext = default_ext
        if kind == "photo":
            ext = ".jpg"  # Telegram re-encodes every photo as JPEG, whatever was uploaded.
        elif file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or default_ext
        stored = StoredFile(
            file_id=f"file-{serial}-{kind}",
            file_unique_id=file_unique_id or f"uniq-{serial}",
            content=bytes(content),
            file_path=f"{folder}/file_{serial}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            number=number,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored.file_id
        self._keep_file(stored, new=True)
        return stored

    def resolve_media(self, kind: str, value: Any, upload: UploadedFile | None) -> StoredFile:
        """Return the file a media parameter names: an upload, a known file_id or a URL."""
        if upload is not None:
            return self.store_file(
                upload.content, kind=kind, file_name=upload.filename, mime_type=upload.mime_type
            )
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = urlsplit(value).path.rsplit("/", 1)[-1] or None
                # Nothing is fetched: tests must never reach the internet.
                return self.store_file(f"content of {value}".encode(), kind=kind, file_name=name)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {kind} in the request")

    def media_json(self, kind: str, stored: StoredFile, p: Params) -> Any:
        """Return the JSON a sent message carries for its file (photo sizes for a photo)."""
        size = len(stored.content)
        base: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if kind == "photo":
            if stored.photo_sizes is None:
                thumb = self.store_file(stored.content, kind="photo")
                stored.photo_sizes = [
                    {
                        "file_id": thumb.file_id,
                        "file_unique_id": thumb.file_unique_id,
                        "width": 90,
                        "height": 67,
                        "file_size": size,
                    },
                    {**base, "width": 1280, "height": 960, "file_size": size},
                ]
                self._keep_file(stored, new=False)
            return copy.deepcopy(stored.photo_sizes)
        mime = stored.mime_type or _DEFAULT_MIME.get(kind)
        result: JSONDict = dict(base)
        if kind in ("video", "voice", "audio", "animation", "video_note"):
            result["duration"] = p.get_int("duration") or 1
        if kind in ("video", "animation"):
            result["width"] = p.get_int("width") or 1280
            result["height"] = p.get_int("height") or 720
        if kind == "video_note":
            result["length"] = p.get_int("length") or 240
        if kind in ("document", "audio", "video", "animation"):
            result["file_name"] = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        if kind == "audio":
            for key in ("performer", "title"):
                if p.has(key):
                    result[key] = p.get_str(key)
        if mime:
            result["mime_type"] = mime
        result["file_size"] = size
        return result

    @METHODS.method("getFile")
    def get_file(self, p: Params) -> JSONDict:
        stored = self._files.get(p.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }
