"""The database schema (SQLAlchemy Core). Migrations in `storage/migrations` create it; this
module is what the repositories query. Dedup lives in the unique constraints here."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from ticketbridge.storage.sqlite_values import utc_aware, utc_naive


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return utc_naive(value) if dialect.name == "sqlite" else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return utc_aware(value)


# BIGINT on PostgreSQL; INTEGER on SQLite so the column is the rowid (autoincrement).
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("fingerprint", String(255), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("project", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("occurrences", Integer, nullable=False),
    Column("issue_id", String(64)),
    Column("issue_key", String(64)),  # unique per site (migration 0021): see `connection`
    Column("issue_url", String(1024)),
    Column("status_category", String(16)),
    Column("resolution", String(255)),
    Column("outcome", String(16)),
    Column("done_at", UtcDateTime),
    Column("previous_issue_key", String(64)),
    Column("digest_comment_id", String(64)),
    Column("last_digest_at", UtcDateTime),
    Column("digest_pending", Boolean, nullable=False),
    Column("digested_occurrences", Integer, nullable=False),
    # Grouping (migration 0005): the epic's ticket, an epic ticket's group key, the links.
    Column("parent_id", Id, ForeignKey("tickets.id", name="fk_tickets_parent")),
    Column("group_key", String(255)),
    Column("links", JSON, nullable=False),
    # The Jira site that holds the issue (migration 0007): nothing is written to another.
    Column("site", String(255)),
    # The site's name in `jira.sites` whose dispatchers write the ticket (migration 0021);
    # "": the default site. Two sites may each have an OPS-1.
    Column("connection", String(32), nullable=False, server_default=""),
    # What Jira last told about the issue (migration 0008, two-way sync).
    Column("status_id", String(64)),
    Column("status_name", String(255)),
    Column("assignee_id", String(128)),
    Column("assignee_name", String(255)),
    Column("priority", String(255)),
    Column("watermark_at", UtcDateTime),
    Column("watermark_changelog", BigInteger),
    Column("synced_state", String(16)),
    Column("deleted_at", UtcDateTime),
    # Stale escalation (migration 0010): the last one, and how many so far.
    Column("escalated_at", UtcDateTime),
    Column("escalations", Integer, nullable=False, server_default=text("0")),
    # Migration 0016: the last update by another account; the SLA scan's findings.
    Column("touched_at", UtcDateTime),
    Column("sla_state", String(16)),
    Column("sla_at_risk_at", UtcDateTime),
    Column("sla_breached_at", UtcDateTime),
    UniqueConstraint("fingerprint", "generation", name="uq_tickets_fingerprint_generation"),
    UniqueConstraint("connection", "issue_key", name="uq_tickets_connection_issue_key"),
    Index("ix_tickets_issue_id", "issue_id"),
    # Reports (migration 0012): the periods' ranges.
    Index("ix_tickets_first_seen", "first_seen"),
    Index("ix_tickets_done_at", "done_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("pk", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("alert_id", String(255), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("confidence", Float),
    Column("status", String(16), nullable=False),
    Column("fingerprint", String(255), nullable=False, index=True),
    Column("attributes", JSON, nullable=False),
    Column("links", JSON, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), index=True),
    Column("decision", String(16)),  # NULL: accepted, not decided yet (migration 0003)
    Column("reasons", JSON, nullable=False),
    Column("route", String(255)),
    Column("own_state", String(16)),
    UniqueConstraint("source", "alert_id", name="uq_alerts_source_id"),
    Index("ix_alerts_alert_id", "alert_id"),
    Index("ix_alerts_source_pk", "source", "pk"),  # GET /v1/alerts?source=…, newest first
    Index(
        "ix_alerts_pending",
        "pk",
        sqlite_where=text("decision IS NULL"),
        postgresql_where=text("decision IS NULL"),
    ),
    # Reports (migration 0012): each ticket's opening alert, covered; the received range.
    Index(
        "ix_alerts_opening",
        "ticket_id",
        "decision",  # in the index too, or SQLite reads the row to check it
        "severity",
        "source",
        "kind",
        "route",
        sqlite_where=text("decision IN ('create', 'new_linked')"),
        postgresql_where=text("decision IN ('create', 'new_linked')"),
    ),
    Index("ix_alerts_received", "received_at", "route", "ticket_id"),  # covers dedup
    Index(
        "ix_alerts_reopens",
        "received_at",
        "ticket_id",
        sqlite_where=text("decision = 'reopen'"),
        postgresql_where=text("decision = 'reopen'"),
    ),
)

outbox_jobs = Table(
    "outbox_jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("ordering_key", String(255), nullable=False),
    Column("ticket_id", Id, ForeignKey("tickets.id"), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("project", String(64)),
    # The ticket's site (migration 0021): only that site's dispatchers claim the job.
    Column("connection", String(32), nullable=False, server_default=""),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_until", UtcDateTime),  # see `Job.sent_until`
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UtcDateTime),
    Column("last_error", Text),
    Column("hint", Text),
    Index("ix_outbox_state_due", "state", "next_attempt_at"),
    Index("ix_outbox_ordering", "ordering_key", "id"),
    # The claim's and the backlog's scan (migration 0017): the unfinished jobs only, in id
    # order, so the plan stays a short index walk however many done jobs the table holds.
    Index(
        "ix_outbox_open_id",
        "id",
        sqlite_where=text("state IN ('pending', 'running')"),
        postgresql_where=text("state IN ('pending', 'running')"),
    ),
    Index(  # reports (migration 0012): jobs that died in a period
        "ix_outbox_dead_updated",
        "updated_at",
        sqlite_where=text("state = 'dead'"),
        postgresql_where=text("state = 'dead'"),
    ),
)

fingerprint_leases = Table(
    "fingerprint_leases",
    metadata,
    Column("fingerprint", String(255), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

GENERIC_ONLY = """'["generic"]'"""  # the SQL default of api_keys.sources (a JSON list)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked", Boolean, nullable=False),
    # the alert sources the key may speak for; keys from before 0004 speak for generic only
    Column("sources", JSON, nullable=False, server_default=text(GENERIC_ONLY)),
)

# What happened to each issue that the SLA clocks need (migration 0016): status transitions with
# their category, assignments, comments by other accounts; recorded as observations are applied.
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "ticket_id", Id, ForeignKey("tickets.id", name="fk_ticket_events_ticket"), nullable=False
    ),
    Column("key", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("by_us", Boolean, nullable=False),
    Column("status", String(255)),
    Column("category", String(16)),
    UniqueConstraint("ticket_id", "key", name="uq_ticket_events_ticket_key"),
)

# One row per periodic job (workers/scheduler.py): the lease that lets one process at a time
# run it, when it is next due, and what its last run did.
schedules = Table(
    "schedules",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(128)),
    Column("lease_expires_at", UtcDateTime),
    Column("next_due_at", UtcDateTime, nullable=False),
    Column("last_started_at", UtcDateTime),
    Column("last_finished_at", UtcDateTime),
    Column("last_ok", Boolean),
    Column("last_outcome", Text),
    Column("runs", Integer, nullable=False),
)

# One heartbeat row per running `serve`/`worker` process (migration 0017).
processes = Table(
    "processes",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
)

# Credentials that change while running (OAuth 2.0 tokens Atlassian rotates), one row per Jira
# connection: `tokens` is Fernet ciphertext (the database never sees a token); `version` moves
# on every write, so a refresh is claimed by compare-and-swap and only one process spends a
# refresh token; `lease_*` say who is refreshing until when (a crashed refresher's lease ends).
jira_credentials = Table(
    "jira_credentials",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("cloud_id", String(64), nullable=False),
    Column("site_url", String(2048), nullable=False),
    Column("tokens", Text, nullable=False),
    Column("access_expires_at", Float, nullable=False),  # epoch seconds
    Column("version", Integer, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", Float),
    Column("revoked", String(255)),  # why the grant ended; NULL while it works
    Column("seeded_from", String(64)),  # sha256 of the configured refresh token it started from
    Column("updated_at", UtcDateTime, nullable=False),
)

# Authorizations started by `ticketbridge config jira --oauth` and finished by the callback:
# found by the hash of their state, used once, expiring; the PKCE verifier and client secret
# encrypted. `outcome` tells the waiting command what became of it.
oauth_authorizations = Table(
    "oauth_authorizations",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("request", Text, nullable=False),  # Fernet ciphertext of the pending connection
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("outcome", Text),
)

# The admin UI (migration 0013): people, their sessions, failed logins, the changes they made.
ui_users = Table(
    "ui_users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(255), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
)

ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("ui_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Index("ix_ui_sessions_user", "user_id"),
)

ui_login_failures = Table(
    "ui_login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(255), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_ui_login_failures_username_at", "username", "at"),
    Index("ix_ui_login_failures_client_at", "client", "at"),
)

ui_changes = Table(
    "ui_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=False),
    Column("detail", JSON, nullable=False),
)

# Settings edited in the admin UI (migration 0013): ticketbridge.yaml wins over each of them.
ui_settings = Table(
    "ui_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(255), nullable=False),
)

# Reconcile's progress per Jira site (migration 0009): saved after its observations are applied.
reconcile_marks = Table(
    "reconcile_marks",
    metadata,
    Column("site", String(255), primary_key=True),
    Column("watermark", UtcDateTime),
    Column("swept_at", UtcDateTime),
    Column("recent", JSON, nullable=False),  # issue id → `updated` (ISO) inside the margin
)


def of_sites(column: Column[str], connections: Collection[str] | None) -> ColumnElement[bool]:
    """Rows of the configured Jira sites `connections` names, by their `connection` column
    (migration 0021; None: every row; none named: no row)."""
    return true() if connections is None else column.in_(sorted(connections))
