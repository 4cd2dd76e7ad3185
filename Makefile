# make demo   set up and start the demo hall (SQLite file + in-process channels; no servers needed)
# make test   set up and run the whole test suite (needs the local PostgreSQL and Redis)
# make perf   run the benchmarks under tests/perf and print their figures

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the browser for page tests, a CJK font to render Chinese, espeak-ng for the voice,
# poppler-utils to read PDFs back, a TrueType CJK font (WenQuanYi Micro Hei) to embed in PDF tickets,
# libusb for pyusb (the USB printer driver's path to "no such printer").
DEBS   := chromium fonts-noto-cjk espeak-ng poppler-utils fonts-wqy-microhei libusb-1.0-0

# The API docs' renderer, served by our own server (halls run on closed networks, no CDN):
# Swagger UI from the npm registry, pinned by version and by the package's sha512.
SWAGGER_UI     := 5.36.0
SWAGGER_SHA512 := Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==
VENDOR         := config/static/vendor/swagger-ui
VENDORED       := $(VENDOR)/.swagger-ui-$(SWAGGER_UI)

# The browser tests' accessibility checker (WCAG 2.1 A/AA), injected into each page by the tests and
# never served by the product: axe-core from the npm registry, pinned by version and sha512.
AXE_CORE   := 4.14.1
AXE_SHA512 := FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_DIR    := tests/browser/vendor/axe-core
AXE        := $(AXE_DIR)/.axe-core-$(AXE_CORE)

# $(call sha512,<file>,<base64 sha512>): fails when the file is not the one pinned
sha512 = $(PYTHON) -c "import base64, hashlib, sys; got = base64.b64encode(hashlib.sha512(open(sys.argv[1], 'rb').read()).digest()).decode(); sys.exit(0 if got == sys.argv[2] else sys.argv[1] + ': checksum mismatch')" $(1) $(2)

.PHONY: demo test perf system-deps vendor clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

vendor: $(VENDORED) $(AXE)

$(VENDORED):
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cd $(VENDOR) && npm pack --silent --pack-destination . swagger-ui-dist@$(SWAGGER_UI) >/dev/null
	$(call sha512,$(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz,$(SWAGGER_SHA512))
	tar -xzf $(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz -C $(VENDOR) --strip-components=1 \
	  package/swagger-ui-bundle.js package/swagger-ui.css package/swagger-ui-standalone-preset.js package/LICENSE package/NOTICE
	rm $(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz
	touch $@

$(AXE):
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent --pack-destination . axe-core@$(AXE_CORE) >/dev/null
	$(call sha512,$(AXE_DIR)/axe-core-$(AXE_CORE).tgz,$(AXE_SHA512))
	tar -xzf $(AXE_DIR)/axe-core-$(AXE_CORE).tgz -C $(AXE_DIR) --strip-components=1 package/axe.min.js package/LICENSE
	rm $(AXE_DIR)/axe-core-$(AXE_CORE).tgz
	touch $@

demo: $(STAMP) $(VENDORED)
	$(BIN)/hall serve

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: $(STAMP) $(VENDORED) $(AXE) system-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=30  # two workers, a test file to each at a time; the slowest listed (CI has 20 min)

perf: $(STAMP)
	$(BIN)/python -m tests.perf

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis test-artifacts $(VENDOR) $(AXE_DIR)
