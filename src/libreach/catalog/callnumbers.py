"""Call-number shelving order (interim: replaced by the full CLC / LC implementation)."""

import re


def shelving_key(call_number: str) -> str:
    parts = re.split(r"(\d+)", call_number.strip().upper())
    return "".join(p.zfill(8) if p.isdigit() else p for p in parts)
