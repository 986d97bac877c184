"""Patients' journeys in a real browser (Chromium), on a phone-sized window, checked by axe-core.

Each page a journey passes is checked with axe-core: no violation of any impact (what axe
found per page is written next to the screenshots, as <page>.axe.json). Screenshots
of each page at 360 px and 1280 px go to SCREENSHOT_DIR (default /tmp/wayfinder-screenshots).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, LiveServer, check_page

pytestmark = pytest.mark.commits

ABOUT = {
    "first_name": "Canary",
    "last_name": "Zebrafinch",
    "date_of_birth": "1990-04-02",
    "phone": "+1 212 555 0142",
    "email": "canary@example.org",
}
SAFE = {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no", "safe_now": "yes"}


def heading(page: Any) -> str:
    return str(page.locator("h1").first.inner_text())


def fill_about(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/")
    for name, value in ABOUT.items():
        page.fill(f"#f-{name}", value)
    page.select_option("#f-state", "NY")
    check_page(page, "1-about")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/step/safety$"))


def answer(page: Any, answers: dict[str, str]) -> None:
    for name, value in answers.items():
        page.check(f"input[name='{name}'][value='{value}']")


def next_page(page: Any, button: str = "Save and continue") -> None:
    url = page.url
    page.get_by_role("button", name=button).click()
    page.wait_for_function("u => location.href !== u", arg=url)
    page.wait_for_load_state()


def focused(page: Any) -> str:
    """The focused element, as tag#id or tag."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''); }"
        )
    )


def test_a_patient_completes_the_whole_intake_on_a_phone(live: LiveServer, page: Any) -> None:
    fill_about(page, live)
    check_page(page, "2-safety")
    answer(page, SAFE)
    next_page(page)
    assert "/step/concerns" in page.url
    page.check("input[name=concerns][value=depression]")
    page.fill("textarea[name=free_text]", "I have been feeling low since the spring.")
    check_page(page, "3-concerns")
    next_page(page)
    assert "/step/mood" in page.url
    answer(page, {"phq9_1": "1", "phq9_2": "2", "phq9_9": "0", "gad7_1": "1"})
    check_page(page, "4-mood")
    seen = 0
    while "/step/review" not in page.url and seen < 10:
        seen += 1
        next_page(page)
        name = page.url.rsplit("/", 1)[-1]
        if name != "review":
            check_page(page, f"4-{name}")
    assert "/step/review" in page.url, page.url
    assert "Feeling down, depressed, or hopeless" in page.content()
    page.check("input[name=consent_contact]")
    page.check("input[name=consent_privacy]")
    check_page(page, "6-review")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/done$"))
    assert heading(page) == "Thank you. We have your request."
    assert re.search(r"reference number is [A-Z0-9-]{6,}", page.inner_text("main"))
    check_page(page, "7-done")
    # Back and refresh show the confirmation again, never a second request.
    page.reload()
    assert heading(page) == "Thank you. We have your request."


def test_b_not_safe_shows_crisis_help_first_and_the_form_goes_on(
    live: LiveServer, page: Any
) -> None:
    fill_about(page, live)
    answer(page, {**SAFE, "safe_now": "no"})
    next_page(page)
    assert page.url.endswith("/crisis")
    main = page.locator("main")
    # The crisis help is the first thing in the page's content.
    assert main.locator("h1").first.inner_text() == "You don't have to go through this alone"
    assert main.locator("section.crisis").count() == 1
    call = main.locator("a[href='tel:988']").first
    text = main.locator("a[href^='sms:741741']").first
    emergency = main.locator("a[href='tel:911']").first
    for link in (call, text, emergency):
        assert link.is_visible()
    assert text.get_attribute("href") == "sms:741741?body=HOME"
    # The header keeps 988 and 911 in reach while the page scrolls.
    header_988 = page.locator("header a[href='tel:988']")
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(100)
    assert header_988.is_visible()
    box = header_988.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] < PHONE["height"]
    assert box["width"] >= 44 and box["height"] >= 44, box
    for link in main.locator("a[href^='tel:'], a[href^='sms:']").all():
        size = link.bounding_box()
        assert size is not None and size["height"] >= 44 and size["width"] >= 44, link
    check_page(page, "crisis")
    page.get_by_role("link", name="Continue my form").click()
    page.wait_for_url(re.compile(r"/step/concerns$"))
    assert "What brings you here" in page.inner_text("main")


