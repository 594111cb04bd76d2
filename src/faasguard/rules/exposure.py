"""Exposure and trust: who can reach a function, and what it can reach. FG301-FG309.

"Public" has one meaning here, RULES.md's "Public trigger" (see `rules._common.public_reasons`): an HTTP
trigger reachable without authorization, an invoke permission open to anyone, or a bucket/queue/topic
trigger whose resource policy or ACL lets anyone write to it. Rules that are only worth saying about public
functions use it; rules about API stages judge the stage.

Size: the exposure rule family (nine rules); most of the lines are each rule's catalog documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from faasguard.findings import Confidence, EvidenceStep, Finding, Severity
from faasguard.model import (
    Api,
    Application,
    AuthType,
    Function,
    Resource,
    Role,
    Route,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Stage,
    Subnet,
    Trigger,
    TriggerKind,
    Unknown,
)
from faasguard.rules._common import (
    action_matches,
    describe_trigger,
    foreign_account,
    join_names,
    known_strings,
    unauthenticated_http,
)
from faasguard.rules.base import Rule, RuleContext, register

if TYPE_CHECKING:
    from faasguard.analysis.code.facts import TaintFlow

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD", "*"})


def _api_triggers(app: Application, api: Api) -> list[Trigger]:
    return [t for t in app.triggers if t.api == api.id]


def _stage_resource(api: Api, stage: Stage) -> str:
    return stage.id or api.id


# ----------------------------------------------------------------------------------------- FG301


@register
class ApiWithoutAuthorization(Rule):
    """Flags an API Gateway route that anyone on the internet can call: no authorizer and no API key.

    ## What it does
    Reports each REST API method, HTTP API route and SAM `Api`/`HttpApi` event whose effective
    authorization (after the API's `DefaultAuthorizer` and a route's `Authorizer: NONE` are applied) is none
    and that requires no API key. Private REST APIs (endpoint type PRIVATE) and CORS preflight `OPTIONS`
    methods are not reported. Severity is high for methods that change state (POST, PUT, PATCH, DELETE, ANY)
    and medium for read-only ones, one step lower when the route opts out of the API's authorizer on purpose
    (`Auth: {Authorizer: NONE}`: a health check, a signed webhook). Function URLs are FG302. (Audit checklist C4.)

    ## Why is this bad?
    An unauthenticated route lets anyone invoke the function with any input: every injection in the handler
    becomes remotely exploitable, and every call is billed to you.

    ## Example
    ```yaml
    Events:
      RunQuery:
        Type: Api
        Properties:
          Path: /admin/query
          Method: post
    ```

    ## Fix
    ```yaml
    Events:
      RunQuery:
        Type: Api
        Properties:
          RestApiId: !Ref AdminApi      # Auth: DefaultAuthorizer: CognitoAuthorizer
          Path: /admin/query
          Method: post
    ```
    """

    id = "FG301"
    name = "api-without-authorization"
    summary = "API Gateway route with no authorizer and no API key"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-306"
    owasp = "SAS-2"
    checklist = "C4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for trigger in ctx.app.triggers:
            if trigger.kind not in (TriggerKind.REST_API, TriggerKind.HTTP_API):
                continue
            if not unauthenticated_http(trigger) or (trigger.method or "").upper() == "OPTIONS":
                continue
            method = (trigger.method or "").upper()
            severity = self.severity if method in _WRITE_METHODS or not method else Severity.MEDIUM
            fn = trigger.function if isinstance(trigger.function, str) else None
            message = f"{describe_trigger(trigger)}"
            if fn:
                message += f" invokes function {fn}"
            message += " with no authorizer and no API key"
            if trigger.auth is not None and trigger.auth.detail:
                message += f" ({trigger.auth.detail})"
            opted_out = trigger.auth is not None and (trigger.auth.detail or "").startswith("Authorizer: NONE")
            if opted_out:
                # A route the author opened on purpose (a health check, a webhook with its own signature
                # check) is still reachable by anyone, but it is a decision, not an oversight.
                severity = severity.lowered()
                message += f"; {severity.value} because the route opts out of the API's authorizer on purpose"
                if method not in _WRITE_METHODS and method:
                    message += " and does not change state"
            elif severity is Severity.MEDIUM:
                message += "; medium because the method does not change state"
            yield self.finding(
                message, trigger.auth.location if trigger.auth else trigger.location, trigger.id, function=fn,
                severity=severity,
                fix=("Add an authorizer: set `Auth: {DefaultAuthorizer: ...}` on the API (Cognito, JWT or Lambda "
                     "authorizer) or `AuthorizationType: AWS_IAM`; if the route must be public, require an API "
                     "key with a usage plan and throttling."),
            )


# ----------------------------------------------------------------------------------------- FG302


@register
class FunctionUrlWithoutAuth(Rule):
    """Flags a Lambda function URL with `AuthType: NONE`.

    ## What it does
    Reports each function URL (`FunctionUrlConfig` on a SAM function, `AWS::Lambda::Url`,
    `aws_lambda_function_url`) whose auth type is `NONE`.

    ## Why is this bad?
    A function URL with `AuthType: NONE` is a public HTTPS endpoint with no authentication, no WAF, no
    throttling other than the function's concurrency and no request validation: anyone who finds the URL can
    invoke the function as often as they like.

    ## Example
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        FunctionUrlConfig:
          AuthType: NONE
    ```

    ## Fix
    ```yaml
    ReportFunction:
      Type: AWS::Serverless::Function
      Properties:
        FunctionUrlConfig:
          AuthType: AWS_IAM
    ```
    """

    id = "FG302"
    name = "function-url-without-auth"
    summary = "Lambda function URL with AuthType NONE"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-306"
    owasp = "SAS-2"
    checklist = "C4"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for trigger in ctx.app.triggers:
            if trigger.kind is not TriggerKind.FUNCTION_URL or trigger.auth is None:
                continue
            if trigger.auth.type is not AuthType.NONE:
                continue
            fn = trigger.function if isinstance(trigger.function, str) else None
            yield self.finding(
                f"function URL of {fn or trigger.id} has AuthType NONE: anyone can invoke it over HTTPS",
                trigger.auth.location, trigger.id, function=fn,
                fix="Set `AuthType: AWS_IAM` and sign requests (SigV4), or put the function behind an API "
                    "Gateway route with an authorizer.",
            )


# ----------------------------------------------------------------------------------------- FG303


@register
class InvokePermissionWithoutSource(Rule):
    """Flags a `lambda:InvokeFunction` permission for an AWS service principal with no `SourceArn` (confused
    deputy).

    ## What it does
    Reports each resource-based invoke permission granted to a service principal (`events.amazonaws.com`,
    `sns.amazonaws.com`, `apigateway.amazonaws.com`...) that sets no `SourceArn`. For `s3.amazonaws.com`,
    `SourceAccount` is enough (bucket ARNs carry no account id). Permissions for accounts or `*` are FG304.

    ## Why is this bad?
    Without `SourceArn` the permission lets *any* resource of that service invoke the function, including
    resources in other accounts: anyone can create an EventBridge rule or SNS subscription targeting your
    function and feed it events you never planned for.

    ## Example
    ```yaml
    ReportInvokePermission:
      Type: AWS::Lambda::Permission
      Properties:
        Action: lambda:InvokeFunction
        FunctionName: !Ref ReportFunction
        Principal: events.amazonaws.com
    ```

    ## Fix
    ```yaml
    ReportInvokePermission:
      Type: AWS::Lambda::Permission
      Properties:
        Action: lambda:InvokeFunction
        FunctionName: !Ref ReportFunction
        Principal: events.amazonaws.com
        SourceArn: !GetAtt NightlyReportRule.Arn
    ```
    """

    id = "FG303"
    name = "invoke-permission-without-source"
    summary = "invoke permission for a service principal without SourceArn/SourceAccount"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-441"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for perm in ctx.app.permissions:
            principal = perm.principal
            if not isinstance(principal, str) or not principal.endswith(".amazonaws.com"):
                continue
            if perm.source_arn is not None:
                continue
            if principal == "s3.amazonaws.com" and perm.source_account is not None:
                continue
            fn = perm.function if isinstance(perm.function, str) else None
            extra = " (SourceAccount alone does not name the calling resource)" if perm.source_account else ""
            yield self.finding(
                f"permission {perm.id} lets any {principal} resource invoke function {fn or '?'} with no "
                f"SourceArn{extra}",
                perm.location, perm.id, function=fn,
                fix="Add `SourceArn` naming the rule, topic, bucket or API that should invoke the function "
                    "(and `SourceAccount: !Ref AWS::AccountId` for S3).",
            )


# ----------------------------------------------------------------------------------------- FG304


@register
class PublicInvokePermission(Rule):
    """Flags an invoke permission open to everyone (`Principal: "*"`) or to a foreign account without an
    organization condition.

    ## What it does
    Reports resource-based permissions on a function whose principal is `*` with no `SourceArn`,
    `SourceAccount` or `PrincipalOrgID`, as high; and whose principal is an AWS account other than the
    template's own (and those listed under `accounts` in the config) with no `PrincipalOrgID`, as medium. The
    `lambda:InvokeFunctionUrl` permission that accompanies a function URL with `AuthType: NONE` is that URL's
    finding (FG302), not this one.

    ## Why is this bad?
    A `*` permission makes the function callable by any AWS account through the Lambda API; a permission for
    another account is a trust relationship that outlives the reason it was created and is rarely reviewed.

    ## Example
    ```yaml
    PartnerInvoke:
      Type: AWS::Lambda::Permission
      Properties:
        Action: lambda:InvokeFunction
        FunctionName: !Ref OrdersFunction
        Principal: "*"
    ```

    ## Fix
    ```yaml
    PartnerInvoke:
      Type: AWS::Lambda::Permission
      Properties:
        Action: lambda:InvokeFunction
        FunctionName: !Ref OrdersFunction
        Principal: "111122223333"
        PrincipalOrgID: o-a1b2c3d4e5
    ```
    """

    id = "FG304"
    name = "public-invoke-permission"
    summary = "invoke permission for * or an unconditioned foreign account"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for perm in ctx.app.permissions:
            principal = perm.principal
            if not isinstance(principal, str) or perm.principal_org_id is not None:
                continue
            action = perm.action if isinstance(perm.action, str) else ""
            if action.lower() == "lambda:invokefunctionurl" and perm.function_url_auth_type == "NONE":
                continue  # the public URL itself is FG302
            fn = perm.function if isinstance(perm.function, str) else None
            if principal.strip() == "*":
                if perm.source_arn is not None or perm.source_account is not None:
                    continue
                yield self.finding(
                    f"permission {perm.id} lets any AWS principal in any account invoke function {fn or '?'}",
                    perm.loc("principal"), perm.id, function=fn,
                    fix="Name the account or service that should invoke the function, with SourceArn or "
                        "PrincipalOrgID; never `*`.",
                )
                continue
            account = foreign_account(principal, ctx.app, ctx.config)
            if account:
                yield self.finding(
                    f"permission {perm.id} lets foreign account {account} invoke function {fn or '?'} with no "
                    "PrincipalOrgID condition",
                    perm.loc("principal"), perm.id, function=fn, severity=Severity.MEDIUM,
                    fix="Add `PrincipalOrgID` to restrict the grant to your organization, or list the account "
                        "under `accounts` in the faasguard config if it is your own.",
                )


# ----------------------------------------------------------------------------------------- FG305


@register
class ApiWithoutWaf(Rule):
    """Flags a public REST API stage with no AWS WAF web ACL.

    ## What it does
    Reports each stage of a REST API whose endpoint is not `PRIVATE` and that no
    `AWS::WAFv2::WebACLAssociation` (or `aws_wafv2_web_acl_association`) protects. HTTP APIs cannot have a
    WAF and are not reported. Low by default, medium when the API has routes without authorization.

    ## Why is this bad?
    Without a web ACL nothing filters common injection payloads, scanners or request floods before they
    reach (and are billed to) the functions behind the API; a rate-based rule is also the cheapest defence
    against denial of wallet.

    ## Example
    ```yaml
    OrdersApi:
      Type: AWS::Serverless::Api
      Properties:
        StageName: prod
    ```

    ## Fix
    ```yaml
    OrdersApiWaf:
      Type: AWS::WAFv2::WebACLAssociation
      Properties:
        ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${OrdersApi}/stages/prod
        WebACLArn: !GetAtt OrdersWebAcl.Arn
    ```
    """

    id = "FG305"
    name = "api-without-waf"
    summary = "public REST API stage with no WAF web ACL"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-693"
    owasp = "SAS-8"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for api in ctx.app.apis:
            if api.kind is not TriggerKind.REST_API:
                continue
            endpoint = api.endpoint_type
            if isinstance(endpoint, Unknown) or (isinstance(endpoint, str) and endpoint.upper() == "PRIVATE"):
                continue
            open_routes = [t for t in _api_triggers(ctx.app, api) if unauthenticated_http(t)]
            for stage in api.stages:
                if stage.waf is not False:
                    continue  # True, or Unknown: never guessed
                severity = Severity.MEDIUM if open_routes else self.severity
                message = f"stage {stage.name} of REST API {api.id} has no WAF web ACL"
                if open_routes:
                    message += (f"; medium because {len(open_routes)} route(s) have no authorization "
                                f"(e.g. {describe_trigger(open_routes[0])})")
                yield self.finding(
                    message, stage.location, _stage_resource(api, stage),
                    function=sorted({t.function for t in _api_triggers(ctx.app, api)
                                     if isinstance(t.function, str)}) or None,
                    severity=severity,
                    fix="Associate an AWS::WAFv2::WebACL (AWS managed common rule set plus a rate-based rule) "
                        "with the stage through an AWS::WAFv2::WebACLAssociation.",
                )


# ----------------------------------------------------------------------------------------- FG306


@register
class ApiWithoutRequestValidation(Rule):
    """Flags an API route that takes a body or parameters that nothing validates before they reach a sink.

    ## What it does
    Reports each REST API method -- SAM `Api` events, Serverless `http` events, `AWS::ApiGateway::Method`,
    `aws_api_gateway_method` -- that accepts input (POST, PUT, PATCH, ANY, path or declared request
    parameters) with no request validator and no request model (`RequestModel` with `ValidateBody`,
    `RequestParameters` with `Required`, a `RequestValidatorId`, Serverless `request.schemas`). HTTP API
    routes (SAM `HttpApi`, Serverless `httpApi`, `AWS::ApiGatewayV2::Route`, `aws_apigatewayv2_route`) cannot
    validate requests at all, so for them only the handler can: a route that takes input is reported when its
    handler was analysed, validates nothing (no parser model, schema or explicit check) and lets event data
    reach an injection sink (shell, code, SQL, NoSQL, deserialization, path, URL, template); a handler we did
    not analyse is not reported. A CORS preflight (`OPTIONS`) carries no body and is never reported. Low by
    default, medium when the route has no authorization either.

    ## Why is this bad?
    API Gateway can reject malformed requests before they reach (and are billed to) the function. Without a
    validator, every field of the event is attacker-controlled input the handler alone must check, which is
    where event-injection bugs come from.

    ## Example
    ```yaml
    Events:
      CreateOrder:
        Type: Api
        Properties:
          Path: /orders
          Method: post
    ```

    ## Fix
    ```yaml
    Events:
      CreateOrder:
        Type: Api
        Properties:
          Path: /orders
          Method: post
          RequestModel:
            Model: Order
            Required: true
            ValidateBody: true
    ```
    """

    id = "FG306"
    name = "api-without-request-validation"
    summary = ("API route taking a body or parameters with no request validator / model (HTTP API: no check in "
               "the handler before a sink)")
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-20"
    owasp = "SAS-1"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for trigger in ctx.app.triggers:
            if trigger.kind not in (TriggerKind.REST_API, TriggerKind.HTTP_API):
                continue
            if trigger.takes_input is not True or trigger.request_validation is not False:
                continue
            if (trigger.method or "").upper() == "OPTIONS":
                continue  # a CORS preflight: the browser sends no body, and a validator would block it
            fn = trigger.function if isinstance(trigger.function, str) else None
            evidence: list[EvidenceStep] = []
            if trigger.kind is TriggerKind.HTTP_API:
                flow = _unvalidated_sink_flow(ctx, fn)
                if flow is None:
                    continue
                evidence = [EvidenceStep(f"HTTP API route {trigger.id} (no request validation exists for HTTP "
                                         "APIs)", trigger.location), *flow.steps]
            severity = self.severity
            message = f"{describe_trigger(trigger)}"
            if fn:
                message += f" (function {fn})"
            if trigger.kind is TriggerKind.HTTP_API:
                message += (" takes a body or parameters that its handler does not validate before they reach "
                            f"{evidence[-1].description.removeprefix('reaches ')} (line {evidence[-1].location.line})")
            else:
                message += " accepts a body or parameters with no request validator or model"
            if unauthenticated_http(trigger):
                severity = Severity.MEDIUM
                message += "; medium because the method has no authorization either"
            yield self.finding(
                message, trigger.location, trigger.id, function=fn, severity=severity, evidence=evidence,
                fix="Validate the event in the handler before use (a Powertools parser / pydantic model or a JSON "
                    "schema), or move the route to a REST API with a request validator."
                if trigger.kind is TriggerKind.HTTP_API else
                    "Declare a request model (JSON schema) and validator: SAM `RequestModel: {Model: X, "
                    "Required: true, ValidateBody: true}`, or `RequestValidatorId` + `RequestModels` on "
                    "AWS::ApiGateway::Method.",
            )


