"""Administrative units (province to commune, any depth) and lookups over their tree."""

from bot.units.directory import UnitDirectory
from bot.units.model import Unit
from bot.units.repository import UnitsRepository

__all__ = ["Unit", "UnitDirectory", "UnitsRepository"]
