"""ticketbridge.storage."""
