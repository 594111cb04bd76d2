"""The IAM engine: action catalog, policy evaluation per role, escalation methods, least privilege.

`enrich(app, config, facts, diagnostics)` is the pipeline's IAM step: it evaluates every role of the
application (`RoleAccess`), collects actions that are not in the catalog, and, for each function whose handler
the code analysis saw (`facts.handlers`), what the function needs. Everything heavy is imported inside the
function, so importing this package (e.g. for `catalog`) costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faasguard.config import Config
    from faasguard.facts import Facts
    from faasguard.findings import Diagnostic
    from faasguard.model import Application


def enrich(app: Application, config: Config, facts: Facts, diagnostics: list[Diagnostic]) -> Facts:
    from faasguard.analysis.iam.evaluate import evaluate_roles, policy_diagnostics, unknown_actions
    from faasguard.analysis.iam.facts import IamFacts
    from faasguard.analysis.iam.least_privilege import function_needs

    del config  # nothing configurable yet
    roles = evaluate_roles(app)
    function_roles = {fn.id: fn.role for fn in app.functions if isinstance(fn.role, str) and fn.role in roles}
    needs = {fn.id: function_needs(fn, app, facts.handlers.get(fn.id)) for fn in app.functions}
    # usage observed in CloudTrail (`faasguard audit --cloudtrail-days N`): what the function really did is a
    # need too, so least privilege keeps it and FG107 does not call it unused
    observed = facts.extra.get("observed_needs")
    if isinstance(observed, Mapping):
        for fn_id, extra in observed.items():
            if fn_id in needs and extra:
                needs[fn_id] = replace(needs[fn_id], needs=(*needs[fn_id].needs, *extra))
    diagnostics.extend(policy_diagnostics(app))
    iam = IamFacts(roles=roles, function_roles=function_roles, needs=needs,
                   unknown_actions=tuple(unknown_actions(roles.values())))
    return replace(facts, iam=iam)
