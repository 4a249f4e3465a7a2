"""The root Typer app; each command group lives in its own module and registers here."""

from __future__ import annotations

import typer

from ticketbridge.cli import (
    admin_cmd,
    audit_cmd,
    check_live,
    config_cmd,
    dev_cmd,
    jira_cmd,
    plan_cmd,
    report_cmd,
    send_cmd,
    serve_cmd,
    site_cmd,
    sla_cmd,
    status_cmd,
    sync_cmd,
    tickets_cmd,
    user_cmd,
)
from ticketbridge.cli import emulator as emulator_cmd
from ticketbridge.cli.logs import configure_logging

app = typer.Typer(
    name="ticketbridge",
    help="Turn governance, security and compliance alerts into Jira issues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _log_to_stderr(ctx: typer.Context) -> None:
    # Before any command: structlog's defaults print to stdout, where `--json` output goes.
    # Warnings and worse, redacted, on stderr; `serve`, `worker`, `dev` set their own level.
    writer = configure_logging("WARNING")
    ctx.call_on_close(writer.stop)  # written before the command's streams close


app.command("serve")(serve_cmd.serve)
app.command("worker")(serve_cmd.worker)
app.command("dev")(dev_cmd.dev)
app.command("emulator", help="Run the local Jira emulator.")(emulator_cmd.emulator)
app.command("send")(send_cmd.send)
app.command("explain")(admin_cmd.explain)
app.command("status")(status_cmd.status)
app.command("plan")(plan_cmd.plan)
app.command("replay")(plan_cmd.replay)
app.command("report")(report_cmd.report)
# `config check` with `--live` (check_live delegates to config_cmd's check without it).
config_cmd.config_app.command("check")(check_live.config_check)
app.add_typer(config_cmd.config_app, name="config")
app.add_typer(admin_cmd.db_app, name="db")
app.add_typer(admin_cmd.apikey_app, name="apikey")
app.add_typer(admin_cmd.outbox_app, name="outbox")
app.add_typer(site_cmd.site_app, name="site")
app.add_typer(sync_cmd.sync_app, name="sync")
app.add_typer(tickets_cmd.tickets_app, name="tickets")
app.add_typer(audit_cmd.audit_app, name="audit")
app.add_typer(user_cmd.user_app, name="user")
app.add_typer(sla_cmd.sla_app, name="sla")
app.command("search")(jira_cmd.search)
app.command("reconcile")(jira_cmd.reconcile)
app.add_typer(jira_cmd.jira_app, name="jira")


def main() -> None:
    app()
