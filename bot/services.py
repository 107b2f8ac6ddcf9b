"""What every handler needs, built once per application: settings, storage, keys, clock."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import date, timedelta

from telegram import Update

from bot.audit import AuditLog
from bot.audit.jobs import anchor_now
from bot.core.menu import MainMenu
from bot.core.repository import PreferencesRepository
from bot.db import Database, migrate
from bot.figures.service import FiguresService
from bot.inbox import Inbox
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import Language, Translator, translator
from bot.officers.chats import officer_chat_for
from bot.officers.service import OfficersService
from bot.tips.service import TipService
from bot.triage.service import TriageService
from bot.units import UnitsRepository

log = logging.getLogger(__name__)

_LANGUAGE_CACHE_SIZE = 10_000


class Services:
    """The application's shared dependencies and their start/stop."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.keyring = Keyring(settings.secret())
        self.db = Database(settings.database_path)
        self.prefs = PreferencesRepository(self.db)
        # Every update, sealed, before Telegram is told it arrived (bot/inbox).
        self.inbox = Inbox(
            self.db,
            self.keyring,
            self.clock,
            max_attempts=settings.inbox_max_attempts,
            keep_done=timedelta(hours=settings.inbox_keep_done_hours),
        )
        self.menu = MainMenu()
        self.units = UnitsRepository(self.db)
        self.tips = TipService(
            settings=settings, db=self.db, keyring=self.keyring, clock=self.clock, units=self.units
        )
        self.figures = FiguresService(self.db, self.units, self.clock)
        # The hash-chained record of every officer action (bot.audit).
        self.audit = AuditLog(self.db, self.keyring)
        self.officers = OfficersService(
            self.db, self.units, self.clock, config_admins=settings.admin_user_ids, audit=self.audit
        )
        self.triage = TriageService(
            settings=settings,
            db=self.db,
            clock=self.clock,
            tips=self.tips,
            units=self.units,
            officers=self.officers,
            audit=self.audit,
            chat_for=lambda unit_id: officer_chat_for(self, unit_id),
        )
        # Language is looked up on every update; a bounded cache keeps that off the database.
        self._languages: OrderedDict[str, Language] = OrderedDict()
        # Who was seen today (so a language choice is kept while its owner is active, and
        # purged after RETENTION_DAYS without them): noted in memory on the hot path, written
        # at most once a day per person by `save_seen` (a job, and at shutdown). A crash loses
        # at most the sightings since the last save, which only brings a purge a day closer.
        self._seen_on: date | None = None
        self._seen: set[str] = set()
        self._unsaved: dict[str, date] = {}

    @property
    def default_language(self) -> Language:
        """The configured language of people who chose none."""
        return self.settings.default_language

    async def start(self) -> None:
        """Open the database and bring its schema up to date."""
        await self.db.open()
        try:
            await migrate(self.db)
        except Exception:
            await self.db.close()
            raise

    async def stop(self) -> None:
        """Write the inbox's last done marks and the audit anchor, then close the database."""
        try:
            if self.db.is_open:
                await self.inbox.close()
                # Rows appended since the last periodic anchor are anchored before we stop.
                await anchor_now(self)
                await self.save_seen()
        finally:
            await self.db.close()

    async def language_of(self, user_id: int | None) -> Language:
        """Return a person's chosen language, or the configured default."""
        if user_id is None:
            return self.settings.default_language
        pseudonym = self.keyring.pseudonym(user_id)
        self._note_seen(pseudonym)
        cached = self._languages.get(pseudonym)
        if cached is not None:
            self._languages.move_to_end(pseudonym)
            return cached
        language = await self.prefs.language(pseudonym) or self.settings.default_language
        self._remember(pseudonym, language)
        return language

    async def set_language(self, user_id: int, language: Language) -> None:
        """Store a person's language choice."""
        pseudonym = self.keyring.pseudonym(user_id)
        await self.prefs.set_language(pseudonym, language, self.clock.now())
        self._remember(pseudonym, language)

    def _note_seen(self, pseudonym: str) -> None:
        today = self.clock.now().date()
        if today != self._seen_on:
            self._seen_on, self._seen = today, set()
        if pseudonym not in self._seen:
            self._seen.add(pseudonym)
            self._unsaved[pseudonym] = today

    async def save_seen(self) -> None:
        """Write today's new sightings (one transaction; a person at most once a day)."""
        if not self._unsaved:
            return
        unsaved, self._unsaved = self._unsaved, {}
        try:
            await self.prefs.mark_seen(unsaved)
        except BaseException:
            # Kept for the next save, unless the person was seen again meanwhile (a later day).
            self._unsaved = unsaved | self._unsaved
            raise

    def forget_languages(self) -> None:
        """Drop the cached choices (after a purge deleted some of them)."""
        self._languages.clear()

    def _remember(self, pseudonym: str, language: Language) -> None:
        self._languages[pseudonym] = language
        self._languages.move_to_end(pseudonym)
        while len(self._languages) > _LANGUAGE_CACHE_SIZE:
            self._languages.popitem(last=False)

    async def translator_for(self, update: Update) -> Translator:
        """Return the translator for the person behind an update."""
        user = update.effective_user
        return translator(await self.language_of(user.id if user else None))
