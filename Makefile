# The two commands that matter: `make run` and `make test`. Both set up .venv from the lock first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint typecheck unit lock clean messages bench

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(INSTALLED)

run: $(INSTALLED)
	$(PY) -m bot run

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(INSTALLED)
	$(VENV)/bin/mypy

# The suite mostly waits (on Telegram's limits, timers, other processes), so it runs in more
# xdist workers than there are cores (six kept two cores 81 % busy, four 59 %); tests/conftest.py
# starts one PostgreSQL for all of them.
TEST_WORKERS ?= 6

unit: $(INSTALLED)
	$(VENV)/bin/coverage erase
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=
	$(VENV)/bin/coverage report --include='domain/*' --fail-under=95
	$(VENV)/bin/coverage report

test: lint typecheck unit

# Benchmarks print measured tables; they are not part of `make test`.
# Each runs on SQLite and on a throwaway PostgreSQL server (--database picks one); about an hour.
bench: $(INSTALLED)
	$(PY) -m bench.sandbox_throughput
	$(PY) -m bench.tap_rush
	$(PY) -m bench.broadcast
	$(PY) -m bench.broadcast --workers 1,3 --members 1500
	$(PY) -m bench.scale_out
	$(PY) -m bench.scheduler
	$(PY) -m bench.memory
	$(PY) -m bench.startup
	$(PY) -m bench.routes
	$(PY) -m bench.flood_isolation
	$(PY) -m bench.file_limits
	$(PY) -m bench.checkout_rush
	$(PY) -m bench.long_log
	$(PY) -m bench.hot_card
	$(PY) -m bench.campaign_cutoff

# Regenerate requirements.lock from the ranges in pyproject.toml, in a throwaway venv.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	echo '# Pinned versions for reproducible installs: `make lock` regenerates this file.' > requirements.lock
	.lock-venv/bin/pip freeze --exclude groupbuy-bot >> requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage build *.egg-info

# Re-extract the translatable strings and merge them into every catalog.
messages: $(INSTALLED)
	$(VENV)/bin/pybabel extract --no-location --no-wrap -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 -o texts/locales/messages.pot .
	for lang in ru zh_Hans; do \
	  test -f texts/locales/$$lang/LC_MESSAGES/messages.po || $(VENV)/bin/pybabel init -i texts/locales/messages.pot -d texts/locales -l $$lang; \
	  $(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -i texts/locales/messages.pot -d texts/locales -l $$lang; \
	done
