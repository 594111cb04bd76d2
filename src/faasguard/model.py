"""The normalized application model every loader produces and every rule reads.

One `Application` is one deployable unit: a CloudFormation/SAM template, one stack of a CDK app, one
Serverless Framework service, one Terraform root module, one ECS task definition file, one Cloud Run service
file, or one live AWS account/region. Rules run per application, so logical ids only need to be unique inside
one.

Everything is a frozen dataclass. Loaders build nodes once; enrichment (code analysis, IAM evaluation,
dependency advisories) lives beside the model in `faasguard.pipeline.Facts`, never inside it, so a loader never
needs to know what analyses exist.

Two conventions a reader would otherwise get wrong:

* A value that cannot be resolved statically is an `Unknown(reason)`, never a guess, and `None` means the
  property is *absent* from the source (so the platform default applies). Rules must treat the two
  differently: an absent `Timeout` is "the default", an `Unknown` timeout is "we cannot tell".
* Every node has a `location` (where the node is declared) and `field_locations` (where each property is
  declared, keyed by the model field name). `node.loc("timeout")` gives the property's line when it is present
  and the node's own line otherwise, which is exactly the line a finding should point at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import field, fields
from enum import StrEnum
from typing import Any, TypeVar

from faasguard._record import record

T = TypeVar("T")


@record
class Location:
    """Where something is declared. Lines and columns are 1-based."""

    path: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    logical_id: str | None = None
    """Logical id (CloudFormation), function key (Serverless) or address (Terraform) of the enclosing node."""
    construct_path: str | None = None
    """CDK construct path (`aws:cdk:path` metadata), shown next to the logical id."""

    def __init__(self, path: str, line: int = 1, column: int = 1, end_line: int | None = None,  # noqa: PLR0917
                 logical_id: str | None = None, construct_path: str | None = None) -> None:
        # Written out (dataclasses keeps an `__init__` the class defines) because a scan builds hundreds of
        # thousands of locations: the generated one sets each field of a frozen class through
        # `object.__setattr__` (~2.3 us a location); the slots' own setters take half of that.
        _set_path(self, path)
        _set_line(self, line)
        _set_column(self, column)
        _set_end_line(self, end_line)
        _set_logical_id(self, logical_id)
        _set_construct_path(self, construct_path)

    def with_id(self, logical_id: str | None, construct_path: str | None = None) -> Location:
        return Location(self.path, self.line, self.column, self.end_line, logical_id,
                        construct_path or self.construct_path)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


_set_path, _set_line, _set_column, _set_end_line, _set_logical_id, _set_construct_path = (
    Location.__dict__[f.name].__set__ for f in fields(Location))


@record
class Unknown:
    """A value that cannot be resolved statically, with the reason (e.g. "!Ref to parameter DbPassword
    without a default"). Falsy, so `if value:` never mistakes it for a present value; use `is_known`."""

    reason: str
    location: Location | None = None
    partial: str | None = field(default=None, compare=False)
    """The value as far as it is known, unknown parts kept as `${Name}` (a CloudFormation `Fn::Sub` over a
    parameter without a default: `${Repo}:latest`), for rules that judge a literal part (FG604's tag)."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"<unknown: {self.reason}>"


def is_known(value: object) -> bool:
    return not isinstance(value, Unknown)


def known(value: T | Unknown | None) -> T | None:
    """The value when it is known, else None (for rules that only act on resolved values)."""
    return None if isinstance(value, Unknown) else value


class SourceKind(StrEnum):
    CLOUDFORMATION = "cloudformation"
    SAM = "sam"
    CDK = "cdk"
    SERVERLESS = "serverless"
    TERRAFORM = "terraform"
    ECS = "ecs"
    CLOUD_RUN = "cloudrun"
    ZAPPA = "zappa"
    CHALICE = "chalice"
    DOCKERFILE = "dockerfile"
    CODE = "code"
    """Bare handler code with no infrastructure-as-code."""
    LIVE = "live"
    """A live AWS account (audit)."""


@record
class Node:
    """Base of every located model node."""

    id: str
    """Logical id / Serverless key / Terraform address; unique inside the application for its node type."""
    location: Location
    field_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

    def loc(self, field_name: str) -> Location:
        return self.field_locations.get(field_name, self.location)


# --------------------------------------------------------------------------------------------- IAM

@record
class Statement:
    """One IAM statement, values kept as written (strings may still hold wildcards)."""

    effect: str | Unknown
    location: Location
    sid: str | None = None
    actions: tuple[str | Unknown, ...] = ()
    not_actions: tuple[str | Unknown, ...] | None = None
    resources: tuple[str | Unknown, ...] = ()
    not_resources: tuple[str | Unknown, ...] | None = None
    principals: Mapping[str, tuple[str | Unknown, ...]] | None = None
    """Principal type ("AWS", "Service", "Federated", "*") → values; None when the statement has no Principal."""
    not_principals: Mapping[str, tuple[str | Unknown, ...]] | None = None
    conditions: Mapping[str, Mapping[str, tuple[str | Unknown, ...]]] = field(default_factory=dict)
    """Operator → condition key → values."""
    field_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

    def loc(self, field_name: str) -> Location:
        return self.field_locations.get(field_name, self.location)

    @property
    def is_allow(self) -> bool:
        return isinstance(self.effect, str) and self.effect.lower() == "allow"


@record
class PolicyDocument:
    statements: tuple[Statement, ...]
    location: Location
    unresolved: Unknown | None = None
    """Set when the document (or part of it) could not be resolved; statements hold what could be."""


class PolicyKind(StrEnum):
    INLINE = "inline"
    """Inline on the role (Policies / aws_iam_role_policy / SAM inline statement)."""
    CUSTOMER_MANAGED = "customer-managed"
    """AWS::IAM::ManagedPolicy / AWS::IAM::Policy / aws_iam_policy defined in the same source."""
    AWS_MANAGED = "aws-managed"
    """arn:aws:iam::aws:policy/..., document resolved from bundled data when known."""
    SAM_TEMPLATE = "sam-template"
    """A SAM policy template (S3ReadPolicy...) expanded from aws-sam-translator's data."""
    EXTERNAL = "external"
    """A policy ARN we cannot see (another account's managed policy, an imported value)."""


@record
class Policy:
    name: str
    kind: PolicyKind
    location: Location
    document: PolicyDocument | None
    """None when the policy cannot be seen (external ARN, unknown AWS managed policy)."""
    arn: str | Unknown | None = None
    id: str | None = None
    """Logical id / address of the policy resource when it is a resource of its own."""


@record
class Role(Node):
    name: str | Unknown | None = None
    arn: str | Unknown | None = None
    trust_policy: PolicyDocument | None = None
    policies: tuple[Policy, ...] = ()
    permissions_boundary: str | Unknown | None = None
    implicit: bool = False
    """True for a role the platform generates for one function (SAM `Policies`, Serverless per-service role)."""
    external: bool = False
    """True for a role referenced by ARN/name that is not defined in the source: its permissions are unknown."""


# ------------------------------------------------------------------------------------- functions

@record
class EnvVar:
    name: str
    value: str | Unknown
    location: Location
    secret_reference: bool = False
    """True when the value is a reference the platform resolves from a secret store at deploy or run time
    ({{resolve:secretsmanager:...}}, ${ssm:...}, ECS `secrets`, Cloud Run secretKeyRef)."""
    from_secret_attribute: str | None = None
    """Set when the value is a platform attribute that is itself a secret copied into plaintext
    (e.g. "AWS::IAM::AccessKey.SecretAccessKey", "random_password.result")."""


@record
class VpcConfig:
    location: Location
    subnet_ids: tuple[str | Unknown, ...] = ()
    security_group_ids: tuple[str | Unknown, ...] = ()
    """Logical ids of security groups in this application where resolvable, else the raw id or Unknown."""


@record
class CodeLocation:
    """Where a function's handler code lives, for the code analysis."""

    code_dir: str | None
    """Directory holding the function's package (absolute), None when it is not on disk (S3 URI, image)."""
    handler_file: str | None
    """Absolute path of the handler module when found on disk."""
    handler_function: str | None
    handler: str | Unknown | None = None
    """The handler string as written (e.g. "app.lambda_handler")."""
    package_type: str = "Zip"
    image_uri: str | Unknown | None = None
    inline: bool = False
    """Inline code in the template (`Code.ZipFile`, SAM `InlineCode`)."""
    inline_source: str | None = None
    """The inline code's text, when each of its lines is a line of the template (a YAML block scalar or a
    one-line value): the code analysis reads it as the module `index` and locates its findings in the template.
    None for code it cannot locate line by line (a JSON string of several lines, `Fn::Join` of lines)."""
    inline_line: int = 0
    """The template line of the inline code's first line."""


@record
class Destination:
    """Where failed events go: a DLQ or an on-failure destination."""

    kind: str
    """"dlq", "on-failure", "redrive" (SQS queue redrive policy)."""
    target: str | Unknown
    location: Location


@record
class Function(Node):
    name: str | Unknown | None = None
    runtime: str | Unknown | None = None
    handler: str | Unknown | None = None
    code: CodeLocation | None = None
    timeout: int | Unknown | None = None
    """None = absent (the platform default applies; see `timeout_default`)."""
    timeout_default: int = 3
    memory_size: int | Unknown | None = None
    role: str | Unknown | None = None
    """Id of a `Role` in `Application.roles` (possibly an external/implicit one), or Unknown."""
    environment: tuple[EnvVar, ...] = ()
    kms_key: str | Unknown | None = None
    layers: tuple[str | Unknown, ...] = ()
    """Layer ARNs, or ids of `Layer` nodes in this application."""
    vpc: VpcConfig | None = None
    reserved_concurrency: int | Unknown | None = None
    tracing: str | Unknown | None = None
    """"Active" / "PassThrough" as written; None when absent."""
    code_signing_config: str | Unknown | None = None
    dead_letter: Destination | None = None
    async_on_failure: Destination | None = None
    """EventInvokeConfig / DestinationConfig OnFailure for asynchronous invocations."""
    async_on_success: Destination | None = None
    """EventInvokeConfig / DestinationConfig OnSuccess: where the result of an asynchronous invocation goes (kind
    "on-success"); a destination that is the function's own trigger makes every success fire it again."""
    recursive_loop: str | Unknown | None = None
    """Lambda's recursive loop detection setting as written ("Allow" / "Terminate"); None when absent (the
    platform default, "Terminate", applies)."""
    package_type: str = "Zip"
    architectures: tuple[str, ...] = ()
    platform: str = "aws-lambda"
    """"aws-lambda", "gcp-functions" ... so rules can tell which platform defaults apply."""
    tags: Mapping[str, str | Unknown] = field(default_factory=dict)
    service_account: str | Unknown | None = None
    """Google Cloud Functions: the runtime service account's email; None = absent (the platform's default
    account runs it: App Engine's for gen 1, Compute Engine's for gen 2)."""
    ingress: str | Unknown | None = None
    """Google Cloud Functions: ingress in Cloud Run's spelling (`all`, `internal`,
    `internal-and-cloud-load-balancing`); None = absent (the default is `all`)."""
    invokers: tuple[str | Unknown, ...] = ()
    """Google Cloud Functions: members granted the invoker role on the function (`allUsers`...)."""
    vpc_egress: str | Unknown | None = None
    """Google Cloud Functions: VPC connector egress (`all-traffic`, `private-ranges-only`)."""
    account_roles: tuple[str | Unknown, ...] = ()
    """Google Cloud Functions: project roles the same source grants the runtime service account (located at
    `field_locations["account_roles"]`, the first grant)."""
    external: bool = False
    """A function the source does not define but grants access to (a Cloud Functions IAM binding naming a
    function deployed elsewhere): only what the source says about it is known."""


# -------------------------------------------------------------------------------------- triggers

class TriggerKind(StrEnum):
    REST_API = "rest-api"
    HTTP_API = "http-api"
    FUNCTION_URL = "function-url"
    ALB = "alb"
    S3 = "s3"
    SQS = "sqs"
    SNS = "sns"
    SCHEDULE = "schedule"
    EVENTBRIDGE = "eventbridge"
    DYNAMODB_STREAM = "dynamodb-stream"
    KINESIS = "kinesis"
    KAFKA = "kafka"
    MQ = "mq"
    COGNITO = "cognito"
    IOT = "iot"
    CLOUDWATCH_LOGS = "cloudwatch-logs"
    HTTP_FUNCTION = "http-function"
    """A Google Cloud Functions HTTPS trigger: the function's own URL, guarded by the invoker IAM role."""
    OTHER = "other"

    @property
    def is_http(self) -> bool:
        return self in (TriggerKind.REST_API, TriggerKind.HTTP_API, TriggerKind.FUNCTION_URL, TriggerKind.ALB,
                        TriggerKind.HTTP_FUNCTION)

    @property
    def is_stream(self) -> bool:
        """Poll-based sources read through an event source mapping (failures block or are retried)."""
        return self in (TriggerKind.DYNAMODB_STREAM, TriggerKind.KINESIS, TriggerKind.KAFKA, TriggerKind.MQ)

    @property
    def is_async(self) -> bool:
        """Sources that invoke the function asynchronously (Lambda retries twice, then drops the event)."""
        return self in (TriggerKind.S3, TriggerKind.SNS, TriggerKind.SCHEDULE, TriggerKind.EVENTBRIDGE,
                        TriggerKind.IOT, TriggerKind.CLOUDWATCH_LOGS)


class AuthType(StrEnum):
    NONE = "NONE"
    IAM = "AWS_IAM"
    COGNITO = "COGNITO"
    JWT = "JWT"
    LAMBDA = "LAMBDA"
    API_KEY = "API_KEY"
    UNKNOWN = "UNKNOWN"


@record
class Auth:
    type: AuthType
    location: Location
    authorizer: str | None = None
    """Authorizer logical id / name when one is named."""
    api_key_required: bool = False
    detail: str | None = None
    """Why the type is what it is (e.g. "inherited from Api DefaultAuthorizer", "Authorizer: NONE on route")."""


@record
class Trigger(Node):
    kind: TriggerKind = TriggerKind.OTHER
    function: str | Unknown = ""
    """Id of the target `Function`."""
    source: str | Unknown | None = None
    """What fires it: bucket/queue/topic/table/stream id or ARN, schedule expression, event pattern source."""
    api: str | None = None
    """Id of the `Api` for REST/HTTP routes."""
    method: str | None = None
    path: str | None = None
    auth: Auth | None = None
    """For HTTP triggers: the effective authorization (never None for HTTP kinds once loaded)."""
    request_validation: bool | Unknown | None = None
    """For REST methods: a request validator or model applies; always False for HTTP API routes (API Gateway
    validates nothing there). None = not applicable / not modelled."""
    takes_input: bool | Unknown | None = None
    """For REST methods and HTTP API routes: the route takes a body or parameters (POST/PUT/PATCH/ANY, path
    parameters, or declared parameters)."""
    on_failure: Destination | None = None
    """Event source mapping destination / bisect config for stream sources, SNS subscription redrive."""
    private: bool = False
    """Reachable only from a VPC (PRIVATE REST endpoint, internal ALB)."""
    cors: Cors | None = None
    """For function URLs: the URL's CORS configuration (None when the source declares none)."""
    source_events: tuple[str | Unknown, ...] = ()
    """For S3 triggers: the bucket event types that fire the function as written (`s3:ObjectCreated:*`,
    `s3:ObjectRemoved:Delete`); empty when the source does not say."""
    event_filter: Mapping[str, str | Unknown] | Unknown | None = None
    """What narrows the events of the source that fire the function: for S3, the object key rules
    ({"prefix": "uploads/", "suffix": ".jpg"}); for SQS/SNS, {"pattern": <the filter as written>}
    (FilterCriteria / filter policy). None when every event of the source fires it; Unknown when a filter is
    set that cannot be resolved. Located at `field_locations["event_filter"]`."""


@record
class Cors:
    """A CORS configuration as the platform applies it (SAM `Cors` / `CorsConfiguration`,
    `AWS::ApiGatewayV2::Api` `CorsConfiguration`, a function URL's `Cors`, Terraform `cors_configuration` /
    `cors`, Serverless `cors`), read from any spelling by the loaders. Origins are kept as the browser sees
    them (SAM's REST spelling `"'*'"` is unquoted to `*`); `location` is the line that sets the origins."""

    location: Location
    allow_origins: tuple[str | Unknown, ...] | Unknown = ()
    allow_credentials: bool | Unknown | None = None
    """None: not set (credentials are not allowed)."""
    credentials_location: Location | None = None


@record
class Stage:
    name: str
    location: Location
    access_logging: bool | Unknown = False
    waf: bool | Unknown = False
    id: str | None = None
    field_locations: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)
    variables: tuple[EnvVar, ...] = ()
    """Stage variables (`Variables`, `StageVariables`, Terraform `variables` / `stage_variables`): plain
    configuration every caller of `apigateway:GET` and every integration request can read."""

    def loc(self, field_name: str) -> Location:
        return self.field_locations.get(field_name, self.location)


