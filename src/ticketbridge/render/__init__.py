"""ticketbridge.render."""
