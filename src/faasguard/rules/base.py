"""The rule contract: one small class per rule, with its metadata and docs, reading the enriched model.

A rule subclasses `Rule`, sets the class attributes below, writes its documentation as the class docstring in
the catalog format (sections *What it does*, *Why is this bad?*, *Example*, *Fix*; a test checks them), and
implements `check`. It never reads files or the network: everything it needs is in `RuleContext`.
Decorate it with `@register` so `faasguard.rules.all_rules()` finds it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import field
from typing import Any, ClassVar

from faasguard._record import record
from faasguard.config import Config
from faasguard.facts import Facts
from faasguard.findings import Confidence, EvidenceStep, Finding, RuleMeta, RuleStatus, Severity, fingerprint
from faasguard.model import Application, Location


@record(slots=False)
class RuleContext:
    app: Application
    config: Config
    facts: Facts = field(default_factory=Facts)


_REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence] = Confidence.HIGH
    cwe: ClassVar[str | None] = None
    owasp: ClassVar[str | None] = None
    checklist: ClassVar[str | None] = None
    status: ClassVar[RuleStatus] = RuleStatus.STABLE

    @classmethod
    def meta(cls) -> RuleMeta:
        return RuleMeta(id=cls.id, name=cls.name, summary=cls.summary, severity=cls.severity,
                        confidence=cls.confidence, cwe=cls.cwe, owasp=cls.owasp, checklist=cls.checklist,
                        status=cls.status, docs=inspect.cleandoc(cls.__doc__ or ""))

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        message: str,
        location: Location,
        resource: str,
        *,
        function: str | tuple[str, ...] | list[str] | None = None,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        evidence: tuple[EvidenceStep, ...] | list[EvidenceStep] = (),
        statement: Mapping[str, Any] | None = None,
        fix: str | None = None,
    ) -> Finding:
        if isinstance(function, list):
            function = tuple(sorted(function))
        if isinstance(function, tuple) and len(function) == 1:
            function = function[0]
        functions = () if function is None else (function,) if isinstance(function, str) else function
        return Finding(
            rule_id=self.id, rule_name=self.name, severity=severity or self.severity,
            confidence=confidence or self.confidence, message=message, location=location,
            resource=resource, function=function, evidence=tuple(evidence), statement=statement, fix=fix,
            cwe=self.cwe, owasp=self.owasp,
            # set here, in the one constructor call, rather than by a `dataclasses.replace` per finding later
            fingerprint=fingerprint(self.id, location.path, resource, functions, message),
        )


def register(cls: type[Rule]) -> type[Rule]:
    if cls.id in _REGISTRY and _REGISTRY[cls.id] is not cls:
        raise ValueError(f"duplicate rule id {cls.id}: {cls.__name__} and {_REGISTRY[cls.id].__name__}")
    _REGISTRY[cls.id] = cls
    return cls


def registered() -> dict[str, type[Rule]]:
    return dict(_REGISTRY)
