"""Page and type sizes shared by the PDF and DOCX renderers (so both formats look alike)."""

PAGE_MARGINS_MM = {"left": 25.0, "top": 25.0, "right": 20.0, "bottom": 20.0}

TITLE_PT = 20  # 二号 is 22; 20 keeps long titles on one line
NUMBER_PT = 12
ISSUER_PT = 18  # the issuing authority above the title of a 执法文书 (小二)
HEADING_PT = 14  # 四号
BODY_PT = 12  # 小四
SMALL_PT = 10.5  # 五号
TABLE_PT = 10.5
MONO_PT = 9.5
FOOTER_PT = 9

#: A short title (≤ this many characters) is letter-spaced by a quarter of its size, as in 公文.
SPACED_TITLE_CHARS = 6
