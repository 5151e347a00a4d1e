"""Round telemetry for programs that cannot be edited: set-up and hooks from configuration.

Run an unmodified program with either command::

    srm-otel run --config srm.yaml -- python studio.py
    SRM_CONFIG=srm.yaml opentelemetry-instrument python studio.py

Both start the program with OpenTelemetry's ``sitecustomize``, which loads
the entry points declared in pyproject.toml:

- ``SrmDistro`` (``opentelemetry_distro: srm``) makes ``srm`` the configurator;
- ``SrmConfigurator`` (``opentelemetry_configurator: srm``) reads the srm
  configuration (``SRM_CONFIG``, else ``./srm.yaml``) and the ``OTEL_*``
  variables, builds the export pipeline once, installs it as the global
  OpenTelemetry providers and starts srm_otel on it; a later
  ``srm_otel.configure()`` by the program keeps that set-up;
- ``SrmHooksInstrumentor`` (``opentelemetry_instrumentor: srm_hooks``) turns
  the ``instrument:`` list of the configuration into hooks on the named
  functions, now or when their module is imported. Switch it off with
  ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=srm_hooks``; ``uninstrument()``
  puts the original functions back.

See docs/auto-instrumentation.md for the hook semantics.
"""

from srm_otel.auto._instrumentor import SrmHooksInstrumentor
from srm_otel.auto._setup import SrmConfigurator, SrmDistro

__all__ = ["SrmConfigurator", "SrmDistro", "SrmHooksInstrumentor"]
