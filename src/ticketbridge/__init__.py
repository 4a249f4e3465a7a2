"""ticketbridge: governance, security and compliance alerts into Jira issues, both sides in sync."""

__version__ = "0.1.0"
