# Runnel build and test entry points. `make run` and `make test` are the two
# commands a new machine needs; the rest are for development.

GO        ?= go
BIN       := bin
# giouring reaches into the runtime with linkname; only the binaries and
# test binaries that link it get this flag and the tag.
IOURING   := -tags iouring -ldflags=-checklinkname=0
IOURING_PACKAGES := ./plugins/storage/iouringstore ./plugins/storage/storagebench
FUZZTIME  ?= 5s
# Fuzz targets as package:Target; `make test` runs each briefly, `make fuzz` longer.
FUZZ_TARGETS := \
	./core/partition:FuzzRecovery \
	./core/partition:FuzzTruncate \
	./core/metadata:FuzzDecodeResult \
	./core/metadata:FuzzDecodeOp \
	./core/metadata:FuzzLoadSnapshot \
	./core/vsr:FuzzDecode \
	./sdk/wire:FuzzDecodeResponses \
	./sdk/wire:FuzzDecodeRequest \
	./sdk/wire:FuzzDecodeSendMessages \
	./plugins/transport/tcptransport:FuzzConnection \
	./plugins/transport/quictransport:FuzzStreams \
	./plugins/transport/wstransport:FuzzMessage \
	./sdk/wire:FuzzDecodePartitionTiers \
	./internal/replicabus:FuzzReadFrame \
	./internal/replicabus:FuzzAcceptHandshake

.PHONY: all build plugins run cluster soak bench-cluster tools tools-jaeger test test-jaeger bench-tiers test-unit test-race test-fuzz fuzz bench bench-storage bench-tool bench-peer sim clean

all: build

# bin/runnel-server-iouring is the server with the io_uring storage
# backend compiled in (storage.backend = "iouring").
build: plugins
	$(GO) build -buildvcs=auto -o $(BIN)/ ./cmd/...
	$(GO) build $(IOURING) -o $(BIN)/runnel-server-iouring ./cmd/runnel-server

