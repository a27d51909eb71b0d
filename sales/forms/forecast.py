"""Forms for the forecast page (whose forecast, which currency) and the targets grid."""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import Team, User

from ..selectors.forecast import ForecastScope, forecast_people, forecast_teams

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ForecastFilterForm(forms.Form):
    """`scope` is "" (everything the viewer may forecast), "team-<id>" or "user-<id>"."""

    scope = forms.ChoiceField(
        label=_("Forecast for"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, data=None, *, user, currencies: list[str], **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        self.teams = {team.pk: team for team in forecast_teams(user)}
        self.people = {person.pk: person for person in forecast_people(user)}
        if not roles.is_manager_or_admin(user):
            choices: list[tuple[StrOrPromise, Any]] = [("", _("My deals"))]
        else:
            choices = [("", _("Everything I can see"))]
            if self.teams:
                choices.append((_("Teams"), [(f"team-{pk}", str(team)) for pk, team in self.teams.items()]))
            if self.people:
                choices.append((_("People"), [(f"user-{pk}", str(person)) for pk, person in self.people.items()]))
        cast(forms.ChoiceField, self.fields["scope"]).choices = choices
        cast(forms.ChoiceField, self.fields["currency"]).choices = [(code, code) for code in currencies]
        self.fields["currency"].initial = settings.CRM_CURRENCY

    def selection(self) -> ForecastScope:
        """The chosen scope; anything invalid falls back to the viewer's whole scope."""
        value = self.cleaned_data.get("scope", "") if self.is_valid() else ""
        kind, _sep, pk = value.partition("-")
        if kind == "team" and pk.isdigit() and int(pk) in self.teams:
            return ForecastScope(team=self.teams[int(pk)])
        if kind == "user" and pk.isdigit() and int(pk) in self.people:
            return ForecastScope(user=self.people[int(pk)])
        return ForecastScope()

    def chosen_currency(self) -> str:
        value = self.cleaned_data.get("currency") if self.is_valid() else ""
        return value or settings.CRM_CURRENCY


def month_key(month: date) -> str:
    return f"{month:%Y%m}"


class TargetGridForm(forms.Form):
    """One row for the team and one per member, one column per month: empty means no target."""

    def __init__(self, *args, team: Team, members: list[User], months: list[date], initial_targets: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.members, self.months = team, members, months
        self.rows = [("team", team.pk, _("Whole team (overrides the members’ sum)"))] + [
            ("user", member.pk, str(member)) for member in members
        ]
        for kind, pk, label in self.rows:
            for month in months:
                name = self.field_name(kind, pk, month)
                self.fields[name] = forms.DecimalField(
                    label=f"{label}, {date_format(month, 'YEAR_MONTH_FORMAT')}",
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=14,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control form-control-sm"}),
                )
                self.fields[name].initial = initial_targets.get((kind, pk, month))

    @staticmethod
    def field_name(kind: str, pk: int, month: date) -> str:
        return f"{kind}_{pk}_{month_key(month)}"

    def grid(self) -> list[tuple[str, "StrOrPromise", list]]:
        """(kind, label, [bound fields]) per row, for the template."""
        return [
            (kind, label, [self[self.field_name(kind, pk, month)] for month in self.months])
            for kind, pk, label in self.rows
        ]

    def cleaned_targets(self) -> dict[tuple[str, int, date], Decimal | None]:
        return {
            (kind, pk, month): self.cleaned_data.get(self.field_name(kind, pk, month))
            for kind, pk, _label in self.rows
            for month in self.months
        }
