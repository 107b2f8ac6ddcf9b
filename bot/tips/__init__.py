"""Tips from residents: the conversation that writes them, receipts, follow-up, the outbox.

Kept free of imports so `bot.container` can import `bot.tips.service` without a cycle; the
handlers live in `bot.tips.handlers`.
"""
