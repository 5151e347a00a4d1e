"""Configuration hooks in-process: when values are read, when events are stamped, raising
calls, import hooks, warnings for bad targets, and uninstrument restoring the originals."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import itertools
import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import srm_otel
from srm_otel import _config, _guard
from srm_otel.auto import SrmHooksInstrumentor
from srm_otel.auto._imports import ImportWatcher, module_can_be_found
from srm_otel.testing import CapturedTelemetry

GAME_SOURCE = '''
"""A game module as a vendor wrote it; the test sets CLOCK to the capture's fake clock."""

CLOCK = None
DEALER_ERROR = RuntimeError("dealer pressed the wrong button")


class Table:
    def __init__(self, name):
        self.name = name
        self.round_id = None

    def start_round(self, round_id):
        self.name = "renamed during the call"
        self.round_id = round_id
        CLOCK.advance(3.0)
        return round_id

    def stop_bets(self, round_id):
        CLOCK.advance(7.0)

    async def deal(self, round_id, number):
        await asyncio.sleep(0)
        CLOCK.advance(2.0)
        return number

    def finish(self, round_id):
        raise DEALER_ERROR

    @staticmethod
    def shaker_stop(table, round_id):
        return "stopped"

    @classmethod
    def from_config(cls, name):
        return cls(name)

    def rounds(self):
        yield 1


def close_round(table, round_id):
    return round_id


