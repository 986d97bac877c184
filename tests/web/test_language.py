"""The public pages in English or Spanish: the browser's Accept-Language on a first visit,
`?lang=` on any public URL for the rest of the visit; staff pages stay in English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.web.questionnaire_helpers import draft, location, post, start

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "intake" / "translations" / "es" / "LC_MESSAGES" / "messages.mo"


def ensure_catalog() -> None:
    """`make` compiles the Spanish catalog; a bare `pytest` run does it here when it is missing."""
    if not CATALOG.exists():
        script = ROOT / "scripts" / "build_translations.py"
        subprocess.run([sys.executable, str(script)], check=True)


@pytest.fixture(autouse=True, scope="module")
def _catalog() -> None:
    ensure_catalog()


SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def test_accept_language_chooses_spanish_on_the_first_visit(client: Any) -> None:
    page = client.get("/", headers=SPANISH).text
    assert '<html lang="es">' in page and "Sobre usted" in page and "Guardar y continuar" in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    assert 'hreflang="en"' in page  # the switch back
    english = client.get("/", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="en">' in english and "About you" in english


def test_the_switch_is_kept_for_the_visit_and_recorded_on_the_intake(app: Any, client: Any) -> None:
    assert '<html lang="es">' in client.get("/?lang=es").text
    assert '<html lang="es">' in client.get("/step/about").text  # no header: the session
    location(start(client))
    assert draft(app).language == "es"
    assert '<html lang="en">' in client.get("/step/about?lang=en").text
    assert '<html lang="en">' in client.get("/crisis").text


def test_errors_and_crisis_help_are_in_spanish(client: Any) -> None:
    client.get("/?lang=es")
    page = post(client, "about", {"first_name": ""}).text
    assert "Escriba su nombre, por favor." in page and "Nombre" in page
    crisis = client.get("/crisis").text
    assert "Hay ayuda disponible ahora mismo" in crisis and "sms:741741?body=HOME" in crisis


def test_validated_questionnaires_stay_as_published_with_a_note(client: Any) -> None:
    client.get("/?lang=es")
    location(start(client))
    page = client.get("/step/safety").text
    assert "todavía no tenemos en español" in page
    assert "In the past few weeks, have you wished you were dead?" in page  # ASQ, as published


def test_staff_pages_stay_in_english(client: Any) -> None:
    page = client.get("/auth/login?lang=es", headers=SPANISH).text
    assert '<html lang="en">' in page and "Español" not in page


def test_a_resume_link_goes_on_in_the_language_the_form_was_begun_in(app: Any, client: Any) -> None:
    from intake.extensions import db
    from intake.models import Intake
    from intake.services import drafts

    client.get("/?lang=es")
    location(start(client))
    post(client, "safety", {"asq_1": "no"}, nav="later")
    with app.app_context():
        url = drafts.resume_url(db.session.query(Intake).one())
    other = app.test_client()  # a browser in English
    other.get(url.removeprefix(app.config["BASE_URL"].rstrip("/")))
    page = other.get("/resume", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="es">' in page and "Confirme que es usted" in page
    wrong = other.post("/resume", data={"date_of_birth": "2000-01-01"}).text
    assert "Esa fecha de nacimiento no coincide" in wrong
    assert "Puede intentarlo 4 veces más." in wrong


def test_the_review_page_summaries_and_clinics_are_in_spanish(client: Any, demo: Any) -> None:
    client.get("/?lang=es")
    location(start(client))
    assert "Clínicas en New York" in client.get("/step/preferences").text
    review = client.get("/step/review").text
    assert "Mostrar" in review and "Cambiar" in review
