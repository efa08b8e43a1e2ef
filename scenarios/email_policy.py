"""When marketing mail goes out: a B2B reader's working hours, and not too often."""

from datetime import time, timedelta

from nurture.authoring import FrequencyCap, SendWindow

SEND_WINDOW = SendWindow(
    opens=time(9, 0),
    closes=time(18, 0),
    default_timezone="Asia/Tokyo",  # leads without a time zone
    holiday_country_by_timezone={"Asia/Tokyo": "JP"},
)
FREQUENCY_CAP = FrequencyCap(max_mails=3, per=timedelta(days=7))
