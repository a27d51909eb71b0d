import re

import pytest
from django.core import mail
from django.urls import reverse


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_logging_in_with_the_right_password_lands_on_home(client, owner, password):
    response = post_login(client, owner.username, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_shows_an_error_and_does_not_log_in(client, owner):
    response = post_login(client, owner.username, "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out(client, owner, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, owner.username, "wrong-password")
    response = post_login(client, owner.username, password)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_needs_a_post(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link(client, owner):
    client.post(reverse("password_reset"), {"email": owner.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-much-Better-pass-42", "new_password2": "a-much-Better-pass-42"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-much-Better-pass-42")


@pytest.mark.parametrize("weak", ["short1", "password123", "1234567890123"])
def test_weak_passwords_are_refused_with_a_field_error(client_for, owner, password, weak):
    response = client_for(owner).post(
        reverse("password_change"),
        {"old_password": password, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    owner.refresh_from_db()
    assert owner.check_password(password)


def test_one_password_tried_across_many_usernames_locks_the_address_out(client, owner, password, settings):
    settings.CRM_LOGIN_IP_FAILURE_LIMIT = 6
    for number in range(settings.CRM_LOGIN_IP_FAILURE_LIMIT):
        # Each username fails once: no (username, address) pair comes near its own limit.
        post_login(client, f"user{number}", "Summer2026!")
    response = post_login(client, owner.username, password)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_under_the_address_limit_do_not_lock_out_other_users(client, owner, password, settings):
    settings.CRM_LOGIN_IP_FAILURE_LIMIT = 6
    for number in range(settings.CRM_LOGIN_IP_FAILURE_LIMIT - 1):
        post_login(client, f"user{number}", "Summer2026!")
    response = post_login(client, owner.username, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
