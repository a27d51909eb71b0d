"""Forms for leads, their conversion and the assignment rules: validation and cleaning only."""

from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import Team, User
from accounts.selectors import assignable_users
from crm_project.versioning import VersionedFormMixin
from customers.forms.customers import SMALL_SELECT, CrispyMixin
from customers.models import Interaction

from ..models import AssignmentRule, Lead, Pipeline
from ..selectors.leads import ASSIGN_BY_RULES, REASSIGN
from ..services.deals import pipeline_default
from ..services.leads import NEW_COMPANY, default_deal_title

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LeadForm(CrispyMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "phone", "company_name", "source", "owner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if roles.is_manager_or_admin(user):
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
            self.fields["owner"].help_text = _("Leave empty to let the assignment rules choose.")
            if self.instance.pk:
                self.fields["owner"].help_text = ""
        else:
            del self.fields["owner"]

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class LeadStatusForm(CrispyMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(s.value, s.label) for s in Lead.Status if s != Lead.Status.CONVERTED]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, help_text=_("Required when the lead is unqualified.")
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("status") == Lead.Status.UNQUALIFIED and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Say why the lead is unqualified."))
        return cleaned


class LeadActivityForm(CrispyMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=[(k.value, k.label) for k in Interaction.LOGGABLE_KINDS])
    summary = forms.CharField(label=_("Summary"), max_length=200)
    body = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )


class LeadBulkForm(forms.Form):
    """Offers only `actions`, the ones the user may use (selectors.leads.lead_bulk_actions)."""

    LABELS = {REASSIGN: _("Reassign to"), ASSIGN_BY_RULES: _("Assign unassigned by the rules")}
    action = forms.ChoiceField(label=_("With selected"), choices=[], widget=forms.Select(attrs=SMALL_SELECT))
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    ids = forms.TypedMultipleChoiceField(
        coerce=int, required=True, error_messages={"required": _("Select at least one lead.")}
    )

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [(action, self.LABELS[action]) for action in actions]
        if REASSIGN in actions:
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
        else:
            del self.fields["owner"]
        # The ids are checked against what the user may edit in the view.
        cast(forms.ChoiceField, self.fields["ids"]).choices = (
            [(v, v) for v in cast(QueryDict, self.data).getlist("ids") if str(v).isdigit()] if self.data else []
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("action") == REASSIGN and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        return cleaned


class LeadConvertForm(CrispyMixin, forms.Form):
    """The conversion screen: which customer, which company, and an optional deal.

    The company and customer choices are the matches the view found for this
    user, so nothing outside the user's scope can be picked."""

    NEW_CUSTOMER = "new"
    NO_COMPANY = "none"

    customer_choice = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect)
    company_choice = forms.ChoiceField(label=_("Company"), widget=forms.RadioSelect)
    create_deal = forms.BooleanField(label=_("Also create a deal"), required=False)
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none(), required=False)
    deal_title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    deal_amount = forms.DecimalField(
        label=_("Amount"), max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )
    expected_close_date = forms.DateField(
        label=_("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, lead: Lead, companies, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.companies = {str(company.pk): company for company in companies}
        self.customers = {str(customer.pk): customer for customer in customers}
        cast(forms.ChoiceField, self.fields["customer_choice"]).choices = [
            (self.NEW_CUSTOMER, _("Create a new customer %(name)s") % {"name": lead.full_name})
        ] + [
            (pk, _("Use the existing customer %(name)s instead") % {"name": customer})
            for pk, customer in self.customers.items()
        ]
        self.fields["customer_choice"].initial = self.NEW_CUSTOMER
        company_choices: list[tuple[str, StrOrPromise]] = [
            (pk, _("Use %(name)s") % {"name": company}) for pk, company in self.companies.items()
        ]
        if lead.company_name.strip():
            company_choices.append(
                (NEW_COMPANY, _("Create a new company “%(name)s”") % {"name": lead.company_name.strip()})
            )
        company_choices.append((self.NO_COMPANY, _("No company")))
        cast(forms.ChoiceField, self.fields["company_choice"]).choices = company_choices
        self.fields["company_choice"].initial = company_choices[0][0]
        pipelines = Pipeline.objects.filter(stages__isnull=False).distinct().order_by("position", "name")
        cast(forms.ModelChoiceField, self.fields["pipeline"]).queryset = pipelines
        self.fields["pipeline"].initial = pipeline_default().pk
        self.fields["deal_title"].widget.attrs["placeholder"] = default_deal_title(lead)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("create_deal") and not cleaned.get("pipeline"):
            self.add_error("pipeline", _("Choose the deal's pipeline."))
        return cleaned

    def service_arguments(self) -> dict:
        cleaned = self.cleaned_data
        company = cleaned["company_choice"]
        return {
            "existing_customer": self.customers.get(cleaned["customer_choice"]),
            "company": company if company == NEW_COMPANY else self.companies.get(company),
            "create_deal": cleaned["create_deal"],
            "pipeline": cleaned["pipeline"],
            "deal_title": cleaned["deal_title"],
            "deal_amount": cleaned["deal_amount"] or Decimal("0.00"),
            "expected_close_date": cleaned["expected_close_date"],
        }


class AssignmentRuleForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ["source", "strategy", "team", "user", "position", "is_active"]
        labels = {"team": _("Team"), "user": _("User")}
        help_texts = {
            "team": _("For round-robin: its active reps and managers take turns."),
            "user": _("For “always this user”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = assignable_users()
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = Team.objects.order_by("name")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        strategy = cleaned.get("strategy")
        if strategy == AssignmentRule.Strategy.ROUND_ROBIN and not cleaned.get("team"):
            self.add_error("team", _("Round-robin needs a team."))
        if strategy == AssignmentRule.Strategy.USER and not cleaned.get("user"):
            self.add_error("user", _("Choose the user who gets the leads."))
        return cleaned

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
