"""Round-time monitoring for live-casino studios, on OpenTelemetry."""
