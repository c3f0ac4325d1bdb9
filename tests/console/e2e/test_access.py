"""What the console refuses: a paper the officer's agency has no grant for (403, said in
plain words), and a form posted with a forged or missing CSRF token."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import CITIZEN_ID

from .support import OTHER_OWNER_NAME, Console, submit

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]


def test_denied_document_of_an_owner_without_a_grant(page: Page, console: Console) -> None:
    # AGENCY's receiving officer, another owner's paper issued by another agency, no dossier.
    console.sign_in(page, "receiver")
    other_paper = console.documents["other_birth"]
    response = page.goto(f"/console/documents/{other_paper}")
    assert response is not None
    assert response.status == 403
    denied = page.locator("#denied-message")
    expect(denied).to_be_visible()
    expect(denied).to_have_attribute("role", "alert")
    expect(denied).not_to_be_empty()
    expect(page.locator("img.page-image")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(OTHER_OWNER_NAME)
    console.shot(page, "denied")
    # Its rendered pages are as closed as its page.
    thumbnail = page.request.get(f"/console/documents/{other_paper}/thumbnail")
    assert thumbnail.status == 403
    page_image = page.request.get(f"/console/documents/{other_paper}/pages/1")
    assert page_image.status == 403


def test_denied_to_an_officer_of_another_agency(page: Page, console: Console) -> None:
    # The owner's driving licence was issued by AGENCY; OTHER_AGENCY has no dossier for her.
    console.sign_in(page, "other_receiver")
    # Finding her is allowed; her warehouse shows this officer nothing, and says why.
    page.goto("/console/owners")
    page.locator("#identifier").fill(CITIZEN_ID)
    submit(page, page.locator("#lookup-submit"))
    expect(page).to_have_url(re.compile(rf"/console/owners/{console.owner_id}$"))
    expect(page.locator("tr.document-row")).to_have_count(0)
    expect(page.locator("p#warehouse-empty")).to_be_visible()
    expect(page.locator("p#warehouse-empty")).not_to_be_empty()
    response = page.goto(f"/console/documents/{console.documents['licence']}")
    assert response is not None
    assert response.status == 403
    expect(page.locator("#denied-message")).to_be_visible()


def test_forged_and_missing_csrf_tokens_are_refused(page: Page, console: Console) -> None:
    console.sign_in(page, "receiver")
    page.goto("/console/owners")
    token = page.locator("form#owner-lookup-form input[name=csrf_token]")
    expect(token).to_have_count(1)
    # What a forged cross-site form would carry: a token of the right shape, not ours.
    token.evaluate("(input) => { input.value = 'x'.repeat(Math.max(input.value.length, 32)); }")
    page.locator("#identifier").fill(CITIZEN_ID)
    response = submit(page, page.locator("#lookup-submit"))
    assert response.status == 403
    csrf_error = page.locator("#csrf-error")
    expect(csrf_error).to_be_visible()
    expect(csrf_error).not_to_be_empty()
    expect(page).not_to_have_url(re.compile(rf"/console/owners/{console.owner_id}"))

    # Without the field at all (here: signing out), refused the same way; still signed in.
    page.goto("/console/owners")
    page.locator("form#logout-form input[name=csrf_token]").evaluate("(input) => input.remove()")
    response = submit(page, page.locator("form#logout-form button#logout"))
    assert response.status == 403
    expect(page.locator("#csrf-error")).to_be_visible()
    page.goto("/console/owners")
    expect(page).to_have_url(re.compile(r"/console/owners$"))
    expect(page.locator("#whoami")).to_be_visible()
