"""ticketbridge.sources."""
