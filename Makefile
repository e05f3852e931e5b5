# wagate: `make run` starts the whole gateway locally; `make test` runs lint and tests.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT   ?= 8000
HOSTS  ?= 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint format synth bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# exec: python replaces the recipe's shell, so make's signals (and Ctrl-C) reach the stack.
run: $(STAMP)
	PORT=$(PORT) HOSTS=$(HOSTS) exec $(PY) -m chalicelib.devstack

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider -n auto

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .

synth: $(STAMP)
	cd infra && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} ../$(PY) app.py

bench: $(STAMP)
	$(PY) bench/session_host.py
	$(PY) bench/send_path.py
	$(PY) bench/run_memory.py

clean:
	rm -rf $(VENV) .wagate infra/cdk.out .pytest_cache .ruff_cache .hypothesis
