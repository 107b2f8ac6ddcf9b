"""Reading a request (parameters, uploads), the errors Telegram answers, and method tables."""

import functools
import json
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar, cast

from bot.testing.botapi.model import ApiError, JSONDict, UploadedFile

Handler = Callable[["Params"], Any]
_FunctionT = TypeVar("_FunctionT", bound=Callable[..., Any])


class ApiFailure(Exception):
    """Carry a Telegram error answer out of a method handler."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        kind: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.kind = kind or str(status)
        self.retry_after = retry_after

    def body(self) -> JSONDict:
        """Return Telegram's JSON answer for this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def as_error(self) -> ApiError:
        """Return the error as recorded on the call."""
        return ApiError(self.kind, self.status, self.description, self.retry_after)


def bad_request(reason: str) -> ApiFailure:
    """Return a 400 answer with Telegram's "Bad Request: " prefix."""
    return ApiFailure(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Count ``text`` in UTF-16 code units, as Telegram's limits and offsets do."""
    # A character outside the BMP (an emoji, 𝐁) is two. "surrogatepass": a lone surrogate from
    # `&#xD800;` is one unit, not a crash here.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def coerce_chat_id(value: Any) -> int | str | None:
    """Read a chat id given as a number, a numeric string or an @username."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        try:
            return int(stripped)
        except ValueError:
            return stripped or None
    return None


class Params:
    """Read request parameters that may arrive typed (in process) or as strings (HTTP)."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        """Tell whether the parameter is given (and not null)."""
        return self.values.get(name) is not None

    def get_str(self, name: str) -> str | None:
        """Return the parameter as a string, JSON for structured values."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, bool | dict | list) else str(value)

    def get_int(self, name: str) -> int | None:
        """Return the parameter as an integer; 400 if it is not one."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be of type Integer')

    def get_float(self, name: str) -> float | None:
        """Return the parameter as a float; 400 if it is not one."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be of type Float')

    def get_bool(self, name: str) -> bool:
        """Return the parameter as a boolean ("true"/"1" when a string)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        """Return the parameter decoded from JSON when it arrives as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """Return a chat id parameter, coerced."""
        return coerce_chat_id(self.values.get(name))

    def upload_for(self, value: Any, name: str) -> UploadedFile | None:
        """Find the uploaded file that a parameter value refers to, if any."""
        if isinstance(value, str) and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            upload = self.files.get(key)
            if upload is None:
                raise bad_request(f"file {key} was not found in the request")
            return upload
        if value is None or value == "":
            return self.files.get(name)
        return None


def read_upload(value: Any) -> UploadedFile:
    """Turn one of PTB's multipart field tuples into an UploadedFile."""
    filename: str | None = None
    mime: str | None = None
    content: Any = value
    if isinstance(value, tuple):
        filename, content, mime = [*value, None, None, None][:3]
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    elif hasattr(content, "read"):
        data = cast("IO[bytes]", content).read()
    else:
        data = str(content).encode()
    return UploadedFile(data, filename, mime)


class MethodTable:
    """The Bot API methods one area answers: each name -> a method of the area's class."""

    def __init__(self) -> None:
        self._functions: dict[str, tuple[str, Callable[..., Any]]] = {}

    def method(self, name: str) -> Callable[[_FunctionT], _FunctionT]:
        """Register the decorated method as the answer to the Bot API method ``name``."""

        def register(func: _FunctionT) -> _FunctionT:
            self._functions[name.lower()] = (name, func)
            return func

        return register

    def names(self) -> dict[str, str]:
        """Return each method's lower-case name -> the Bot API's spelling."""
        return {key: name for key, (name, _func) in self._functions.items()}

    def bind(self, area: object) -> dict[str, Handler]:
        """Return each lower-case name -> its method bound to ``area``."""
        return {
            key: functools.partial(func, area) for key, (_name, func) in self._functions.items()
        }
