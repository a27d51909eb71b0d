"""The knowledge base: the public help centre and the agents' article pages."""

import pytest
from django.core.cache import cache
from django.test import Client

from crm_project.versioning import StaleEdit
from support.models import KbArticle, KbCategory, KbVote
from support.selectors.kb import kb_suggestions
from support.services import kb

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def category(db):
    return KbCategory.objects.create(name="Printers", slug="printers")


def _article(category, title, body="<p>Turn it off and on.</p>", **fields):
    fields = {"status": KbArticle.Status.PUBLISHED, "visibility": KbArticle.Visibility.PUBLIC, **fields}
    return kb.kb_article_create(category=category, title=title, body=body, actor=None, **fields)


def test_the_help_centre_lists_published_public_articles_only(client, category):
    _article(category, "Resetting the printer")
    _article(category, "Draft about toner", status=KbArticle.Status.DRAFT)
    _article(category, "Escalation contacts", visibility=KbArticle.Visibility.INTERNAL)
    content = client.get("/help/").content.decode()
    assert "Resetting the printer" in content
    assert "Draft about toner" not in content and "Escalation contacts" not in content


def test_draft_and_internal_articles_are_404_on_the_help_centre(client, category):
    draft = _article(category, "Draft about toner", status=KbArticle.Status.DRAFT)
    internal = _article(category, "Escalation contacts", visibility=KbArticle.Visibility.INTERNAL)
    assert client.get(f"/help/articles/{draft.slug}/").status_code == 404
    assert client.get(f"/help/articles/{internal.slug}/").status_code == 404


def test_search_finds_an_article_by_its_title_and_never_an_internal_one(client, category):
    _article(category, "Resetting the printer")
    _article(category, "Paper jams")
    _article(category, "Resetting passwords for agents", visibility=KbArticle.Visibility.INTERNAL)
    content = client.get("/help/", {"q": "resetting"}).content.decode()
    assert "Resetting the printer" in content
    assert "Paper jams" not in content and "passwords for agents" not in content


def test_script_tags_and_unsafe_attributes_are_stripped(category):
    article = _article(
        category,
        "Unsafe",
        body='<p onclick="steal()">Hi<script>alert(1)</script></p><a href="javascript:x()">x</a>'
        '<img src="https://example.com/a.png" alt="A" onerror="x()"><h2>Steps</h2><iframe src="x"></iframe>',
    )
    assert "script" not in article.body and "alert" not in article.body
    assert "onclick" not in article.body and "onerror" not in article.body and "javascript" not in article.body
    assert "iframe" not in article.body
    assert '<img src="https://example.com/a.png" alt="A">' in article.body
    assert "<h2>Steps</h2>" in article.body


def test_a_session_votes_once(client, category):
    article = _article(category, "Resetting the printer")
    client.post(f"/help/articles/{article.slug}/vote/", {"helpful": "yes"})
    response = client.post(f"/help/articles/{article.slug}/vote/", {"helpful": "no"}, follow=True)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    assert KbVote.objects.count() == 1
    assert "You have already voted" in response.content.decode()


def test_another_session_votes_too(client, category):
    article = _article(category, "Resetting the printer")
    client.post(f"/help/articles/{article.slug}/vote/", {"helpful": "yes"})
    Client().post(f"/help/articles/{article.slug}/vote/", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)


def test_a_vote_does_not_store_the_session_key(client, category):
    article = _article(category, "Resetting the printer")
    client.post(f"/help/articles/{article.slug}/vote/", {"helpful": "yes"})
    assert KbVote.objects.get().voter != client.session.session_key


def test_suggestions_on_the_form_offer_public_published_articles(client, category):
    _article(category, "Printer smoking after an update")
    _article(category, "Printer smoking: internal escalation", visibility=KbArticle.Visibility.INTERNAL)
    content = client.get("/help/suggest/", {"subject": "my printer is smoking"}).content.decode()
    assert "Printer smoking after an update" in content
    assert "internal escalation" not in content


def test_suggestions_for_agents_include_internal_articles_and_never_drafts(category):
    public = _article(category, "Printer smoking after an update")
    internal = _article(category, "Printer smoking escalation", visibility=KbArticle.Visibility.INTERNAL)
    _article(category, "Printer smoking draft", status=KbArticle.Status.DRAFT)
    found = kb_suggestions(text="printer smoking", include_internal=True)
    assert set(found) == {public, internal}
    assert kb_suggestions(text="an", include_internal=True) == []