@record
class Api(Node):
    kind: TriggerKind = TriggerKind.REST_API
    name: str | Unknown | None = None
    stages: tuple[Stage, ...] = ()
    default_auth: Auth | None = None
    endpoint_type: str | Unknown | None = None
    """"EDGE" / "REGIONAL" / "PRIVATE"."""
    implicit: bool = False
    """True for the API SAM/Serverless create implicitly from function events."""
    resource_policy: PolicyDocument | None = None
    """The API's resource policy (REST `Policy`, SAM `Auth.ResourcePolicy`, `aws_api_gateway_rest_api_policy`,
    Serverless `provider.apiGateway.resourcePolicy`)."""
    cors_allow_origins: tuple[str | Unknown, ...] = ()
    cors: Cors | None = None
    """The API's CORS configuration (None when the source declares none)."""


@record
class Permission(Node):
    """A resource-based policy statement allowing someone to invoke a function."""

    function: str | Unknown = ""
    action: str | Unknown = "lambda:InvokeFunction"
    principal: str | Unknown = ""
    source_arn: str | Unknown | None = None
    source_account: str | Unknown | None = None
    principal_org_id: str | Unknown | None = None
    function_url_auth_type: str | Unknown | None = None


# ------------------------------------------------------------------------- layers and containers

@record
class Layer(Node):
    arn: str | Unknown | None = None
    name: str | Unknown | None = None
    content_dir: str | None = None
    """Absolute path of the layer's content (directory or zip) when on disk."""
    compatible_runtimes: tuple[str, ...] = ()