# Sink kinds through which unvalidated input does harm (not logging or storing it).
_INJECTION_SINKS = frozenset({"shell", "program", "code", "sql", "nosql", "deser", "path", "url", "template"})


def _unvalidated_sink_flow(ctx: RuleContext, function: str | None) -> TaintFlow | None:
    """The first flow of event data into an injection sink of a handler that validates nothing; None when the
    handler was not analysed, validates its event, or has no such flow."""
    handler = ctx.facts.handlers.get(function) if function else None
    if handler is None or handler.validated:
        return None
    flows = [f for f in handler.flows if f.taint == "event" and f.kind in _INJECTION_SINKS]
    return min(flows, key=lambda f: (f.location.path, f.location.line)) if flows else None


# ----------------------------------------------------------------------------------------- FG307


@register
class ApiWithoutAccessLogging(Rule):
    """Flags an API Gateway stage with no access logging.

    ## What it does
    Reports each REST, HTTP or WebSocket API stage that has no access log destination
    (`AccessLogSetting` / `AccessLogSettings` / `access_log_settings`). Low by default, medium when the API
    has routes without authorization.

    ## Why is this bad?
    Access logs are the audit trail of who called what, from where, with which result. Without them an
    incident on the API (credential stuffing, data scraping, abuse of an open route) cannot be scoped or
    even detected; execution logs do not record callers.

    ## Example
    ```yaml
    OrdersApi:
      Type: AWS::Serverless::Api
      Properties:
        StageName: prod
    ```

    ## Fix
    ```yaml
    OrdersApi:
      Type: AWS::Serverless::Api
      Properties:
        StageName: prod
        AccessLogSetting:
          DestinationArn: !GetAtt OrdersApiLogs.Arn
          Format: '$context.requestId $context.identity.sourceIp $context.httpMethod $context.path $context.status'
    ```
    """

    id = "FG307"
    name = "api-without-access-logging"
    summary = "API stage without access logging"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-778"
    owasp = "SAS-5"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for api in ctx.app.apis:
            triggers = _api_triggers(ctx.app, api)
            open_routes = [t for t in triggers if unauthenticated_http(t)]
            functions = sorted({t.function for t in triggers if isinstance(t.function, str)}) or None
            for stage in api.stages:
                if stage.access_logging is not False:
                    continue
                severity = Severity.MEDIUM if open_routes else self.severity
                message = f"stage {stage.name} of API {api.id} has no access logging"
                if open_routes:
                    message += f"; medium because {len(open_routes)} route(s) have no authorization"
                yield self.finding(
                    message, stage.location, _stage_resource(api, stage), function=functions,
                    severity=severity,
                    fix="Set `AccessLogSetting` (REST) / `AccessLogSettings` (HTTP API) with a CloudWatch Logs "
                        "destination and a format including requestId, sourceIp, caller identity and status.",
                )


