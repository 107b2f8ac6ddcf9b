"""Which unit a map pin falls to: the nearest centroid within a radius, the deepest level first.

Units carry a centroid, not a boundary, so "inside the unit" is approximated by "near its
centroid". Among the units within the radius the deepest in the tree wins (a commune over its
district over the province, whatever the levels are called), then the nearest at that depth:
a pin in a town is near both the commune and the province's centroid and belongs to the commune.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from bot.units.model import Unit

# The mean Earth radius (IUGG); the haversine error is well under 1 % at these distances.
EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two WGS 84 points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def unit_for_pin(
    candidates: Iterable[tuple[Unit, int]], latitude: float, longitude: float, radius_km: float
) -> Unit | None:
    """Return the deepest, then nearest, unit whose centroid is within `radius_km`, or None.

    `candidates` are (unit, depth in the tree) pairs; units without a centroid are ignored.
    A radius of 0 (or less) routes nothing.
    """
    if radius_km <= 0:
        return None
    best: tuple[int, float, str] | None = None
    chosen: Unit | None = None
    for unit, depth in candidates:
        if unit.latitude is None or unit.longitude is None:
            continue
        distance = distance_km(latitude, longitude, unit.latitude, unit.longitude)
        if distance > radius_km:
            continue
        # Deeper first, then nearer; the code settles an exact tie the same way every time.
        rank = (-depth, distance, unit.code)
        if best is None or rank < best:
            best, chosen = rank, unit
    return chosen
