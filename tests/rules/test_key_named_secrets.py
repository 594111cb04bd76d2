"""FG201 and FG209 on values kept under a bare `*_KEY` name, through the Terraform loader and the pipeline.

Modelled on a deliberately vulnerable blog backend that kept a 32-hex-digit key in the `variables` of an
`aws_api_gateway_deployment` named `BLOG_KEY`: no secret word in the name, so nothing reported it. The
negative space is the `*_KEY` settings real apps keep in the same places (cache and sort keys, object keys,
KMS key ids, publishable keys, short readable values)."""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.findings import Confidence, Finding
from faasguard.pipeline import scan

MAIN_TF = """\
resource "aws_iam_role" "blog" {
  name               = "blog"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "posts" {
  function_name = "posts"
  role          = aws_iam_role.blog.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "posts.zip"
  environment {
    variables = {
      WEATHER_KEY            = "Zq4Lm8Rt2Vx6Kp9Wn3Yb"
      CACHE_KEY              = "Zq4Lm8Rt2Vx6Kp9Wn3Yb"
      THUMBNAIL_KEY          = "thumbs/Zq4Lm8Rt2Vx6Kp9Wn3Yb.png"
      KMS_KEY                = "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
      STRIPE_PUBLISHABLE_KEY = "pk_live_Zq4Lm8Rt2Vx6Kp9Wn3Yb"
      FEED_KEY               = "weekly-digest"
    }
  }
}

resource "aws_api_gateway_rest_api" "blog" {
  name = "blog"
}

resource "aws_api_gateway_deployment" "blog" {
  rest_api_id = aws_api_gateway_rest_api.blog.id
  stage_name  = "v1"
  variables = {
    "PARTNER_KEY" = "3e9a0f7c2b6d45e18a9c0d7f3b2e6a14"
    "SORT_KEY"    = "3e9a0f7c2b6d45e18a9c0d7f3b2e6a14"
    "THEME_KEY"   = "dark"
  }
}
"""


def _scan(tmp_path: Path, rules: tuple[str, ...]) -> list[Finding]:
    (tmp_path / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    result = scan([str(tmp_path)], Config(select=rules))
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"]
    return result.findings


def test_random_value_under_a_key_name_in_a_function_environment(tmp_path: Path) -> None:
    findings = _scan(tmp_path, ("FG201",))
    assert [(f.rule_id, f.resource, f.location.line) for f in findings] == [
        ("FG201", "aws_lambda_function.posts", 17)]
    assert "WEATHER_KEY" in findings[0].message
    assert findings[0].confidence is Confidence.MEDIUM


def test_random_value_under_a_key_name_in_stage_variables(tmp_path: Path) -> None:
    findings = _scan(tmp_path, ("FG209",))
    assert [(f.rule_id, f.resource, f.location.line) for f in findings] == [
        ("FG209", "aws_api_gateway_deployment.blog", 35)]
    assert "PARTNER_KEY" in findings[0].message
    assert "3e9a0f7c" not in findings[0].message  # the value is never shown


def test_the_key_named_secret_makes_the_environment_sensitive(tmp_path: Path) -> None:
    findings = _scan(tmp_path, ("FG203",))
    assert [(f.rule_id, f.resource) for f in findings] == [("FG203", "aws_lambda_function.posts")]
    assert "WEATHER_KEY" in findings[0].message
    assert "CACHE_KEY" not in findings[0].message
