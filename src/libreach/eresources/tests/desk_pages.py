"""Page cases of the e-resources desk pages (see pages.py)."""

CASES: list = []
