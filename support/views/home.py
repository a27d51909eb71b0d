"""The agent's home at /support/: assigned to me, unassigned in my queues, breaching soon."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..selectors.lists import agent_home, may_use_support


@login_required
def home(request):
    if not may_use_support(request.user):
        raise PermissionDenied
    context = {"home_cards": agent_home(user=request.user), "crumbs": [(_("Support"), None)]}
    return render(request, "support/home.html", context)
