"""Sites and the environment: a site's default collector, then SRM_SITE and OTEL_* on top."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import unquote

from srm_otel._config._checks import check_endpoint, check_port, check_protocol, check_site
from srm_otel._config._settings import (
    OTLP_PORTS,
    SITE_ADDRESSES,
    SITE_ENV,
    ConfigError,
    OtlpSettings,
    PrometheusSettings,
    Settings,
)


def site_endpoint(site: str, protocol: str) -> str | None:
    """The default OTLP endpoint of a known site's collector, or None for a custom site."""
    address = SITE_ADDRESSES.get(site.upper())
    return f"http://{address}:{OTLP_PORTS[protocol]}" if address else None


def resolve_site(settings: Settings) -> Settings:
    if settings.otlp.endpoint is not None or settings.site is None:
        return settings
    endpoint = site_endpoint(settings.site, settings.otlp.protocol)
    return replace(settings, otlp=replace(settings.otlp, endpoint=endpoint))


def check_destination(settings: Settings) -> list[str]:
    custom_site = settings.site is not None and settings.site not in SITE_ADDRESSES
    if custom_site and settings.otlp.endpoint is None and not settings.prometheus.enabled:
        return [
            f"site: {settings.site!r} is not GE or TPE, so it has no default collector; "
            "set otlp.endpoint, or prometheus.enabled: true to serve /metrics only"
        ]
    return []


def apply_environment(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Apply SRM_SITE and the standard OTEL_* variables, which win over the file."""
    problems: list[str] = []
    settings = _site_from_env(settings, env, problems)
    settings = replace(
        settings,
        otlp=_otlp_from_env(settings.otlp, env, problems),
        prometheus=_prometheus_from_env(settings.prometheus, env, problems),
        service_name=env.get("OTEL_SERVICE_NAME") or settings.service_name,
        resource_attributes=parse_key_values(env.get("OTEL_RESOURCE_ATTRIBUTES", "")),
        disabled=env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true",
    )
    if problems:
        raise ConfigError(problems, "environment")
    return settings


def _site_from_env(settings: Settings, env: Mapping[str, str], problems: list[str]) -> Settings:
    if not env.get(SITE_ENV):
        return settings
    site = check_site(SITE_ENV, env[SITE_ENV], problems)
    otlp = settings.otlp
    if site in SITE_ADDRESSES:
        # The site chosen here wins over an endpoint in the file; resolve_site
        # fills in its collector once the protocol is final.
        otlp = replace(otlp, endpoint=None)
    return replace(settings, site=site, otlp=otlp)


def _otlp_from_env(otlp: OtlpSettings, env: Mapping[str, str], problems: list[str]) -> OtlpSettings:
    protocol_var, endpoint_var = "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_ENDPOINT"
    if env.get(protocol_var):
        protocol = check_protocol(protocol_var, env[protocol_var], problems)
        otlp = replace(otlp, protocol=protocol or otlp.protocol)
    if env.get(endpoint_var):
        otlp = replace(otlp, endpoint=check_endpoint(endpoint_var, env[endpoint_var], problems))
    if env.get("OTEL_EXPORTER_OTLP_HEADERS"):
        headers = parse_key_values(env["OTEL_EXPORTER_OTLP_HEADERS"])
        otlp = replace(otlp, headers={**otlp.headers, **headers})
    return otlp


def _prometheus_from_env(
    prom: PrometheusSettings, env: Mapping[str, str], problems: list[str]
) -> PrometheusSettings:
    if env.get("OTEL_EXPORTER_PROMETHEUS_HOST"):
        prom = replace(prom, host=env["OTEL_EXPORTER_PROMETHEUS_HOST"])
    if env.get("OTEL_EXPORTER_PROMETHEUS_PORT"):
        port = _port_from_env("OTEL_EXPORTER_PROMETHEUS_PORT", env, problems)
        prom = replace(prom, port=prom.port if port is None else port)
    return prom


def _port_from_env(name: str, env: Mapping[str, str], problems: list[str]) -> int | None:
    text = env[name].strip()
    return check_port(name, int(text) if text.isdigit() else text, problems)  # type: ignore[no-any-return]


def parse_key_values(text: str) -> dict[str, str]:
    """Parse ``k1=v1,k2=v2`` as the OTEL_* variables spell it (values may be %-encoded)."""
    pairs = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[unquote(key.strip())] = unquote(value.strip())
    return pairs
