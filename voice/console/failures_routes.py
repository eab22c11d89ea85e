"""The console's what the bot failed (being built)."""

from aiohttp import web

from bot.editing.workspace import Workspace


def add_routes(app: web.Application, workspace: Workspace, *_more: object) -> None:
    pass
