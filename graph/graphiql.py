"""GraphiQL without the internet: Strawberry's GraphiQL page, with its scripts and styles served
by the API instead of unpkg.com, so the IDE also works on a network without internet access.

The files under graph/static/graphiql/ are the npm packages' own, laid out as unpkg.com serves
them (see its README.md), so only the URL prefix changes and the page keeps Strawberry's
integrity (SRI) hashes: the browser still checks every file it runs."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
# Where the API serves ASSETS_DIR.
ASSETS_ROUTE = "/static/graphiql"
# How the page names them: relative to the page's own URL (/graphql), so the IDE still works
# when a reverse proxy serves the API under a path prefix.
ASSETS_URL = "static/graphiql/"
CDN = "https://unpkg.com/"


@cache
def graphiql_html() -> str:
    """Strawberry's GraphiQL page, loading every script and style from ASSETS_URL."""
    return get_graphql_ide_html(graphql_ide="graphiql").replace(CDN, ASSETS_URL)


def graphiql_assets() -> StaticFiles:
    """The ASGI app that serves ASSETS_DIR (mounted at ASSETS_ROUTE)."""
    return StaticFiles(directory=ASSETS_DIR)