# ----------------------------------------------------------------------------------------- FG308

_SYMBOL = re.compile(r"\$\{([^}]+)\}")
_ENDPOINT_ATTR = re.compile(r"(?i)(?:^|[._])(?:end_?point|address|port|host)(?:$|[._])")
_VPC_HOST = re.compile(
    r"[a-z0-9.-]+\.(?:rds|cache|redshift|docdb|neptune|memorydb|dax)(?:\.[a-z0-9-]+)?\.amazonaws\.com"
    r"|vpc-[a-z0-9-]+\.[a-z0-9-]+\.(?:es|aos)\.amazonaws\.com", re.I)
_CONNECT_ACTIONS = ("rds-db:connect", "elasticache:Connect", "memorydb:Connect", "neptune-db:connect")
_CONNECT_SERVICES = frozenset(a.partition(":")[0] for a in _CONNECT_ACTIONS)


def _is_vpc_only(resource: Resource) -> bool:
    if not resource.category.vpc_only:
        return False
    return resource.publicly_accessible is not True


def _vpc_store_references(app: Application, fn: Function, by_role: dict[str, list[str]]) -> list[str]:
    """Evidence that a function talks to a VPC-only data store: an environment value naming a store's
    endpoint (`!GetAtt Db.Endpoint.Address`) or a VPC-only host name, or a data-plane connect permission
    (`rds-db:connect`). Control-plane references (a cluster ARN for the RDS Data API) are not evidence.
    `by_role` keeps the permission evidence per role: a Serverless service's one role has statements for
    every function's events, so reading them again for each function is quadratic."""
    evidence: list[str] = []
    for var in fn.environment:
        if not isinstance(var.value, str):
            continue
        store = next((s for m in _SYMBOL.finditer(var.value) if (s := _endpoint_of(app, m.group(1)))), None)
        if store is not None:
            evidence.append(f"environment variable {var.name} holds the endpoint of {store.type} {store.id}")
        elif _VPC_HOST.search(var.value):
            evidence.append(f"environment variable {var.name} names a VPC-only database host")
    role = app.role(fn.role)
    if role is not None:
        if role.id not in by_role:
            by_role[role.id] = _connect_permissions(role)
        evidence.extend(by_role[role.id])
    return evidence


