"""The user's profile form."""

import zoneinfo
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def time_zone_choices() -> list[tuple[str, "StrOrPromise"]]:
    zones = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone and not zone.startswith("Etc/"))
    return [("", _("The CRM's time zone")), *((zone, zone.replace("_", " ")) for zone in zones)]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]
        labels = {"language": _("Language")}
        help_texts = {"language": _("Blank: your browser's language.")}
