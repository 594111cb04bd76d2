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
