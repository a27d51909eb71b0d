"""Forms for deals, their products, stage moves and the pipeline editor: validation and cleaning only."""

from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from django import forms
from django.core.validators import MinValueValidator
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.selectors import assignable_users
from crm_project.versioning import VersionedFormMixin
from customers.forms.customers import CrispyMixin
from customers.models import Customer

from ..models import Deal, Pipeline, Product, Stage
from ..services.pipelines import StageData


def customer_label(customer: Customer) -> str:
    return f"{customer.full_name} · {customer.company}" if customer.company_id else customer.full_name


class DealForm(CrispyMixin, VersionedFormMixin, forms.ModelForm):
    """New deal (customer, pipeline and first stage chosen here) or edit (those are fixed: the stage
    moves on the board or the deal page)."""

    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.select_related("pipeline").order_by("pipeline__position", "pipeline", "position"),
        required=False,
        help_text=_("Empty: the pipeline's first stage."),
    )

    class Meta:
        model = Deal
        fields = ["title", "customer", "pipeline", "amount", "currency", "expected_close_date", "owner", "lost_reason"]
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user, customer_choices: Sequence[Customer] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        editing = self.instance.pk is not None
        if editing:
            for name in ("customer", "pipeline", "stage"):
                del self.fields[name]
            if self.instance.lines.exists():
                self.fields["amount"].disabled = True
                self.fields["amount"].help_text = _("The sum of the deal's products.")
            if self.instance.status == Deal.Status.LOST:
                self.fields["lost_reason"].required = True
            else:
                del self.fields["lost_reason"]
        else:
            del self.fields["lost_reason"]
            cast(forms.ModelChoiceField, self.fields["customer"]).queryset = Customer.objects.editable_by(user)
            # Validation accepts every visible customer; the select offers a short list (searchable).
            self.fields["customer"].widget.choices = [("", "---------")] + [
                (customer.pk, customer_label(customer)) for customer in customer_choices
            ]
            cast(forms.ModelChoiceField, self.fields["pipeline"]).empty_label = None
            stage_field = cast(forms.ModelChoiceField, self.fields["stage"])
            # A per-instance label; a ModelChoiceField subclass would say the same at more length.
            stage_field.label_from_instance = lambda obj: f"{obj.pipeline}: {obj.name}"  # type: ignore[method-assign]
        self.fields["amount"].validators.append(MinValueValidator(Decimal("0")))
        if roles.is_manager_or_admin(user):
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
            self.fields["owner"].required = True
        else:
            del self.fields["owner"]

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Use the three-letter currency code, e.g. EUR."))
        return currency

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        stage, pipeline = cleaned.get("stage"), cleaned.get("pipeline")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", _("This stage belongs to another pipeline."))
        return cleaned

    def service_fields(self) -> dict:
        names = [name for name in self.fields if name not in ("stage", "version", "opened")]
        if self.instance.pk:
            names = [name for name in names if not self.fields[name].disabled]
        fields = {name: self.cleaned_data[name] for name in names}
        if not self.instance.pk:
            fields["stage"] = self.cleaned_data.get("stage")
        return fields


class DealMoveForm(forms.Form):
    """Move a deal to another stage of its pipeline; a lost stage needs a reason."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none())
    lost_reason = forms.CharField(label=_("Why was the deal lost?"), max_length=200, required=False)

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.deal = deal
        cast(forms.ModelChoiceField, self.fields["stage"]).queryset = Stage.objects.filter(pipeline_id=deal.pipeline_id)

    def needs_reason(self) -> bool:
        """True when the user chose a lost stage and gave no reason (the form then asks for one)."""
        stage = self.cleaned_data.get("stage") if hasattr(self, "cleaned_data") else None
        return bool(stage and stage.is_lost and not self.data.get("lost_reason", "").strip())

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        stage = cleaned.get("stage")
        cleaned["lost_reason"] = cleaned.get("lost_reason", "").strip()
        if stage is not None and stage.is_lost and not cleaned["lost_reason"]:
            self.add_error("lost_reason", _("Say why the deal was lost."))
        return cleaned


class DealLineForm(CrispyMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.filter(is_active=True))
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), initial=Decimal("1")
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Empty: the product's price."),
    )


# --- the pipeline editor --------------------------------------------------------------------
class PipelineForm(CrispyMixin, forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "stuck_after_days", "is_default", "position"]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "probability", "is_won", "is_lost", "position"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "probability": forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 0, "max": 100}),
            "position": forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 0}),
            "is_won": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "is_lost": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("is_won") and cleaned.get("is_lost"):
            raise forms.ValidationError(_("A stage cannot be both won and lost."))
        return cleaned


class BaseStageFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # New rows go after the existing stages unless the user says otherwise.
        last = max((stage.position for stage in self.get_queryset()), default=-1)
        self.initial_extra = [{"position": last + 1 + index} for index in range(self.extra)]

    def get_queryset(self):
        if not hasattr(self, "_stage_queryset"):
            self._stage_queryset = super().get_queryset().order_by("position", "pk")
        return self._stage_queryset

    def stage_rows(self) -> list[StageData]:
        """The edited stages for pipeline_create/pipeline_update (blank extra rows left out)."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            data = form.cleaned_data
            rows.append(
                StageData(
                    name=data.get("name", form.instance.name),
                    probability=data.get("probability", form.instance.probability),
                    position=data.get("position", form.instance.position),
                    is_won=data.get("is_won", False),
                    is_lost=data.get("is_lost", False),
                    stage_id=form.instance.pk,
                    delete=bool(data.get("DELETE")),
                )
            )
        return rows


# The stubs type the factory's result as the plain inline formset, not `formset`.
StageFormSet = cast(
    type[BaseStageFormSet],
    inlineformset_factory(
        Pipeline, Stage, form=StageForm, formset=BaseStageFormSet, extra=2, can_delete=True, min_num=0
    ),
)
