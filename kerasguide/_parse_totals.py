"""The totals under a printed summary's table, read and checked against its rows: private
to :mod:`kerasguide.parse`.

Keras prints ``Total params``, ``Trainable params`` and ``Non-trainable params``
(Keras 3 adds ``Optimizer params`` once a model has been trained, and counts them
in the total). A parsed summary is never silently wrong: the total must be the sum
of the table's top-level rows (a nested model's row holds its layers; rows of an
expanded nested model are not counted again) and, where both are printed, the
trainable plus the non-trainable parameters. A text that says otherwise was cut or
edited, and :class:`~kerasguide.errors.SummaryParseError` quotes the two numbers.
"""

from __future__ import annotations

import re

from kerasguide import _parse_forms as _forms
from kerasguide._parse_cells import Text
from kerasguide._rows import Row
from kerasguide.errors import SummaryParseError
from kerasguide.summary import Summary

__all__ = ["TOTAL", "is_rule", "read_totals"]

TOTAL = re.compile(
    r"^\s*(?:[-*•]\s+)?(Total|Trainable|Non-trainable|Optimizer) ([Pp]arams|variables)\s*:"
    r"\s*([\d,]+)"
    r"\s*(?:\(([\d.]+) (B|Bytes?|KB|MB|GB|TB|PB)\))?.*$"
)
_UNITS = {"KB": 1, "MB": 2, "GB": 3, "TB": 4, "PB": 5}
_FIX = "the summary may have been cut or edited: paste it whole, as Keras printed it"


def is_rule(line: str, chars: str) -> bool:
    """A line of only ``chars`` (a table's rule), ``|`` borders of nested tables aside."""
    core = line.strip().strip("|")
    return bool(core) and set(core) <= set(chars)


def _totals_follow(text: Text) -> bool:
    """After a table without a Keras 2 ``=`` rule: do totals follow its blank lines?"""
    if text.line().strip():
        return False
    after = next((line for line in text.lines[text.at :] if line.strip()), "")
    return TOTAL.match(after) is not None


def _complete(found: dict[str, tuple[int, int]], ruled: bool) -> bool:
    """Totals that Keras has finished printing: up to Non-trainable, or closed by a rule."""
    return "Total" in found and ("Non-trainable" in found or ruled)


def _read(text: Text) -> tuple[dict[str, tuple[int, int]], dict[str, int], bool]:
    """Each printed total as ``kind: (count, line index)``, the memory of each, and
    whether the optimizer's count is printed apart (kerasguide's own footer)."""
    found: dict[str, tuple[int, int]] = {}
    memory: dict[str, int] = {}
    apart, ruled = False, False
    while text.at < len(text.lines):
        line = text.line()
        match = TOTAL.match(line)
        if match is not None:
            kind, noun, count, size, unit = match.groups()
            found[kind] = (int(count.replace(",", "")), text.at)
            apart |= kind == "Optimizer" and noun == "variables"
            if size:
                memory[kind] = round(float(size) * 1024 ** _UNITS.get(unit, 0))
        elif _forms.ends_totals(line):
            if found or not _totals_follow(text):
                break
        elif is_rule(line, "_=") or line.strip() == "None":
            ruled |= bool(found)
        elif _complete(found, ruled):
            break  # a log line or prose right after the totals
        else:
            raise text.error(
                "this line is not part of a summary's totals",
                text.at,
                expected="'Total params: N', 'Trainable params: N' or 'Non-trainable params: N'",
            )
        text.at += 1
    return found, memory, apart


def read_totals(text: Text, name: str, rows: list[Row], *, closed: bool) -> Summary:
    """The summary of ``rows`` with the totals printed under them, checked against them.

    ``closed``: the table was read to its end (a Keras 3 bottom border, a Keras 1 or 2
    closing ``=`` rule), so that without totals its rows are summed; otherwise the
    text may have been cut, and a missing ``Total params`` line is an error.
    """
    found, memory, apart = _read(text)
    if "Total" not in found and not closed:
        last = max((i for i, line in enumerate(text.lines) if line.strip()), default=0)
        raise text.error(
            "the summary has no 'Total params:' line",
            last,
            expected="'Total params: N' after the table",
        )
    counted = sum(row.params for row in rows if not row.depth)
    printed = {kind: count for kind, (count, _) in found.items()}
    optimizer = printed.get("Optimizer", 0)
    total = printed["Total"] - (0 if apart else optimizer) if "Total" in found else counted
    trainable, non_trainable = printed.get("Trainable"), printed.get("Non-trainable")
    _check(text, rows, found, total)
    size = memory.get("Trainable", 0) + memory.get("Non-trainable", 0) or memory.get("Total")
    return Summary(name, tuple(rows), total, trainable, non_trainable, optimizer, size)


def _check(text: Text, rows: list[Row], found: dict[str, tuple[int, int]], total: int) -> None:
    """Raise when the total contradicts the rows, or the trainable and non-trainable counts."""
    top = sum(1 for row in rows if not row.depth)
    counted = sum(row.params for row in rows if not row.depth)
    which = f"{top} top-level rows" if top < len(rows) else f"{top} rows"
    extra = found["Total"][0] - total if "Total" in found else 0  # Keras 3's optimizer params
    plus = f" plus {extra:,} optimizer params" if extra else ""
    if counted != total:
        more = "more" if counted > total else "fewer"
        raise _error(
            text,
            f"the total contradicts the table: its {which} add up to {counted:,} parameters, "
            f"{abs(counted - total):,} {more} than the total says",
            found["Total"][1],
            expected=f"'Total params: {counted + extra:,}', the sum of the {which}{plus}",
            hint=f"{_FIX} (if you changed a layer's count, change the totals to match). "
            "Layers that share a weight count it in each row but once in the total: "
            "then compare with the model itself, kg.summarize(model)",
        )
    if "Trainable" in found and "Non-trainable" in found:
        trainable, non_trainable = found["Trainable"][0], found["Non-trainable"][0]
        if trainable + non_trainable != total:
            raise _error(
                text,
                f"the totals contradict each other: trainable {trainable:,} plus non-trainable "
                f"{non_trainable:,} is {trainable + non_trainable:,}, not {total:,}",
                found["Trainable"][1],
                expected=f"trainable and non-trainable counts that add up to {total:,}, the "
                f"sum of the {which}",
                hint=f"{_FIX} (a trained Keras 3 model also prints an 'Optimizer params' "
                "line, which its total includes)",
            )


def _error(text: Text, problem: str, index: int, *, expected: str, hint: str) -> Exception:
    line = text.line(index).strip()
    return SummaryParseError(
        problem,
        where=f"line {index + text.offset + 1}",
        expected=expected,
        received=repr(line),
        hint=hint,
    )
