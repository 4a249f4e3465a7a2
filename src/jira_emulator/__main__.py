"""`python -m jira_emulator`: serve the emulator over real HTTP (uvicorn)."""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira_emulator.transport import DROPPED_ERRORS


def _abort_on_drop(app: ASGIApp) -> ASGIApp:
    """Over a real socket, a dropped-after-commit answer must look like a dead connection:
    announce a body, send none of it, and fail, so uvicorn closes the connection mid-response."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking)
        except DROPPED_ERRORS:
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-length", b"1024")],
                    }
                )
                await send({"type": "http.response.body", "body": b"", "more_body": True})
            raise

    return wrapped


def freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """A `gc.callbacks` hook: what survived a full collection is frozen, so the next one reads
    only what came since. A served store of 100,000 issues is millions of objects, and each full
    collection of them held every request up for seconds on a loaded host (issue 20's chaos
    bench: up to 3.4 s at ~70,000 issues), as Jira's requests are not. The price: a cycle of
    frozen objects that becomes garbage is never freed (the store only grows in the drills)."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def serve(
    *,
    host: str,
    port: int,
    flavor: str,
    seed: Path | None,
    strict: bool = False,
    index_lag: float = 0.0,
    base_url: str | None = None,
    cloud_id: str | None = None,
    report_stalls: float | None = None,
) -> None:
    import uvicorn

    from jira_emulator.app import Emulator
    from jira_emulator.seed import SeedError
    from jira_emulator.stalls import reporting

    try:
        emu = Emulator(
            flavor=flavor,
            seed=seed,
            strict=strict,
            index_lag=index_lag,
            base_url=base_url or f"http://{host}:{port}",
            cloud_id=cloud_id,
        )
    except (SeedError, OSError, ValueError) as error:  # a bad seed file or flavour: say which
        raise SystemExit(f"jira_emulator: {error}") from None
    gc.callbacks.append(freeze_survivors)
    app = _abort_on_drop(emu.app)
    if report_stalls is not None:
        app = reporting(app, report_stalls)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m jira_emulator", description="A faithful local Jira for tests and demos."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    parser.add_argument("--seed", type=Path, default=None, help="YAML or JSON seed file")
    parser.add_argument(
        "--strict", action="store_true", help="validate every request against the OpenAPI spec"
    )
    parser.add_argument(
        "--index-lag", type=float, default=0.0, help="seconds before search sees a change"
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="URL the emulator puts in self links (default http://HOST:PORT)",
    )
    parser.add_argument(
        "--cloud-id", default=None, help="the site's cloud id (Cloud; default: a new one per run)"
    )
    parser.add_argument(
        "--report-stalls",
        type=float,
        default=float(os.environ["JIRA_EMULATOR_REPORT_STALLS"])
        if os.environ.get("JIRA_EMULATOR_REPORT_STALLS")
        else None,
        metavar="S",
        help="say on stderr when the event loop or a full GC held requests up S seconds or more "
        "(default: JIRA_EMULATOR_REPORT_STALLS; none)",
    )
    args = parser.parse_args(argv)
    serve(
        host=args.host,
        port=args.port,
        flavor=args.flavor,
        seed=args.seed,
        strict=args.strict,
        index_lag=args.index_lag,
        base_url=args.base_url,
        cloud_id=args.cloud_id,
        report_stalls=args.report_stalls,
    )


if __name__ == "__main__":
    main()
