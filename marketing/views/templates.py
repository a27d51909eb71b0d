"""Email template pages: list, create, edit, and a preview in a sandboxed iframe."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..forms.templates import EmailTemplateForm, PreviewForm
from ..permissions import marketing_required
from ..selectors import campaigns as selectors
from ..services import templates as services


@marketing_required
def template_list(request):
    return render(request, "marketing/template_list.html", {"templates": selectors.template_list()})


@marketing_required
def template_create(request):
    form = EmailTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        template = services.template_create(**form.cleaned_data, actor=request.user)
        messages.success(request, _("Template saved."))
        return redirect("marketing:template-edit", pk=template.pk)
    return render(request, "marketing/template_form.html", {"form": form, "title": _("New template")})


@marketing_required
def template_edit(request, pk: int):
    template = selectors.template_get(pk=pk)
    form = EmailTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        services.template_update(template=template, **form.cleaned_data, actor=request.user)
        messages.success(request, _("Template saved."))
        return redirect("marketing:template-edit", pk=template.pk)
    preview = PreviewForm(request.GET or None)
    chosen = preview.cleaned_data.get("customer") if preview.is_valid() else None
    customer = selectors.preview_customer(pk=chosen)
    context = {"form": form, "title": template.name, "template": template, "preview_form": preview}
    context |= {"customer": customer, "preview": services.preview(template=template, customer=customer)}
    return render(request, "marketing/template_form.html", context)
