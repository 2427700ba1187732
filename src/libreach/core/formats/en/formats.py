# libreach's English dates: day before month, 24-hour clock ("2 Dec 2026 09:15"), as
# readers in China read them; Django's defaults for the rest (input formats included).
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
SHORT_DATE_FORMAT = "j M Y"
# Short: this season's work at the desk, without the year.
SHORT_DATETIME_FORMAT = "j M H:i"
