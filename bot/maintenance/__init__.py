"""Keeping the data safe: scheduled online backups, restore, and a health check."""
