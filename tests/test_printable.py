"""The checklist to take along, rendered in Debian's headless Chromium."""

from __future__ import annotations

import datetime as dt

from bot.answering.printable import printable_checklist
from tests.browser import chromium

ISSUED = dt.date(2026, 11, 27)
ANSWERS = {"minor": False, "agent": True, "state_employee": False, "old_passport": True}


def test_a_tailored_checklist_renders_with_one_tick_box_per_document(knowledge, tmp_path):
    passport = knowledge.services["passport"]
    page_file = tmp_path / "passport.html"
    page_file.write_text(printable_checklist(knowledge, "zh", service=passport, answers=ANSWERS, issued=ISSUED),
                         encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 820, "height": 1200})
        page.goto(page_file.as_uri())
        items = page.locator("ul.check li b").all_inner_texts()
        assert items == [d.name.zh for d in passport.documents if d.applies(ANSWERS)]
        body = page.inner_text("body")
        assert "2026-11-27" in body and knowledge.version in body and "全部材料和要求" in body
        office = knowledge.offices["exit_entry_bureau"]
        assert office.address.zh in body and office.hours.zh in body
        page.screenshot(path=str(tmp_path / "passport.png"), full_page=True)
    assert (tmp_path / "passport.png").stat().st_size > 20_000


def test_an_event_checklist_lists_each_document_once(knowledge, tmp_path):
    page_file = tmp_path / "newborn.html"
    page_file.write_text(printable_checklist(knowledge, "en", event=knowledge.events["newborn"], issued=ISSUED),
                         encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(page_file.as_uri())
        items = page.locator("ul.check li b").all_inner_texts()
        assert items and len(items) == len(set(items))
        assert page.title() == "A baby is born"