def test_c_leave_at_step_3_and_come_back_from_the_email(
    live: LiveServer, page: Any, browser: Any
) -> None:
    fill_about(page, live)
    answer(page, SAFE)
    next_page(page)
    page.check("input[name=concerns][value=depression]")
    page.check("input[name=concerns][value=anxiety]")
    page.fill("textarea[name=free_text]", "canary: hard to sleep")
    page.get_by_role("button", name="Save and email me a link to finish later").click()
    page.wait_for_load_state()
    assert heading(page) == "Your answers are saved"
    check_page(page, "resume-sent")
    assert live.deliver_mail() == 1
    # A refresh shows the page again without posting the form a second time.
    page.reload()
    assert heading(page) == "Your answers are saved"
    assert live.app.extensions["dispatcher"].ids() == []

    # Another browser (no cookies): the mailbox, the email, its link.
    other = browser.new_context(viewport=PHONE)
    tab = other.new_page()
    tab.goto(live.url + "/dev/mailbox")
    tab.locator("main a[href*='/dev/mailbox/']").first.click()
    link = re.search(r"http://127\.0\.0\.1:\d+/resume/\S+", tab.inner_text("pre.email"))
    assert link, tab.inner_text("main")
    tab.goto(link.group(0))
    # The link is exchanged for this browser's session and burnt: the page it leads to has no
    # token in its address, and asks for the date of birth before showing anything.
    assert tab.url == live.url + "/resume"
    assert heading(tab) == "Check it's you"
    assert "Canary" not in tab.content()
    check_page(tab, "resume-check")
    tab.fill("#f-date_of_birth", "1990-04-03")
    with tab.expect_navigation():  # the same address, with the error
        tab.get_by_role("button", name="Show my answers").click()
    assert focused(tab) == "div#error-summary"
    check_page(tab, "resume-check-error")
    tab.fill("#f-date_of_birth", ABOUT["date_of_birth"])
    next_page(tab, "Show my answers")
    assert "/step/" in tab.url
    assert "Welcome back" in tab.inner_text("main")
    tab.goto(live.url + "/step/concerns")
    assert tab.is_checked("input[name=concerns][value=depression]")
    assert tab.is_checked("input[name=concerns][value=anxiety]")
    assert tab.input_value("textarea[name=free_text]") == "canary: hard to sleep"
    check_page(tab, "resume-concerns")
    tab.goto(live.url + "/step/safety")
    for name, value in SAFE.items():
        assert tab.is_checked(f"input[name='{name}'][value='{value}']"), name
    tab.goto(live.url + "/step/about")
    for name, value in ABOUT.items():
        assert tab.input_value(f"#f-{name}") == value, name
    assert tab.input_value("#f-state") == "NY"
    other.close()
    # The same link again, anywhere: a kind page that offers a new one.
    again = browser.new_context(viewport=PHONE)
    third = again.new_page()
    third.goto(link.group(0))
    assert heading(third) == "This link no longer works"
    assert third.get_by_role("button", name="Email me a new link").is_visible()
    check_page(third, "resume-used")
    again.close()


def test_errors_name_their_question_and_take_the_focus(live: LiveServer, page: Any) -> None:
    fill_about(page, live)
    assert focused(page) == "h1"  # a new step: the heading has the focus
    answer(page, {"asq_1": "no"})
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()
    assert focused(page) == "div#error-summary"
    summary = page.locator("#error-summary").inner_text()
    assert "Have you ever tried to kill yourself?" in summary
    assert "Are you safe right now?" in summary
    assert "In the past few weeks, have you wished you were dead?" not in summary  # answered
    check_page(page, "2-safety-errors")
    # The link in the summary takes the person to the question.
    page.locator("#error-summary a").first.click()
    assert page.url.endswith("#q-asq_2")


