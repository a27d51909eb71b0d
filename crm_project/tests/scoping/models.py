from django.db import models

from crm_project.access import ALL, OwnedModel, ScopedQuerySet


class Note(OwnedModel):
    """Owned records support agents may not see."""

    title = models.CharField(max_length=50)


class SharedQuerySet(ScopedQuerySet):
    agent_scope = ALL


class SharedNote(OwnedModel):
    """Owned records support agents may read (like customers)."""

    title = models.CharField(max_length=50)

    objects = SharedQuerySet.as_manager()  # type: ignore[misc]  # as_manager()'s generated type cannot be named in a ClassVar (django-stubs #1713)
