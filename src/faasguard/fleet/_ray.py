"""The Ray backend: one task per unit, per-account concurrency as Ray custom resources.

Imported only with `--ray` (Ray is the optional extra `faasguard[ray]`). Without an address the driver starts
an in-process local cluster (`ray.init()`) sized by `--jobs`, declaring one custom resource per account with
`per_account` units of capacity, so Ray's scheduler itself never runs more units of an account at once. A
running cluster cannot gain resources after it started, so with an address the resources are used when the
cluster declares them (`ray start --resources`) and otherwise the driver's submission window enforces the same
limit (`faasguard.fleet.windowed`, which bounds every backend).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from faasguard.fleet import FleetError, FleetOptions, Outcome, Unit, windowed

log = logging.getLogger(__name__)


def account_resource(account: str) -> str:
    return "faasguard-account-" + re.sub(r"[^A-Za-z0-9_-]", "_", account)


def _connect(options: FleetOptions, accounts: set[str]) -> Any:
    try:
        import ray
    except ImportError:
        raise FleetError("--ray needs Ray: pip install 'faasguard[ray]'") from None
    if ray.is_initialized():
        return ray
    try:
        if options.ray_address:
            ray.init(address=options.ray_address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=options.jobs, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING,
                     resources={account_resource(a): float(options.per_account) for a in accounts})
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FleetError(f"cannot start or reach the Ray cluster {options.ray_address or '(local)'}: {exc}") \
            from None
    return ray


def run_on_ray(units: Sequence[Unit], options: FleetOptions) -> Iterator[Outcome]:
    from faasguard.fleet._attempt import attempt

    accounts = {u.account for u in units if u.account is not None}
    ray = _connect(options, accounts)
    declared = set(ray.cluster_resources())
    remote = ray.remote(attempt)
    keys: dict[Any, str] = {}

    def submit(unit: Unit) -> Any:
        resources = {}
        if unit.account is not None and account_resource(unit.account) in declared:
            resources[account_resource(unit.account)] = 1.0
        # max_retries: Ray re-runs a task whose worker or node died; errors of the unit are `attempt`'s
        ref = remote.options(num_cpus=1, max_retries=2, resources=resources).remote(
            unit.key, unit.work, unit.payload, options.retries, options.backoff)
        keys[ref] = unit.key
        return ref

    def wait(refs: list[Any]) -> tuple[Any, Outcome]:
        [ready], _ = ray.wait(refs, num_returns=1)
        try:
            outcome: Outcome = ray.get(ready)
        except Exception as exc:  # worker or node lost beyond max_retries: this unit failed, not the run
            outcome = Outcome(keys[ready], None, f"{type(exc).__name__}: {exc}"[:1000])
        del keys[ready]
        return ready, outcome

    try:
        yield from windowed(units, options, submit, wait)
    finally:
        ray.shutdown()
