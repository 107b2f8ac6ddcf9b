"""What every feature shares to speak through python-telegram-bot.

The application and its typed callback context, the update processor, conversation
persistence, sending long texts, answering refusals and errors, the command menus. It knows
the kernel, the database and the inbox, never a feature.
"""
