"""/help, written from the very command list Telegram's menu shows the same person.

Whoever publishes a menu (bot.ptb.commands for residents, bot.officers.menus for officers,
analysts and admins) hands the same `BotCommand` list here, so the help can never list a
command the person's menu lacks, or miss one it has. Each command has a one-line example in
the catalogs; the tables of example keys live next to the command lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from telegram import BotCommand

from bot.kernel.i18n import N_, Translator

# Examples of the resident commands, by command (every command of RESIDENT_COMMANDS).
RESIDENT_EXAMPLES: Final[Mapping[str, str]] = {
    "start": N_("help.example.start"),
    "tip": N_("help.example.tip"),
    "mytips": N_("help.example.mytips"),
    "status": N_("help.example.status"),
    "help": N_("help.example.help"),
    "language": N_("help.example.language"),
    "cancel": N_("help.example.cancel"),
}

# What "/help COMMAND" accepts as COMMAND: "/status", "status", "status@SomeBot".
_COMMAND_WORD = re.compile(r"^/?([A-Za-z0-9_]{1,32})(?:@\w+)?$")
# A deep link's payload that asks for one command's help ("/start help_ask").
HELP_PAYLOAD_PREFIX: Final = "help_"


def help_text(
    t: Translator,
    commands: Sequence[BotCommand],
    examples: Mapping[str, str],
    *,
    intro: str,
    footer: str = "",
) -> str:
    """Return the help listing `commands`, in order, each with its example."""
    lines = [t("help.title"), "", intro]
    lines.extend(_line(t, command, examples) for command in commands)
    lines.extend(["", t("help.more")])
    if footer:
        lines.extend(["", footer])
    return "\n".join(lines)


def command_help(
    t: Translator,
    commands: Sequence[BotCommand],
    examples: Mapping[str, str],
    asked: str,
) -> str:
    """Return the help of one of `commands`, or the same answer for unknown and not allowed."""
    name = command_name(asked)
    for command in commands:
        if command.command == name:
            return t(
                "help.command",
                command=command.command,
                description=command.description,
                example=t.label(examples[command.command]),
            )
    # Unknown and not allowed read the same: a refusal must not reveal that a command exists.
    return t("help.unknown", command=asked[:40])


def command_name(asked: str) -> str | None:
    """Return the command a word names ("/status", "status@Bot" → "status"), or None."""
    match = _COMMAND_WORD.match(asked.strip())
    return match.group(1).lower() if match else None


def payload_command(args: Sequence[str]) -> str | None:
    """Return the command a "/start help_NAME" deep link asks about, or None."""
    if len(args) != 1 or not args[0].startswith(HELP_PAYLOAD_PREFIX):
        return None
    return command_name(args[0].removeprefix(HELP_PAYLOAD_PREFIX))


def _line(t: Translator, command: BotCommand, examples: Mapping[str, str]) -> str:
    return t(
        "help.line",
        command=command.command,
        description=command.description,
        example=t.label(examples[command.command]),
    )
