"""The private mongoeco names that core/localdb.py overrides or uses are still there, with the
parameters the overrides were written for: an upgrade of mongoeco that changes one fails here,
naming it, instead of silently bypassing (or breaking) the embedded store's engine."""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable
from importlib.metadata import version

from mongoeco.engines.sqlite import SQLiteEngine

from core.localdb import (
    MONGOECO_PRIVATE_ATTRIBUTES,
    MONGOECO_PRIVATE_METHODS,
    MONGOECO_VERSION,
    LocalStoreEngine,
)
from tests.support.paths import ROOT


def seam_problems(engine_class: type) -> list[str]:
    """What of MONGOECO_PRIVATE_METHODS `engine_class` lacks or declares otherwise."""
    problems = []
    for name, expected in MONGOECO_PRIVATE_METHODS.items():
        method = getattr(engine_class, name, None)
        if not callable(method):
            problems.append(f"mongoeco's {engine_class.__name__}.{name} is missing")
            continue
        found = tuple((p.name, p.kind.name) for p in inspect.signature(method).parameters.values())
        if found != expected:
            problems.append(
                f"mongoeco's {engine_class.__name__}.{name} changed its parameters: "
                f"{found} where core/localdb.py expects {expected}"
            )
    return problems


def stand_in_method(parameters: tuple[tuple[str, str], ...]) -> Callable[..., None]:
    """A function declaring exactly `parameters`."""

    def method(*args: object, **kwargs: object) -> None: ...

    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, getattr(inspect.Parameter, kind)) for name, kind in parameters]
    )
    return method


def test_the_pinned_mongoeco_is_installed_and_pinned_exactly() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"mongoeco[wire]=={MONGOECO_VERSION}" in pyproject["project"]["dependencies"]
    assert version("mongoeco") == MONGOECO_VERSION


def test_every_overridden_private_method_is_still_in_mongoeco() -> None:
    problems = seam_problems(SQLiteEngine)
    assert not problems, "\n".join(problems)


def test_every_private_override_is_listed() -> None:
    overridden = {
        name
        for name, value in vars(LocalStoreEngine).items()
        if name.startswith("_")
        and not name.startswith("__")
        and callable(value)
        and hasattr(SQLiteEngine, name)
    }
    assert overridden - set(MONGOECO_PRIVATE_METHODS) == set()


def test_the_private_attributes_used_are_set_by_mongoeco(tmp_path) -> None:
    engine = SQLiteEngine(str(tmp_path / "store.sqlite3"))
    missing = [name for name in MONGOECO_PRIVATE_ATTRIBUTES if not hasattr(engine, name)]
    assert missing == [], f"mongoeco's SQLiteEngine instances no longer have {missing}"


def test_a_missing_or_changed_method_is_named() -> None:
    """The check itself can fail: a stand-in engine without one method, and with another whose
    parameters changed, is reported by name."""
    methods = {
        name: stand_in_method(parameters)
        for name, parameters in MONGOECO_PRIVATE_METHODS.items()
        if name != "_connect_sync"
    }
    methods["_require_connection"] = lambda self: None
    stand_in = type("SQLiteEngine", (), methods)
    problems = seam_problems(stand_in)
    assert len(problems) == 2
    assert problems[0] == "mongoeco's SQLiteEngine._connect_sync is missing"
    assert problems[1].startswith("mongoeco's SQLiteEngine._require_connection changed")
