"""The distro and the configurator: srm_otel set up once, before the program's own code runs."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Final

from opentelemetry import _logs, metrics, trace
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.instrumentation.environment_variables import OTEL_PYTHON_CONFIGURATOR
from opentelemetry.sdk._configuration import _BaseConfigurator

from srm_otel import _api, _config
from srm_otel._guard import internal_error
from srm_otel._pipeline import Pipeline, build_pipeline
from srm_otel._runtime import Runtime

_logger = logging.getLogger("srm_otel")

ENTRY_POINT_NAME: Final = "srm"
"""Name of the distro and configurator entry points in pyproject.toml."""

_set_up_lock = threading.Lock()
_set_up_done = False


class SrmDistro(BaseDistro):  # type: ignore[misc]
    """Makes ``srm`` the configurator when the environment names none."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault(OTEL_PYTHON_CONFIGURATOR, ENTRY_POINT_NAME)


class SrmConfigurator(_BaseConfigurator):
    """Sets srm_otel up from its configuration and the OTEL_* variables."""

    def _configure(self, **kwargs: Any) -> None:
        set_up()


def set_up() -> Runtime | None:
    """Build the pipeline, make it the global providers and start srm_otel; only once.

    A bad configuration is logged and leaves the program running without
    round telemetry: the program itself must never stop because of us.
    """
    global _set_up_done
    with _set_up_lock:
        if _set_up_done:
            return _api.get_runtime()
        _set_up_done = True
    try:
        settings = _config.load(None)
    except _config.ConfigError as exc:
        _logger.error("%s\nsrm_otel is not set up; the program runs without round telemetry", exc)
        return None
    if settings.disabled:
        _logger.info("OTEL_SDK_DISABLED is true: srm_otel records nothing")
        return None
    try:
        pipeline = build_pipeline(settings)
        _set_global_providers(pipeline)
        return _api.start(settings, pipeline, automatic=True)
    except Exception as exc:
        internal_error("auto-instrumentation set-up", exc)
        return None


def set_up_attempted() -> bool:
    """Whether the configurator ran in this process (whatever came of it)."""
    return _set_up_done


def _set_global_providers(pipeline: Pipeline) -> None:
    # Other instrumentations loaded by opentelemetry-instrument, and the
    # program's own spans, then share srm_otel's resource and exporters.
    trace.set_tracer_provider(pipeline.tracer_provider)
    metrics.set_meter_provider(pipeline.meter_provider)
    _logs.set_logger_provider(pipeline.logger_provider)
