from faasguard.cli import run

run()
