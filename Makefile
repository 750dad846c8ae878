# SpotCheck — `make demo` (install, migrate, demo data, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install demo serve test test-fast e2e lint bench clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: install
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev $(BIN)/spotcheck migrate --noinput
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev $(BIN)/spotcheck collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev $(BIN)/spotcheck audit keygen --if-missing
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev $(BIN)/spotcheck demo-data --seed 1 --if-empty
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev $(BIN)/spotcheck planning load-examples --year 2023
	@echo ""
	@echo "  SpotCheck 演示环境: http://127.0.0.1:$(PORT)/"
	@echo "  账号（密码均为 spotcheck-demo）: demo-admin 系统管理员 · demo-city 朔州市局管理员 ·"
	@echo "       demo-county 阳城县医保局业务人员 · demo-county-lead 阳城县医保局负责人 · demo-inspector 检查人员 · demo-auditor 审计/纪检"
	@echo "       demo-institution 定点医药机构（本单位信用档案）· 公示门户（无需登录）: http://127.0.0.1:$(PORT)/portal/"
	@echo ""
	DJANGO_SETTINGS_MODULE=spotcheck.settings.dev scripts/demo-serve.sh $(BIN) $(PORT)

test: install
	@scripts/ensure-test-deps.sh
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not e2e and not slow" $(PYTEST_ARGS)

e2e: install
	@scripts/ensure-test-deps.sh
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check spotcheck tests benchmarks
	$(BIN)/mypy

bench: install
	@scripts/ensure-bench-deps.sh
	$(BIN)/python benchmarks/run_all.py

clean-db:
	rm -f var/spotcheck.sqlite3 var/spotcheck.sqlite3-wal var/spotcheck.sqlite3-shm