def _connect_permissions(role: Role) -> list[str]:
    found: list[str] = []
    for policy in role.policies:
        for stmt in policy.document.statements if policy.document else ():
            if not stmt.is_allow:
                continue
            hit = next((a for a in known_strings(stmt.actions)
                        if a.partition(":")[0].lower() in _CONNECT_SERVICES
                        and any(action_matches(a, c) for c in _CONNECT_ACTIONS)), None)
            if hit:
                found.append(f"its role allows {hit}")
    return found


def _endpoint_of(app: Application, symbol: str) -> Resource | None:
    """The VPC-only store whose endpoint, address or port a deploy-time symbol names, in either spelling:
    CloudFormation `OrdersDatabase.Endpoint.Address`, Terraform `aws_db_instance.orders.address` or
    `module.db.aws_rds_cluster.this.endpoint` (the longest prefix that is a resource of the application)."""
    parts = re.sub(r"\[[^\]]*\]", "", symbol).split(".")
    for cut in range(len(parts) - 1, 0, -1):
        store = app.resource(".".join(parts[:cut]))
        if store is not None:
            attribute = ".".join(parts[cut:])
            return store if _is_vpc_only(store) and _ENDPOINT_ATTR.search(attribute) else None
    return None


def _public_subnet(app: Application, subnet_id: str | Unknown) -> tuple[Subnet, RouteTable, Route] | None:
    """The subnet, its route table and the route that make it public (a default route to an internet gateway),
    read from the model. A subnet or table not in the source, or a route we cannot read, is never assumed
    public (RULES.md "FG308": judged only where the route tables are in the same source)."""
    subnet = app.subnet(subnet_id)
    if subnet is None:
        return None
    table = app.route_table(subnet.route_table)
    if table is None:
        return None
    route = table.internet_route()
    return (subnet, table, route) if isinstance(route, Route) else None


