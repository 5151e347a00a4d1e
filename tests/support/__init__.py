"""Test helpers shared by the test suites: loopback ports, subprocess servers,
a real Prometheus server, the built collector and a Loki stand-in."""