@record
class Container(Node):
    """A container the platform runs: an ECS/Fargate container definition, a Cloud Run container, a Lambda
    container image function."""

    platform: str = "ecs"
    """"ecs", "cloudrun", "knative", "lambda-image", "dockerfile"."""
    task: str | None = None
    """Id of the enclosing task definition / service."""
    image: str | Unknown | None = None
    user: str | Unknown | None = None
    run_as_non_root: bool | Unknown | None = None
    privileged: bool | Unknown | None = None
    read_only_root_filesystem: bool | Unknown | None = None
    allow_privilege_escalation: bool | Unknown | None = None
    capabilities_add: tuple[str | Unknown, ...] = ()
    security_context_declared: bool = False
    security_context_enforced: bool | Unknown = True
    environment: tuple[EnvVar, ...] = ()
    cpu_limit: str | Unknown | None = None
    memory_limit: str | Unknown | None = None
    task_role: str | Unknown | None = None
    execution_role: str | Unknown | None = None
    service_account: str | Unknown | None = None
    ingress: str | Unknown | None = None
    max_instances: int | Unknown | None = None
    timeout: int | Unknown | None = None
    invokers: tuple[str | Unknown, ...] = ()
    vpc_egress: str | Unknown | None = None


# ------------------------------------------------------------------------------ network and data

