// Command runnel-bench measures a Runnel server: throughput and latency of
// producers and consumers in the scenarios iggy-bench users know, with a
// report.json for scripts and a self-contained report.html for people.
//
//	runnel-bench pinned-producer --address 127.0.0.1:8090 --message-size 1024 \
//	    --messages-per-batch 1000 --total-bytes 200MB --output-dir DIR
//
// See docs/bench.md for every option and the report keys.
package main
