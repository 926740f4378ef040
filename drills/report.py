"""A drill's outcome: its figures and broken expectations, printed as one summary line.

A drill never raises to say an expectation failed: it notes it with ``Outcome.expect`` and goes
on (so the line shows every figure); an exception means the drill itself could not run.
"""

from dataclasses import dataclass, field


@dataclass
class Outcome:
    name: str
    figures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def figure(self, text: str) -> None:
        self.figures.append(text)

    def expect(self, holds: bool, failure: str) -> None:
        if not holds:
            self.failures.append(failure)

    @property
    def ok(self) -> bool:
        return not self.failures

    def line(self) -> str:
        verdict = "ok" if self.ok else "FAILED (" + "; ".join(self.failures) + ")"
        return f"drill {self.name}: {', '.join(self.figures)}: {verdict}"
