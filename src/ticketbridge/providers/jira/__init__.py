"""ticketbridge.providers.jira."""
