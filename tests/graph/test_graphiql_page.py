"""The GraphiQL page loads nothing from outside the API: every script and style it names is served
by the API, is the file its integrity (SRI) hash vouches for, and ships in the wheel."""

from __future__ import annotations

import base64
import hashlib
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from graph.graphiql import ASSETS_DIR, ASSETS_URL
from tests.support.paths import ROOT


class Assets(HTMLParser):
    """The (url, integrity) of every <script src> and <link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("src") if tag == "script" else named.get("href") if tag == "link" else None
        if url is not None and not url.startswith("data:"):
            self.found.append((url, named.get("integrity")))


async def page_assets(http) -> list[tuple[str, str | None]]:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "GraphiQL" in response.text
    parser = Assets()
    parser.feed(response.text)
    return parser.found


def sri_sha384(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


async def test_the_page_names_only_the_apis_own_files(http) -> None:
    assets = await page_assets(http)
    urls = [url for url, _ in assets]
    # Strawberry's page: react, react-dom, js-cookie, graphiql (js, css), the explorer (js, css).
    assert len(urls) == 7, urls
    assert all(url.startswith(ASSETS_URL) for url in urls), urls
    assert "unpkg" not in " ".join(urls)


async def test_every_file_served_is_the_one_its_integrity_hash_names(http, api_url) -> None:
    for url, integrity in await page_assets(http):
        assert integrity is not None and integrity.startswith("sha384-"), url
        response = await http.get(urljoin(f"{api_url}/graphql", url))
        assert response.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], (url, response.headers["content-type"])
        assert sri_sha384(response.content) == integrity, f"{url}: run refresh.sh (README.md)"


async def test_every_package_has_its_licence_and_ships_in_the_wheel(http) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["graph"]
    graph_dir = ASSETS_DIR.parent.parent
    for url, _ in await page_assets(http):
        file = ASSETS_DIR / url.removeprefix(ASSETS_URL)
        package = package_folder(file)
        assert (package / "LICENSE").is_file(), package
        for shipped in (file, package / "LICENSE"):
            relative = shipped.relative_to(graph_dir).as_posix()
            assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def package_folder(file: Path) -> Path:
    """The folder named `name@version` (or `@scope/name@version`) that holds `file`."""
    for folder in file.parents:
        if "@" in folder.name.lstrip("@"):
            return folder
    raise AssertionError(f"{file} is in no package@version folder")
