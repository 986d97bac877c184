"""The questionnaire, defined once: pages, their questions, when each is shown, which are required.

Everything else is derived from this definition: the form pages and their branching
(intake/public/pages.py), the answers every submission must carry and the follow-ups that become
required (intake/validation.py: the web steps, the whole-form post and the API), the review page,
and the FHIR Questionnaire's `enableWhen` and `required` (intake/fhir.py).

A question's wording and options come from its instrument (intake/screening) or, for the
practice's own questions, from the tables below; its key and values are contract vocabulary
(intake/triage/vocabulary.py). When a page, block or question is shown is data: a tuple of
conditions `(key, op, value)`, any one of which shows it (none: always shown). The operators
are those FHIR R4 `enableWhen` has, read as FHIR reads them, so the Questionnaire says exactly
what the form does:

- `("k", "=", v)`: the answer to k is v (for a question with several answers, one of them is v);
- `("k", "!=", v)`: the answer to k is not v, which includes no answer yet;
- `("k", ">=", n)`: the answer to k is a whole number n or more (for a choice question, one of
  its options n or more).

Values compare by type as well (True is not 1). Stdlib and the pure core only: validation, the
web form and the FHIR export all import this, so it imports none of them.

Branching choices: PC-PTSD-5 is shown to everyone (trauma is common and the gate question keeps
it short); ASRS for adhd or not_sure; MDQ for everyone reporting low mood (PHQ-9 item 1 or 2 at
1 or more, asked on the page before) or stating bipolar or depression; OCI-4 for ocd or anxiety;
SCOFF with height, weight and S6 for eating; AUDIT-C and the drug question for everyone, DAST-10
when drug_times >= 1; S7 when any drinking or drug use is reported (or the substance concern is
stated); couples/relationships open CSI-4, ECR-RS, partner_willing and PVS; S2-S5 and S8 for
everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from intake.screening import INSTRUMENTS, SAFETY, Item, asq

Answers = Mapping[str, Any]
Op = Literal["=", "!=", ">="]
Condition = tuple[str, Op, object]
When = tuple[Condition, ...]  # any one holds; () = always
ALWAYS: When = ()
Kind = Literal["choice", "choices", "integer", "number", "string", "text"]
Option = tuple[object, str]

# The practice's own questions' options, worded for people (codes: the contract vocabulary).
CONCERN_OPTIONS: tuple[Option, ...] = (
    ("anxiety", "Worry, nerves, panic or fear that gets in the way"),
    ("depression", "Feeling low, down, hopeless or empty"),
    ("trauma", "Something frightening or painful that still affects me"),
    ("relationships", "I pull away when people get close, or fear intimacy"),
    ("couples", "Problems with my partner; we'd like help together"),
    ("adhd", "Trouble focusing, staying organised or sitting still"),
    ("ocd", "Unwanted thoughts, or checking or cleaning I can't stop"),
    ("bipolar", "Big swings in mood or energy"),
    ("eating", "Worries about eating, food or my body"),
    ("substance", "Alcohol or drug use"),
    ("other", "Something else"),
    ("not_sure", "I'm not sure"),
)

MODALITY_OPTIONS: tuple[Option, ...] = (
    ("in_person", "In person, at a clinic"),
    ("virtual", "By video"),
    ("no_preference", "Either is fine"),
)

STATE_OPTIONS: tuple[Option, ...] = (
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
    ("AS", "American Samoa"),
    ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"),
    ("VI", "U.S. Virgin Islands"),
)

SEX_OPTIONS: tuple[Option, ...] = (
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Another sex or gender"),
    ("unspecified", "Prefer not to say"),
)


@dataclass(frozen=True)
class Question:
    """One question: its contract key, wording and options, when it is shown, whether required.

    `kind`: "choice" (one option), "choices" (any number of options), "integer", "number" (in
    `unit`), "string" (one line) or "text" (free text). A required question must be answered
    whenever it is shown (on its page, in the whole-form post and in the API).
    """

    key: str
    text: str
    options: tuple[Option, ...] = ()
    kind: Kind = "choice"
    unit: str | None = None
    loinc: str | None = None
    when: When = ALWAYS
    required: bool = False


def ask(item: Item, when: When = ALWAYS, *, required: bool = False) -> Question:
    """An instrument's item as a question, in the instrument's own words and options."""
    return Question(
        item.key, item.text, item.options, item.kind, item.unit, item.loinc, when, required
    )


@dataclass(frozen=True)
class Block:
    """One instrument (or group of practice questions) as a section of a page."""

    key: str
    title: str
    stem: str
    items: tuple[Question, ...]
    when: When = ALWAYS
    note: str = ""

    def applies(self, answers: Answers) -> bool:
        return shown(self.when, answers)


@dataclass(frozen=True)
class Page:
    """One page: its blocks of questions, or its own `questions` (pages with their own layout),
    and the contact fields it owns. `owns` and `required` are derived: the keys of its questions
    and those of them that are required."""

    name: str
    step: int
    title: str
    blocks: tuple[Block, ...] = ()
    questions: tuple[Question, ...] = ()
    contact: frozenset[str] = frozenset()
    when: When = ALWAYS
    intro: str = ""
    owns: frozenset[str] = field(init=False)
    required: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        every = self.all_questions()
        object.__setattr__(self, "owns", frozenset(q.key for q in every))
        object.__setattr__(self, "required", frozenset(q.key for q in every if q.required))

    def all_questions(self) -> tuple[Question, ...]:
        return (*self.questions, *(q for block in self.blocks for q in block.items))

    def item_keys(self) -> tuple[str, ...]:
        return tuple(q.key for block in self.blocks for q in block.items)

    def applies(self, answers: Answers) -> bool:
        return shown(self.when, answers)


def _block(key: str, when: When = ALWAYS, follow_ups: Mapping[str, When] | None = None) -> Block:
    """An instrument as a block, each item shown as `follow_ups` says (else always)."""
    inst, rules = INSTRUMENTS[key], follow_ups or {}
    return Block(
        key,
        inst.title,
        inst.stem,
        tuple(ask(i, rules.get(i.key, ALWAYS)) for i in inst.items),
        when,
    )


def _safety(*keys: str, **when: When) -> tuple[Question, ...]:
    return tuple(ask(SAFETY.item(k), when.get(k, ALWAYS)) for k in keys)


def _concern(*names: str) -> When:
    return tuple(("concerns", "=", n) for n in names)


_ASQ = INSTRUMENTS["asq"]
# The ASQ answers that make the screen positive (yes, refused), as its scoring reads them.
ASQ_POSITIVE = tuple(v for v, _ in _ASQ.item("asq_1").options if asq.score({"asq_1": v}).positive)
_ASQ_RULES: dict[str, When] = {
    "asq_4_when": (("asq_4", "=", "yes"),),
    "asq_5": tuple((f"asq_{i}", "=", v) for i in range(1, 5) for v in ASQ_POSITIVE),
}
# Practice follow-up: any drinking, any drug use, or the substance concern.
DRINKS_OR_USES: When = (("auditc_1", ">=", 1), ("drug_times", ">=", 1), *_concern("substance"))
PARTNER_WILLING = Question(
    "partner_willing",
    "Would your partner be willing to join some sessions with you?",
    (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")),
)
HEIGHT = ask(INSTRUMENTS["scoff"].item("height_cm"))
WEIGHT = ask(INSTRUMENTS["scoff"].item("weight_kg"))
SCOFF_ITEMS = tuple(ask(i) for i in INSTRUMENTS["scoff"].items if i.kind == "choice")
_SCOFF = INSTRUMENTS["scoff"]

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
    Page(
        "about",
        1,
        "About you",
        questions=(
            Question(
                "state", "The state you will be in during visits", STATE_OPTIONS, required=True
            ),
            Question("sex", "Sex", SEX_OPTIONS),
        ),
        contact=ABOUT_CONTACT,
    ),
    Page(
        "safety",
        2,
        "Safety first",
        blocks=(
            Block(
                "asq",
                "Some questions we ask everyone",
                "We ask everyone these questions, whatever brings them here.",
                tuple(ask(i, _ASQ_RULES.get(i.key, ALWAYS), required=True) for i in _ASQ.items),
            ),
            Block("safe_now", "Right now", "", (ask(SAFETY.item("safe_now"), required=True),)),
        ),
    ),
    Page(
        "concerns",
        3,
        "What brings you here",
        questions=(
            Question("concerns", "What would you like help with?", CONCERN_OPTIONS, "choices"),
            Question("free_text", "In your own words", kind="text"),
        ),
    ),
    Page(
        "mood",
        4,
        "Questionnaires: mood and worry",
        blocks=(
            Block(
                "phq9",
                INSTRUMENTS["phq9"].title,
                INSTRUMENTS["phq9"].stem,
                tuple(ask(i, required=i.key == "phq9_9") for i in INSTRUMENTS["phq9"].items),
            ),
            _block("gad7"),
        ),
    ),
    Page(
        "experiences",
        4,
        "Questionnaires: experiences and habits of mind",
        blocks=(
            _block(
                "pcptsd5",
                follow_ups={
                    f"pcptsd5_{i}": (("pcptsd5_exposure", "=", "yes"),) for i in range(1, 6)
                },
            ),
            _block("asrs", _concern("adhd", "not_sure")),
            _block(
                "mdq",
                (*_concern("bipolar", "depression"), ("phq9_1", ">=", 1), ("phq9_2", ">=", 1)),
            ),
            _block("oci4", _concern("ocd", "anxiety")),
            Block("scoff", _SCOFF.title, _SCOFF.stem, SCOFF_ITEMS, _concern("eating")),
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
        when=_concern("couples", "relationships"),
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
            _block(
                "auditc", follow_ups={k: (("auditc_1", "!=", 0),) for k in ("auditc_2", "auditc_3")}
            ),
            _block(
                "dast", follow_ups={f"dast_{i}": (("drug_times", ">=", 1),) for i in range(1, 11)}
            ),
            Block(
                "withdrawal",
                "Stopping or cutting down",
                "",
                _safety("withdrawal_risk", withdrawal_risk=DRINKS_OR_USES),
            ),
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
                    harm_others_intent=(("harm_others", "=", "yes"),),
                ),
            ),
        ),
    ),
    Page(
        "preferences",
        5,
        "How you'd like to meet",
        questions=(
            Question("modality_preference", "How would you like to meet?", MODALITY_OPTIONS),
            Question("location", "Which clinic, for in-person visits", kind="string"),
        ),
        contact=frozenset({"availability", "insurance"}),
    ),
    Page("review", 6, "Check and send"),
)
BY_NAME: dict[str, Page] = {p.name: p for p in PAGES}
QUESTIONS: dict[str, Question] = {q.key: q for p in PAGES for q in p.all_questions()}
# Questions answered with any number of options: a condition on them holds when one does.
_SEVERAL = frozenset(k for k, q in QUESTIONS.items() if q.kind == "choices")


def _answered(key: str, answers: Answers) -> Iterable[object]:
    value = answers.get(key)
    if key in _SEVERAL:  # a list of options; anything else answers nothing
        return value if isinstance(value, list) else ()
    return () if value is None else (value,)


def holds(condition: Condition, answers: Answers) -> bool:
    """One condition, read as FHIR R4 reads its `enableWhen` (see the module docstring)."""
    key, op, want = condition
    given = _answered(key, answers)
    if op == ">=":
        return any(type(v) is int and type(want) is int and v >= want for v in given)
    equal = any(type(v) is type(want) and v == want for v in given)
    return equal if op == "=" else not equal


def shown(when: When, answers: Answers) -> bool:
    """Whether something with these conditions is shown: any one holds, or there are none."""
    return not when or any(holds(c, answers) for c in when)


def shown_blocks(page: Page, answers: Answers) -> list[tuple[Block, list[Question]]]:
    """The blocks the page shows for these answers, each with its shown questions (whether the
    page itself is shown is `Page.applies`)."""
    out: list[tuple[Block, list[Question]]] = []
    for block in page.blocks:
        if block.applies(answers):
            items = [q for q in block.items if shown(q.when, answers)]
            if items:
                out.append((block, items))
    return out


def shown_questions(page: Page, answers: Answers) -> list[Question]:
    """Every question the page shows for these answers (none when the page is not shown)."""
    if not page.applies(answers):
        return []
    own = [q for q in page.questions if shown(q.when, answers)]
    return own + [q for _, items in shown_blocks(page, answers) for q in items]


def pages_for(answers: Answers) -> list[Page]:
    return [p for p in PAGES if p.applies(answers)]


def asked(answers: Answers) -> dict[str, Question]:
    """Every question the form asks for these answers, by key, in the form's order."""
    return {q.key: q for page in PAGES for q in shown_questions(page, answers)}


