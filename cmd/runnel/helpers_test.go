package main

import (
	"testing"

	"github.com/runnel-io/runnel/sdk/wire"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"CreatedAtMicros": "created_at_micros", "ID": "id", "IDLow": "id_low", "TCPPort": "tcp_port",
		"CPUUsage": "cpu_usage", "OSName": "os_name", "ServerSemver": "server_semver", "1": "1",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseHeaderRoundTrips(t *testing.T) {
	for spec, want := range map[string]any{
		"k:string:a:b":   "a:b",
		"k:bool:true":    true,
		"k:int8:-128":    int64(-128),
		"k:uint16:65535": uint64(65535),
		"k:int64:-9":     int64(-9),
		"k:float32:0.5":  0.5,
		"k:float64:2.25": 2.25,
		"k:raw:AAE=":     "AAE=",
		"k:int128:-1":    "-1",
		"k:int128:170141183460469231731687303715884105727":  "170141183460469231731687303715884105727",
		"k:uint128:340282366920938463463374607431768211455": "340282366920938463463374607431768211455",
	} {
		h, err := parseHeader(spec)
		if err != nil {
			t.Errorf("parseHeader(%q): %v", spec, err)
			continue
		}
		if h.Key.Kind != wire.HeaderString || string(h.Key.Data) != "k" {
			t.Errorf("parseHeader(%q) key %+v", spec, h.Key)
		}
		if got := headerValueText(h.Value); got != want {
			t.Errorf("parseHeader(%q) value %v (%T), want %v", spec, got, got, want)
		}
	}
	for _, bad := range []string{"k", "k:string", ":string:x", "k:int8:128", "k:uint8:-1", "k:bool:maybe",
		"k:raw:!!", "k:int128:170141183460469231731687303715884105728", "k:uint128:-1", "k:date:x"} {
		if _, err := parseHeader(bad); err == nil {
			t.Errorf("parseHeader(%q) accepted", bad)
		}
	}
}

func TestParseSizesAndExpiry(t *testing.T) {
	sizes := map[string]uint64{"default": wire.TopicSizeServerDefault, "unlimited": wire.TopicSizeUnlimited,
		"10GiB": 10 << 30, "5 MB": 5e6, "123": 123}
	for in, want := range sizes {
		if got, err := parseTopicSize(in); err != nil || got != want {
			t.Errorf("parseTopicSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseTopicSize("lots"); err == nil {
		t.Error("parseTopicSize accepted lots")
	}
	if got, err := parseExpiry("90s"); err != nil || got != 90e6 {
		t.Errorf("parseExpiry(90s) = %d, %v", got, err)
	}
	if got, _ := parseExpiry("never"); got != wire.ExpiryNever {
		t.Errorf("parseExpiry(never) = %d", got)
	}
	if _, err := parseExpiry("-1s"); err == nil {
		t.Error("parseExpiry accepted -1s")
	}
}
