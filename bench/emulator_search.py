"""The Jira emulator as its store grows (issue 20's chaos bench runs it to 100,000 issues):
bulk creates of 50 issues, each with a marker label and property as ticketbridge sends them,
timed per 5,000; then one search page of 100 issues and two marker lookups (`labels in`; the
first builds the emulator's label index).
In process (httpx's ASGI transport): the emulator's own time, no network.

    PYTHONPATH=src .venv/bin/python bench/emulator_search.py [--issues 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx

from jira_emulator import Emulator

AUTH = {"Authorization": "Bearer emulator-pat"}
STEP = 5000


def bulk(first: int) -> dict[str, Any]:
    return {
        "issueUpdates": [
            {
                "fields": {
                    "project": {"key": "OPS"},
                    "issuetype": {"name": "Bug"},
                    "summary": f"chaos {n}",
                    "description": f"text {n}\n\nmore",
                    "priority": {"name": "High"},
                    "labels": ["ticketbridge", f"tb-{n:08x}"],
                },
                "properties": [{"key": "ticketbridge", "value": {"fingerprint": f"fp-{n}"}}],
            }
            for n in range(first, first + 50)
        ]
    }


async def timed(client: httpx.AsyncClient, what: str, params: dict[str, str]) -> None:
    started = time.perf_counter()
    answer = await client.get("/rest/api/2/search", params=params)
    answer.raise_for_status()
    total = answer.json()["total"]
    print(f"{what}: {time.perf_counter() - started:.2f} s ({total} found)")


async def main(issues: int) -> None:
    emulator = Emulator(flavor="datacenter")
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=emulator.base_url, headers=AUTH, timeout=600
    ) as client:
        started = time.perf_counter()
        for first in range(0, issues, 50):
            (await client.post("/rest/api/2/issue/bulk", json=bulk(first))).raise_for_status()
            if (first + 50) % STEP == 0:
                print(f"issues {first + 50}: {time.perf_counter() - started:.2f} s per {STEP}")
                started = time.perf_counter()
        await timed(client, "search page", {"jql": "project = OPS", "maxResults": "100"})
        lookup = {"jql": "labels in (tb-00000010, tb-00000011)", "fields": "labels"}
        await timed(client, "first marker lookup (indexes the labels)", lookup)
        await timed(client, "marker lookup", lookup | {"jql": "labels = tb-00000012"})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().issues))
