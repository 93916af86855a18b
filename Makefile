# Two entry points (see README): `make demo` and `make test`.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: bootstrap build test demo clean image image-operator images fuzz-smoke fuzz test-sanitizers test-asan test-tsan

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

# TEST_IMAGES=0 leaves out the release build of the two OCI images and their tests (ImageTests).
TEST_IMAGES ?= 1
# TEST_RELIABILITY=0 leaves out the reliability suite's short runs: each fuzz target for
# FUZZ_SMOKE_SECONDS, and the C-facing modules' tests under ASan and TSan (docs/reliability.md).
TEST_RELIABILITY ?= 1
FUZZ_SMOKE_SECONDS ?= 10

test: bootstrap
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
ifeq ($(TEST_IMAGES),1)
	bash scripts/build-image.sh server operator
	IMAGE_TESTS=required $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)
	# The HTTP and Kubernetes clients' suites again, on the http/https-only libcurl the images ship.
	LD_LIBRARY_PATH="$$(bash scripts/build-libcurl.sh)" EXPECT_LIBCURL_PROTOCOLS=http,https \
		$(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS) --filter 'HTTPTests|KubeClientTests'
else
	IMAGE_TESTS=skip $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)
endif
ifeq ($(TEST_RELIABILITY),1)
	bash scripts/fuzz.sh all $(FUZZ_SMOKE_SECONDS)
	$(MAKE) --no-print-directory test-asan test-tsan
endif

# OCI images without a Docker engine (buildah, FROM scratch): out/image/inference-{server,operator}-oci/
# and out/image/inference-{server,operator}.tar. See docs/inference-server.md#image.
image: bootstrap
	bash scripts/build-image.sh server

image-operator: bootstrap
	bash scripts/build-image.sh operator

images: bootstrap
	bash scripts/build-image.sh server operator

# Reliability suite (docs/reliability.md). Each fuzz target is its own
# release build with -sanitize=fuzzer; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
fuzz-smoke:
	bash scripts/fuzz.sh all $(FUZZ_SECONDS)

FUZZ_LONG_SECONDS ?= 600
fuzz:
	bash scripts/fuzz.sh all $(FUZZ_LONG_SECONDS)

# The C-facing modules' tests (libcurl, libyaml, ONNX Runtime, the Kubernetes
# client over libcurl) under AddressSanitizer and ThreadSanitizer. Each is a
# full extra build in its own scratch path.
SANITIZER_FILTER ?= HTTPTests|YAMLTests|ONNXRuntimeTests|KubeClientTests
# Swift 5 mode for the sanitizer builds only: with -sanitize=thread, swift-otel
# 1.6.0 fails Swift 6's region checks (OTelBatchSpanProcessor.swift:154,
# "sending 'logger' risks causing data races"); the normal build is Swift 6.
SANITIZER_SWIFT_FLAGS ?= -Xswiftc -swift-version -Xswiftc 5
TSAN_HALT ?= 1
test-asan: bootstrap
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(SANITIZER_SWIFT_FLAGS) $(SWIFT_BUILD_FLAGS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt \
	$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(SANITIZER_SWIFT_FLAGS) --filter '$(SANITIZER_FILTER)'

test-tsan: bootstrap
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(SANITIZER_SWIFT_FLAGS) $(SWIFT_BUILD_FLAGS)
	TSAN_OPTIONS="halt_on_error=$(TSAN_HALT) second_deadlock_stack=1" \
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(SANITIZER_SWIFT_FLAGS) --filter '$(SANITIZER_FILTER)'

test-sanitizers: test-asan test-tsan

demo: build
	bash scripts/demo.sh

clean:
	rm -rf .build .build-asan .build-tsan