def test_keyboard_focus_is_visible_and_follows_the_visual_order(
    live: LiveServer, page: Any
) -> None:
    fill_about(page, live)
    answer(page, SAFE)
    next_page(page)
    # An answer card shows the focus of the box inside it.
    page.focus("input[name=concerns][value=depression]")
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    outline = page.evaluate(
        "() => getComputedStyle(document.activeElement.closest('label')).outlineStyle"
    )
    assert outline not in ("", "none"), outline
    page.keyboard.press("Space")
    assert page.is_checked("input[name=concerns][value=depression]")
    # The buttons are met by Tab in the order they are seen, on a phone and on a desktop.
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        boxes = [b.bounding_box() for b in page.locator(".nav-buttons button").all()]
        order = [(round(b["y"]), round(b["x"])) for b in boxes if b]
        assert order == sorted(order), (size, order)
    page.set_viewport_size(PHONE)


def test_the_date_box_matches_its_hint_and_a_child_is_told_what_happens(
    live: LiveServer, page: Any
) -> None:
    page.goto(live.url + "/")
    box = page.locator("#f-date_of_birth")
    assert box.get_attribute("type") == "text"
    assert "1990-04-02" in page.locator("#hint-date_of_birth").inner_text()
    today = datetime.now(UTC).date()
    born = today.replace(year=today.year - 12, day=min(today.day, 28))
    for name, value in {**ABOUT, "date_of_birth": born.isoformat()}.items():
        page.fill(f"#f-{name}", value)
    page.select_option("#f-state", "NY")
    next_page(page)
    assert "/step/safety" in page.url
    assert "parent or guardian" in page.inner_text("main")
    assert page.locator("header a[href='tel:988']").is_visible()


def test_d_the_same_intake_in_spanish(live: LiveServer, browser: Any) -> None:
    """Accept-Language: es on the first visit; everything around the questions is in Spanish,
    validated questionnaires stay in English with a note; the intake records "es"."""
    from intake.extensions import db
    from intake.models import Intake

    context = browser.new_context(viewport=PHONE, locale="es-US")
    page = context.new_page()
    page.goto(live.url + "/")
    assert page.get_attribute("html", "lang") == "es"
    assert heading(page) == "Sobre usted"
    assert "Paso 1 de 6" in page.inner_text("nav.progress")
    assert page.locator("header a[href='tel:988']").is_visible()
    # An error names its field, in Spanish.
    page.get_by_role("button", name="Guardar y continuar").click()
    page.wait_for_load_state()
    assert focused(page) == "div#error-summary"
    summary = page.inner_text("#error-summary")
    assert "Revise 5 respuestas" in summary, summary
    assert "Nombre" in summary and "Escriba su número de teléfono" in summary
    check_page(page, "es-1-about-errors")
    for name, value in ABOUT.items():
        page.fill(f"#f-{name}", value)
    page.select_option("#f-state", "NY")
    next_page(page, "Guardar y continuar")
    assert heading(page) == "Primero, su seguridad"
    assert "todavía no tenemos en español" in page.inner_text("main")
    check_page(page, "es-2-safety")
    answer(page, {**SAFE, "safe_now": "no"})
    next_page(page, "Guardar y continuar")
    assert page.url.endswith("/crisis")
    assert heading(page) == "No tiene que pasar por esto a solas"
    assert "oprima el 2" in page.inner_text("main")
    check_page(page, "es-crisis")
    page.get_by_role("link", name="Continuar mi formulario").click()
    page.wait_for_url(re.compile(r"/step/concerns$"))
    page.check("input[name=concerns][value=depression]")
    check_page(page, "es-3-concerns")
    next_page(page, "Guardar y continuar")
    answer(page, {"phq9_9": "0"})
    seen = 0
    while "/step/review" not in page.url and seen < 10:
        seen += 1
        next_page(page, "Guardar y continuar")
    check_page(page, "es-6-review")
    page.check("input[name=consent_contact]")
    page.check("input[name=consent_privacy]")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    page.wait_for_url(re.compile(r"/done$"))
    assert heading(page) == "Gracias. Recibimos su solicitud."
    assert "por teléfono" in page.inner_text("main")
    check_page(page, "es-7-done")
    context.close()
    with live.app.app_context():
        assert [i.language for i in db.session.query(Intake)] == ["es"]
        db.session.remove()