@record
class SecurityGroupRule:
    direction: str
    """"egress" / "ingress"."""
    protocol: str | Unknown
    """"-1" for all protocols."""
    from_port: int | Unknown | None
    to_port: int | Unknown | None
    cidr: str | Unknown | None
    location: Location
    destination_group: str | Unknown | None = None


@record
class SecurityGroup(Node):
    rules: tuple[SecurityGroupRule, ...] = ()
    implicit_allow_all_egress: bool = False
    """CloudFormation adds allow-all egress when SecurityGroupEgress is absent (Terraform does not)."""
    vpc_id: str | Unknown | None = None


class RouteTarget(StrEnum):
    """What a route sends traffic to, as far as the source says."""

    INTERNET_GATEWAY = "internet-gateway"
    NAT_GATEWAY = "nat-gateway"
    EGRESS_ONLY_GATEWAY = "egress-only-internet-gateway"
    OTHER = "other"
    """The VPC itself (`local`), a VPC endpoint, peering connection, transit/VPN gateway, instance or ENI."""
    UNKNOWN = "unknown"
    """A target we cannot read (a variable, a module output, an unresolvable reference)."""


_ANY_DESTINATION = frozenset({"0.0.0.0/0", "::/0"})


@record
class Route:
    """One route of a route table: CloudFormation `AWS::EC2::Route`, Terraform `aws_route` or a `route` block of
    `aws_route_table`."""

    destination: str | Unknown | None
    """The destination CIDR (IPv4 or IPv6) or prefix list id as written; None when the source gives none."""
    target: RouteTarget
    location: Location
    target_id: str | Unknown | None = None
    """Id of the gateway node in this source (logical id / address), or the literal id (`igw-0abc...`)."""

    @property
    def is_default(self) -> bool:
        """A route for every address (`0.0.0.0/0` or `::/0`)."""
        return isinstance(self.destination, str) and self.destination.strip() in _ANY_DESTINATION


