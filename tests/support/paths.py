"""Where tests find the repository and the material it carries for them (see tests/corpora)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT / "tests" / "corpora"
XML_RECHNUNG = CORPORA / "xml-rechnung"
CONTRACT = ROOT / "tests" / "contract" / "api-contract.graphql"
