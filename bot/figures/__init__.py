"""Campaign figures: the indicator catalog, recording, imports, queries and the report pack.

Other features reach it through `Services.figures` (a `FiguresService`); `bot.app` adds the
handlers from `bot.figures.handlers.figures_handlers()`. This module imports nothing on purpose:
`bot.services` imports the service, and the handlers import `bot.services`.
"""