@record
class RouteTable(Node):
    routes: tuple[Route, ...] = ()
    vpc_id: str | Unknown | None = None

    def internet_route(self) -> Route | bool | Unknown:
        """The default route to an internet gateway when there is one; False when every route is known and
        none is; Unknown when a route's destination or target cannot be read (it may be that route)."""
        undecided: Unknown | None = None
        for route in self.routes:
            if isinstance(route.destination, Unknown):
                if route.target in (RouteTarget.INTERNET_GATEWAY, RouteTarget.UNKNOWN):
                    undecided = undecided or route.destination
                continue
            if not route.is_default:
                continue
            if route.target is RouteTarget.INTERNET_GATEWAY:
                return route
            if route.target is RouteTarget.UNKNOWN:
                undecided = undecided or Unknown("the target of a default route is not known", route.location)
        return undecided if undecided is not None else False


@record
class Subnet(Node):
    """A VPC subnet with the route table that applies to it, so "public subnet" is read from the model alone."""

    route_table: str | Unknown | None = None
    """Id of the `RouteTable` associated with the subnet in this source (`SubnetRouteTableAssociation`,
    `aws_route_table_association`, or the VPC's main table when the source declares it); None when the source
    associates none, in which case the VPC's main route table, which we cannot see, applies. Located at
    `field_locations["route_table"]` (the association)."""
    map_public_ip_on_launch: bool | Unknown | None = None
    """`MapPublicIpOnLaunch` / `map_public_ip_on_launch` as written (None: absent, the default false)."""
    vpc_id: str | Unknown | None = None


@record
class Service(Node):
    """A long-running container service that places tasks in a VPC: an ECS service with the `awsvpc` network
    configuration (`NetworkConfiguration.AwsvpcConfiguration` / `network_configuration`), or the tasks an
    EventBridge rule target or Scheduler schedule launches with one."""

    platform: str = "ecs"
    task: str | Unknown | None = None
    """Id of the task definition it runs, when in this source."""
    network: VpcConfig | None = None
    """Subnets and security groups of its tasks; None when the service declares no network configuration."""
    assign_public_ip: bool | Unknown | None = None


