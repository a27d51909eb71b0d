import factory
from django.utils import timezone

from jobs.models import JobRun


class JobRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRun

    name = "jobs.housekeeping"
    task_id = factory.Faker("uuid4")
    status = JobRun.Status.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
