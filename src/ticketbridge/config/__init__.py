"""ticketbridge.config."""
