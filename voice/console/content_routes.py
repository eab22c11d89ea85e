"""The console's FAQs, intents and wording (being built)."""

from aiohttp import web

from bot.editing.workspace import Workspace


def add_routes(app: web.Application, workspace: Workspace, *_more: object) -> None:
    pass
