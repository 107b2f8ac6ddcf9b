"""The callback context every handler and job receives: its services and its translator.

`BotContext[S]` is python-telegram-bot's `CallbackContext` (installed with
`ContextTypes(context=BotContext)`) with two things resolved once per update:

- `context.services`, typed as `S`: each feature states in a Protocol the few services it
  uses (`Context = BotContext[TipsNeeds]`), so a feature never imports the container that
  holds them all; the composition root (`bot.app`) checks that the container satisfies each
  feature's Protocol.
- `context.t`, the translator in the language of the person behind the update (the
  configured default for jobs and for updates without a person), looked up in
  `refresh_data`, which python-telegram-bot awaits once per update before the first handler
  that takes it runs, and before every job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from telegram.ext import CallbackContext, ExtBot

from bot.kernel.i18n import Translator, translator

if TYPE_CHECKING:
    from telegram.ext import Application

S = TypeVar("S")


class BotContext(
    CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]], Generic[S]
):
    """A callback context with the application's services and the person's translator."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        # Whose language `t` speaks (python-telegram-bot's from_update and from_job pass the
        # update's or the job's user); CallbackContext keeps its own copy private.
        self.person_id = user_id
        self._translator: Translator | None = None

    @property
    def services(self) -> S:
        """The application's services, as the feature's Protocol names them."""
        return cast(S, _host(self).services)

    @property
    def t(self) -> Translator:
        """The translator of the person behind this update (resolved in `refresh_data`)."""
        if self._translator is None:
            raise RuntimeError("context.t is read before refresh_data resolved the language")
        return self._translator

    async def refresh_data(self) -> None:
        """Resolve the person's language once, then let python-telegram-bot refresh its data."""
        await super().refresh_data()
        await self.resolve_translator()

    async def resolve_translator(self) -> Translator:
        """Look up the person's language (error handlers call this: PTB does not refresh them)."""
        if self._translator is None:
            host = _host(self)
            self._translator = translator(await host.services.language_of(self.person_id))
        return self._translator


def _host(context: BotContext[Any]) -> Any:
    # Imported here only to name the type: application.py imports this module for ContextTypes.
    from bot.ptb.application import TipsApplication

    application = context.application
    if not isinstance(application, TipsApplication):
        raise TypeError("handlers must run inside a TipsApplication")
    return application
