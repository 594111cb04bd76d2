from faasguard.cli import main

main(prog_name="faasguard")
