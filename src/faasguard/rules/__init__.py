"""The rule catalog. Families are imported on first use, not at start-up (`faasguard --version` stays fast)."""

from __future__ import annotations

import importlib

from faasguard.findings import RuleMeta
from faasguard.rules.base import Rule, registered

RULE_MODULES = (
    "faasguard.rules.iam",          # FG101-FG104, FG109-FG111
    "faasguard.rules.iam_reach",    # FG105-FG108, FG310 (IAM engine)
    "faasguard.rules.secrets",      # FG201, FG203
    "faasguard.rules.stored_secrets",  # FG209, FG210
    "faasguard.rules.handler",      # FG202, FG204-FG207, FG501-FG511 (code analysis)
    "faasguard.rules.exposure",     # FG301-FG309
    "faasguard.rules.identity",     # FG312
    "faasguard.rules.api_exposure", # FG313, FG314
    "faasguard.rules.runtime",      # FG401-FG406
    "faasguard.rules.event_sources",  # FG311, FG407
    "faasguard.rules.supply_chain", # FG601-FG605
    "faasguard.rules.containers",   # FG701-FG709
    "faasguard.rules.paths",        # FG901-FG903 (attack graph)
    "faasguard.rules.drift",        # FG113, FG211, FG315, FG606 (audit --compare)
)


EVERY_ENRICHER = None
"""`needs` of a rule that reads facts of every enrichment (the attack graph rules), and of any rule this table
does not name: a new rule runs on the full analysis until someone says what it reads."""

ENRICHMENT_NEEDS: dict[str, frozenset[str] | None] = {
    # by rule module, then by rule id (the more specific entry wins); the names are the enrichers of
    # `faasguard.pipeline.ENRICHERS`. A test checks each entry against what the module's code reads and
    # compares every rule's findings on real apps with and without the enrichers it says it does not need.
    "faasguard.rules.iam": frozenset(),                         # statements against the action catalog
    "FG104": frozenset({"code-analysis"}),                      # evidence: the AWS calls of each sharer
    "faasguard.rules.iam_reach": frozenset({"iam"}),
    "FG106": frozenset({"iam", "code-analysis"}),               # IamFacts.needs come from the handlers' calls
    "FG107": frozenset({"iam", "code-analysis"}),
    "FG108": frozenset({"iam", "code-analysis"}),
    "faasguard.rules.secrets": frozenset({"images"}),
    "faasguard.rules.handler": frozenset({"code-analysis"}),
    "faasguard.rules.exposure": frozenset(),
    "FG306": frozenset({"code-analysis"}),                      # HTTP API routes: does the handler validate?
    "faasguard.rules.identity": frozenset(),
    "faasguard.rules.api_exposure": frozenset(),
    "faasguard.rules.stored_secrets": frozenset(),
    "faasguard.rules.event_sources": frozenset(),
    "FG407": frozenset({"code-analysis"}),                      # the handler's writes to its own trigger
    "faasguard.rules.runtime": frozenset(),
    "faasguard.rules.supply_chain": frozenset({"dependencies", "images"}),
    "faasguard.rules.containers": frozenset({"images"}),
    "faasguard.rules.paths": EVERY_ENRICHER,
    "faasguard.rules.drift": frozenset(),                       # facts.extra, filled by `audit --compare`
}
"""Which enrichers each rule reads the facts of, so that `--select`/`--ignore` skip the analyses no selected
rule needs (`--select FG3` runs no code analysis). Only what decides the rule's findings counts: an enricher's
diagnostics are reported when it runs, and are not a reason to run it."""


def enrichment_needs(rule: type[Rule]) -> frozenset[str] | None:
    """The enrichers `rule` needs, or None for all of them."""
    if rule.id in ENRICHMENT_NEEDS:
        return ENRICHMENT_NEEDS[rule.id]
    return ENRICHMENT_NEEDS.get(rule.__module__, EVERY_ENRICHER)


def all_rules() -> list[type[Rule]]:
    for module in RULE_MODULES:
        importlib.import_module(module)
    return sorted(registered().values(), key=lambda r: r.id)


def rule_meta(rule_id: str) -> RuleMeta | None:
    rule_id = rule_id.upper()
    for rule in all_rules():
        if rule.id == rule_id or rule.name == rule_id.lower():
            return rule.meta()
    return None
