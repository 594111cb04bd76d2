"""Who may call an API from where: FG313 (public-api-resource-policy), FG314 (cors-any-origin).

Both read settings the loaders put on the model in one shape whatever the source spelled (`Api.resource_policy`,
`Api.cors`, a function URL trigger's `cors`), so SAM, CloudFormation, Terraform and Serverless Framework are
judged by the same lines of code.
"""

from __future__ import annotations

from collections.abc import Iterator

from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import Api, Application, AuthType, Cors, TriggerKind
from faasguard.rules._common import (
    denied_to_public,
    open_to_anyone,
    statement_covers,
    statement_dict,
)
from faasguard.rules.base import Rule, RuleContext, register

_INVOKE = "execute-api:Invoke"


def _api_functions(app: Application, api: Api) -> list[str] | None:
    return sorted({t.function for t in app.triggers if t.api == api.id and isinstance(t.function, str)}) or None


# ----------------------------------------------------------------------------------------- FG313


@register
class PublicApiResourcePolicy(Rule):
    """Flags an API Gateway resource policy that allows any principal to invoke the API.

    ## What it does
    Reads the resource policy of each REST API (`Policy` of `AWS::ApiGateway::RestApi`, SAM
    `Auth.ResourcePolicy.CustomStatements`, `aws_api_gateway_rest_api.policy`,
    `aws_api_gateway_rest_api_policy`, Serverless `provider.apiGateway.resourcePolicy`) and reports an `Allow`
    of `execute-api:Invoke` for any principal (`"*"`, `AWS: "*"`) with no condition narrowing who may call
    (`aws:SourceIp` other than `0.0.0.0/0`, `aws:SourceVpce`, `aws:PrincipalOrgID`...), unless a `Deny`
    for everyone in the same policy leaves the API only to a restricted caller (the usual "deny unless from
    this VPC endpoint / IP range" pattern). Medium for a private API (reachable through any VPC endpoint
    of any account); high when the API has `AWS_IAM`-authorized routes, because an explicit `*` in the
    resource policy lets IAM principals of *any* account call them; low for a public endpoint without such
    routes, where the policy restricts nothing but opens nothing either. An unresolved principal or condition
    is never read as public.

    ## Why is this bad?
    A resource policy is where an API says who may call it from where. One that allows `*` without a
    condition restricts nothing: a private API is then reachable through any VPC endpoint of any account, a
    regional API from anywhere on the internet, and IAM-authorized routes from every AWS account.

    ## Example
    ```yaml
    Resources:
      InternalApi:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: internal
          Policy:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: "*"
                Action: execute-api:Invoke
                Resource: execute-api:/*
    ```

    ## Fix
    ```yaml
    Resources:
      InternalApi:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: internal
          Policy:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: "*"
                Action: execute-api:Invoke
                Resource: execute-api:/*
                Condition:
                  StringEquals:
                    aws:SourceVpce: vpce-0a1b2c3d4e5f67890
    ```
    """

    id = "FG313"
    name = "public-api-resource-policy"
    summary = "API Gateway resource policy allowing any principal without a restricting condition"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = "CWE-284"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for api in ctx.app.apis:
            policy = api.resource_policy
            if policy is None or denied_to_public(policy, _INVOKE):
                continue
            stmt = next((s for s in policy.statements if open_to_anyone(s) and statement_covers(s, _INVOKE)), None)
            if stmt is None:
                continue
            iam_routes = [t for t in ctx.app.triggers if t.api == api.id and t.auth is not None
                          and t.auth.type is AuthType.IAM]
            endpoint = api.endpoint_type if isinstance(api.endpoint_type, str) else None
            private = endpoint is not None and endpoint.upper() == "PRIVATE"
            where = "through any VPC endpoint of any account" if private else "from anywhere"
            message = (f"the resource policy of API {api.id} allows any principal to invoke it {where}, with no "
                       "condition on who calls")
            severity = self.severity
            if iam_routes:
                severity = Severity.HIGH
                message += (f"; high because {len(iam_routes)} AWS_IAM-authorized route(s) become callable by IAM "
                            "principals of every AWS account")
            elif not private:
                # A public endpoint without IAM routes is reachable by anyone with or without this policy: the
                # policy restricts nothing, which is worth saying, but it opens nothing either.
                severity = Severity.LOW
                message += ("; low because the endpoint is public and no route uses AWS_IAM, so the policy "
                            "restricts nothing but opens nothing either")
            yield self.finding(
                message, stmt.location, stmt.location.logical_id or api.id, function=_api_functions(ctx.app, api),
                severity=severity, statement=statement_dict(stmt),
                fix=("Restrict the statement with a condition on who calls (`aws:SourceVpce` for a private API, "
                     "`aws:SourceIp`, `aws:PrincipalOrgID`), or name the principals instead of `*`; or add a Deny "
                     "for everyone outside that source."))


