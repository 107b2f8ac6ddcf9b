"""The leaf of the house: settings, clock, keys, text, languages, periods and refusals.

Nothing here imports any other part of `bot` (the import contract in pyproject.toml holds
it), so every other package may use it.
"""
