# Every target sets up .venv first (scripts/setup is quick when nothing changed).
.PHONY: setup demo test lint bench

setup:
	@scripts/setup

demo: setup
	.venv/bin/ratmas demo

test: setup
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy --strict ratmas jobs tests benchmarks


bench: setup
	.venv/bin/python benchmarks/run.py
