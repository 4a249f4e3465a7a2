"""ticketbridge.domain."""
