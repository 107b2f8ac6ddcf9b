"""Campaign figures: the indicator catalog, recording, imports, queries and the report pack.

Other features reach it through the container's `figures` (a `FiguresService`); `bot.app`
adds the handlers from `bot.figures.handlers.figures_handlers()`, which name the services they
use in `bot.figures.needs.FiguresNeeds` and never import the container. This module imports
nothing on purpose.
"""
