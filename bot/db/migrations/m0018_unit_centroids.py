"""A unit's centroid (an approximate point inside it), so a map pin can be routed to a unit.

Both columns are NULL or both set (WGS 84 degrees, as Telegram sends a location); the CSV import
checks this row by row, the CHECKs keep hand-written SQL honest.
"""

STATEMENTS = (
    "ALTER TABLE units ADD COLUMN latitude REAL CHECK (latitude BETWEEN -90 AND 90)",
    "ALTER TABLE units ADD COLUMN longitude REAL CHECK (longitude BETWEEN -180 AND 180)",
)
