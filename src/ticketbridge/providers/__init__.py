"""ticketbridge.providers."""