import asyncio
'''

_module_names = itertools.count()


@pytest.fixture
def game(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The name of a fresh game module on sys.path, not imported yet."""
    name = f"vendor_game_{next(_module_names)}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(GAME_SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def instrumentor() -> Iterator[SrmHooksInstrumentor]:
    hooks = SrmHooksInstrumentor()
    yield hooks
    if hooks.is_instrumented_by_opentelemetry:
        hooks.uninstrument()


def _import(name: str, telemetry: CapturedTelemetry) -> ModuleType:
    module = importlib.import_module(name)
    module.CLOCK = telemetry.clock
    return module


def _hook(module: str, qualname: str, event: str, **sources: Any) -> dict[str, Any]:
    identity = {"game_type": "roulette", "table": "self.name", "round_id": "arg.round_id"}
    return {"function": f"{module}:{qualname}", "event": event, **identity, **sources}


def test_values_are_read_at_start_and_the_event_stamped_when_the_call_ends(
    telemetry: CapturedTelemetry, instrumentor: SrmHooksInstrumentor, game: str
) -> None:
    instrumentor.instrument(
        hooks=[
            _hook(game, "Table.start_round", "tableapi_start", round_id="return"),
            _hook(game, "Table.stop_bets", "tableapi_betstop", table="PRD"),
        ]
    )
    module = _import(game, telemetry)
    table = module.Table("PRD")

    table.start_round("r1")
    table.stop_bets("r1")

    # self.name was read before start_round renamed the table; each event carries the time
    # its call ended, so the interval is the 7 s that stop_bets took, not the 3 s start_round took.
    assert telemetry.histogram(
        "srm.interval.duration", table="PRD", interval="start-to-betstop"
    ) == (1, 7.0)
    assert telemetry.counter("srm.events", table="PRD", event_outcome="accepted") == 2


def test_async_call_is_stamped_when_the_awaited_call_completes(
    telemetry: CapturedTelemetry, instrumentor: SrmHooksInstrumentor, game: str
) -> None:
    instrumentor.instrument(
        hooks=[
            _hook(game, "Table.stop_bets", "tableapi_betstop"),
            _hook(
                game,
                "Table.deal",
                "tableapi_deal",
                data={"winning_number": "return", "table": "arg.number"},
            ),
        ]
    )
    module = _import(game, telemetry)
    table = module.Table("VIP-01")

    table.stop_bets("r7")
    assert asyncio.run(table.deal("r7", 17)) == 17

    srm_otel.record("tableapi_finish", game_type="roulette", table="VIP-01", round_id="r7")

    assert inspect.iscoroutinefunction(module.Table.deal)
    assert telemetry.histogram(
        "srm.interval.duration", table="VIP-01", interval="betstop-to-deal"
    ) == (1, 2.0)
    [round_span] = telemetry.spans("roulette round")
    assert [(e.name, dict(e.attributes or {})) for e in round_span.events] == [
        ("tableapi_betstop", {}),
        ("tableapi_deal", {"winning_number": 17, "table": 17}),  # data, not the identity
        ("tableapi_finish", {}),
    ]


def test_a_call_that_raises_records_nothing_is_counted_and_reraises_unchanged(
    telemetry: CapturedTelemetry,
    instrumentor: SrmHooksInstrumentor,
    game: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrumentor.instrument(hooks=[_hook(game, "Table.finish", "tableapi_finish")])
    module = _import(game, telemetry)

    with pytest.raises(RuntimeError) as raised:
        module.Table("PRD").finish("r1")

    assert raised.value is module.DEALER_ERROR
    assert telemetry.counter("srm.events") == 0
    assert instrumentor.raised_calls() == {f"{game}:Table.finish": 1}
    assert caplog.messages == [
        f"srm_otel hook {game}:Table.finish raised RuntimeError; no tableapi_finish event "
        "recorded for that call (calls that raised so far: 1)"
    ]


def test_a_module_imported_later_is_hooked_on_import_and_restored_by_uninstrument(
    telemetry: CapturedTelemetry, instrumentor: SrmHooksInstrumentor, game: str
) -> None:
    instrumentor.instrument(
        hooks=[
            _hook(game, "Table.start_round", "tableapi_start"),
            _hook(
                game, "Table.shaker_stop", "sicbo_shaker_stop", game_type="sicbo", table="arg.table"
            ),
            _hook(game, "Table.from_config", "tableapi_betstop", table="arg.name", round_id="r"),
            _hook(game, "close_round", "tableapi_finish", table="arg.table"),
        ]
    )
    assert game not in sys.modules

    module = _import(game, telemetry)
    hooked = {name: vars(module.Table)[name] for name in ("start_round", "shaker_stop")}
    originals = {
        "start_round": hooked["start_round"].__wrapped__,
        "shaker_stop": hooked["shaker_stop"].__func__.__wrapped__,
        "from_config": vars(module.Table)["from_config"].__func__.__wrapped__,
        "close_round": module.close_round.__wrapped__,
    }
    module.Table("SBO-001").start_round("r2")
    module.Table.shaker_stop("SBO-001", "r2")
    module.Table.from_config("SBO-001")
    module.close_round("SBO-001", "r2")
    instrumentor.uninstrument()

    assert telemetry.counter("srm.events", table="SBO-001", event_outcome="accepted") == 4
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.__spec__.loader is module.__loader__
    assert vars(module.Table)["start_round"] is originals["start_round"]
    assert vars(module.Table)["shaker_stop"].__func__ is originals["shaker_stop"]
    assert vars(module.Table)["from_config"].__func__ is originals["from_config"]
    assert module.close_round is originals["close_round"]
    assert not [f for f in sys.meta_path if isinstance(f, ImportWatcher)]


def test_an_imported_module_is_hooked_at_once_and_an_inherited_method_restored(
    telemetry: CapturedTelemetry, instrumentor: SrmHooksInstrumentor, game: str
) -> None:
    module = _import(game, telemetry)
    module.VipTable = type("VipTable", (module.Table,), {})
    original = module.Table.start_round

    instrumentor.instrument(hooks=[_hook(game, "VipTable.start_round", "tableapi_start")])
    module.VipTable("VIP-01").start_round("r3")
    module.Table("PRD").start_round("r4")  # the base class is not hooked
    instrumentor.uninstrument()

    assert telemetry.counter("srm.events", event_outcome="accepted") == 1
    assert "start_round" not in vars(module.VipTable)
    assert module.VipTable.start_round is original


def test_bad_targets_warn_at_start_and_the_other_hooks_still_work(
    telemetry: CapturedTelemetry,
    instrumentor: SrmHooksInstrumentor,
    game: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    module = _import(game, telemetry)
    caplog.set_level(logging.WARNING, logger="srm_otel")

    instrumentor.instrument(
        hooks=[
            _hook("no_such_studio_module", "Table.open", "tableapi_start"),
            _hook(game, "Table.no_such_method", "tableapi_start"),
            _hook(game, "Lobby.open", "tableapi_start"),
            _hook(game, "Table.stop_bets", "tableapi_betstop", round_id="arg.round"),
            _hook(game, "close_round", "tableapi_finish"),
            _hook(game, "Table.rounds", "tableapi_deal"),
            _hook("__main__", "main", "tableapi_deal"),
            _hook(game, "Table.start_round", "tableapi_start"),
        ]
    )
    module.Table("PRD").start_round("r5")

    assert caplog.messages == [
        "srm_otel hook __main__:main -> tableapi_deal: the program's __main__ script cannot be "
        "hooked; move the function into a module the script imports",
        "srm_otel hook no_such_studio_module:Table.open -> tableapi_start: module "
        "'no_such_studio_module' not found; the hook stays idle unless the program imports it "
        "later",
        f"srm_otel hook {game}:Table.no_such_method -> tableapi_start: {game} has no function "
        "'Table.no_such_method'",
        f"srm_otel hook {game}:Lobby.open -> tableapi_start: {game} has no attribute 'Lobby'",
        f"srm_otel hook {game}:Table.stop_bets -> tableapi_betstop: 'arg.round': "
        "Table.stop_bets has no such parameter (it has self, round_id)",
        f"srm_otel hook {game}:close_round -> tableapi_finish: 'self.name': close_round is not "
        "a method, so it has no self",
        f"srm_otel hook {game}:Table.rounds -> tableapi_deal: Table.rounds is a generator "
        "function; hooks support plain and async functions",
    ]
    assert telemetry.counter("srm.events", table="PRD", event_outcome="accepted") == 1


def test_a_source_that_cannot_be_read_drops_the_event_and_the_call_goes_on(
    telemetry: CapturedTelemetry,
    instrumentor: SrmHooksInstrumentor,
    game: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrumentor.instrument(
        hooks=[_hook(game, "Table.stop_bets", "tableapi_betstop", table="self.croupier.name")]
    )
    module = _import(game, telemetry)

    assert module.Table("PRD").stop_bets("r6") is None

    assert telemetry.counter("srm.events", event_outcome="invalid") == 1
    assert caplog.messages[0] == (
        f"srm_otel hook {game}:Table.stop_bets -> tableapi_betstop: cannot read "
        "'self.croupier.name' (SourceError: 'self.croupier.name': no attribute 'croupier'); "
        "the event is dropped"
    )


def test_the_wrapper_keeps_name_signature_and_is_idle_before_configure(
    instrumentor: SrmHooksInstrumentor, game: str
) -> None:
    instrumentor.instrument(hooks=[_hook(game, "Table.stop_bets", "tableapi_betstop")])
    module = importlib.import_module(game)
    module.CLOCK = type("Clock", (), {"advance": staticmethod(lambda s: s)})

    method = module.Table.stop_bets
    assert (method.__name__, str(inspect.signature(method))) == ("stop_bets", "(self, round_id)")
    assert module.Table("PRD").stop_bets("r1") is None
    assert instrumentor.raised_calls() == {}


def test_instrument_entries_are_checked_key_by_key() -> None:
    with pytest.raises(_config.ConfigError) as error:
        _config.load(
            {
                "instrument": [
                    {"function": "studio_game.open_round", "event": "tableapi_start"},
                    {
                        "function": "studio_game:Table.open",
                        "event": "tableapi_start",
                        "game_type": True,
                        "table": "self.",
                        "round_id": "return",
                        "tabel": "PRD",
                    },
                ]
            }
        )

    assert error.value.problems == [
        "instrument[0].function: 'studio_game.open_round' must name a function as "
        "module:qualname, e.g. studio_game:RouletteTable.open_round",
        "instrument[0].game_type: missing; give a literal or self.<attr>, arg.<name>, return",
        "instrument[0].table: missing; give a literal or self.<attr>, arg.<name>, return",
        "instrument[0].round_id: missing; give a literal or self.<attr>, arg.<name>, return",
        "instrument[1].tabel: unknown key; did you mean 'table'?",
        "instrument[1].game_type: True must be a string, a whole number or a source",
        "instrument[1].table: 'self.' must continue with attribute names after the dot",
    ]


def test_instrument_entries_become_hook_specs() -> None:
    settings = _config.load(
        {
            "instrument": [
                {
                    "function": "studio_game:RouletteTable.open_round",
                    "event": "tableapi_start",
                    "game_type": "roulette",
                    "table": "self.name",
                    "round_id": "return",
                    "data": {"dealer": "arg.dealer.name"},
                }
            ]
        }
    )

    assert settings.instrument == (
        _config.HookSpec(
            module="studio_game",
            qualname="RouletteTable.open_round",
            event="tableapi_start",
            game_type="roulette",
            table="self.name",
            round_id="return",
            data=(("dealer", "arg.dealer.name"),),
        ),
    )


def test_a_module_beside_the_script_counts_as_found_before_the_script_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From sitecustomize, sys.path does not hold the script's directory yet.
    (tmp_path / "studio.py").write_text("import beside_studio\n")
    (tmp_path / "beside_studio.py").write_text("")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "__init__.py").write_text("")
    (tmp_path / "vendor" / "wheel.py").write_text("")
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "studio.py")])

    found = {
        name: module_can_be_found(name)
        for name in ("beside_studio", "vendor.wheel", "vendor.shaker", "elsewhere", "json.decoder")
    }

    assert found == {
        "beside_studio": True,
        "vendor.wheel": True,
        "vendor.shaker": False,
        "elsewhere": False,
        "json.decoder": True,
    }
    assert "vendor" not in sys.modules


def test_outside_our_tests_a_failure_inside_a_hook_costs_the_event_not_the_call(
    telemetry: CapturedTelemetry,
    instrumentor: SrmHooksInstrumentor,
    game: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(_guard, "RAISE_INTERNAL_ERRORS", False)
    monkeypatch.setattr(telemetry.runtime, "record", _broken_record)
    instrumentor.instrument(hooks=[_hook(game, "close_round", "tableapi_finish", table="PRD")])
    module = _import(game, telemetry)

    returned = [module.close_round("PRD", "r8"), module.close_round("PRD", "r9")]

    assert returned == ["r8", "r9"]
    assert [r.getMessage() for r in caplog.records] == [
        f"srm_otel internal error in hook {game}:close_round (call end); the game continues "
        "with less telemetry (further errors here are not logged)"
    ]


def _broken_record(*args: Any) -> str:
    raise ZeroDivisionError("a bug in srm_otel")