class ResourceCategory(StrEnum):
    RDS = "rds"
    ELASTICACHE = "elasticache"
    REDSHIFT = "redshift"
    DOCUMENTDB = "documentdb"
    OPENSEARCH = "opensearch"
    MEMORYDB = "memorydb"
    NEPTUNE = "neptune"
    TABLE = "dynamodb-table"
    BUCKET = "s3-bucket"
    QUEUE = "sqs-queue"
    TOPIC = "sns-topic"
    STREAM = "kinesis-stream"
    SECRET = "secret"  # noqa: S105 - a category name
    PARAMETER = "ssm-parameter"
    KMS_KEY = "kms-key"
    ECR_REPOSITORY = "ecr-repository"
    STATE_MACHINE = "state-machine"
    EVENT_BUS = "event-bus"
    LOG_GROUP = "log-group"
    USER_POOL = "user-pool"
    IDENTITY_POOL = "identity-pool"
    OTHER = "other"

    @property
    def vpc_only(self) -> bool:
        return self in (ResourceCategory.RDS, ResourceCategory.ELASTICACHE, ResourceCategory.REDSHIFT,
                        ResourceCategory.DOCUMENTDB, ResourceCategory.MEMORYDB, ResourceCategory.NEPTUNE)


@record
class EcrRepositorySettings:
    """What an ECR repository says about scanning and tags, read from either spelling by the loaders so rules
    never parse `ImageScanningConfiguration` / `image_scanning_configuration` themselves. None: not set (the
    service defaults, no scan on push and mutable tags, apply). Located at `Resource.field_locations`
    "ecr.scan_on_push" and "ecr.tag_mutability"."""

    scan_on_push: bool | Unknown | None = None
    tag_mutability: str | Unknown | None = None


@record
class ParameterSettings:
    """An SSM parameter's type and value (`AWS::SSM::Parameter`, `aws_ssm_parameter`). CloudFormation cannot
    create `SecureString` parameters, so every parameter it creates is stored in plaintext. Located at
    `Resource.field_locations` "parameter.type" and "parameter.value"."""

    type: str | Unknown | None = None
    """"String", "StringList", "SecureString"; None when absent (String)."""
    value: str | Unknown | None = None
    from_secret_attribute: str | None = None
    """Set when the value copies a secret attribute or a sensitive variable (as `EnvVar.from_secret_attribute`)."""


@record
class UserPoolAttribute:
    """A custom attribute of a Cognito user pool's schema, named as tokens carry it (`custom:role`)."""

    name: str
    location: Location
    mutable: bool | Unknown | None = None
    developer_only: bool | Unknown | None = None


@record
class UserPoolClient:
    """An app client of a user pool. `write_attributes` None means the client declares none, and Cognito then
    lets users write every attribute of the pool (standard and custom)."""

    id: str
    location: Location
    write_attributes: tuple[str | Unknown, ...] | Unknown | None = None
    write_location: Location | None = None


@record
class UserPoolSettings:
    """A Cognito user pool's password policy, custom attributes, sign-up setting and app clients (clients are
    resources of their own in every source; the loaders attach each to the pool it names). Located at
    `Resource.field_locations` "user_pool.password_policy", "user_pool.minimum_length" and
    "user_pool.admin_create_user_only"."""

    password_policy: bool = False
    """True when the source writes a password policy (absent: Cognito's default, 8 characters of 4 classes)."""
    minimum_length: int | Unknown | None = None
    custom_attributes: tuple[UserPoolAttribute, ...] | Unknown = ()
    admin_create_user_only: bool | Unknown | None = None
    """True when only administrators create users (no self sign-up)."""
    clients: tuple[UserPoolClient, ...] = ()


@record
class IdentityPoolSettings:
    """A Cognito identity pool: whether it hands out credentials to unauthenticated (anonymous) callers, and the
    role they get (`AWS::Cognito::IdentityPoolRoleAttachment` / `aws_cognito_identity_pool_roles_attachment`).
    Located at `Resource.field_locations` "identity_pool.allow_unauthenticated" and
    "identity_pool.unauthenticated_role"."""

    allow_unauthenticated: bool | Unknown | None = None
    unauthenticated_role: str | Unknown | None = None
    """Id of a `Role` in `Application.roles`, or Unknown."""


@record
class PublicAccessBlock:
    """S3 Block Public Access as written for a bucket (and its account, the stricter of the two). A flag absent
    from a written configuration is False (the API's default); one that cannot be resolved is Unknown."""

    block_public_acls: bool | Unknown = False
    ignore_public_acls: bool | Unknown = False
    block_public_policy: bool | Unknown = False
    restrict_public_buckets: bool | Unknown = False


