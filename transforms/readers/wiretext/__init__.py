"""Plain wire text: one dispatch per text, found by its dateline."""

from transforms.readers.wiretext.parse import parse_wire_text

__all__ = ["parse_wire_text"]
