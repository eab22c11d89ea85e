"""What is wrong with an edit, said per field in Chinese for the staff member who made it.

A save that has any problem writes nothing: the editing functions raise ``Rejected`` with every
problem found, so the page can show each one next to the field it is about."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str  # "id", "category", "questions", "answer", "answer_voice", "enabled", "example", "text", ...
    message: str  # Simplified Chinese, for staff, e.g. "问法“白条是什么”已在常见问题 baitiao_intro 中"
    item: str = ""  # the offending phrasing/example when there is one

    def as_dict(self) -> dict:
        return asdict(self)


class Rejected(Exception):
    """A save refused by the checks; nothing was written."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))