# External plugin bundles, one directory each under bin/plugins with the
# binary, its describe manifest and SHA256SUMS (the digest [plugins] wants).
PLUGIN_BUNDLES := cas:./examples/casarchiver/cmd/runnel-plugin-cas storage:./cmd/runnel-plugin-storage transport:./cmd/runnel-plugin-transport
plugins:
	@set -e; for b in $(PLUGIN_BUNDLES); do \
		name=$${b%%:*}; pkg=$${b#*:}; dir=$(BIN)/plugins/$$name; mkdir -p $$dir; \
		echo "plugin bundle $$name"; \
		$(GO) build -trimpath -o $$dir/runnel-plugin-$$name $$pkg; \
		$$dir/runnel-plugin-$$name describe > $$dir/manifest.json; \
		(cd $$dir && sha256sum runnel-plugin-$$name > SHA256SUMS); \
	done

run: build
	$(BIN)/runnel-server

# Minutes of random faults (kill -9, partitions, restarts) against three
# real replicas under a producer, then every acknowledged batch checked on
# every node (SOAK=10m for longer).
SOAK ?= 5m
soak: build
	CLUSTER_SOAK=$(SOAK) $(GO) test -count=1 -timeout 0 -run 'TestSoak' -v ./internal/clustertest

# Three replicas vs one node in the same run: throughput and p99 of sends.
bench-cluster: build
	$(GO) test -count=1 -run '^$$' -bench 'ClusterVsSingle' -benchtime 1x -timeout 30m ./internal/clustertest

# Three replicas on 127.0.0.1 in the foreground (scripts/cluster.sh).
cluster: build
	BIN=$(CURDIR)/$(BIN) scripts/cluster.sh

test: build tools test-unit test-race test-fuzz

# Real servers the tests talk to, installed once into .tools/bin.
TOOLS     := .tools/bin
VERSITYGW := $(TOOLS)/versitygw
tools: $(VERSITYGW)
$(VERSITYGW):
	GOBIN=$(CURDIR)/$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

# Jaeger, the real OTLP trace receiver for the tests tagged `jaeger`. Kept
# out of `tools` and `make test`: a cold build (download ~330 modules and
# compile) took 25 min wall, 950 CPU-seconds, 2.4 GB RSS on the 2-core dev
# VM (shared with other builds), so at best ~8 min on 2 idle cores. It cannot
# be `go install`ed (its go.mod has a replace directive); it is built from
# its own tools module, pinned in tools/jaeger/go.mod, which stays out of
# go.work (GOWORK=off) so its modules never reach ours.
JAEGER    := $(TOOLS)/jaeger
tools-jaeger: $(JAEGER)
$(JAEGER):
	cd tools/jaeger && GOWORK=off $(GO) build -o $(CURDIR)/$(JAEGER) github.com/jaegertracing/jaeger/cmd/jaeger

# Traces sent to a real Jaeger and read back through its query API.
JAEGER_PACKAGES := ./internal/jaegertest ./internal/e2e
test-jaeger: tools-jaeger
	$(GO) vet -tags jaeger $(JAEGER_PACKAGES)
	JAEGERTEST_BIN=$(CURDIR)/$(JAEGER) $(GO) test -count=1 -tags jaeger -run 'Jaeger' $(JAEGER_PACKAGES)

# The end-to-end suites run once more with cluster.mode = "none" (the
# layout before replication), which the default (vsr) run does not cover.
MODE_NONE_PACKAGES := ./internal/e2e ./internal/httpe2e ./internal/transporte2e ./internal/tiere2e ./internal/sdke2e
test-unit:
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	$(GO) vet $(IOURING) $(IOURING_PACKAGES)
	$(GO) test -count=1 -timeout 15m ./...
	E2E_S3_ONLY=1 $(GO) test -count=1 -run 'TestIggySDK|TestRunnelClientEveryCommandFamily' ./internal/e2e
	RUNNEL_CLUSTER_MODE=none $(GO) test -count=1 $(MODE_NONE_PACKAGES)
	$(GO) test -count=1 $(IOURING) $(IOURING_PACKAGES)
	cd sdk && $(GO) test -count=1 -timeout 10m ./...

# The race detector over the packages whose concurrency carries the
# guarantees (group commit, metadata log, plugin supervision, SDK batching).
RACE_PACKAGES := ./internal/server ./internal/metastore ./core/partition ./plugins/catalog ./plugins/archiver/diskarchiver ./internal/vsrnode
test-race:
	$(GO) test -race -count=1 $(RACE_PACKAGES)
	cd sdk && $(GO) test -race -count=1 ./producer ./consumer ./client

# Runs every fuzz target briefly so a regression in a decoder or in recovery
# fails CI; `make fuzz FUZZTIME=10m` searches for real.
test-fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; dir=.; \
		case $$pkg in ./sdk/*) dir=sdk; pkg=./$${pkg#./sdk/};; esac; \
		echo "fuzz $$t for $(FUZZTIME)"; \
		GO=$(GO) ./scripts/fuzz-target.sh $$dir $$pkg $$name $(FUZZTIME); \
	done

fuzz:
	$(MAKE) test-fuzz FUZZTIME=2m

# Benchmarks with a fixed iteration count (the machine's writeback makes
# time-based runs swing); each package reports its own baseline measured in
# the same run: raw disk for the log, raw loopback for the wire path.
BENCH_PACKAGES := ./core/partition ./internal/server ./internal/e2e ./internal/metastore ./plugins/transport/tcptransport
bench:
	$(GO) test -run='^$$' -bench=. -benchtime=300x -count=3 $(BENCH_PACKAGES)
	$(MAKE) bench-storage

# runnel-bench against a server it starts (1 KiB messages, 1000 per batch).
bench-tool: build
	$(BIN)/runnel-bench pinned-producer --start-server --fsync never --message-size 1KiB \
		--messages-per-batch 1000 --total-bytes 200MB --output-dir bench-results/pinned-producer
	$(BIN)/runnel-bench pinned-consumer --start-server --fsync never --message-size 1KiB \
		--messages-per-batch 1000 --total-bytes 200MB --output-dir bench-results/pinned-consumer

# 200 MB through local retention and back from S3 (versitygw), polled from
# offset 0 with the Iggy SDK; prints the times and the share read from S3.
bench-tiers: tools
	TIERE2E_MB=200 $(GO) test -count=1 -timeout 30m -run TestLargeHistoryReadBackFromS3 -v ./internal/tiere2e
	$(GO) test -run='^$$' -bench=BenchmarkTiers -benchtime=5x -v ./internal/tiered

# The VSR simulator over many seeds (make test runs a few hundred).
SIM_SEEDS ?= 10000
SIM_TICKS ?= 4000
sim:
	$(GO) run ./cmd/vopr -seed 1 -count $(SIM_SEEDS) -ticks $(SIM_TICKS) -quiet

# Runnel against NATS JetStream on this machine, same shapes, alternating
# rounds; installs nats-server and the nats CLI into bin/peer once.
bench-peer: build
	$(GO) run ./scripts/bench-peer --out bench-peer-results --rounds 3

# One table: every storage backend against raw write/read baselines.
bench-storage:
	RUNNEL_BENCH_TABLE=1 $(GO) test -count=1 $(IOURING) -run TestPrintBackendTable -v ./plugins/storage/storagebench

clean:
	rm -rf $(BIN)
