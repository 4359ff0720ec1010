# The README's two commands. Both install what is missing first (scripts/bootstrap.sh).
.PHONY: run test lint format bootstrap bench

run: bootstrap
	./.venv/bin/madoguchi demo

test: bootstrap
	./scripts/test.sh

lint: bootstrap
	./.venv/bin/ruff check .
	./.venv/bin/ruff format --check .
	./.venv/bin/mypy

format: bootstrap
	./.venv/bin/ruff format .
	./.venv/bin/ruff check --fix .

bench: bootstrap
	for script in bench/*.py; do ./.venv/bin/python "$$script" || exit 1; done

bootstrap:
	./scripts/bootstrap.sh
