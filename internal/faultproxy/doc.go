// Package faultproxy is a TCP proxy for fault-injection tests on
// loopback: it forwards every connection it accepts to one target and can
// cut the connections it carries, refuse new ones (a partition), delay
// forwarding, or black-hole traffic. Tests of the replica bus and of real
// clusters put one on each link; it is imported only from tests.
package faultproxy
