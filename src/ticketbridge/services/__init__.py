"""ticketbridge.services."""
