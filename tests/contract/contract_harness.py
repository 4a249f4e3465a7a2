"""The contract suite's harness: the fake, and JiraProvider against the emulator in its Cloud
(strict) and Data Center flavours.

A `Harness` arranges what each implementation needs arranged in its own way (a field taken off
the create screen, search index lag) and reads end state (how many issues exist).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from support.requirements import require
from ticketbridge.providers.base import Provider
from ticketbridge.providers.fake import FakeProvider
from ticketbridge.render import to_text


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    name: str
    provider: Provider
    hide_field: Callable[[str, str, str], None]
    set_lag: Callable[[float], None]
    issue_count: Callable[[], int]
    end_lag: Callable[[], None]
    drop_next_create: Callable[[], None]
    # end state, read from the implementation itself
    links: Callable[[], set[tuple[str, str, str]]]  # (type name, inward key, outward key)
    remote_links: Callable[[str], list[tuple[str, str]]]  # (url, title) of an issue
    marker_property: Callable[[str], object]  # the "ticketbridge" issue property, or None
    comments: Callable[[str], list[str]]  # plain text of an issue's comments, oldest first
    extras: dict[str, object] = field(default_factory=dict)


def fake_harness() -> Harness:
    clock = Clock()
    fake = FakeProvider(clock=clock)

    def set_lag(seconds: float) -> None:
        fake.search_lag = seconds

    def end_lag() -> None:
        clock.now += 10_000

    return Harness(
        "fake",
        fake,
        hide_field=fake.hide_field,
        set_lag=set_lag,
        issue_count=lambda: len(fake.issues),
        end_lag=end_lag,
        drop_next_create=fake.drop_next_create,
        links=lambda: {
            (kind, key, other)
            for key, issue in fake.issues.items()
            for kind, direction, other in issue.links
            if direction == "outward"
        },
        remote_links=lambda key: list(fake.issues[key].remote_links),
        marker_property=lambda key: fake.issues[key].properties.get("ticketbridge"),
        comments=lambda key: [to_text(c.body) for c in fake.issues[key].comments],
    )


def emulator_harness(flavor: str) -> Harness:
    try:
        from jira_emulator import Emulator
        from jira_emulator.richtext import plain_text
    except ImportError as exc:
        require(False, f"Jira emulator not importable yet: {exc}")
        raise
    from ticketbridge.providers.jira import JiraProvider, api_token, basic

    clock = Clock(time.time())
    emu = Emulator(flavor=flavor, strict=flavor == "cloud", clock=clock)
    require(emu.faults is not None, "the emulator's fault injection")
    if flavor == "cloud":
        require(emu.strict, "the emulator's strict mode (OpenAPI validation of every request)")
    auth = (
        api_token("admin@example.com", "emulator-token")
        if flavor == "cloud"
        else basic("admin", "admin")
    )
    provider = JiraProvider(
        flavor="cloud" if flavor == "cloud" else "datacenter",
        base_url=emu.base_url,
        auth=auth,
        transport=emu.transport(),
    )

    def set_lag(seconds: float) -> None:
        emu.index_lag = seconds

    def end_lag() -> None:
        clock.now += 10_000

    def drop_next_create() -> None:
        path = r"/rest/api/[23]/issue(/bulk)?$"
        emu.faults.add(method="POST", path=path, kind="drop_after_commit", count=1)

    def links() -> set[tuple[str, str, str]]:
        keys = {i.id: i.key for i in emu.state.issues.values()}
        return {
            (emu.state.link_types[link.type_id].name, keys[link.inward], keys[link.outward])
            for link in emu.state.links.values()
        }

    def remote_links(key: str) -> list[tuple[str, str]]:
        return [(r.object["url"], r.object["title"]) for r in emu.issue(key).remote_links]

    def no_hiding(project: str, issue_type: str, field_id: str) -> None:
        raise NotImplementedError("use project INFRA, whose create screen is narrow")

    return Harness(
        flavor,
        provider,
        hide_field=no_hiding,
        set_lag=set_lag,
        issue_count=lambda: len(emu.state.issues),
        end_lag=end_lag,
        drop_next_create=drop_next_create,
        links=links,
        remote_links=remote_links,
        marker_property=lambda key: emu.issue(key).properties.get("ticketbridge"),
        comments=lambda key: [plain_text(c.body) for c in emu.issue(key).comments],
        extras={"emulator": emu},
    )
