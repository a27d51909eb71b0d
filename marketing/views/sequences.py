"""Drip sequences: list, create and edit (managers and marketers)."""

from copy import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ..forms.sequences import SequenceForm, StepFormSet
from ..models import Sequence, SequenceEnrollment
from ..permissions import marketing_required
from ..services.sequences import sequence_save


@marketing_required
def sequence_list(request):
    sequences = Sequence.objects.annotate(
        step_count=Count("steps", distinct=True),
        active_count=Count(
            "enrollments", filter=Q(enrollments__status=SequenceEnrollment.Status.ACTIVE), distinct=True
        ),
    ).order_by("name")
    crumbs = [(_("Marketing"), None), (_("Sequences"), None)]
    return render(request, "marketing/sequences/list.html", {"sequences": sequences, "crumbs": crumbs})


@marketing_required
def sequence_create(request):
    form = SequenceForm(request.POST or None)
    formset = StepFormSet(request.POST or None, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        return _save(request, form, formset, sequence=Sequence())
    return _editor(request, form, formset, title=_("New sequence"))


@marketing_required
def sequence_edit(request, pk):
    sequence = get_object_or_404(Sequence, pk=pk)
    form = SequenceForm(request.POST or None, instance=copy(sequence))
    initial = [
        {
            "kind": s.kind,
            "wait_days": s.wait_days,
            "template": s.template_id,
            "tag": s.tag_id,
            "task_title": s.task_title,
        }
        for s in sequence.steps.order_by("position")
    ]
    formset = StepFormSet(request.POST or None, prefix="steps", initial=initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        return _save(request, form, formset, sequence=sequence)
    return _editor(request, form, formset, title=_("Edit “%(name)s”") % {"name": sequence.name})


def _save(request, form, formset, *, sequence):
    fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
    try:
        sequence = sequence_save(sequence=sequence, steps=formset.step_rows(), actor=request.user, **fields)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _editor(request, form, formset, title=_("Sequence"))
    messages.success(request, _("The sequence “%(name)s” was saved.") % {"name": sequence.name})
    return redirect("marketing:sequence-list")


def _editor(request, form, formset, *, title):
    crumbs = [(_("Sequences"), reverse("marketing:sequence-list")), (title, None)]
    context = {"form": form, "formset": formset, "title": title, "crumbs": crumbs}
    return render(request, "marketing/sequences/edit.html", context)
