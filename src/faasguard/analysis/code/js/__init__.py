"""The JavaScript/TypeScript front end: tree-sitter syntax interpreted into the language-neutral core.

`modules.py` parses a file once (JS grammar for .js/.mjs/.cjs, TypeScript for .ts/.mts/.cts, TSX for .tsx) and
resolves relative `require`/`import` to files; `interp.py` interprets one function into `core` values and
records; `models.py` (library calls) and `sdk.py` (AWS SDK v2/v3 → boto3 service/operation names) are the
tables; `analyzer.py` ties a handler's entry point(s) and modules together. Code is parsed, never run.
"""