@record
class BucketSettings:
    """What an S3 bucket says about public access, from either spelling (CloudFormation `AccessControl`,
    `PublicAccessBlockConfiguration`, `OwnershipControls`; Terraform `acl`, `aws_s3_bucket_acl`,
    `aws_s3_bucket_public_access_block`, `aws_s3_account_public_access_block`, `aws_s3_bucket_ownership_controls`),
    so rules never read those spellings. None: not set. Located at `Resource.field_locations` "bucket.acl",
    "bucket.public_access_block" and "bucket.object_ownership"."""

    acl: str | Unknown | None = None
    """The canned ACL in the S3 API's spelling (`public-read-write`), whichever spelling the source used."""
    public_access_block: PublicAccessBlock | Unknown | None = None
    object_ownership: str | Unknown | None = None
    """`BucketOwnerEnforced` (ACLs disabled), `BucketOwnerPreferred` or `ObjectWriter`."""


@record
class RegistryScanRule:
    """One rule of a registry-wide scanning configuration: how often, and which repositories (ECR `WILDCARD`
    filters, where `*` matches any run of characters)."""

    frequency: str | Unknown | None
    filters: tuple[str | Unknown, ...] | Unknown = ()


_SCANNING_FREQUENCIES = frozenset({"SCAN_ON_PUSH", "CONTINUOUS_SCAN"})


@record
class RegistryScanning(Node):
    """A registry-wide scanning configuration (`AWS::ECR::RegistryScanningConfiguration`,
    `aws_ecr_registry_scanning_configuration`). It overrides the repositories' own scan-on-push setting for the
    repositories its rules match, and only for those."""

    scan_type: str | Unknown | None = None
    rules: tuple[RegistryScanRule, ...] | Unknown = ()

    def covers(self, repository_name: str | Unknown | None) -> bool | Unknown:
        """Whether images pushed to the named repository are scanned by this configuration. A repository
        without a known name is covered only by a `*` filter; anything undecidable is Unknown, never guessed."""
        if isinstance(self.rules, Unknown):
            return self.rules
        undecided: Unknown | None = None
        for rule in self.rules:
            if isinstance(rule.frequency, Unknown):
                undecided = undecided or rule.frequency
                continue
            if rule.frequency is None or rule.frequency.upper() not in _SCANNING_FREQUENCIES:
                continue
            if isinstance(rule.filters, Unknown):
                undecided = undecided or rule.filters
                continue
            for pattern in rule.filters:
                if isinstance(pattern, Unknown):
                    undecided = undecided or pattern
                elif pattern.strip() == "*":
                    return True
                elif isinstance(repository_name, str):
                    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
                    if re.fullmatch(regex, repository_name):
                        return True
                else:
                    undecided = undecided or Unknown("repository name not known to match the scanning filter",
                                                     self.location)
        return undecided if undecided is not None else False


@record
class Resource(Node):
    """A data store or other resource functions use (tables, buckets, queues, secrets, keys, databases)."""

    type: str = ""
    """The source's own type name: "AWS::DynamoDB::Table", "aws_dynamodb_table"."""
    category: ResourceCategory = ResourceCategory.OTHER
    name: str | Unknown | None = None
    arn: str | Unknown | None = None
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Resolved properties as plain values (Unknown where unresolvable), for rules that need a detail."""
    resource_policy: PolicyDocument | None = None
    """The resource-based policy of a bucket, queue, topic, secret or KMS key (S3 BucketPolicy, SQS QueuePolicy,
    SNS TopicPolicy, Secrets Manager ResourcePolicy, a key's KeyPolicy; statements merged when several
    policies name it), located at the first policy's document (`field_locations["resource_policy"]`). None
    when the source declares none."""
    ecr: EcrRepositorySettings | None = None
    """Scanning and tag settings of an ECR repository (None for every other category)."""
    public_policy_blocked: bool | Unknown | None = None
    """A secret's policy is put with `BlockPublicPolicy` (Secrets Manager then refuses a policy granting broad
    access, so a public one never deploys). None when not set."""
    parameter: ParameterSettings | None = None
    """Type and value of an SSM parameter (None for every other category)."""
    user_pool: UserPoolSettings | None = None
    """Password policy, custom attributes and clients of a Cognito user pool (None for every other category)."""
    identity_pool: IdentityPoolSettings | None = None
    """Unauthenticated access of a Cognito identity pool (None for every other category)."""
    redrive: Destination | Unknown | None = None
    """For an SQS queue: the dead-letter queue its redrive policy moves failing messages to (kind "redrive",
    located at the policy). None when the source declares no redrive policy; Unknown when it declares one we
    cannot resolve (a condition, a parameter). Always None for other categories."""
    bucket: BucketSettings | None = None
    """Public-access settings of an S3 bucket (None for every other category)."""
    publicly_accessible: bool | Unknown | None = None
    """A database's `PubliclyAccessible` / `publicly_accessible` (None: absent, the default false)."""


@record
class Parameter:
    name: str
    location: Location
    default: Any = None
    has_default: bool = False
    no_echo: bool = False


# ------------------------------------------------------------------------------------ application

