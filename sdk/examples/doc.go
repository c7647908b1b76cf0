// Package examples holds runnable programs that use the SDK against a real
// server: producer, consumer and consumer-group, each a main package. Run
// one with, for example:
//
//	go run ./examples/producer --address 127.0.0.1:8090 --count 1000
//
// Every program reads --address, --username and --password, or the
// RUNNEL_ADDRESS, RUNNEL_USERNAME and RUNNEL_PASSWORD environment variables.
package examples
