"""Entity tagging: the spaCy pipeline with the domain gazetteer and cleanup, and the tables and
seed files around it."""

from transforms.entities.pipeline import load_baseline_tagger, load_tagger, tag_bodies

__all__ = ["load_baseline_tagger", "load_tagger", "tag_bodies"]
