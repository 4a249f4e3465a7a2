"""`ticketbridge emulator`: the local Jira for demos and tests (= `python -m jira_emulator`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def emulator(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8081,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    flavor: Annotated[
        str, typer.Option(help="cloud (REST v3 + ADF, and v2) or datacenter (REST v2).")
    ] = "cloud",
    seed: Annotated[Path | None, typer.Option(help="YAML/JSON seed file.")] = None,
    strict: Annotated[
        bool, typer.Option(help="Validate every request against Atlassian's OpenAPI spec.")
    ] = False,
    index_lag: Annotated[
        float, typer.Option(help="Seconds before search sees a change (reconcileIssues aside).")
    ] = 0.0,
    cloud_id: Annotated[
        str | None, typer.Option(help="The site's cloud id (Cloud; default: a new one per run).")
    ] = None,
) -> None:
    if flavor not in ("cloud", "datacenter"):
        raise typer.BadParameter("must be 'cloud' or 'datacenter'", param_hint="--flavor")
    from jira_emulator.__main__ import serve

    serve(
        host=host,
        port=port,
        flavor=flavor,
        seed=seed,
        strict=strict,
        index_lag=index_lag,
        cloud_id=cloud_id,
    )
