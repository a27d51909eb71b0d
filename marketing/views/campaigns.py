"""Campaign pages: list, create/edit, detail with progress, and the actions
(send now, schedule, pause, resume, send a test to me)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_project.lists import FilteredTableView

from ..filters.campaigns import CampaignFilter
from ..forms.campaigns import CampaignForm, ScheduleForm
from ..models import Campaign
from ..permissions import MarketingRequiredMixin, marketing_required
from ..selectors import campaigns as selectors
from ..services import campaigns as services
from ..tables.campaigns import CampaignTable


class CampaignListView(MarketingRequiredMixin, FilteredTableView):
    table_class = CampaignTable
    filterset_class = CampaignFilter
    template_name = "marketing/campaign_list.html"
    page_title = gettext_lazy("Campaigns")

    def get_queryset(self):
        return selectors.campaign_list()

    @property
    def create_link(self):  # type: ignore[override]
        return (_("New campaign"), reverse("marketing:campaign-create"))


@marketing_required
def campaign_create(request):
    return _campaign_form(request, Campaign(), _("New campaign"))


@marketing_required
def campaign_edit(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        messages.error(request, _("Only a draft or scheduled campaign can be edited."))
        return redirect("marketing:campaign-detail", pk=pk)
    return _campaign_form(request, campaign, campaign.name)


def _campaign_form(request, campaign: Campaign, title: str):
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        include, exclude = form.cleaned_data["include_segments"], form.cleaned_data["exclude_segments"]
        campaign = services.campaign_save(campaign=form.instance, include=include, exclude=exclude, actor=request.user)
        messages.success(request, _("Campaign saved."))
        return redirect("marketing:campaign-detail", pk=campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form, "title": title, "campaign": campaign})


@marketing_required
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    context = {
        "campaign": campaign,
        "schedule_form": ScheduleForm(),
        "progress": selectors.campaign_progress(campaign=campaign),
    }
    context["include"] = campaign.include_segments.all()
    context["exclude"] = campaign.exclude_segments.all()
    return render(request, "marketing/campaign_detail.html", context)


@require_POST
@marketing_required
def campaign_schedule(request, pk: int):
    campaign = selectors.campaign_get(pk=pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        context = {
            "campaign": campaign,
            "schedule_form": form,
            "progress": selectors.campaign_progress(campaign=campaign),
        }
        return render(request, "marketing/campaign_detail.html", context, status=400)
    _act(request, services.campaign_schedule, campaign, _("Campaign scheduled."), when=form.cleaned_data["send_at"])
    return redirect("marketing:campaign-detail", pk=pk)


@require_POST
@marketing_required
def campaign_send_now(request, pk: int):
    _act(request, services.campaign_start, selectors.campaign_get(pk=pk), _("Campaign is being sent."))
    return redirect("marketing:campaign-detail", pk=pk)


@require_POST
@marketing_required
def campaign_unschedule(request, pk: int):
    _act(request, services.campaign_unschedule, selectors.campaign_get(pk=pk), _("Back to draft."))
    return redirect("marketing:campaign-detail", pk=pk)


@require_POST
@marketing_required
def campaign_pause(request, pk: int):
    _act(request, services.campaign_pause, selectors.campaign_get(pk=pk), _("Campaign paused."))
    return redirect("marketing:campaign-detail", pk=pk)


@require_POST
@marketing_required
def campaign_resume(request, pk: int):
    _act(request, services.campaign_resume, selectors.campaign_get(pk=pk), _("Campaign resumed."))
    return redirect("marketing:campaign-detail", pk=pk)


@require_POST
@marketing_required
def campaign_send_test(request, pk: int):
    done = _("A test copy was sent to %(email)s.") % {"email": request.user.email}
    _act(request, services.campaign_send_test, selectors.campaign_get(pk=pk), done)
    return redirect("marketing:campaign-detail", pk=pk)


def _act(request, service, campaign: Campaign, done: str, **kwargs) -> None:
    """Call one service; its refusal becomes an error message."""
    try:
        service(campaign=campaign, actor=request.user, **kwargs)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return
    messages.success(request, done)
