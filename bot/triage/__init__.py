"""Officers working the tips: the status machine, the legal clock, triage actions."""
