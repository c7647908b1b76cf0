package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTieringDefaultsAndLimits(t *testing.T) {
	cfg, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Tiering{MemoryCacheSize: 0, LocalMaxSize: Unlimited, ArchiveReads: true, ArchiveCacheSize: 64 << 20, ArchiveReadAhead: 16 << 20}
	if cfg.System.Tiering != want || cfg.System.Tiering.LocalLimited() {
		t.Fatalf("defaults %+v, want %+v", cfg.System.Tiering, want)
	}
	if a := cfg.System.Archive; a.MetadataInterval != time.Minute || !a.RestoreMetadata {
		t.Fatalf("archive defaults %+v: want metadata every minute, restore on", a)
	}
	// Local limits delete archived segments: they need an archiver.
	for _, env := range []string{"RUNNEL_SYSTEM_TIERING_LOCAL_ACTIVE_ONLY=true", "RUNNEL_SYSTEM_TIERING_LOCAL_RETENTION=1h",
		"RUNNEL_SYSTEM_TIERING_LOCAL_MAX_SIZE=1GiB"} {
		if _, err := Load(nil, []string{env}); err == nil || !strings.Contains(err.Error(), "system.tiering") {
			t.Errorf("%s without archivers: %v", env, err)
		}
	}
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, []byte("[[archivers]]\nname = \"cold\"\ntype = \"disk\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load([]string{"--config", path}, []string{"RUNNEL_SYSTEM_TIERING_LOCAL_RETENTION=1h", "RUNNEL_SYSTEM_TIERING_MEMORY_CACHE_SIZE=256MiB"})
	if err != nil {
		t.Fatal(err)
	}
	if tg := cfg.System.Tiering; time.Duration(tg.LocalRetention) != time.Hour || tg.MemoryCacheSize != 256<<20 || !tg.LocalLimited() {
		t.Fatalf("tiering %+v", tg)
	}
	for _, env := range []string{"RUNNEL_SYSTEM_TIERING_ARCHIVE_READ_AHEAD=128MiB", "RUNNEL_SYSTEM_TIERING_LOCAL_MAX_SIZE=0",
		"RUNNEL_SYSTEM_TIERING_MEMORY_CACHE_SIZE=unlimited"} {
		if _, err := Load([]string{"--config", path}, []string{env}); err == nil {
			t.Errorf("%s accepted", env)
		}
	}
}
