# wagate: `make run` starts the whole gateway locally; `make test` runs lint and tests.
# Both create .venv and install what they need on first use.

# The one declaration of the Python version (the Lambda runtime and the session-host image too).
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(shell command -v python$(PYTHON_VERSION) || echo python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8000
HOSTS  ?= 1
export PYTHONDONTWRITEBYTECODE := 1
# pytest-xdist workers: one more than the cores, at least 3 (the end-to-end tests mostly wait
# on their stacks, so a spare worker keeps every core busy meanwhile).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n + 1 > 3 ? n + 1 : 3 )))
# The docs page's Swagger UI, vendored from npm at build time (served by the gateway, no CDN).
SWAGGER_UI        := 5.35.0
SWAGGER_UI_SHA512 := 534eaba4cb56f55dd73c638179a993512af4674f63317e0826e00da44fc465b021c341bc0a0c2bcd4e18997927fe1d3008336c5dd19aad334d1c2dec53cc9551
SWAGGER_UI_DIR    := chalicelib/api/static/swagger-ui
ASSETS            := $(SWAGGER_UI_DIR)/.version-$(SWAGGER_UI)

.PHONY: install assets run test lint format synth deploy destroy bench screenshots clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .  # the wagate CLI
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

$(ASSETS):
	@rm -rf $(SWAGGER_UI_DIR) && mkdir -p $(SWAGGER_UI_DIR)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI) >/dev/null \
	  && echo "$(SWAGGER_UI_SHA512)  swagger-ui-dist-$(SWAGGER_UI).tgz" | sha512sum -c --quiet \
	  && tar -xzf swagger-ui-dist-$(SWAGGER_UI).tgz package/swagger-ui-bundle.js \
	     package/swagger-ui.css package/favicon-32x32.png package/LICENSE package/NOTICE \
	  && cp package/* $(CURDIR)/$(SWAGGER_UI_DIR)/ && rm -rf $$tmp
	@touch $@

assets: $(ASSETS)

install: $(STAMP) $(ASSETS)

# exec: python replaces the recipe's shell, so make's signals (and Ctrl-C) reach the stack.
run: $(STAMP) $(ASSETS)
	PORT=$(PORT) HOSTS=$(HOSTS) exec $(PY) -m chalicelib.devstack

test: $(STAMP) $(ASSETS)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .

synth: $(STAMP) $(ASSETS)
	cd infra && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} ../$(PY) app.py

# Deploying one stage into the AWS account of the current credentials (docs/operations.md):
#   make deploy STAGE=prod ALARM_EMAIL=ops@example.com [DOMAIN_NAME=wa.example.com
#               CERTIFICATE_ARN=arn:aws:acm:...] [FCM_PROJECT_ID=my-firebase-project]
# The CDK CLI comes from npm (npx); `cdk bootstrap` must have run once in the account/region.
STAGE       ?= dev
CDK         ?= npx --yes aws-cdk@2
CDK_CONTEXT  = -c stage=$(STAGE) $(if $(ALARM_EMAIL),-c alarmEmail=$(ALARM_EMAIL)) \
               $(if $(DOMAIN_NAME),-c domainName=$(DOMAIN_NAME)) \
               $(if $(CERTIFICATE_ARN),-c certificateArn=$(CERTIFICATE_ARN)) \
               $(if $(FCM_PROJECT_ID),-c fcmProjectId=$(FCM_PROJECT_ID))

deploy: $(STAMP) $(ASSETS)
	cd infra && $(CDK) deploy $(CDK_CONTEXT) $(CDK_ARGS) --require-approval broadening

destroy: $(STAMP)
	cd infra && $(CDK) destroy $(CDK_CONTEXT) $(CDK_ARGS)

bench: $(STAMP)
	$(PY) bench/session_host.py
	$(PY) bench/send_path.py
	$(PY) bench/events.py
	$(PY) bench/live.py
	$(PY) bench/otp.py
	$(PY) bench/bots.py
	$(PY) bench/campaigns.py
	$(PY) bench/address_book_import.py
	$(PY) bench/dialects.py
	$(PY) bench/run_memory.py
	$(PY) bench/cold_start.py
	$(PY) bench/failover.py
	$(PY) bench/cost.py

# PNGs of every page of the web console (docs/screenshots/, shown in README): a local stack and
# headless Chromium (Debian: apt-get install chromium chromium-driver).
screenshots: $(STAMP)
	$(PY) tools/screenshots.py

clean:
	rm -rf $(VENV) $(SWAGGER_UI_DIR) .wagate infra/cdk.out infra/.cache .pytest_cache .ruff_cache .hypothesis