@register
class DataAccessOutsideVpc(Rule):
    """Flags a function that reaches a VPC-only data store (RDS, Aurora, ElastiCache, Redshift, DocumentDB,
    Neptune, MemoryDB) but does not run in the VPC's private subnets.

    ## What it does
    Looks for evidence that a function talks to a VPC-only store: an environment variable holding such a
    store's endpoint (`!GetAtt OrdersDatabase.Endpoint.Address`, Terraform `aws_db_instance.orders.address`)
    or an RDS/ElastiCache/Redshift host name, or a data-plane connect permission (`rds-db:connect`,
    `elasticache:Connect`). Reports it when the function has no `VpcConfig` / `vpc_config`, or when every one
    of its subnets is public *in the same source*: its route table (`AWS::EC2::SubnetRouteTableAssociation`,
    `aws_route_table_association`, or the VPC's main table Terraform declares) sends the default route
    (`0.0.0.0/0` or `::/0`) to an internet gateway (`AWS::EC2::Route`, `aws_route`, a `route` block). Where the
    subnet, its association or a default route's target is not in the source, the subnet is never assumed
    public. Stores marked `PubliclyAccessible: true` / `publicly_accessible = true` and the RDS Data API (an
    HTTPS endpoint) are not VPC-only. (Audit checklist C5.)

    ## Why is this bad?
    A function outside the VPC can reach the database only if the database is exposed to the internet, or
    not at all (the deployment is broken). Either the store is more public than intended, or the function
    ships credentials for a database across the internet.

    ## Example
    ```yaml
    ReportsFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            DB_HOST: !GetAtt OrdersDatabase.Endpoint.Address
    ```

    ## Fix
    ```yaml
    ReportsFunction:
      Type: AWS::Serverless::Function
      Properties:
        VpcConfig:
          SubnetIds: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
          SecurityGroupIds: [!Ref ReportsSecurityGroup]
        Environment:
          Variables:
            DB_HOST: !GetAtt OrdersDatabase.Endpoint.Address
    ```
    """

    id = "FG308"
    name = "data-access-outside-vpc"
    summary = "function reaching VPC-only data stores without VpcConfig in private subnets"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = "CWE-923"
    owasp = "SAS-3"
    checklist = "C5"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        by_role: dict[str, list[str]] = {}
        for fn in ctx.app.functions:
            evidence = _vpc_store_references(ctx.app, fn, by_role)
            if not evidence:
                continue
            if fn.vpc is None:
                yield self.finding(
                    f"function {fn.id} reaches a VPC-only data store ({evidence[0]}) but has no VpcConfig",
                    fn.location, fn.id, function=fn.id,
                    fix="Add `VpcConfig` with the store's private subnets and a security group allowing only the "
                        "database port; keep the store not publicly accessible.",
                )
                continue
            public = [_public_subnet(ctx.app, s) for s in fn.vpc.subnet_ids]
            if public and all(p is not None for p in public):
                hits = [p for p in public if p is not None]
                routes = join_names(dict.fromkeys(f"{subnet.id} via {table.id}" for subnet, table, _ in hits))
                yield self.finding(
                    f"function {fn.id} reaches a VPC-only data store ({evidence[0]}) from public subnets only "
                    f"({routes}: the default route goes to an internet gateway, "
                    f"{hits[0][2].location.logical_id or hits[0][1].id} line {hits[0][2].location.line})",
                    fn.vpc.location, fn.id, function=fn.id,
                    fix="Place the function in private subnets (route to a NAT gateway or VPC endpoints, not an "
                        "internet gateway).",
                )


