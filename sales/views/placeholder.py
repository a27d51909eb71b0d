"""Temporary page for sales URLs whose views are being built (removed when they land)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def coming_soon(request):
    return render(request, "home/no_role.html")
