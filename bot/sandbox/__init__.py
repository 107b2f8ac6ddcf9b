"""The sandbox: the whole bot in a terminal chat, on an in-memory Telegram, before any token.

`python -m bot sandbox` (and `python -m bot run` while no token is set) runs the real
application, handlers and a SQLite file of its own (`data/sandbox.sqlite3`) over
`bot.testing`'s in-memory Bot API. This module stays light: the command line imports it for
the arguments, and the Telegram stack is loaded only when the sandbox runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.kernel.config import Settings
from bot.sandbox.settings import DEFAULT_DATABASE

NO_TOKEN_NOTICE = (
    "No TELEGRAM_BOT_TOKEN set: starting the local sandbox ({database}). "
    "To go live, put your token from @BotFather in .env (see README)."
)


def add_sandbox_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `sandbox` and its options to the command line's subcommands."""
    parser = commands.add_parser(
        "sandbox", help="try the bot in a terminal chat, without Telegram or a token"
    )
    parser.set_defaults(handler=run)
    parser.add_argument(
        "--script",
        metavar="FILE",
        help="read the lines from FILE ('-' for standard input) and print the transcript; "
        "exit 1 if a line fails or the bot raises an error",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the sample units, a demo officer and analyst, and the Kiên Giang figures",
    )
    parser.add_argument(
        "--database",
        type=Path,
        metavar="PATH",
        help=f"the sandbox's SQLite file (default {DEFAULT_DATABASE}; never the bot's own)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="reproducible runs: the clock stands still until :time moves it, and receipt codes "
        "come from N (for scripted transcripts; never for real tips)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="start again from an empty sandbox database"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run `python -m bot sandbox` with its parsed options."""
    from bot.sandbox.terminal import main  # imported late: it loads the whole bot

    return main(
        settings,
        script=args.script,
        demo=args.demo,
        database=args.database,
        reset=args.reset,
        seed=args.seed,
    )


def run_without_token(settings: Settings) -> int:
    """Say in one line why the sandbox starts instead of the bot, then start it."""
    from bot.sandbox.terminal import main  # imported late: it loads the whole bot

    print(NO_TOKEN_NOTICE.format(database=DEFAULT_DATABASE), file=sys.stderr)
    return main(settings)
