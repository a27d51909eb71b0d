"""Email template pages: list, create, edit, and a preview in a sandboxed iframe."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_project.lists import FilteredTableView

from ..filters.campaigns import TemplateFilter
from ..forms.templates import EmailTemplateForm, PreviewForm
from ..permissions import MarketingRequiredMixin, marketing_required
from ..selectors import campaigns as selectors
from ..services import templates as services
from ..tables.campaigns import TemplateTable


class TemplateListView(MarketingRequiredMixin, FilteredTableView):
    table_class = TemplateTable
    filterset_class = TemplateFilter
    page_title = gettext_lazy("Email templates")

    def get_queryset(self):
        return selectors.template_list()

    @property
    def create_link(self):  # type: ignore[override]
        return (_("New template"), reverse("marketing:template-create"))


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