def test_the_language_switch_keeps_the_answers(live: LiveServer, page: Any) -> None:
    fill_about(page, live)
    answer(page, SAFE)
    next_page(page)
    page.get_by_role("link", name="Español").click()
    page.wait_for_url(re.compile(r"lang=es"))
    assert page.get_attribute("html", "lang") == "es"
    assert heading(page) == "Qué le trae aquí"
    page.goto(live.url + "/step/about")  # the choice stays for the visit
    assert heading(page) == "Sobre usted"
    assert page.input_value("#f-first_name") == ABOUT["first_name"]
    page.goto(live.url + "/step/safety")
    for name, value in SAFE.items():
        assert page.is_checked(f"input[name='{name}'][value='{value}']"), name
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.get_attribute("html", "lang") == "en"
    assert heading(page) == "Safety first"


def answer_every_question(page: Any) -> None:
    """A calm answer ("no", "0", else the first) to every question not answered yet."""
    for fieldset in page.locator("fieldset.question").all():
        radios = fieldset.locator("input[type=radio]")
        if not radios.count() or fieldset.locator("input:checked").count():
            continue
        calm = fieldset.locator("input[type=radio][value=no], input[type=radio][value='0']")
        (calm if calm.count() else radios).first.check()


def review_height(page: Any) -> int:
    """The review page's height in CSS pixels at 360 px wide (the issue: ~9,000 px)."""
    page.set_viewport_size(PHONE)
    return int(page.evaluate("() => document.documentElement.scrollHeight"))


def test_the_review_page_is_short_on_a_phone(live: LiveServer, page: Any) -> None:
    fill_about(page, live)
    answer(page, SAFE)
    next_page(page)
    for concern in ("depression", "anxiety", "substance"):
        page.check(f"input[name=concerns][value={concern}]")
    next_page(page)
    seen = 0
    while "/step/review" not in page.url and seen < 15:
        seen += 1
        answer_every_question(page)
        next_page(page)
    assert "/step/review" in page.url, page.url
    height = review_height(page)
    print(f"review page height at 360 px: {height} px")  # 9,554 px before the sections folded
    assert height < 3000, height
    # Every step is there, folded, with its Change link; its answers open without a script.
    sections = page.locator("section.review-section")
    assert sections.count() >= 6
    for section in sections.all():
        assert section.locator("a.change").get_attribute("href").endswith("?from=review")
        assert section.locator("details").get_attribute("open") is None
    first = page.locator("details.review-answers").first
    first.locator("summary").click()
    assert first.locator("dd").first.is_visible()
    assert "Zebrafinch" in first.inner_text()
    check_page(page, "6-review-open")


# --- Keyboard only ----------------------------------------------------------------------------


