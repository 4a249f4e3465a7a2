"""`sync.mode` and `sync.reconcile_every`: whether and how often reconcile runs by itself."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from api_harness import open_api

from ticketbridge.bootstrap import load_config
from ticketbridge.config.schema import Config
from ticketbridge.errors import ConfigError


@pytest.mark.parametrize(
    ("yaml", "every"),
    [
        ("", timedelta(minutes=5)),
        ("sync: {mode: poll, reconcile_every: 30s}\n", timedelta(seconds=30)),
        ("sync: {mode: both, reconcile_every: 1h}\n", timedelta(hours=1)),
        ("sync: {mode: webhook}\n", None),
    ],
)
async def test_the_mode_says_whether_reconcile_runs_by_itself(
    tmp_path: Path, yaml: str, every: timedelta | None
) -> None:
    async with open_api(tmp_path, load_config(text=yaml, env={}), workers=1) as api:
        loop = api.container.reconcile_loop
        assert (loop.every if loop is not None else None) == every
        assert api.container.reconcile is not None
        assert await api.container.reconcile.scheduled() is None  # no Jira yet: nothing to do


def test_an_unknown_mode_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(text="sync: {mode: sometimes}\n", env={})
    assert [p.path for p in refused.value.problems] == ["sync.mode"]


async def test_without_workers_nothing_runs_by_itself(tmp_path: Path) -> None:
    async with open_api(tmp_path, Config()) as api:
        assert api.container.reconcile_loop is None
