"""The questionnaire's pages: which instrument blocks each shows, to whom, and what is required.

Six steps; step 4 (questionnaires) has several parts. A page owns answer keys (`owns`: the keys
of its items, or those listed for a page without blocks) and contact fields (`contact`): saving a
page replaces exactly those in the draft. A page requires the answers among those it owns that
`intake.validation` requires. Which blocks a page shows depends on the saved answers (the
concerns of step 3, the drug question, ...); an item's own `asked_if` hides a follow-up until the
answer it depends on is saved, and the page is then shown again with the follow-up added (no
script needed).

Branching choices: PC-PTSD-5 is shown to everyone (trauma is common and the gate question keeps
it short); ASRS for adhd or not_sure; MDQ for everyone reporting low mood (PHQ-9 item 1 or 2 at
1 or more, asked on the page before) or stating bipolar or depression; OCI-4 for ocd or anxiety;
SCOFF with height, weight and S6 for eating; AUDIT-C and the drug question for everyone, DAST-10
when drug_times >= 1; S7 when any drinking or drug use is reported (or the substance concern is
stated); couples/relationships open CSI-4, ECR-RS, partner_willing and PVS; S2-S5 and S8 for
everyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from intake.screening import INSTRUMENTS, SAFETY, Item
from intake.validation import REQUIRED_ANSWERS, REQUIRED_FOLLOW_UPS

Answers = Mapping[str, Any]
Condition = Callable[[Answers], bool]


def _always(_: Answers) -> bool:
    return True


def _concern(*names: str) -> Condition:
    def has(answers: Answers) -> bool:
        concerns = answers.get("concerns")
        return isinstance(concerns, list) and any(n in concerns for n in names)

    return has


def _low_mood_or(*names: str) -> Condition:
    """PHQ-9 item 1 or 2 (interest, mood) at 1 or more, or one of these concerns stated."""
    stated = _concern(*names)

    def has(answers: Answers) -> bool:
        for key in ("phq9_1", "phq9_2"):
            value = answers.get(key)
            if type(value) is int and value >= 1:
                return True
        return stated(answers)

    return has


def _drinks_or_uses(answers: Answers) -> bool:
    drinks = answers.get("auditc_1")
    times = answers.get("drug_times")
    return (
        (type(drinks) is int and drinks >= 1)
        or (type(times) is int and times >= 1)
        or _concern("substance")(answers)
    )


@dataclass(frozen=True)
class Block:
    """One instrument (or group of practice items) as a section of a page."""

    key: str
    title: str
    stem: str
    items: tuple[Item, ...]
    applies: Condition = _always
    note: str = ""


@dataclass(frozen=True)
class Page:
    """One page. `owns` lists the answer keys of a page without blocks (a questionnaire page owns
    the keys of its items); `contact` the contact fields it owns. `required` is derived."""

    name: str
    step: int
    title: str
    blocks: tuple[Block, ...] = ()
    owns: frozenset[str] = frozenset()
    contact: frozenset[str] = frozenset()
    applies: Condition = _always
    intro: str = ""
    required: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        owns = self.owns | frozenset(self.item_keys())
        required = frozenset(k for k in owns if k in REQUIRED_ANSWERS or k in REQUIRED_FOLLOW_UPS)
        object.__setattr__(self, "owns", owns)
        object.__setattr__(self, "required", required)

    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for block in self.blocks for item in block.items)


def _block(key: str, *, applies: Condition = _always, note: str = "") -> Block:
    inst = INSTRUMENTS[key]
    return Block(key, inst.title, inst.stem, inst.items, applies, note)


def _safety(*keys: str) -> tuple[Item, ...]:
    return tuple(SAFETY.item(k) for k in keys)


PARTNER_WILLING = Item(
    "partner_willing",
    "Would your partner be willing to join some sessions with you?",
    (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")),
)
WITHDRAWAL = replace(
    SAFETY.item("withdrawal_risk"),
    asked_if=_drinks_or_uses,
    asked_if_text="any drinking, any drug use, or the substance concern",
)
HEIGHT, WEIGHT = INSTRUMENTS["scoff"].item("height_cm"), INSTRUMENTS["scoff"].item("weight_kg")
SCOFF_ITEMS = tuple(i for i in INSTRUMENTS["scoff"].items if i.kind == "choice")
_ASQ = INSTRUMENTS["asq"]

ABOUT_CONTACT = frozenset(
    {
        "first_name",
        "last_name",
        "date_of_birth",
        "email",
        "phone",
        "preferred_contact",
        "emergency_contact",
    }
)

PAGES: tuple[Page, ...] = (
    Page("about", 1, "About you", owns=frozenset({"state", "sex"}), contact=ABOUT_CONTACT),
    Page(
        "safety",
        2,
        "Safety first",
        blocks=(
            Block(
                "asq",
                "Some questions we ask everyone",
                "We ask everyone these questions, whatever brings them here.",
                _ASQ.items,
            ),
            Block("safe_now", "Right now", "", _safety("safe_now")),
        ),
    ),
    Page("concerns", 3, "What brings you here", owns=frozenset({"concerns", "free_text"})),
    Page(
        "mood",
        4,
        "Questionnaires: mood and worry",
        blocks=(_block("phq9"), _block("gad7")),
    ),
    Page(
        "experiences",
        4,
        "Questionnaires: experiences and habits of mind",
        blocks=(
            _block("pcptsd5"),
            _block("asrs", applies=_concern("adhd", "not_sure")),
            _block("mdq", applies=_low_mood_or("bipolar", "depression")),
            _block("oci4", applies=_concern("ocd", "anxiety")),
            Block(
                "scoff",
                INSTRUMENTS["scoff"].title,
                INSTRUMENTS["scoff"].stem,
                SCOFF_ITEMS,
                _concern("eating"),
            ),
            Block(
                "body",
                "Height, weight and your health today",
                "Height and weight help a clinician understand your health. Skip them if you "
                "prefer.",
                (HEIGHT, WEIGHT, *_safety("ed_red_flags_today", "ed_red_flags_month")),
                _concern("eating"),
            ),
        ),
    ),
    Page(
        "relationship",
        4,
        "Questionnaires: your relationship",
        applies=_concern("couples", "relationships"),
        intro="If you don't have a partner right now, you can skip the questions about a partner.",
        blocks=(
            _block("csi4"),
            _block("ecrrs"),
            Block("partner", "Working together", "", (PARTNER_WILLING,)),
            _block("pvs"),
        ),
    ),
    Page(
        "habits",
        4,
        "Questionnaires: alcohol and drugs",
        blocks=(
            _block("auditc"),
            _block("dast"),
            Block("withdrawal", "Stopping or cutting down", "", (WITHDRAWAL,)),
        ),
    ),
    Page(
        "health",
        4,
        "Questionnaires: your safety and health right now",
        blocks=(
            Block(
                "safety",
                SAFETY.title,
                SAFETY.stem,
                _safety(
                    "harm_others",
                    "harm_others_intent",
                    "self_injury",
                    "mania_now",
                    "psychosis",
                    "perinatal",
                ),
            ),
        ),
    ),
    Page(
        "preferences",
        5,
        "How you'd like to meet",
        owns=frozenset({"modality_preference", "location"}),
        contact=frozenset({"availability", "insurance"}),
    ),
    Page("review", 6, "Check and send"),
)
BY_NAME: dict[str, Page] = {p.name: p for p in PAGES}
STEPS = 6
STEP_NAMES = {
    1: "About you",
    2: "Safety first",
    3: "What brings you here",
    4: "Questionnaires",
    5: "Preferences",
    6: "Check and send",
}


def visible(item: Item, answers: Answers) -> bool:
    return item.asked_if is None or bool(item.asked_if(answers))


def shown_blocks(page: Page, answers: Answers) -> list[tuple[Block, list[Item]]]:
    """The blocks the page shows for these answers, each with its visible items."""
    out = []
    for block in page.blocks:
        if block.applies(answers):
            items = [i for i in block.items if visible(i, answers)]
            if items:
                out.append((block, items))
    return out


def shown_keys(page: Page, answers: Answers) -> set[str]:
    return {i.key for _, items in shown_blocks(page, answers) for i in items}


def page_of(field_name: str, answers: Answers) -> Page:
    """The page that asks for a field ("answers.phq9_9", "contact.insurance.carrier"); About you
    when no page owns it (the whole-form errors "contact" and "answers")."""
    kind, _, rest = field_name.partition(".")
    key = rest.split(".", 1)[0]
    for page in pages_for(answers):
        if key in (page.owns if kind == "answers" else page.contact):
            return page
    return PAGES[0]


def pages_for(answers: Answers) -> list[Page]:
    return [p for p in PAGES if p.applies(answers)]


def neighbour(name: str, answers: Answers, offset: int) -> Page | None:
    """The applicable page before (-1) or after (+1) `name`."""
    names = [p.name for p in pages_for(answers)]
    if name not in names:
        names = [p.name for p in PAGES]
    i = names.index(name) + offset
    return BY_NAME[names[i]] if 0 <= i < len(names) else None


def progress(page: Page, answers: Answers) -> dict[str, Any]:
    """'Step 4 of 6', and 'part 2 of 4' within step 4."""
    parts = [p.name for p in pages_for(answers) if p.step == page.step]
    part = parts.index(page.name) + 1 if page.name in parts else 1
    return {
        "step": page.step,
        "steps": STEPS,
        "step_name": STEP_NAMES[page.step],
        "part": part,
        "parts": len(parts),
    }
