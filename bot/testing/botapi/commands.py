"""Command menus: setMyCommands, getMyCommands and deleteMyCommands, per scope and language."""

import copy
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from bot.testing.botapi.model import JSONDict
from bot.testing.botapi.params import MethodTable, Params, bad_request, coerce_chat_id

METHODS = MethodTable()


class Commands:
    """The command menus set, keyed by scope and language."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}

    def my_commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the commands stored for a scope (default scope if None) and language."""
        with self._lock:
            return copy.deepcopy(self._commands.get(_command_key(scope, language_code), []))

    @METHODS.method("setMyCommands")
    def set_my_commands(self, p: Params) -> bool:
        commands = p.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        cleaned: list[JSONDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be non-empty")
            cleaned.append({"command": name, "description": description})
        key = _command_key(p.get_json("scope"), p.get_str("language_code"))
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    @METHODS.method("getMyCommands")
    def get_my_commands(self, p: Params) -> list[JSONDict]:
        key = _command_key(p.get_json("scope"), p.get_str("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    @METHODS.method("deleteMyCommands")
    def delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(_command_key(p.get_json("scope"), p.get_str("language_code")), None)
        return True


def _command_key(scope: Any, language_code: str | None) -> tuple[str, str]:
    if isinstance(scope, str):
        try:
            scope = json.loads(scope)
        except ValueError:
            raise bad_request("can't parse BotCommandScope JSON object") from None
    if not isinstance(scope, Mapping):
        scope = {"type": "default"}
    normalized = {
        k: (coerce_chat_id(v) if k in ("chat_id", "user_id") else v) for k, v in scope.items()
    }
    return json.dumps(normalized, sort_keys=True), language_code or ""
