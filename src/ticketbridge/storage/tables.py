"""The database schema (SQLAlchemy Core). Migrations in `storage/migrations` create it; this
module is what the repositories query. Dedup lives in the unique constraints here."""

from __future__ import annotations

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
)

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
    Column("issue_key", String(64), unique=True),
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
    UniqueConstraint("fingerprint", "generation", name="uq_tickets_fingerprint_generation"),
    Index("ix_tickets_issue_id", "issue_id"),
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
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("attempted_at", UtcDateTime),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UtcDateTime),
    Column("last_error", Text),
    Column("hint", Text),
    Index("ix_outbox_state_due", "state", "next_attempt_at"),
    Index("ix_outbox_ordering", "ordering_key", "id"),
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

# Reconcile's progress per Jira site (migration 0009): saved after its observations are applied.
reconcile_marks = Table(
    "reconcile_marks",
    metadata,
    Column("site", String(255), primary_key=True),
    Column("watermark", UtcDateTime),
    Column("swept_at", UtcDateTime),
    Column("recent", JSON, nullable=False),  # issue id → `updated` (ISO) inside the margin
)
