"""Our own corpora of hostile and ordinary input, generated at test time (see cases.py)."""