def tab_to(page: Any, selector: str, back: bool = False, most: int = 300) -> None:
    """Press Tab (Shift+Tab with `back`) until the focus is on `selector`; never a click."""
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def type_into(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Any, name: str, value: str) -> None:
    """A radio answer by the keyboard: Tab into the group, arrows to the answer, Space."""
    tab_to(page, f"input[name='{name}']")
    for _ in range(15):
        if page.evaluate("() => document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.is_checked(f"input[name='{name}'][value='{value}']"), (name, value)


def press_button(page: Any, name: str) -> None:
    """Tab to a button by its words and press Enter; wait for the next page."""
    tab_to(page, f"button[type=submit][value='{name}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def answer_by_keyboard(page: Any) -> None:
    """A calm answer ("no", "0", else the first) to each question not answered yet."""
    for fieldset in page.locator("fieldset.question").all():
        radios = fieldset.locator("input[type=radio]")
        if not radios.count() or fieldset.locator("input:checked").count():
            continue
        values = [r.get_attribute("value") for r in radios.all()]
        calm = next((v for v in ("no", "0") if v in values), values[0])
        choose(page, str(radios.first.get_attribute("name")), str(calm))


def card_focus_style(page: Any) -> dict[str, Any]:
    """Whether the focused box is :focus-visible, and its answer card's outline/box-shadow."""
    return dict(
        page.evaluate(
            """() => { const e = document.activeElement, card = e.closest('label');
            const s = getComputedStyle(card);
            return {visible: e.matches(':focus-visible'), outline: s.outlineStyle,
                    width: s.outlineWidth, shadow: s.boxShadow}; }"""
        )
    )


def test_the_whole_intake_by_keyboard_only(live: LiveServer, page: Any) -> None:
    page.goto(live.url + "/")
    assert focused(page) == "h1"  # the heading of the step has the focus
    for name, value in ABOUT.items():
        type_into(page, f"#f-{name}", value)
    tab_to(page, "#f-state")
    for _ in range(60):  # the arrow keys move through a closed list
        if page.input_value("#f-state") == "NY":
            break
        page.keyboard.press("ArrowDown")
    assert page.input_value("#f-state") == "NY"
    press_button(page, "next")
    assert "/step/safety" in page.url and focused(page) == "h1"
    # A step sent with answers missing: the focus goes to the error summary.
    press_button(page, "next")
    assert "/step/safety" in page.url and focused(page) == "div#error-summary"
    # Its first link takes the focus to the question (Enter follows it).
    tab_to(page, "#error-summary a")
    page.keyboard.press("Enter")
    assert page.url.endswith("#q-asq_1")
    choose(page, "asq_1", "no")
    # An answer card shows where the focus is (outline or shadow, on :focus-visible).
    style = card_focus_style(page)
    assert style["visible"], style
    assert style["outline"] not in ("", "none") or style["shadow"] not in ("", "none"), style
    for name, value in SAFE.items():
        if name != "asq_1":
            choose(page, name, value)
    press_button(page, "next")
    assert "/step/concerns" in page.url and focused(page) == "h1"
    tab_to(page, "input[name=concerns][value=depression]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=concerns][value=anxiety]")
    tab_to(page, "input[name=concerns][value=depression]", back=True)  # Shift+Tab goes back
    assert card_focus_style(page)["visible"]
    assert page.is_checked("input[name=concerns][value=depression]")
    type_into(page, "#f-free_text", "Typed with the keyboard only.")
    press_button(page, "next")
    seen = 0
    while "/step/review" not in page.url and seen < 12:
        seen += 1
        assert focused(page) == "h1", page.url
        if "/step/preferences" in page.url:
            tab_to(page, "#f-location")
            page.keyboard.press("ArrowDown")
            assert page.input_value("#f-location") == "nyc-midtown"
        answer_by_keyboard(page)
        press_button(page, "next")
    assert "/step/review" in page.url, page.url
    # The review: a section's answers open with Enter on its summary line.
    tab_to(page, "details.review-answers > summary")
    page.keyboard.press("Enter")
    assert page.locator("details.review-answers").first.get_attribute("open") is not None
    tab_to(page, "input[name=consent_contact]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=consent_privacy]")
    page.keyboard.press("Space")
    press_button(page, "submit")
    assert page.url.endswith("/done")
    assert heading(page) == "Thank you. We have your request."
