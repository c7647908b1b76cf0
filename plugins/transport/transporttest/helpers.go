package transporttest

import (
	"context"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/runnel-io/runnel/plugins/transport"
)

// The helpers below serve a transport's own tests (configs, fuzz targets,
// benchmarks), beside the suite.

// Serve starts tr and serves h until the test's cleanup, which closes tr
// and fails the test unless Close and Serve return nil.
func Serve(t testing.TB, tr transport.Transport, h transport.Handler) {
	t.Helper()
	if err := tr.Start(context.Background()); err != nil {
		_ = tr.Close(context.Background()) // an external plugin's process, say
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- tr.Serve(context.Background(), h) }()
	t.Cleanup(func() {
		if err := tr.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// Frame is a request frame with any length field, consistent or not (fuzz
// seeds, malformed input).
func Frame(length, code uint32, payload ...byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, length)
	b = binary.LittleEndian.AppendUint32(b, code)
	return append(b, payload...)
}

// Decode is a transport's DecodeConfig.
type Decode[C any] func(raw map[string]any) (C, error)

// DecodeTOML decodes doc, a transport's table written as TOML, as the
// server's config loader would hand it over.
func DecodeTOML[C any](t testing.TB, decode Decode[C], doc string) (C, error) {
	t.Helper()
	raw := map[string]any{}
	if err := toml.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("test document: %v", err)
	}
	return decode(raw)
}

// CheckSample checks that the sample table decodes to the defaults.
func CheckSample[C any](t *testing.T, decode Decode[C], sample []byte, defaults C) {
	t.Helper()
	cfg, err := DecodeTOML(t, decode, string(sample))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, defaults) {
		t.Errorf("sample.toml decodes to\n%+v\nwant the defaults\n%+v", cfg, defaults)
	}
}

// CheckRejects decodes every document of cases and checks that its error
// mentions the part given with it; an empty part means the document must
// decode.
func CheckRejects[C any](t *testing.T, decode Decode[C], cases map[string]string) {
	t.Helper()
	for doc, part := range cases {
		_, err := DecodeTOML(t, decode, doc)
		if part == "" {
			if err != nil {
				t.Errorf("%q: %v", doc, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("%q: error %v, want one mentioning %q", doc, err, part)
		}
	}
}
