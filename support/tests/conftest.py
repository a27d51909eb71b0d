"""Support personas: the agent works the `support` queue; `outside_agent` works another."""

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from support.tests.factories import QueueFactory


@pytest.fixture
def queue(agent, team):
    queue = QueueFactory(name="Support", slug="support", team=team)
    queue.members.add(agent)
    return queue


@pytest.fixture
def other_queue(db, other_team):
    return QueueFactory(name="Billing", slug="billing", team=other_team)


@pytest.fixture
def outside_agent(other_queue):
    user = UserFactory(username="otto", first_name="Otto", role=roles.SUPPORT_AGENT)
    other_queue.members.add(user)
    return user
