"""The language-neutral core of the handler code analysis: values, sink kinds, summaries and their composition.

Nothing here reads syntax. A front end (python/ today) interprets one language's code into `Val`s and records
what each function does in a `Summary` (results.py); the core instantiates summaries at call sites and collects
a handler's summaries into its facts (summaries.py), keeping at each sink only the taints that matter for the
sink's kind (sinks.py).
"""
