"""Geocoding: datelines and GPE/LOC/NORP mentions resolved to places of an offline gazetteer."""

from transforms.geocoding.gazetteer import Gazetteer, Place, build_gazetteer
from transforms.geocoding.place_index import load_gazetteer
from transforms.geocoding.resolve import DispatchPlaces, MentionSpan, Resolution, resolve_dispatch

__all__ = [
    "DispatchPlaces",
    "Gazetteer",
    "MentionSpan",
    "Place",
    "Resolution",
    "build_gazetteer",
    "load_gazetteer",
    "resolve_dispatch",
]