def missing_required(answers: Answers) -> list[str]:
    """The required questions these answers show but leave unanswered (None is unanswered)."""
    return [k for k, q in asked(answers).items() if q.required and answers.get(k) is None]


def chain(key: str) -> tuple[When, ...]:
    """Every condition set that must hold for the question `key` to be shown: its page's, its
    block's and its own (each non-empty one)."""
    for page in PAGES:
        if key in (q.key for q in page.questions):
            return tuple(w for w in (page.when, QUESTIONS[key].when) if w)
        for block in page.blocks:
            if key in (q.key for q in block.items):
                return tuple(w for w in (page.when, block.when, QUESTIONS[key].when) if w)
    raise KeyError(key)


# Required questions that are always shown, so every submission must answer them; and those
# shown only for some answers (follow-ups), required whenever they are shown.
REQUIRED_ALWAYS: tuple[str, ...] = tuple(
    k for k, q in QUESTIONS.items() if q.required and not chain(k)
)
REQUIRED_WHEN_SHOWN: tuple[str, ...] = tuple(
    k for k, q in QUESTIONS.items() if q.required and chain(k)
)


def is_shown(key: str, answers: Answers) -> bool:
    """Whether the form shows the question `key` for these answers."""
    return all(shown(w, answers) for w in chain(key))
