"""Synthetic tier exports with planted patterns and the truth about them (``liandong generate``)."""
