"""The services of one running bot, built in the entrypoint and opened in ``post_init``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.documents.renderer import DocumentRenderer
from bot.domain.initiative import load_form
from bot.domain.units import Units, load_units
from bot.i18n import Translator
from bot.services.broadcasts import BroadcastService
from bot.services.events import EventService
from bot.services.flows import FlowService, FlowStates
from bot.services.initiatives import InitiativeService
from bot.services.knowledge import KnowledgeService
from bot.services.profile import ProfileService
from bot.services.users import UserService
from storage import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    translator: Translator
    states: FlowStates
    flows: FlowService
    users: UserService
    profile: ProfileService
    units: Units
    knowledge: KnowledgeService
    initiatives: InitiativeService
    events: EventService
    broadcasts: BroadcastService
    documents: DocumentRenderer

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> Services:
        """Wire the services; nothing is opened here (see :meth:`open`)."""
        db = db or Database(settings.database_path)
        states = FlowStates()
        flows = FlowService(db, states)
        users = UserService(db, flows, settings.admin_ids)
        form = load_form(settings.initiative_form_file)
        return cls(
            settings=settings,
            db=db,
            translator=Translator.load(default=settings.default_language),
            states=states,
            flows=flows,
            users=users,
            profile=ProfileService(flows, users),
            units=load_units(settings.units_file),
            knowledge=KnowledgeService(db, tz=settings.tz),
            initiatives=InitiativeService(db, flows, form, tz=settings.tz),
            events=EventService(db, flows, tz=settings.tz),
            broadcasts=BroadcastService(db, config_admins=settings.admin_ids),
            documents=DocumentRenderer(form, workers=settings.document_workers),
        )

    async def open(self) -> None:
        await self.db.open()
        await self.states.load(self.db)
        await self.flows.load()
        await self.knowledge.ensure_seeded()
        await self.events.ensure_seeded()
        await self.documents.open()

    async def close(self) -> None:
        await self.documents.close()
        await self.db.close()
