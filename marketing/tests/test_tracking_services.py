"""How opens and clicks are classed: scanners, privacy proxies, people."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.services.tracking import event_classify

SENT = timezone.now() - timedelta(hours=2)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"
APPLE_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"


def classify(user_agent: str, *, kind: str = "open", after: timedelta = timedelta(hours=1)) -> str:
    return event_classify(kind=kind, user_agent=user_agent, sent_at=SENT, at=SENT + after)


@pytest.mark.parametrize(
    "agent",
    [
        "Barracuda Sentinel (EE)",
        "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
        "Mimecast-URL-Protect/1.0",
        "Microsoft Office Protection Service",
        "python-requests/2.31.0",
        "curl/8.4.0",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Symantec Email Security",
        "",
    ],
)
def test_a_scanners_user_agent_is_a_machine(agent):
    assert classify(agent) == "machine"
    assert classify(agent, kind="click") == "machine"


def test_a_click_within_ten_seconds_of_delivery_is_a_machine_even_from_a_browser():
    assert classify(CHROME, kind="click", after=timedelta(seconds=3)) == "machine"
    assert classify(CHROME, kind="click", after=timedelta(seconds=11)) == "human"


def test_gmails_image_proxy_is_a_proxy_open():
    assert classify(GMAIL_PROXY) == "proxy"


def test_apple_mail_privacy_protections_bare_user_agent_is_a_proxy_open():
    assert classify("Mozilla/5.0") == "proxy"


def test_apple_mail_itself_and_a_browser_are_people():
    assert classify(APPLE_MAIL) == "human"
    assert classify(CHROME, kind="click") == "human"


def test_a_message_without_a_send_time_is_classed_by_its_agent_alone():
    assert event_classify(kind="click", user_agent=CHROME, sent_at=None, at=timezone.now()) == "human"
