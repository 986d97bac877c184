"""The intake API's request and response bodies as typed models (pydantic v2).

The OpenAPI document (`intake.api.openapi`) is generated from these models, and the 422 field
list of a request body comes from validating it against them, so the document cannot drift from
what the API accepts. Two things stay where they already have one home:

- the answers object is described by the contract vocabulary (`intake.triage.VOCABULARY`),
  not by a field per answer: `Answers` takes its JSON schema from it, and its values are checked
  by `intake.validation.clean_answers`, as for the web form;
- the contact rules that depend on meaning (a date of birth in the past, an email address that
  parses, email chosen without an address) and their wording, shared with the web form, are
  `intake.validation.clean_contact`'s. The models accept everything it accepts and check the
  shape (types, lengths, lists of choices); when a body does not fit, its field errors are the
  models' in the wording of `validation.py` where both name the same field.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    RootModel,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema
from typing_extensions import TypedDict

from intake import questionnaire
from intake.triage import STATES, VOCABULARY
from intake.triage.vocabulary import Spec
from intake.validation import (
    CONSENT_AT_MAX,
    EMAIL_MAX,
    MEMBER_ID_MAX,
    NAME_MAX,
    PHONE_MAX,
    PHONE_PATTERN,
    REQUIRED_ANSWERS,
    REQUIRED_FOLLOW_UPS,
    AvailabilitySlot,
    FieldError,
    PreferredContact,
    age_on,
    clean_answers,
    clean_contact,
)

IDEMPOTENCY_KEY_MAX = 100
IDEMPOTENCY_KEY_PATTERN = r"^[ -~]+$"  # printable ASCII, as a header value travels
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IDEMPOTENCY_KEY_MESSAGE = f"Use a printable key of at most {IDEMPOTENCY_KEY_MAX} characters."
CONSENT_MESSAGE = "Consent to be contacted and to the privacy notice is required."
LANGUAGE_MESSAGE = "language must be 'en' or 'es'."
_PHONE = re.compile(PHONE_PATTERN)


def _fits(limit: int, pattern: bool = False) -> Any:
    """Text checked as `validation.clean_text` does: stripped first (blank means absent)."""

    def check(value: str) -> str:
        stripped = value.strip()
        if len(stripped) > limit:
            raise PydanticCustomError("too_long", "At most {limit} characters.", {"limit": limit})
        if pattern and stripped and not _PHONE.match(stripped):
            raise PydanticCustomError("phone", "A phone number with digits.")
        return value

    return AfterValidator(check)


def _text_schema(limit: int, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "maxLength": limit, **extra})


def _iso_date(value: str) -> str:
    date.fromisoformat(value)  # ValueError: not a date
    return value


def _falsy_is_absent(value: Any) -> Any:
    return value or None  # as `raw.get("preferred_contact") or "phone"`


def _ignored_unless_valid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        if any(e["type"] == "extra_forbidden" for e in exc.errors()):
            raise  # a field the document does not name is named, as everywhere
        return None  # kept only when it is a usable record (validation.clean_extras)


# One line of printable text, as `validation.clean_text` takes a name (control characters
# other than tab and CR refused); a required one has something in it besides spaces.
_LINE = r"[^\u0000-\u0008\u000a-\u000c\u000e-\u001f\u007f-\u009f]*"
LINE = rf"^{_LINE}$"
REQUIRED_LINE = rf"^{_LINE}[^\s\u0000-\u001f\u007f-\u009f]{_LINE}$"
# `validation.PHONE_PATTERN` is checked on the stripped text; as sent, spaces may surround it.
PHONE_AS_SENT = r"^\s*(?:\+[0-9 ()./-]{6,24}|[0-9()./-][0-9 ()./-]{5,23})[0-9()./-]\s*$"
# Free text (several lines): no control characters but tab, CR and newline.
TEXT = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
Name = Annotated[str, _fits(NAME_MAX), _text_schema(NAME_MAX, pattern=LINE)]
RequiredName = Annotated[
    str, _fits(NAME_MAX), _text_schema(NAME_MAX, minLength=1, pattern=REQUIRED_LINE)
]
Phone = Annotated[
    str, _fits(PHONE_MAX, pattern=True), _text_schema(PHONE_MAX, pattern=PHONE_AS_SENT)
]
Email = Annotated[str, _fits(EMAIL_MAX), _text_schema(EMAIL_MAX, format="email")]
MemberId = Annotated[str, _fits(MEMBER_ID_MAX), _text_schema(MEMBER_ID_MAX, pattern=LINE)]
IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]


class _Body(BaseModel):
    """A field the document does not name is refused, naming it (a misspelt key would
    otherwise be dropped without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EmergencyContact(_Body):
    name: Name | None = None
    phone: Phone | None = None


class Insurance(_Body):
    carrier: Name | None = None
    member_id: MemberId | None = None


class ContactConsent(_Body):
    """The web form's record of consent, kept with the contact when sent; the API's consent is
    the body's `consent`. Anything else than such an object is ignored."""

    contact: bool | None = None
    privacy: bool | None = None
    at: Annotated[str, WithJsonSchema({"type": "string", "maxLength": CONSENT_AT_MAX})] | None = (
        Field(default=None, description="When consent was given (ISO 8601)")
    )


class Contact(_Body):
    """Who to contact: the fields `validation.clean_contact` keeps. Email as the preferred
    way to be reached needs an address (the if/then of the schema)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "if": {
                "required": ["preferred_contact"],
                "properties": {"preferred_contact": {"const": "email"}},
            },
            "then": {"required": ["email"], "properties": {"email": {"type": "string"}}},
        },
    )

    first_name: RequiredName
    last_name: RequiredName
    date_of_birth: IsoDate
    phone: Phone
    email: Email | None = None
    preferred_contact: Annotated[PreferredContact | None, BeforeValidator(_falsy_is_absent)] = (
        "phone"
    )
    emergency_contact: EmergencyContact | None = None
    availability: list[AvailabilitySlot] | None = None
    insurance: Insurance | None = None
    consent: Annotated[ContactConsent | None, WrapValidator(_ignored_unless_valid)] = None


def _answer_schema(spec: Spec) -> dict[str, Any]:
    if spec.kind == "choice":
        kinds = sorted({"integer" if type(v) is int else "string" for v in spec.values})
        return {"type": kinds[0] if len(kinds) == 1 else kinds, "enum": list(spec.values)}
    if spec.kind in ("int", "number"):
        return {
            "type": "integer" if spec.kind == "int" else "number",
            "minimum": spec.low,
            "maximum": spec.high,
        }
    if spec.kind == "text":
        return {"type": "string", "maxLength": int(spec.high or 0), "pattern": TEXT}
    if spec.kind == "state":
        return {"type": "string", "enum": sorted(STATES), "description": "US state code"}
    return {
        "type": "array",
        "items": {"type": "string", "enum": list(spec.values)},
        "uniqueItems": True,
    }


def _holds_schema(condition: questionnaire.Condition) -> dict[str, Any]:
    """One show condition as JSON Schema, read as `questionnaire.holds` reads it."""
    key, op, want = condition
    if _answer_schema(VOCABULARY[key])["type"] == "array":  # a list of options
        value: dict[str, Any] = {"type": "array", "contains": {"const": want}}
    elif op == ">=":
        value = {"type": "integer", "minimum": want}
    else:
        value = {"const": want}
    answered = {"required": [key], "properties": {key: value}}
    return {"not": answered} if op == "!=" else answered


def _follow_up_schema(key: str) -> dict[str, Any]:
    """`key` is required whenever the answers show it (every condition set of its chain)."""
    shown = [{"anyOf": [_holds_schema(c) for c in when]} for when in questionnaire.chain(key)]
    return {"if": {"allOf": shown}, "then": {"required": [key]}}


def answers_schema() -> dict[str, Any]:
    """The answers object's JSON schema, from the contract vocabulary (`age` is derived), with
    the follow-ups that are required once other answers show them as if/then."""
    return {
        "type": "object",
        "description": (
            f"Contract answer keys. Required at submission: "
            f"{', '.join(REQUIRED_ANSWERS)}; and each of "
            f"{', '.join(sorted(REQUIRED_FOLLOW_UPS))} when the answers show it (the if/then "
            "entries: asq_5 when any of asq_1..4 is yes/refused; asq_4_when when asq_4 is "
            "yes). `age` is derived from date_of_birth."
        ),
        "required": list(REQUIRED_ANSWERS),
        "properties": {
            key: _answer_schema(spec) for key, spec in sorted(VOCABULARY.items()) if key != "age"
        },
        "allOf": [_follow_up_schema(key) for key in sorted(REQUIRED_FOLLOW_UPS)],
        "additionalProperties": False,
    }


class Answers(RootModel[dict[str, Any]]):
    """Answers in the contract vocabulary; their values are checked by `clean_answers`."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**answers_schema(), "title": "Answers"}


def _exactly_true(value: Any) -> Any:
    if value is not True:  # Literal[True] alone would take 1 or 1.0
        raise PydanticCustomError("true", "Must be true.")
    return value


class Consent(_Body):
    """Both must be JSON true."""

    contact: Annotated[Literal[True], BeforeValidator(_exactly_true)]
    privacy: Annotated[Literal[True], BeforeValidator(_exactly_true)]


class IntakeRequest(_Body):
    """POST /intakes."""

    contact: Contact
    answers: Answers
    consent: Consent
    language: Literal["en", "es"] = "en"


# Any failure under these fields is one error on the field itself, in these words (but for a
# field the document does not name, which is named).
WORDED = {"consent": CONSENT_MESSAGE, "language": LANGUAGE_MESSAGE}


class IntakeCreated(BaseModel):
    """201 (a new intake) and 200 (a repeated Idempotency-Key with the same body)."""

    reference: str = Field(examples=["WF-ABCD-2345"])
    urgency_message: str
    crisis_help_shown: bool


class FieldProblem(TypedDict):
    """One field that needs attention, named by its dotted path (`answers.phq9_3`)."""

    field: str
    message: str


class Problem(TypedDict):
    """RFC 9457 problem details (application/problem+json), as `intake.errors.problem` writes
    them: `errors` lists the fields of a 422, `incident` the code of a server error."""

    type: str
    title: str
    status: int
    detail: str
    errors: NotRequired[list[FieldProblem]]
    incident: NotRequired[str]


UNKNOWN_FIELD = "This field is not part of the intake document (see /api/v1/openapi.json)."


def _dotted(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _field_error(error: Any) -> FieldError:
    if error["type"] == "extra_forbidden":
        return FieldError(_dotted(error["loc"]), UNKNOWN_FIELD)
    if error["loc"] and error["loc"][0] in WORDED:
        return FieldError(str(error["loc"][0]), WORDED[str(error["loc"][0])])
    return FieldError(_dotted(error["loc"]), error["msg"])


def covers(field: str, other: str) -> bool:
    """`field` names `other` or an object or list that holds it."""
    return other == field or other.startswith((field + ".", field + "["))


def request_errors(payload: dict[str, Any], today: date | None = None) -> list[FieldError]:
    """The field errors of a request body, or [] when it fits `IntakeRequest`.

    When it does not fit, the contact and answers are also checked as the service will check
    them, so one response lists everything to fix; where both name a field, the wording is that
    of `validation.py` (which the web form shows too).
    """
    try:
        IntakeRequest.model_validate(payload)
    except ValidationError as exc:
        found = list(dict.fromkeys(_field_error(e) for e in exc.errors()))
    else:
        return []
    today = today or datetime.now(UTC).date()
    contact, errors = clean_contact(payload.get("contact"), today)
    born = contact.get("date_of_birth")
    age = age_on(date.fromisoformat(born), today) if born else None
    errors += clean_answers(payload.get("answers"), age)[1]
    return errors + [e for e in found if not any(covers(c.field, e.field) for c in errors)]


def idempotency_key_errors(key: str | None) -> list[FieldError]:
    """The Idempotency-Key header, when sent: 1 to IDEMPOTENCY_KEY_MAX printable characters."""
    if key is None or (len(key) <= IDEMPOTENCY_KEY_MAX and _IDEMPOTENCY_KEY.match(key)):
        return []
    return [FieldError("Idempotency-Key", IDEMPOTENCY_KEY_MESSAGE)]