# ----------------------------------------------------------------------------------------- FG314


def _any_origin(cors: Cors | None) -> bool:
    """The configuration lets any origin read responses. Unresolved origins are never read as `*`."""
    if cors is None or not isinstance(cors.allow_origins, tuple):
        return False
    return any(isinstance(o, str) and o.strip() == "*" for o in cors.allow_origins)


@register
class CorsAnyOrigin(Rule):
    """Flags a CORS configuration that lets any origin call the API or function URL from a browser.

    ## What it does
    Reads the CORS settings of each API and function URL (SAM `Cors` / `CorsConfiguration`,
    `AWS::ApiGatewayV2::Api` `CorsConfiguration`, a function URL's `Cors`, Terraform `cors_configuration` /
    `cors`, Serverless `cors: true` or `origin: '*'` on `http` events and `provider.httpApi.cors`) and
    reports an allowed origin of `*`. Low by default; high when the same configuration also allows
    credentials (`AllowCredentials: true`), which asks browsers to send cookies and authorization headers
    with cross-site requests. Origins that cannot be resolved (a parameter, a variable) are not reported.

    ## Why is this bad?
    `Access-Control-Allow-Origin: *` lets script on every web site read the API's responses in its visitors'
    browsers, including responses the browser could only obtain from inside the visitor's network or
    session. With credentials allowed as well, a configuration that trusts every origin is one reflected
    origin away from letting any site act as the signed-in user.

    ## Example
    ```yaml
    Transform: AWS::Serverless-2016-10-31
    Resources:
      OrdersHttpApi:
        Type: AWS::Serverless::HttpApi
        Properties:
          CorsConfiguration:
            AllowOrigins:
              - "*"
            AllowCredentials: true
    ```

    ## Fix
    ```yaml
    Transform: AWS::Serverless-2016-10-31
    Resources:
      OrdersHttpApi:
        Type: AWS::Serverless::HttpApi
        Properties:
          CorsConfiguration:
            AllowOrigins:
              - https://shop.example.com
            AllowCredentials: true
    ```
    """

    id = "FG314"
    name = "cors-any-origin"
    summary = "CORS allowing any origin (high with credentials)"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    cwe = "CWE-942"
    owasp = "SAS-3"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        # A SAM `Globals` Cors is one node every API inherits: one finding naming them all.
        groups: dict[tuple[str, int, int], list[Api]] = {}
        for api in ctx.app.apis:
            if api.cors is not None and _any_origin(api.cors):
                where = api.cors.location
                groups.setdefault((where.path, where.line, where.column), []).append(api)
        for apis in groups.values():
            first = apis[0]
            assert first.cors is not None
            kind = "HTTP API" if first.kind is TriggerKind.HTTP_API else "REST API" \
                if first.kind is TriggerKind.REST_API else "API"
            what = f"{kind} {first.id}" if len(apis) == 1 else \
                f"{len(apis)} APIs inheriting one setting ({', '.join(a.id for a in apis)})"
            functions = sorted({f for a in apis for f in _api_functions(ctx.app, a) or ()}) or None
            yield self._finding(what, first.cors, first.id, functions)
        for trigger in ctx.app.triggers:
            if trigger.kind is not TriggerKind.FUNCTION_URL or not _any_origin(trigger.cors) or trigger.cors is None:
                continue
            fn = trigger.function if isinstance(trigger.function, str) else None
            yield self._finding(f"function URL of {fn or trigger.id}", trigger.cors, trigger.id, fn)

    def _finding(self, what: str, cors: Cors, resource: str, function: str | list[str] | None) -> Finding:
        verb = "allow" if what[:1].isdigit() else "allows"
        message = f"{what} {verb} cross-origin requests from any origin (`*`)"
        severity = self.severity
        if cors.allow_credentials is True:
            severity = Severity.HIGH
            message += f" and {verb} credentials; high because browsers are asked to send cookies and " \
                       "authorization headers with requests from any site"
        return self.finding(
            message, cors.location, resource, function=function, severity=severity,
            fix=("List the origins that serve your front end (`https://app.example.com`) instead of `*`, and allow "
                 "credentials only for those."))