@record
class Application:
    name: str
    """Display name: the template/project path, or stack name."""
    source: SourceKind
    root: str
    """Directory handler paths are relative to (the template's directory, the project root)."""
    files: tuple[str, ...]
    """Every file that contributed (for suppression comments and reports)."""
    functions: tuple[Function, ...] = ()
    roles: tuple[Role, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    apis: tuple[Api, ...] = ()
    permissions: tuple[Permission, ...] = ()
    layers: tuple[Layer, ...] = ()
    containers: tuple[Container, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    services: tuple[Service, ...] = ()
    """Container services (ECS) with their network placement."""
    resources: tuple[Resource, ...] = ()
    registry_scanning: tuple[RegistryScanning, ...] = ()
    """Registry-wide ECR scanning configurations the source declares."""
    parameters: tuple[Parameter, ...] = ()
    account_id: str | Unknown | None = None
    """The deploying account when known (live audit); templates use AWS::AccountId, i.e. "self"."""
    suppressions: tuple[SourceSuppression, ...] = ()
    """Suppressions declared in the source itself (CloudFormation Metadata); comments are read by the filter."""

    _index: _AppIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Rules look nodes up by id per function; linear scans made large templates quadratic. Built once per
        # instance (dataclasses.replace builds a new one), never mutated.
        object.__setattr__(self, "_index", _AppIndex(self))

    def function(self, function_id: str) -> Function | None:
        return self._index.functions.get(function_id)

    def role(self, role_id: str | Unknown | None) -> Role | None:
        return self._index.roles.get(role_id) if isinstance(role_id, str) else None

    def functions_of_role(self, role_id: str) -> tuple[Function, ...]:
        return self._index.functions_by_role.get(role_id, ())

    def triggers_of(self, function_id: str) -> tuple[Trigger, ...]:
        return self._index.triggers_by_function.get(function_id, ())

    def permissions_of(self, function_id: str) -> tuple[Permission, ...]:
        return self._index.permissions_by_function.get(function_id, ())

    def security_group(self, group_id: str | Unknown) -> SecurityGroup | None:
        return self._index.security_groups.get(group_id) if isinstance(group_id, str) else None

    def subnet(self, subnet_id: str | Unknown | None) -> Subnet | None:
        return self._index.subnets.get(subnet_id) if isinstance(subnet_id, str) else None

    def route_table(self, table_id: str | Unknown | None) -> RouteTable | None:
        return self._index.route_tables.get(table_id) if isinstance(table_id, str) else None

    def resource(self, resource_id: str | Unknown | None) -> Resource | None:
        return self._index.resources.get(resource_id) if isinstance(resource_id, str) else None

    def derived(self, name: str, build: Callable[[Application], T]) -> T:
        """What an analysis derives from this application once and asks for per function or trigger (an index of
        its event sources, the users of its resources): built on first use, kept with the application (so it
        goes when the application does, and a replaced application builds its own)."""
        found = self._index.derived.get(name)
        if found is None:
            found = self._index.derived[name] = build(self)
        result: T = found
        return result


class _AppIndex:
    """Lookup tables of one `Application` (first node wins on a duplicate id, as the linear scans did)."""

    __slots__ = ("derived", "functions", "functions_by_role", "permissions_by_function", "resources", "roles",
                 "route_tables", "security_groups", "subnets", "triggers_by_function")

    def __init__(self, app: Application) -> None:
        def first(nodes: tuple[Any, ...]) -> dict[str, Any]:
            table: dict[str, Any] = {}
            for node in nodes:
                table.setdefault(node.id, node)
            return table

        def grouped(nodes: tuple[Any, ...], key: str) -> dict[str, tuple[Any, ...]]:
            groups: dict[str, list[Any]] = {}
            for node in nodes:
                value = getattr(node, key)
                if isinstance(value, str):
                    groups.setdefault(value, []).append(node)
            return {k: tuple(v) for k, v in groups.items()}

        self.derived: dict[str, Any] = {}
        self.functions: dict[str, Function] = first(app.functions)
        self.roles: dict[str, Role] = first(app.roles)
        self.security_groups: dict[str, SecurityGroup] = first(app.security_groups)
        self.resources: dict[str, Resource] = first(app.resources)
        self.subnets: dict[str, Subnet] = first(app.subnets)
        self.route_tables: dict[str, RouteTable] = first(app.route_tables)
        self.functions_by_role: dict[str, tuple[Function, ...]] = grouped(app.functions, "role")
        self.triggers_by_function: dict[str, tuple[Trigger, ...]] = grouped(app.triggers, "function")
        self.permissions_by_function: dict[str, tuple[Permission, ...]] = grouped(app.permissions, "function")


@record
class SourceSuppression:
    """A suppression written in the source (CloudFormation `Metadata.faasguard.ignore`)."""

    rule_id: str
    resource: str
    reason: str | None
    location: Location
    until: str | None = None
