# Two entry points (see README): `make demo` and `make test`.
SWIFT ?= swift
SWIFT_BUILD_FLAGS ?=

.PHONY: bootstrap build test demo clean image image-operator images

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

# TEST_IMAGES=0 leaves out the release build of the two OCI images and their tests (ImageTests).
TEST_IMAGES ?= 1

test: bootstrap
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
ifeq ($(TEST_IMAGES),1)
	bash scripts/build-image.sh server operator
	IMAGE_TESTS=required $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)
else
	IMAGE_TESTS=skip $(SWIFT) test --skip-build $(SWIFT_BUILD_FLAGS)
endif

# OCI images without a Docker engine (buildah, FROM scratch): out/image/inference-{server,operator}-oci/
# and out/image/inference-{server,operator}.tar. See docs/inference-server.md#image.
image: bootstrap
	bash scripts/build-image.sh server

image-operator: bootstrap
	bash scripts/build-image.sh operator

images: bootstrap
	bash scripts/build-image.sh server operator

demo: build
	bash scripts/demo.sh

clean:
	rm -rf .build
