"""ticketbridge.rules."""
