"""ticketbridge.workers."""
