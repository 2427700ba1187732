"""The CJK font the package ships, so PDFs and charts are readable on a machine with no
CJK font installed: "Libreach Sans SC", a subset of Noto Sans SC (SIL Open Font License
1.1, OFL.txt beside it) made by scripts/make_cjk_font.py (GB 2312, Big5 level 1, Latin,
punctuation). Characters outside it fall back to the system's fonts, if any.
"""

from pathlib import Path

CJK_FAMILY = "Libreach Sans SC"
CJK_FONT = Path(__file__).resolve().parent / "LibreachSansSC-Regular.ttf"
