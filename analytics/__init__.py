"""Detectors of cross-tier problem patterns (one module per detector).

The detectors arrive with the analytics work; this package holds their
shared home so the layout is fixed from the start.
"""

__all__: list[str] = []
