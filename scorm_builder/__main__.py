from scorm_builder.cli import main

main(prog_name="scorm-builder")
