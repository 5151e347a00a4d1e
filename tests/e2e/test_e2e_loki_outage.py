"""Loki goes away and comes back: the collector's queue on disk loses nothing.

Production retries for an hour with intervals up to 30 s; the tests shorten
the intervals (see ``collector_env``) so an outage of some seconds shows the
same behaviour.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import LOKI_TENANT
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.otlp_sender import ContractSender

pytestmark = pytest.mark.e2e

OUTAGE_S = 8.0


def send_rounds(sender: ContractSender, first_round: int, rounds: int) -> None:
    for number in range(first_round, first_round + rounds):
        round_id = f"r{number}"
        sender.interval("roulette", "PRD", "start-to-betstop", round_id, 10 + number / 1000)
        sender.interval("roulette", "PRD", "betstop-to-deal", round_id, 2 + number / 1000)
    sender.flush()


def assert_received_exactly(loki: LokiStandin, sender: ContractSender) -> None:
    expected = sorted(sent.body for sent in sender.sent)
    wait_until(lambda: len(loki.logs()) >= len(expected), timeout=60, what="every log in Loki")
    received = loki.logs()
    assert sorted(record.body for record in received) == expected
    assert {record.tenant for record in received} == {LOKI_TENANT}


def test_loki_answering_503_then_back(start_collector, loki: LokiStandin) -> None:
    collector = start_collector()
    sender = ContractSender(collector.ports.grpc_endpoint)
    send_rounds(sender, 1, 5)
    wait_until(lambda: len(loki.logs()) == 10, timeout=30, what="logs before the outage")

    loki.set_available(False)
    send_rounds(sender, 6, 20)
    time.sleep(OUTAGE_S)
    assert len(loki.logs()) == 10
    assert loki.rejected > 0, "the collector did not try to send during the outage"

    loki.set_available(True)
    sender.shutdown()
    assert_received_exactly(loki, sender)


def test_loki_stopped_and_collector_restarted_meanwhile(start_collector, loki: LokiStandin) -> None:
    loki.stop()
    first = start_collector()
    sender = ContractSender(first.ports.grpc_endpoint)
    send_rounds(sender, 1, 25)
    time.sleep(2)

    # The queued logs survive a restart of the collector: they are on disk.
    assert first.stop() == 0, first.log_tail()
    second = start_collector(ports=first.ports)
    send_rounds(sender, 26, 5)
    time.sleep(OUTAGE_S / 2)
    assert loki.logs() == []

    loki.start()
    sender.shutdown()
    assert_received_exactly(loki, sender)
    assert second.running
