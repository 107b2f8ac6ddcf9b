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

from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from telegram.ext import CallbackContext, ExtBot

from bot.kernel.i18n import Language, Translator, translator

if TYPE_CHECKING:
    from telegram.ext import Application

S = TypeVar("S")


class Hosted(Protocol):
    """What the application needs of the services it hosts: their lifetime and languages."""

    @property
    def default_language(self) -> Language:
        """The language of the command menu's fallback and of people without a choice."""
        ...

    async def start(self) -> None:
        """Open what the services need (the database), before python-telegram-bot starts."""
        ...

    async def stop(self) -> None:
        """Close them, after python-telegram-bot has stopped."""
        ...

    async def language_of(self, user_id: int | None) -> Language:
        """Return a person's language (the default for None)."""
        ...


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
        return cast(S, _host(self))

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
            services = _host(self)
            self._translator = translator(await services.language_of(self.person_id))
        return self._translator


def _host(context: BotContext[Any]) -> Hosted:
    # The application is our TipsApplication (bot.ptb.application), which holds its services;
    # asked by attribute so that this module need not import the application's.
    services = getattr(context.application, "services", None)
    if services is None:
        raise TypeError("handlers must run inside a TipsApplication")
    return cast(Hosted, services)
