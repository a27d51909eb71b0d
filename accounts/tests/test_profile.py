"""Each user picks their language and time zone; English dates are unambiguous."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import formats, translation


def test_english_dates_name_the_month_and_use_a_24_hour_clock():
    moment = datetime(2026, 12, 6, 19, 42, tzinfo=ZoneInfo("UTC"))
    with translation.override("en"):
        assert formats.date_format(date(2026, 12, 6), "SHORT_DATE_FORMAT") == "6 Dec 2026"
        # date_format prints the value as given; templates convert to the reader's zone first.
        assert formats.date_format(moment, "DATETIME_FORMAT") == "6 Dec 2026, 19:42"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "6 Dec 2026, 19:42"


def test_turkish_dates_keep_djangos_turkish_format():
    with translation.override("tr"):
        assert formats.date_format(date(2026, 12, 6), "SHORT_DATE_FORMAT") == "06 Ara 2026"


def test_a_user_saves_turkish_and_istanbul_and_the_pages_follow(client_for, owner):
    client = client_for(owner)
    response = client.post(
        reverse("profile"), {"first_name": "Rob", "last_name": "Rep", "language": "tr", "time_zone": "Europe/Istanbul"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.language, owner.time_zone) == ("tr", "Europe/Istanbul")
    page = client.get(reverse("profile"), headers={"accept-language": "en"})
    assert page.headers["Content-Language"] == "tr"
    assert "Profil" in page.content.decode()


def test_the_language_menu_keeps_a_logged_in_users_choice(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("language-choose"), {"language": "tr", "next": "/customers/"})
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    owner.refresh_from_db()
    assert owner.language == "tr"


def test_an_unknown_time_zone_is_refused(client_for, owner):
    response = client_for(owner).post(reverse("profile"), {"language": "", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
