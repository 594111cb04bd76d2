"""Learn mode: record what the function actually does, then write an allowlist config and CloudTrail records.

The allowlist is the guard's own JSON config (ready for ``FAASGUARD_CONFIG``). AWS API calls are observed
through botocore's event system (``provide-client-params`` to keep the resource-identifying parameters,
``after-call`` for the outcome) and written as CloudTrail-shaped ``{"Records": [...]}`` so that
``faasguard policy generate --cloudtrail`` reads them like real trail files. The shape is documented in
docs/guard.md ("Learn mode output").
"""

from __future__ import annotations

import json
import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Request parameters that name the resource a call acts on; they become CloudTrail `requestParameters`
# (lowerCamelCase, as CloudTrail writes them). Values of other parameters (item data, message bodies) are
# never recorded.
_RESOURCE_PARAMS = frozenset({
    "Bucket", "Key", "Prefix", "TableName", "IndexName", "QueueUrl", "QueueName", "TopicArn", "TargetArn",
    "SecretId", "Name", "Names", "Path", "FunctionName", "StreamName", "StreamARN", "StateMachineArn",
    "LogGroupName", "LogStreamName", "KeyId", "ResourceArn", "RoleArn", "EventBusName", "ClusterName",
    "DeliveryStreamName", "ApplicationName", "RepositoryName", "UserPoolId", "IdentityPoolId",
})
MAX_RECORDS = 5000


def _camel(name: str) -> str:
    return "bucketName" if name == "Bucket" else name[:1].lower() + name[1:]


class Recorder:
    """Collects processes, hosts, files and AWS calls; thread-safe; `dirty` says whether to write again."""

    def __init__(self) -> None:
        self.processes: set[str] = set()
        self.hosts: set[str] = set()
        self.files: set[str] = set()
        self.calls: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.dirty = False
        self._lock = threading.Lock()

    def _add(self, bucket: set[str], item: str) -> None:
        if item not in bucket:
            with self._lock:
                bucket.add(item)
                self.dirty = True

    def process(self, program: str) -> None:
        self._add(self.processes, program)

    def host(self, host: str, port: int | None) -> None:
        self._add(self.hosts, f"{host}:{port}" if port else host)

    def file(self, path: str, access: str) -> None:
        self._add(self.files, f"{access} {path}")

    def aws_call(self, source: str, name: str, region: str, params: dict[str, Any], error: str | None) -> None:
        key = (source, name, region, json.dumps(params, sort_keys=True, default=str))
        if key in self.calls or len(self.calls) >= MAX_RECORDS:
            return
        record: dict[str, Any] = {"eventSource": source, "eventName": name, "awsRegion": region,
                                  "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  "requestParameters": params or None}
        if error:
            record["errorCode"] = error
        with self._lock:
            self.calls[key] = record
            self.dirty = True

    def allowlist_config(self, base: dict[str, Any]) -> dict[str, Any]:
        """The guard config that allows exactly what was observed (processes by name, hosts with port)."""
        config: dict[str, Any] = json.loads(json.dumps(base))
        config["mode"] = "enforce"
        config["process"] = {"allow": sorted({p.rsplit("/", 1)[-1] for p in self.processes})}
        config["network"] = {**config.get("network", {}), "allow": sorted(self.hosts)}
        writes = sorted({f.split(" ", 1)[1] for f in self.files if f.startswith("write ")})
        if writes:
            config["files"] = {**config.get("files", {}),
                               "write_allow": sorted({*config.get("files", {}).get("write_allow", []), *writes})}
        return config

    def cloudtrail(self, identity: dict[str, Any]) -> dict[str, Any]:
        records = []
        for record in self.calls.values():
            full = {"eventVersion": "1.08", "eventType": "AwsApiCall", "userIdentity": identity, **record}
            if identity.get("accountId"):
                full["recipientAccountId"] = identity["accountId"]
            records.append(full)
        return {"Records": records}

    def write(self, config_path: str, trail_path: str, base_config: dict[str, Any],
              identity: dict[str, Any]) -> None:
        """Write both files atomically (temp file + rename). Called with the guard's own hooks paused."""
        with self._lock:
            self.dirty = False
        for path, doc in ((config_path, self.allowlist_config(base_config)), (trail_path, self.cloudtrail(identity))):
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=1, sort_keys=True)
            os.replace(temporary, path)


def identity_for(role_arn: str | None, function: str | None, account: str | None) -> dict[str, Any]:
    """CloudTrail userIdentity of the function's execution role session (session name = function name)."""
    role_name = "unknown"
    if role_arn and ":role/" in role_arn:
        role_name = role_arn.rsplit("/", 1)[-1]
        account = account or role_arn.split(":")[4]
    elif role_arn and ":assumed-role/" in role_arn:  # an STS caller-identity ARN
        parts = role_arn.split(":assumed-role/", 1)[1].split("/")
        role_name, account = parts[0], account or role_arn.split(":")[4]
        role_arn = f"arn:aws:iam::{account}:role/{role_name}"
    partition = "aws"
    issuer_arn = role_arn or f"arn:{partition}:iam::{account or '000000000000'}:role/{role_name}"
    acct = account or "000000000000"
    return {"type": "AssumedRole", "accountId": acct,
            "arn": f"arn:{partition}:sts::{acct}:assumed-role/{role_name}/{function or 'unknown'}",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": issuer_arn, "userName": role_name,
                                                 "accountId": acct}}}


def install_botocore_hooks(recorder: Recorder, is_internal: Any) -> bool:
    """Record every AWS call of clients created from now on. Returns False when botocore is absent."""
    try:
        import botocore.session
    except ImportError:
        return False
    session_class: Any = botocore.session.Session
    if getattr(session_class.create_client, "_faasguard", False):
        return True
    original = session_class.create_client

    def provide_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["faasguard_params"] = {_camel(k): v for k, v in params.items()
                                       if k in _RESOURCE_PARAMS and isinstance(v, (str, list))}

    def after_call(model: Any, context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        if is_internal():
            return
        service = model.service_model
        source = f"{service.signing_name or service.endpoint_prefix}.amazonaws.com"
        error = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        recorder.aws_call(source, model.name, str(context.get("client_region") or ""),
                          context.get("faasguard_params") or {}, error)

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("provide-client-params", provide_params)
        client.meta.events.register("after-call", after_call)
        return client

    create_client._faasguard = True  # type: ignore[attr-defined]
    session_class.create_client = create_client
    # Clients created before the guard (decorator mode: module-level clients) are found once, here.
    import gc

    import botocore.client

    for obj in gc.get_objects():
        if isinstance(obj, botocore.client.BaseClient):
            obj.meta.events.register("provide-client-params", provide_params)
            obj.meta.events.register("after-call", after_call)
    return True
