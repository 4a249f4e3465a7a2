"""ticketbridge.ui."""
