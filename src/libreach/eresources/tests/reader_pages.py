"""Page cases of the e-resources reader pages (see pages.py)."""

CASES: list = []