# --- agents ------------------------------------------------------------------------
def test_agents_see_drafts_and_internal_articles_in_the_list(client_for, agent, category):
    _article(category, "Draft about toner", status=KbArticle.Status.DRAFT)
    _article(category, "Escalation contacts", visibility=KbArticle.Visibility.INTERNAL)
    content = client_for(agent).get("/support/kb/").content.decode()
    assert "Draft about toner" in content and "Escalation contacts" in content


def test_sales_reps_may_not_open_the_agents_knowledge_base(client_for, owner):
    assert client_for(owner).get("/support/kb/").status_code == 403
    assert client_for(owner).get("/support/kb/new/").status_code == 403


def test_an_agent_creates_an_article_in_a_new_category_with_its_html_cleaned(client_for, agent):
    response = client_for(agent).post(
        "/support/kb/new/",
        {
            "title": "Resetting the printer",
            "slug": "",
            "new_category": "Printers",
            "status": "published",
            "visibility": "public",
            "body": "<p>Hold the button.</p><script>alert(1)</script>",
        },
    )
    article = KbArticle.objects.get()
    assert response.status_code == 302
    assert (article.slug, article.category.name, article.author) == ("resetting-the-printer", "Printers", agent)
    assert article.body == "<p>Hold the button.</p>"


def test_a_stale_edit_is_refused_and_the_article_keeps_the_other_save(client_for, agent, manager, category):
    article = _article(category, "Resetting the printer")
    first = client_for(agent)
    form_page = first.get(f"/support/kb/{article.pk}/edit/").content.decode()
    assert 'name="version"' in form_page
    opened = form_page.split('name="opened" value="', 1)[1].split('"', 1)[0]
    kb.kb_article_update(article=KbArticle.objects.get(pk=article.pk), actor=manager, title="Reset the printer")
    response = first.post(
        f"/support/kb/{article.pk}/edit/",
        {
            "title": "Resetting your printer",
            "slug": article.slug,
            "category": category.pk,
            "status": "published",
            "visibility": "public",
            "body": "<p>Turn it off and on.</p>",
            "version": "1",
            "opened": opened,
        },
    )
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert KbArticle.objects.get().title == "Reset the printer"


def test_the_update_service_refuses_an_old_version(category):
    article = _article(category, "Resetting the printer")
    kb.kb_article_update(article=article, actor=None, version=1, title="Reset")
    with pytest.raises(StaleEdit):
        kb.kb_article_update(article=KbArticle.objects.get(), actor=None, version=1, title="Again")


def test_an_edit_keeps_votes_counted_meanwhile(category):
    article = _article(category, "Resetting the printer")
    kb.kb_vote(article=article, voter="a", helpful=True)
    kb.kb_article_update(article=article, actor=None, title="Reset the printer")
    article.refresh_from_db()
    assert (article.title, article.helpful_yes) == ("Reset the printer", 1)


def test_agents_read_an_internal_article_on_its_agent_page(client_for, agent, category):
    internal = _article(category, "Escalation contacts", visibility=KbArticle.Visibility.INTERNAL)
    response = client_for(agent).get(f"/support/kb/articles/{internal.slug}/")
    assert "Escalation contacts" in response.content.decode()


def test_the_help_centre_and_the_agents_list_take_a_fixed_number_of_queries(
    client, client_for, agent, category, django_assert_max_num_queries
):
    other = KbCategory.objects.create(name="Billing", slug="billing")
    for n in range(12):
        _article(category if n % 2 else other, f"Article {n}")
    with django_assert_max_num_queries(3):
        assert client.get("/help/").status_code == 200
    staff = client_for(agent)
    staff.get("/support/kb/")
    with django_assert_max_num_queries(8):
        assert staff.get("/support/kb/").status_code == 200


def test_votes_from_one_address_are_rate_limited_whatever_the_session(category):
    article = _article(category, "Resetting the printer")
    path = f"/help/articles/{article.slug}/vote/"
    statuses = [Client().post(path, {"helpful": "yes"}).status_code for _ in range(31)]
    article.refresh_from_db()
    assert statuses[-1] == 429 and set(statuses[:-1]) == {302}
    assert article.helpful_yes == 30
