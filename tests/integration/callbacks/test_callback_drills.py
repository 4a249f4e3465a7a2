"""Callback drills (issue 15, Done when): the source down for two minutes of virtual time, then
every callback delivered exactly once, in order per alert; and targets the SSRF guard refuses —
loopback, the metadata address, a private range, a name that resolves to one — dead-lettered
without a connection being made."""

from __future__ import annotations

import json

import pytest
from callback_harness import CallbackPipeline, Dns, Receiver
from pipeline_harness import Pipeline, alert

from ticketbridge.domain import JobState
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.storage import Database

BOTH_STATES = """
callbacks:
  - source: generic
    on: [ticketed, resolved]
    url: "https://hooks.example/alerts/{{ alert.id }}"
"""


async def test_source_down_two_minutes_then_each_callback_once_in_order(
    database: Database,
) -> None:
    receiver = Receiver(down=True)
    cb = CallbackPipeline(Pipeline(database, FakeProvider(), yaml=BOTH_STATES), receiver)
    alerts = 5
    await cb.pipeline.send(*(alert(id=f"a-{n}", fingerprint=f"fp-{n}") for n in range(alerts)))
    await cb.dispatcher.run_until_idle()  # the issues are created; the first callbacks fail
    resolves = [alert(id=f"r-{n}", fingerprint=f"fp-{n}", status="resolved") for n in range(alerts)]
    await cb.pipeline.send(*resolves)
    for _ in range(24):  # two minutes, in 5-second steps: every retry in between fails
        await cb.dispatcher.run_until_idle()
        cb.pipeline.clock.advance(seconds=5)
    assert receiver.requests == []
    assert receiver.connections >= alerts  # it was tried, and refused

    receiver.down = False
    await cb.drain()

    told = [(r.url.path, json.loads(r.content)["state"]) for r in receiver.requests]
    for n in range(alerts):
        opened = (f"/alerts/a-{n}", "ticketed")
        resolved = (f"/alerts/r-{n}", "resolved")
        assert told.count(opened) == 1
        assert told.count(resolved) == 1
        assert told.index(opened) < told.index(resolved)  # in order per alert
    assert len(told) == 2 * alerts
    jobs = await cb.callback_jobs()
    assert {j.state for j in jobs} == {JobState.DONE}
    async with cb.pipeline.db.unit_of_work() as uow:  # once each in the trail, as sent
        sent = await uow.audit.query(limit=100, types=["CALLBACK_SENT"])
    recorded = [(e.subject.alert, e.document()["payload"]["state"]) for e in sent]
    expected = [(f"generic/{path.rsplit('/', 1)[1]}", state) for path, state in told]
    assert sorted(recorded) == sorted(expected)


@pytest.mark.parametrize(
    ("url", "names", "refused"),
    [
        ("https://127.0.0.1/cb", {}, "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data", {}, "169.254.169.254 is link-local"),
        ("https://10.0.0.5:8443/cb", {}, "10.0.0.5 is a private address"),
        ("https://[::ffff:192.168.1.4]/cb", {}, "192.168.1.4 is a private address"),
        (
            "https://rebind.example/cb",
            {"rebind.example": ["93.184.216.34", "192.168.1.10"]},
            "rebind.example resolves to 192.168.1.10 is a private address",
        ),
    ],
    ids=["loopback", "metadata", "private", "mapped-ipv6", "name-to-private"],
)
async def test_private_targets_are_refused_without_a_connection(
    database: Database, url: str, names: dict[str, list[str]], refused: str
) -> None:
    yaml = f"""
callbacks:
  - source: generic
    on: [ticketed]
    url: "{url}"
"""
    receiver = Receiver()
    cb = CallbackPipeline(Pipeline(database, FakeProvider(), yaml=yaml), receiver, Dns(names))
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain()

    assert receiver.connections == 0
    [job] = await cb.callback_jobs()
    assert job.state is JobState.DEAD
    assert job.attempts == 1  # refused is final: not retried
    assert job.last_error is not None
    assert refused in job.last_error


async def test_allow_private_admits_a_private_target_but_never_metadata(
    database: Database,
) -> None:
    yaml = """
callbacks:
  - name: office
    source: generic
    on: [ticketed]
    url: "https://hooks.office.internal/cb"
    allow_private: true
  - name: metadata
    source: generic
    on: [ticketed]
    url: "https://169.254.169.254/cb"
    allow_private: true
"""
    receiver = Receiver()
    dns = Dns({"hooks.office.internal": ["10.1.2.3"]})
    cb = CallbackPipeline(Pipeline(database, FakeProvider(), yaml=yaml), receiver, dns)
    await cb.pipeline.send(alert(id="a-1", fingerprint="fp-1"))
    await cb.drain()

    assert [str(r.url) for r in receiver.requests] == ["https://10.1.2.3/cb"]
    states = {j.payload["callback"]: j.state for j in await cb.callback_jobs()}
    assert states == {"office": JobState.DONE, "metadata": JobState.DEAD}
