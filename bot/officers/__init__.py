"""Officers: the registry of who acts for which unit, and the one access layer every feature uses.

Import the public interface from `bot.officers.access`; this package module imports nothing, so
that `bot.container` can build the registry without pulling in the Telegram handlers.
"""
