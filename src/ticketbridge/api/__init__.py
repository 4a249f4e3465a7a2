"""ticketbridge.api."""
