"""The search page (OCR'd text of the papers the officer may see, matches marked) and the
monthly digitisation indicators with their server-drawn chart."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .support import Console

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]


def test_search_finds_a_paper_and_says_when_nothing_matches(page: Page, console: Console) -> None:
    console.sign_in(page, "receiver")
    page.locator("#nav-search").click()
    expect(page).to_have_url(re.compile(r"/console/search"))
    # Without diacritics, as officers often type: still found.
    page.locator("form#search-form input#search-query").fill("lai xe")
    with page.expect_navigation():
        page.locator("input#search-query").press("Enter")
    # The query travels in the form's body (POST), never in the address or the history.
    expect(page).to_have_url(re.compile(r"/console/search$"))
    expect(page.locator("input#search-query")).to_have_value("lai xe")
    expect(page.locator("a#lang-toggle")).not_to_have_attribute("href", re.compile("lai"))
    results = page.locator("ol#search-results li.search-result")
    expect(results).to_have_count(1)
    expect(results.first.locator("mark").first).to_be_visible()
    link = results.first.locator(f"a[href$='/console/documents/{console.documents['licence']}']")
    expect(link).to_have_count(1)
    expect(page.locator("p#search-empty")).to_have_count(0)
    console.shot(page, "search")

    page.locator("form#search-form input#search-query").fill("tàu vũ trụ")
    with page.expect_navigation() as navigation:
        page.locator("input#search-query").press("Enter")
    response = navigation.value
    assert response is not None
    assert response.status == 200
    expect(page).to_have_url(re.compile(r"/console/search$"))
    expect(page.locator("p#search-empty")).to_be_visible()
    expect(page.locator("li.search-result")).to_have_count(0)


def test_indicators_table_chart_and_month_picker(page: Page, console: Console) -> None:
    console.sign_in(page, "auditor")
    page.locator("#nav-indicators").click()
    expect(page).to_have_url(re.compile(r"/console/indicators"))
    expect(page.locator("table#indicators")).to_be_visible()
    expect(page.locator("svg#indicators-chart")).to_be_visible()
    month = date.today().strftime("%Y-%m")
    page.locator("form#indicators-form input#indicators-month").fill(month)
    # The contract names no submit button: submit the form as the browser would.
    with page.expect_navigation():
        page.locator("form#indicators-form").evaluate("(form) => form.requestSubmit()")
    expect(page).to_have_url(re.compile(rf"/console/indicators\?(.*&)?month={month}"))
    expect(page.locator("table#indicators")).to_be_visible()
    expect(page.locator("svg#indicators-chart")).to_be_visible()
    console.shot(page, "indicators")
