# The examples/vulnerable-app backend written for Terraform: same functions, same flaws.
# Resource names are the SAM logical ids, so findings map one to one (aws_lambda_function.DbAdminFunction ↔
# DbAdminFunction). Handler code is shared with the SAM app (see ../README.md): the parity test copies
# examples/vulnerable-app/src next to this file, where the archive_file sources below expect it.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    archive = {
      source = "hashicorp/archive"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f60718"
}

variable "private_subnet_id" {
  type    = string
  default = "subnet-0a1b2c3d4e5f60718"
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# One catch-all execution role shared by an image converter and a database-admin function (C1).
resource "aws_iam_role" "SharedCatchAllRole" {
  name               = "photo-backend-shared"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "shared_basic" {
  role       = aws_iam_role.SharedCatchAllRole.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy_attachment" "shared_vpc" {
  role       = aws_iam_role.SharedCatchAllRole.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_iam_role_policy" "do_everything" {
  name = "do-everything"
  role = aws_iam_role.SharedCatchAllRole.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
          "dynamodb:PutItem",
          "secretsmanager:GetSecretValue",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "UploadsBucket" {
  bucket_prefix = "photo-backend-uploads-"
}

resource "aws_s3_bucket" "ThumbnailsBucket" {
  bucket_prefix = "photo-backend-thumbnails-"
}

# S3-triggered: passes the uploaded object's key to a shell.
data "archive_file" "image_converter" {
  type        = "zip"
  source_dir  = "${path.module}/src/image_converter"
  output_path = "${path.module}/build/image_converter.zip"
}

resource "aws_lambda_function" "ImageConverterFunction" {
  function_name    = "ImageConverterFunction"
  filename         = data.archive_file.image_converter.output_path
  source_code_hash = data.archive_file.image_converter.output_base64sha256
  handler          = "app.handler"
  runtime          = "python3.12"
  memory_size      = 512
  timeout          = 30
  role             = aws_iam_role.SharedCatchAllRole.arn

  environment {
    variables = {
      THUMBNAIL_BUCKET = aws_s3_bucket.ThumbnailsBucket.bucket
    }
  }
}

resource "aws_lambda_permission" "uploads_invoke" {
  statement_id   = "AllowUploadsBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.ImageConverterFunction.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.UploadsBucket.arn
  source_account = data.aws_caller_identity.current.account_id
}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket_notification" "uploads" {
  bucket = aws_s3_bucket.UploadsBucket.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.ImageConverterFunction.arn
    events              = ["s3:ObjectCreated:*"]
  }

  depends_on = [aws_lambda_permission.uploads_invoke]
}

# Database admin behind an API route with no authorizer (C4), a plaintext password (C2),
# a security group that allows all egress (C5) and a 15-minute timeout (C6).
data "archive_file" "db_admin" {
  type        = "zip"
  source_dir  = "${path.module}/src/db_admin"
  output_path = "${path.module}/build/db_admin.zip"
}

resource "aws_lambda_function" "DbAdminFunction" {
  function_name    = "DbAdminFunction"
  filename         = data.archive_file.db_admin.output_path
  source_code_hash = data.archive_file.db_admin.output_base64sha256
  handler          = "app.lambda_handler"
  runtime          = "python3.12"
  memory_size      = 512
  timeout          = 900
  role             = aws_iam_role.SharedCatchAllRole.arn

  environment {
    variables = {
      DB_HOST     = aws_db_instance.OrdersDatabase.address
      DB_USER     = "admin"
      DB_PASSWORD = "Sup3rS3cretPassw0rd!"
      AUDIT_TABLE = aws_dynamodb_table.AuditTable.name
    }
  }

  vpc_config {
    subnet_ids         = [var.private_subnet_id]
    security_group_ids = [aws_security_group.DbAdminSecurityGroup.id]
  }
}

# Terraform adds no implicit egress rule (unlike CloudFormation): the allow-all rule is written out.
resource "aws_security_group" "DbAdminSecurityGroup" {
  name        = "db-admin-lambda"
  description = "db admin lambda"
  vpc_id      = var.vpc_id

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_instance" "OrdersDatabase" {
  identifier                  = "orders"
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  username                    = "admin"
  manage_master_user_password = true
  skip_final_snapshot         = true
}

resource "aws_dynamodb_table" "AuditTable" {
  name         = "photo-backend-audit"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_api_gateway_rest_api" "ServerlessRestApi" {
  name = "photo-backend"
}

resource "aws_api_gateway_resource" "admin" {
  rest_api_id = aws_api_gateway_rest_api.ServerlessRestApi.id
  parent_id   = aws_api_gateway_rest_api.ServerlessRestApi.root_resource_id
  path_part   = "admin"
}

resource "aws_api_gateway_resource" "query" {
  rest_api_id = aws_api_gateway_rest_api.ServerlessRestApi.id
  parent_id   = aws_api_gateway_resource.admin.id
  path_part   = "query"
}

resource "aws_api_gateway_method" "run_query" {
  rest_api_id   = aws_api_gateway_rest_api.ServerlessRestApi.id
  resource_id   = aws_api_gateway_resource.query.id
  http_method   = "POST"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "run_query" {
  rest_api_id             = aws_api_gateway_rest_api.ServerlessRestApi.id
  resource_id             = aws_api_gateway_resource.query.id
  http_method             = aws_api_gateway_method.run_query.http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.DbAdminFunction.invoke_arn
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.ServerlessRestApi.id
  depends_on  = [aws_api_gateway_integration.run_query]
}

resource "aws_api_gateway_stage" "Prod" {
  rest_api_id   = aws_api_gateway_rest_api.ServerlessRestApi.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = "Prod"
}

resource "aws_lambda_permission" "api_invoke" {
  statement_id  = "AllowApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.DbAdminFunction.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.ServerlessRestApi.execution_arn}/*/POST/admin/query"
}

# SQS consumer that runs a shell command built from the message body, on a deprecated runtime.
resource "aws_sqs_queue" "JobsQueue" {
  name = "photo-backend-jobs"
}

resource "aws_iam_role" "QueueWorkerFunctionRole" {
  name               = "photo-backend-queue-worker"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "queue_worker_basic" {
  role       = aws_iam_role.QueueWorkerFunctionRole.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "queue_worker_poller" {
  name = "sqs-poller"
  role = aws_iam_role.QueueWorkerFunctionRole.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]
        Resource = aws_sqs_queue.JobsQueue.arn
      },
    ]
  })
}

