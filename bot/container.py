"""What every handler needs, built once per application: settings, storage, keys, clock."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import date, timedelta

from telegram import Bot, Update

from bot.audit import AuditLog
from bot.audit.jobs import anchor_now
from bot.audit.needs import AuditNeeds
from bot.core.menu import MainMenu
from bot.core.needs import CoreNeeds
from bot.core.repository import PreferencesRepository
from bot.db import Database, migrate
from bot.figures.needs import FiguresNeeds
from bot.figures.service import FiguresService
from bot.inbox import Inbox
from bot.inbox.needs import InboxNeeds
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.crypto import Keyring
from bot.kernel.i18n import Language, Translator, translator
from bot.maintenance.needs import DeadLettersNeeds, MaintenanceNeeds
from bot.maintenance.retention import purge_stale_preferences
from bot.officers.needs import OfficersNeeds, UnitCommandsNeeds
from bot.officers.service import OfficersService
from bot.outbox.admin_alerts import AdminAlerts
from bot.outbox.alerts import ADMIN_ALERT
from bot.outbox.deliverer import Delivery, OutboxDeliverer
from bot.outbox.needs import OutboxNeeds
from bot.outbox.queue import OutboxQueue
from bot.outbox.repository import OutboxRepository
from bot.tips.needs import TipsNeeds
from bot.tips.service import OUTBOX_TIP_CARD, TipService
from bot.triage import relay
from bot.triage.card import Cards
from bot.triage.needs import TriageNeeds
from bot.triage.service import TriageService
from bot.units import UnitDirectory, UnitsRepository

log = logging.getLogger(__name__)

_LANGUAGE_CACHE_SIZE = 10_000


class Container:
    """The application's shared dependencies and their start/stop."""

    def __init__(self, settings: Settings, *, outbox_bot: Bot, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.keyring = Keyring(settings.secret())
        self.db = Database(settings.database_path)
        self._prefs = PreferencesRepository(self.db)
        # Every update, sealed, before Telegram is told it arrived (bot/inbox).
        self.inbox = Inbox(
            self.db,
            self.keyring,
            self.clock,
            max_attempts=settings.inbox_max_attempts,
            keep_done=timedelta(hours=settings.inbox_keep_done_hours),
        )
        self.menu = MainMenu()
        # Admins' alerts and dead letters, for handlers and jobs (bot/outbox/queue.py).
        self.outbox = OutboxQueue(OutboxRepository(self.db))
        self.units = UnitDirectory(UnitsRepository(self.db))
        self.tips = TipService(
            settings=settings, db=self.db, keyring=self.keyring, clock=self.clock, units=self.units
        )
        self.figures = FiguresService(self.db, self.units, self.clock)
        # The hash-chained record of every officer action (bot.audit).
        self.audit = AuditLog(self.db, self.keyring)
        self.officers = OfficersService(
            self.db,
            self.units,
            self.clock,
            config_admins=settings.admin_user_ids,
            audit=self.audit,
            officer_chat_id=settings.officer_chat_id,
        )
        self.triage = TriageService(
            settings=settings,
            db=self.db,
            clock=self.clock,
            tips=self.tips,
            units=self.units,
            officers=self.officers,
            audit=self.audit,
            chat_for=self.officers.chat_for,
        )
        # The officers' card: facts, text, buttons, posting and redraw (bot.triage.card).
        self.cards = Cards(
            bot=outbox_bot,
            settings=settings,
            keyring=self.keyring,
            tips=self.tips,
            units=self.units,
            officers=self.officers,
            triage=self.triage,
        )
        # The one outbox deliverer, with every kind of row the features queue.
        self.deliverer = OutboxDeliverer(
            outbox_bot,
            self.tips.outbox,
            self.clock,
            self._outbox_kinds(),
            db=self.db,
            max_permanent_failures=settings.outbox_max_permanent_failures,
            language=settings.default_language,
            subject=self.tips.code_in,
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

    def _outbox_kinds(self) -> dict[str, Delivery]:
        """Return every kind of outbox row and its delivery: the card, triage's, the alerts."""
        alerts = AdminAlerts(
            admin_chat_id=self.settings.admin_chat_id,
            default_language=self.settings.default_language,
            administrators=self.officers.administrators,
            language_of=self.language_of,
        )
        return {
            OUTBOX_TIP_CARD: self.cards.deliver,
            ADMIN_ALERT: alerts.deliver,
            **relay.deliveries(self),
        }

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
        language = await self._prefs.language(pseudonym) or self.settings.default_language
        self._remember(pseudonym, language)
        return language

    async def audience_of(self, user_id: int) -> str:
        """Return whose menu and help a person gets: "resident" or their officer role."""
        officer = await self.officers.officer(user_id)
        return "resident" if officer is None else officer.role

    async def set_language(self, user_id: int, language: Language) -> None:
        """Store a person's language choice."""
        pseudonym = self.keyring.pseudonym(user_id)
        await self._prefs.set_language(pseudonym, language, self.clock.now())
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
            await self._prefs.mark_seen(unsaved)
        except BaseException:
            # Kept for the next save, unless the person was seen again meanwhile (a later day).
            self._unsaved = unsaved | self._unsaved
            raise

    async def purge_unseen_languages(self, days: int) -> int:
        """Delete the language choices of people not seen for `days` days; return how many.

        Today's sightings are written first, so someone active today keeps their choice; the
        cache is dropped after a purge, or a choice would outlive its row while the bot runs.
        """
        await self.save_seen()
        dropped = await purge_stale_preferences(self._prefs, self.clock.now(), days)
        if dropped:
            self._languages.clear()
        return dropped

    def _remember(self, pseudonym: str, language: Language) -> None:
        self._languages[pseudonym] = language
        self._languages.move_to_end(pseudonym)
        while len(self._languages) > _LANGUAGE_CACHE_SIZE:
            self._languages.popitem(last=False)

    async def translator_for(self, update: Update) -> Translator:
        """Return the translator for the person behind an update."""
        user = update.effective_user
        return translator(await self.language_of(user.id if user else None))


def serves_every_feature(
    container: Container,
) -> tuple[
    AuditNeeds,
    CoreNeeds,
    FiguresNeeds,
    InboxNeeds,
    MaintenanceNeeds,
    DeadLettersNeeds,
    OfficersNeeds,
    UnitCommandsNeeds,
    OutboxNeeds,
    TipsNeeds,
    TriageNeeds,
]:
    """Say to the type checker that the container gives every feature what it names.

    Each feature types its handlers' context by its own Protocol of needs (`bot/*/needs.py`)
    and never imports this module; mypy checks here, once, that the container has them all.
    """
    c = container
    return (c, c, c, c, c, c, c, c, c, c, c)
