"""Rules compiled to Python: one function for all sections of rules.toml, built once per load.

The rules stay data; this is only how the engine runs them. Each rule's condition object
(conditions.py) writes itself as a Python expression that means exactly what its `__call__`
does, and the sections become one function with the rules as consecutive `if` statements, so a
decision costs no call per condition and no loop over rule objects. Values from the rules file
reach the code as literals (strings, whole numbers, booleans) or as named constants, never as
text to parse. `sections.interpreted` runs the same condition objects by calling them; tests
check the two agree. `flask rules compiled` prints the generated source.
"""

from __future__ import annotations

import linecache
import re
from collections import Counter
from itertools import count
from typing import Any

from .model import FROM_PREFERENCE, Rule
from .sections import PREFERENCES, RANK, Sections
from .vocabulary import URGENCIES

# Names every section function binds first; expressions read only these and constants.
_PROLOGUE = """\
    g = f.answers.get
    sc = f.scores
    dm = f.domains
    cs = f.concerns
    fl = f.flags
    add = reasons.append"""
_serial = count(1)


class _Emitter:
    """Collects the constants the conditions' expressions name (model.Emit)."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {}

    def const(self, value: object) -> str:
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        if type(value) is tuple and all(v is None or type(v) in (str, int, bool) for v in value):
            return repr(value)
        for name, known in self.names.items():  # one name per constant, however often used
            if known is value:
                return name
        name = f"_k{len(self.names)}"
        self.names[name] = value
        return name

    def cond(self, rule: Rule) -> str:
        return rule.when.source(self)


def _then(e: _Emitter, rule: Rule, *body: str) -> list[str]:
    """The statements run when a rule fires: section-specific `body`, flags, then the reason."""
    lines = [f"        {line}" for line in body]
    if rule.flags:
        lines.append(f"        fl.update({e.const(rule.flags)})")
    lines.append(f"        add({e.const(rule.why)})")
    return lines


_ANSWER = re.compile(r"\bg\(('\w+')\)")


def _hoist_answers(source: str) -> str:
    """Read each answer that several conditions test once, into a local, right after `g`."""
    counts = Counter(_ANSWER.findall(source))
    hoisted = [key for key, n in counts.items() if n > 1]
    if not hoisted:
        return source
    local = {key: f"_a{i}" for i, key in enumerate(hoisted)}
    body = _ANSWER.sub(lambda m: local.get(m.group(1), m.group(0)), source)
    reads = "".join(f"    {name} = g({key})\n" for key, name in local.items())
    first = "    g = f.answers.get\n"
    return body.replace(first, first + reads, 1)


def compiled(
    urgency_rules: tuple[Rule, ...],
    raise_rules: tuple[Rule, ...],
    line_rules: tuple[Rule, ...],
    flag_rules: tuple[Rule, ...],
    modality_rules: tuple[Rule, ...],
    path: str = "rules",
) -> Sections:
    """One generated function for all sections, with the semantics of `sections.interpreted`."""
    e = _Emitter()
    e.names.update(_URGENCIES=URGENCIES, _RANK=RANK)
    last = len(URGENCIES) - 1
    src = ["def apply(f, reasons, later_steps, ruleset):", _PROLOGUE]

    src += [
        "    # [[urgency]]: every rule is tried; the most urgent wins",
        f"    level = {last + 1}",
    ]
    for r in urgency_rules:
        assert r.urgency is not None  # noqa: S101 - the loader guarantees it
        test = e.cond(r)
        if r.fallback:  # "anything else": only when no rule fired before it
            test = f"level == {last + 1} and {test}"
        rank = RANK[r.urgency]
        src += [f"    if {test}:", *_then(e, r, f"if {rank} < level: level = {rank}")]
    src.append(f"    f.urgency = _URGENCIES[level if level < {last} else {last}]")

    src.append("    # [[raise]]: more urgent by `by` levels, never past `max`")
    for r in raise_rules:
        assert r.raise_max is not None  # noqa: S101
        cap, by = RANK[r.raise_max], r.raise_by
        src += [
            f"    if {e.cond(r)}:",
            *_then(
                e,
                r,
                "current = _RANK[f.urgency]",
                f"if current > {cap}:",
                f"    f.urgency = _URGENCIES[current - {by} if current - {by} > {cap} else {cap}]",
            ),
        ]

    src.append("    # [[line]]: the first rule that matches, else the engine's steps 5-7")
    for n, r in enumerate(line_rules):
        keyword = "elif" if n else "if"
        src += [
            f"    {keyword} {e.cond(r)}:",
            *_then(e, r),
            f"        line = {e.const(r.line)}",
        ]
    if line_rules:
        src += ["    else:", "        line = later_steps(ruleset, f, reasons)"]
    else:
        src.append("    line = later_steps(ruleset, f, reasons)")
    src.append("    f.line = line")

    src.append("    # [[flags]]: every rule that matches adds its flags")
    for r in flag_rules:
        src += [f"    if {e.cond(r)}:", *_then(e, r)]

    src.append("    # [[modality]]: the first rule that matches decides")
    for r in modality_rules:
        chosen = r.modality or "either"
        src += [f"    if {e.cond(r)}:", *_then(e, r)]
        if chosen == FROM_PREFERENCE:
            src += [
                "        pref = g('modality_preference')",
                f"        return pref if pref in {e.const(PREFERENCES)} else 'either'",
            ]
        else:
            src.append(f"        return {e.const(chosen)}")
    src.append("    return 'either'")

    source = _hoist_answers("\n".join(src) + "\n")
    filename = f"<rules {path} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__builtins__": {"type": type, "bool": bool}, **e.names}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - see the module docstring
    return Sections(namespace["apply"], source)