# ----------------------------------------------------------------------------------------- FG309


def _all_traffic(rule: SecurityGroupRule) -> bool:
    if rule.direction != "egress":
        return False
    protocol = rule.protocol
    if not isinstance(protocol, str) or protocol.strip().lower() not in ("-1", "all"):
        return False
    return isinstance(rule.cidr, str) and rule.cidr.strip() in ("0.0.0.0/0", "::/0")


@register
class UnrestrictedEgress(Rule):
    """Flags a security group used by a function or an ECS service that allows all egress to the internet.

    ## What it does
    For every security group a function runs with (`VpcConfig.SecurityGroupIds`; on Lambda Managed Instances,
    its capacity provider's `VpcConfig` / `vpc_config`) or an ECS service's `awsvpc`
    tasks run with (`NetworkConfiguration.AwsvpcConfiguration.SecurityGroups`, Terraform
    `network_configuration { security_groups }`) -- or the tasks an EventBridge rule target or Scheduler
    schedule launches (`EcsParameters.NetworkConfiguration`, `ecs_target` / `ecs_parameters`) --, reports an
    egress rule of all protocols and ports to `0.0.0.0/0` or `::/0`, including CloudFormation's implicit allow-all rule
    when `SecurityGroupEgress` is absent (Terraform has no such default). Egress limited to ports or to a
    CIDR inside the VPC is fine. One finding per group, listing the functions and services using it. (Audit
    checklist C5.)

    ## Why is this bad?
    A function inside a VPC is usually there to reach a database; unrestricted egress lets a compromised
    handler exfiltrate that database's data, or reach command-and-control servers, over any port.

    ## Example
    ```yaml
    DbAdminSecurityGroup:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: db admin lambda
        SecurityGroupEgress:
          - IpProtocol: "-1"
            CidrIp: 0.0.0.0/0
    ```

    ## Fix
    ```yaml
    DbAdminSecurityGroup:
      Type: AWS::EC2::SecurityGroup
      Properties:
        GroupDescription: db admin lambda
        SecurityGroupEgress:
          - IpProtocol: tcp
            FromPort: 5432
            ToPort: 5432
            CidrIp: 10.0.0.0/16
    ```
    """

    id = "FG309"
    name = "unrestricted-egress"
    summary = "function or task security group allowing all egress to 0.0.0.0/0"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-923"
    owasp = "SAS-3"
    checklist = "C5"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        users: dict[str, list[str]] = {}
        groups: dict[str, SecurityGroup] = {}
        placed = [(fn.id, fn.vpc) for fn in ctx.app.functions] + \
            [(service.id, service.network) for service in ctx.app.services]
        for user, network in placed:
            if network is None:
                continue
            for group_id in network.security_group_ids:
                group = ctx.app.security_group(group_id)
                if group is None:
                    continue
                groups[group.id] = group
                if user not in users.setdefault(group.id, []):
                    users[group.id].append(user)
        for group_id, group in groups.items():
            functions = users[group_id]
            rule = next((r for r in group.rules if _all_traffic(r)), None)
            if rule is not None:
                location, how = rule.location, f"an egress rule to {rule.cidr} on all protocols and ports"
            elif group.implicit_allow_all_egress:
                location, how = group.location, ("CloudFormation's implicit allow-all egress "
                                                 "(no SecurityGroupEgress declared)")
            else:
                continue
            yield self.finding(
                f"security group {group.id} (used by {join_names(functions)}) allows all outbound traffic: {how}",
                location, group.id, function=functions,
                fix="Declare `SecurityGroupEgress` limited to the ports and destinations the function needs (the "
                    "database port inside the VPC CIDR, 443 to VPC endpoints).",
            )