data "archive_file" "queue_worker" {
  type        = "zip"
  source_dir  = "${path.module}/src/queue_worker"
  output_path = "${path.module}/build/queue_worker.zip"
}

resource "aws_lambda_function" "QueueWorkerFunction" {
  function_name    = "QueueWorkerFunction"
  filename         = data.archive_file.queue_worker.output_path
  source_code_hash = data.archive_file.queue_worker.output_base64sha256
  handler          = "worker.handler"
  runtime          = "python3.8"
  memory_size      = 512
  timeout          = 30
  role             = aws_iam_role.QueueWorkerFunctionRole.arn
}

resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn = aws_sqs_queue.JobsQueue.arn
  function_name    = aws_lambda_function.QueueWorkerFunction.arn
}

# Public function URL with no authentication that writes decrypted reports to /tmp.
resource "aws_kms_key" "ReportsKey" {
  description = "photo-backend reports"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_iam_role" "ReportFunctionRole" {
  name               = "photo-backend-report"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "report_basic" {
  role       = aws_iam_role.ReportFunctionRole.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "report_read" {
  name = "read-and-decrypt"
  role = aws_iam_role.ReportFunctionRole.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${aws_s3_bucket.UploadsBucket.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.ReportsKey.arn
      },
    ]
  })
}

data "archive_file" "report" {
  type        = "zip"
  source_dir  = "${path.module}/src/report"
  output_path = "${path.module}/build/report.zip"
}

resource "aws_lambda_function" "ReportFunction" {
  function_name    = "ReportFunction"
  filename         = data.archive_file.report.output_path
  source_code_hash = data.archive_file.report.output_base64sha256
  handler          = "app.handler"
  runtime          = "python3.12"
  memory_size      = 512
  timeout          = 30
  role             = aws_iam_role.ReportFunctionRole.arn
}

resource "aws_lambda_function_url" "ReportFunctionUrl" {
  function_name      = aws_lambda_function.ReportFunction.function_name
  authorization_type = "NONE"
}

# Lets any EventBridge rule in any account invoke the report function (confused deputy).
resource "aws_lambda_permission" "ReportInvokePermission" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.ReportFunction.function_name
  principal     = "events.amazonaws.com"
}

# Node.js SQS worker that builds an ffmpeg command line from the message body.
resource "aws_sqs_queue" "PreviewQueue" {
  name = "photo-backend-previews"
}

resource "aws_iam_role" "PreviewFunctionRole" {
  name               = "photo-backend-preview"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "preview_basic" {
  role       = aws_iam_role.PreviewFunctionRole.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "preview_access" {
  name = "preview-access"
  role = aws_iam_role.PreviewFunctionRole.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "${aws_s3_bucket.UploadsBucket.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = ["s3:PutObject"]
        Resource = "${aws_s3_bucket.ThumbnailsBucket.arn}/*"
      },
      {
        Effect = "Allow"
        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]
        Resource = aws_sqs_queue.PreviewQueue.arn
      },
    ]
  })
}

data "archive_file" "preview" {
  type        = "zip"
  source_dir  = "${path.module}/src/preview"
  output_path = "${path.module}/build/preview.zip"
}

resource "aws_lambda_function" "PreviewFunction" {
  function_name    = "PreviewFunction"
  filename         = data.archive_file.preview.output_path
  source_code_hash = data.archive_file.preview.output_base64sha256
  handler          = "index.handler"
  runtime          = "nodejs20.x"
  memory_size      = 512
  timeout          = 30
  role             = aws_iam_role.PreviewFunctionRole.arn

  environment {
    variables = {
      UPLOADS_BUCKET   = aws_s3_bucket.UploadsBucket.bucket
      THUMBNAIL_BUCKET = aws_s3_bucket.ThumbnailsBucket.bucket
    }
  }
}

resource "aws_lambda_event_source_mapping" "previews" {
  event_source_arn = aws_sqs_queue.PreviewQueue.arn
  function_name    = aws_lambda_function.PreviewFunction.arn
}

output "api_url" {
  value = "${aws_api_gateway_stage.Prod.invoke_url}/admin/query"
}
