# libreach's Chinese dates: Django's, with a month-day form without a leading zero
# ("12月2日") and a short date-time without the year ("12月2日 09:15") for the desk.
MONTH_DAY_FORMAT = "n月j日"
SHORT_DATETIME_FORMAT = "n月j日 H:i"
