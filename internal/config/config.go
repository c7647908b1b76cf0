package config

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// DefaultTOML is the built-in configuration: every key with its default.
//
//go:embed runnel.toml
var DefaultTOML []byte

// EnvPrefix starts every environment variable that sets a config key.
const EnvPrefix = "RUNNEL_"

// TransportSections are the top-level sections that each configure the
// transport plugin of the same name, Iggy style ([tcp] address = ...).
// Their keys are declared in the built-in default, so misspellings are
// caught here; their values are the plugin's to decode and check.
var TransportSections = []string{"tcp", "quic", "http", "websocket"}

// pluginConfigPrefixes are the free-form subtrees handed to plugins, which
// decode (and check) them with their own strict rules.
var pluginConfigPrefixes = []string{"storage.config."}

// Config is the whole server configuration.
type Config struct {
	System    System       `koanf:"system"`
	Root      Root         `koanf:"root"`
	Storage   Storage      `koanf:"storage"`
	Archivers []PluginSlot `koanf:"archivers"`
	// Sections are the enabled built-in transport sections ([tcp], ...)
	// in TransportSections order, each as a slot named after its section.
	Sections []PluginSlot `koanf:"-"`
	// Transports is the [[transports]] list of further listeners.
	Transports []PluginSlot `koanf:"transports"`
	Plugins    Plugins      `koanf:"plugins"`
	Telemetry  Telemetry    `koanf:"telemetry"`
	Cluster    Cluster      `koanf:"cluster"`
}

// Cluster modes.
const (
	// ClusterVSR orders every operation through a Viewstamped Replication
	// journal before it is acknowledged (a cluster of one by default).
	ClusterVSR = "vsr"
	// ClusterNone is the layout before replication: a metadata op log and
	// the partition fsync policy alone. Transitional.
	ClusterNone = "none"
)

// Cluster holds replication: how operations are ordered and made durable.
type Cluster struct {
	Mode string `koanf:"mode"`
	// ID is the cluster id every replica message carries.
	ID uint64 `koanf:"id"`
	// JournalSlots is the journal ring's size in prepares; fixed when the
	// journal is first created.
	JournalSlots int `koanf:"journal_slots"`
	// PrepareSizeMax is a journal slot: the largest operation (a batch of
	// messages, after splitting) in bytes; fixed when the journal is first
	// created.
	PrepareSizeMax ByteSize `koanf:"prepare_size_max"`
	// RequestTimeout bounds how long a request waits for its operation to
	// commit before the client connection is closed (outcome unknown).
	RequestTimeout time.Duration `koanf:"request_timeout"`
	// Sessions is how many operations this node can have in flight at once.
	Sessions int `koanf:"sessions"`
	// Replica is this node's index in Replicas.
	Replica int `koanf:"replica"`
	// Replicas lists every replica of the cluster in replica order; empty
	// means a cluster of one (this node alone, no bus).
	Replicas []Replica `koanf:"replicas"`
	// DataReplication is how message batches reach the backups: "ring"
	// (each relays to the next) or "star" (the primary sends to each).
	DataReplication string `koanf:"data_replication"`
	// Key is the pre-shared key replicas prove to each other (at least 16
	// bytes); required with more than one replica.
	Key string `koanf:"key"`
}

// Replica is one member of the cluster: where its replicas talk to it
// (bus_address) and where clients reach it (announced in the cluster
// metadata, so clients can find the primary).
type Replica struct {
	Name             string `koanf:"name"`
	BusAddress       string `koanf:"bus_address"`
	TCPAddress       string `koanf:"tcp_address"`
	QUICAddress      string `koanf:"quic_address"`
	HTTPAddress      string `koanf:"http_address"`
	WebSocketAddress string `koanf:"websocket_address"`
}

// ReplicaCount is the cluster's size (1 without a replica list).
func (c Cluster) ReplicaCount() int { return max(1, len(c.Replicas)) }

// Telemetry holds OpenTelemetry export settings.
type Telemetry struct {
	Enabled     bool       `koanf:"enabled"`
	ServiceName string     `koanf:"service_name"`
	Traces      Traces     `koanf:"traces"`
	Metrics     Signal     `koanf:"metrics"`
	Logs        Signal     `koanf:"logs"`
	Prometheus  Prometheus `koanf:"prometheus"`
}

// Signal is one pushed signal's exporter: the telemetry plugin named by
// Transport (or TransportNone) with the section's other keys as its
// config.
type Signal struct {
	Transport      string        `koanf:"transport"`
	Endpoint       string        `koanf:"endpoint"`
	Path           string        `koanf:"path"`
	ExportInterval time.Duration `koanf:"export_interval"`
}

// ExporterConfig is the table handed to the exporter plugin.
func (s Signal) ExporterConfig() map[string]any {
	raw := map[string]any{"endpoint": s.Endpoint}
	if s.Path != "" {
		raw["path"] = s.Path
	}
	return raw
}

// Prometheus holds the pulled metrics page.
type Prometheus struct {
	Enabled bool   `koanf:"enabled"`
	Path    string `koanf:"path"`
}

// Telemetry exporter transports built in; any telemetry plugin's name is
// accepted too.
const (
	TransportGRPC   = "grpc"
	TransportHTTP   = "http"
	TransportStdout = "stdout"
	// TransportNone leaves a signal out.
	TransportNone = "none"
)

// Traces holds the trace exporter and the sampler.
type Traces struct {
	Signal        `koanf:",squash"`
	SamplingRatio float64 `koanf:"sampling_ratio"`
}

// PluginSlot is one configured instance of a plugin kind that can have
// several ([[archivers]]): its own name, the implementation's name, and
// the implementation's config table.
type PluginSlot struct {
	Name   string         `koanf:"name"`
	Type   string         `koanf:"type"`
	Config map[string]any `koanf:"config"`
}

// Plugins locates external plugin bundles.
type Plugins struct {
	Dir     string   `koanf:"dir"`
	Bundles []Bundle `koanf:"bundles"`
}

// Bundle is one external plugin binary and the digest it must have.
type Bundle struct {
	Name   string `koanf:"name"`
	File   string `koanf:"file"`
	SHA256 string `koanf:"sha256"`
}

// System holds data placement and durability.
type System struct {
	Path      string    `koanf:"path"`
	Partition Partition `koanf:"partition"`
	Segment   Segment   `koanf:"segment"`
	Topic     Topic     `koanf:"topic"`
	Retention Retention `koanf:"retention"`
	Dedup     Dedup     `koanf:"message_deduplication"`
	Archive   Archive   `koanf:"archive"`
	Tiering   Tiering   `koanf:"tiering"`
}

// Tiering holds the storage tiers: L1 (recent batches in memory), L2
// (local segments: how long they stay once archived) and L3 (reads from
// the archive).
type Tiering struct {
	MemoryCacheSize  ByteSize         `koanf:"memory_cache_size"`
	LocalRetention   OptionalDuration `koanf:"local_retention"`
	LocalMaxSize     ByteSize         `koanf:"local_max_size"`
	LocalActiveOnly  bool             `koanf:"local_active_only"`
	ArchiveReads     bool             `koanf:"archive_reads"`
	ArchiveCacheSize ByteSize         `koanf:"archive_cache_size"`
	ArchiveReadAhead ByteSize         `koanf:"archive_read_ahead"`
}

// LocalLimited reports whether a local limit beyond the topics' own is
// set: one that deletes local segments because they are archived.
func (t Tiering) LocalLimited() bool {
	return t.LocalRetention != 0 || t.LocalMaxSize != Unlimited || t.LocalActiveOnly
}

// Archive holds when sealed segments are copied to the archivers.
type Archive struct {
	Interval         time.Duration `koanf:"interval"`
	MetadataInterval time.Duration `koanf:"metadata_interval"`
	RestoreMetadata  bool          `koanf:"restore_metadata"`
}

// Dedup holds per-partition message deduplication by id.
type Dedup struct {
	Enabled    bool          `koanf:"enabled"`
	MaxEntries int           `koanf:"max_entries"`
	Expiry     time.Duration `koanf:"expiry"`
}

// FsyncPolicy says when an acknowledged append is durable.
type FsyncPolicy string

const (
	FsyncAlways   FsyncPolicy = "always"
	FsyncInterval FsyncPolicy = "interval"
	FsyncNever    FsyncPolicy = "never"
)

// Partition holds the partition log's durability policy.
type Partition struct {
	Fsync         FsyncPolicy   `koanf:"fsync"`
	FsyncInterval time.Duration `koanf:"fsync_interval"`
}

// Segment holds segment rotation.
type Segment struct {
	Size ByteSize `koanf:"size"`
}

// Topic holds defaults for topics that leave these to the server.
type Topic struct {
	MessageExpiry OptionalDuration `koanf:"message_expiry"`
	MaxSize       ByteSize         `koanf:"max_size"`
}

// Retention holds how often retention runs.
type Retention struct {
	CheckInterval time.Duration `koanf:"check_interval"`
}

// Root holds the credentials of the root user created on first boot.
type Root struct {
	Username string `koanf:"username"`
	Password string `koanf:"password"`
}

// Storage selects the storage backend and holds its own config subtree.
type Storage struct {
	Backend string         `koanf:"backend"`
	Config  map[string]any `koanf:"config"`
}

// Load builds the configuration from the built-in default, then the file
// named by --config, then RUNNEL_* variables in environ, then flags in args.
// Every layer is checked for unknown keys, and the result is validated.
func Load(args []string, environ []string) (*Config, error) {
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(DefaultTOML), toml.Parser()); err != nil {
		return nil, fmt.Errorf("config: built-in default: %w", err)
	}
	known := leafKeys(k)

	flags := pflag.NewFlagSet("runnel-server", pflag.ContinueOnError)
	configFile := flags.String("config", "", "TOML configuration file")
	for _, key := range known {
		flags.String(key, "", fmt.Sprintf("config key %s (default %v)", key, k.Get(key)))
	}
	if err := flags.Parse(args); err != nil {
		return nil, fmt.Errorf("config: flags: %w", err)
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected argument %q", flags.Arg(0))
	}

	if *configFile != "" {
		fileLayer := koanf.New(".")
		if err := fileLayer.Load(file.Provider(*configFile), toml.Parser()); err != nil {
			return nil, fmt.Errorf("config: %s: %w", *configFile, err)
		}
		if err := checkKeys(fileLayer, known, *configFile); err != nil {
			return nil, err
		}
		if err := k.Merge(fileLayer); err != nil {
			return nil, fmt.Errorf("config: %s: %w", *configFile, err)
		}
	}

	envLayer, err := loadEnv(environ, known)
	if err != nil {
		return nil, err
	}
	if err := k.Merge(envLayer); err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}

	flagLayer := posflag.ProviderWithValue(flags, ".", k, func(key, value string) (string, any) {
		if key == "config" {
			return "", nil // names the file layer, not a key
		}
		return key, value
	})
	if err := k.Load(flagLayer, nil); err != nil {
		return nil, fmt.Errorf("config: flags: %w", err)
	}

	sections, err := cutTransportSections(k)
	if err != nil {
		return nil, err
	}
	var cfg Config
	err = k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		// Passing our own DecoderConfig drops koanf's hooks: add them back.
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.TextUnmarshallerHookFunc()),
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		TagName:          "koanf",
	}})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg.Sections = sections
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// cutTransportSections removes the transport sections from k and returns
// the enabled ones as slots whose Config is the section without "enabled".
// What remains of k then unmarshals strictly into Config.
func cutTransportSections(k *koanf.Koanf) ([]PluginSlot, error) {
	var out []PluginSlot
	for _, name := range TransportSections {
		raw := k.Cut(name).Raw()
		k.Delete(name)
		enabled, err := parseEnabled(raw["enabled"])
		if err != nil {
			return nil, fmt.Errorf("config: %s.enabled: %w", name, err)
		}
		delete(raw, "enabled")
		if enabled {
			out = append(out, PluginSlot{Name: name, Type: name, Config: raw})
		}
	}
	return out, nil
}

// parseEnabled reads a boolean from TOML (bool) or an environment
// variable or flag (string).
func parseEnabled(v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	}
	return false, fmt.Errorf("%v is not true or false", v)
}

// leafKeys lists every key of the built-in default, sorted.
func leafKeys(k *koanf.Koanf) []string {
	keys := k.Keys()
	sort.Strings(keys)
	return keys
}

func isKnown(key string, known []string) bool {
	if _, found := slices.BinarySearch(known, key); found {
		return true
	}
	for _, p := range pluginConfigPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func checkKeys(layer *koanf.Koanf, known []string, source string) error {
	var unknown []string
	for _, key := range layer.Keys() {
		if !isKnown(key, known) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("config: %s: unknown key %s", source, strings.Join(unknown, ", "))
	}
	return nil
}

// EnvName is the environment variable that sets a config key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// loadEnv maps RUNNEL_* variables onto known keys by name: the key
// "tcp.tls.cert_file" is RUNNEL_TCP_TLS_CERT_FILE. Matching whole names
// against the key list is what makes underscores inside keys unambiguous.
func loadEnv(environ []string, known []string) (*koanf.Koanf, error) {
	byEnv := make(map[string]string, len(known))
	for _, key := range known {
		byEnv[EnvName(key)] = key
	}
	var unknown []string
	transform := func(name, value string) (string, any) {
		if key, ok := byEnv[name]; ok {
			return key, value
		}
		for _, p := range pluginConfigPrefixes {
			if envP := EnvName(p); strings.HasPrefix(name, envP) {
				return p + strings.ToLower(strings.TrimPrefix(name, envP)), value
			}
		}
		unknown = append(unknown, name)
		return "", nil
	}
	layer := koanf.New(".")
	err := layer.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: transform,
		EnvironFunc:   func() []string { return environ },
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("config: environment: %w", err)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: environment: unknown variable %s (no such config key)", strings.Join(unknown, ", "))
	}
	return layer, nil
}

// uniqueNames checks the names of a list's entries: each a valid
// instance name, none twice.
type uniqueNames map[string]bool

func (u uniqueNames) check(key, name string, bad func(key, format string, args ...any)) {
	if err := checkInstanceName(name); err != nil {
		bad(key, "%v", err)
	} else if u[name] {
		bad(key, "%q is used twice", name)
	}
	u[name] = true
}

// checkInstanceName accepts names that are safe in paths and log keys.
func checkInstanceName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("want 1 to 64 characters, got %q", name)
	}
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return fmt.Errorf("%q: use a-z, 0-9, _ and -", name)
	}
	return nil
}

// Validate checks values that decode but make no sense, naming the key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.System.Path == "" {
		bad("system.path", "must not be empty")
	}
	switch c.System.Partition.Fsync {
	case FsyncAlways, FsyncInterval, FsyncNever:
	default:
		bad("system.partition.fsync", "%q is not one of always, interval, never", c.System.Partition.Fsync)
	}
	if c.System.Partition.FsyncInterval <= 0 {
		bad("system.partition.fsync_interval", "must be positive, got %s", c.System.Partition.FsyncInterval)
	}
	const segmentSizeMax = 1<<32 - 1 // index positions are u32
	if c.System.Segment.Size < 1<<20 || c.System.Segment.Size > segmentSizeMax {
		bad("system.segment.size", "%s is outside 1MiB..4GiB-1", c.System.Segment.Size)
	}
	if c.System.Retention.CheckInterval <= 0 {
		bad("system.retention.check_interval", "must be positive, got %s", c.System.Retention.CheckInterval)
	}
	if c.System.Dedup.Enabled && (c.System.Dedup.MaxEntries <= 0 || c.System.Dedup.Expiry <= 0) {
		bad("system.message_deduplication", "max_entries and expiry must be positive when enabled")
	}
	c.Cluster.validate(bad)
	if c.Cluster.Mode == ClusterVSR {
		// The dedup window is state outside the journal that a replayed op
		// would not see; it works with cluster.mode = "none" only, for now.
		if c.System.Dedup.Enabled {
			bad("system.message_deduplication.enabled", "not supported with cluster.mode = %q yet (use cluster.mode = %q)", ClusterVSR, ClusterNone)
		}
	}
	if c.Root.Username == "" || len(c.Root.Username) < 3 || len(c.Root.Username) > 50 {
		bad("root.username", "must be 3..50 characters")
	}
	if c.Root.Password != "" && (len(c.Root.Password) < 3 || len(c.Root.Password) > 100) {
		bad("root.password", "must be 3..100 characters")
	}
	if c.Storage.Backend == "" {
		bad("storage.backend", "must not be empty")
	}
	if c.System.Archive.Interval <= 0 {
		bad("system.archive.interval", "must be positive, got %s", c.System.Archive.Interval)
	}
	if c.System.Archive.MetadataInterval <= 0 {
		bad("system.archive.metadata_interval", "must be positive, got %s", c.System.Archive.MetadataInterval)
	}
	c.System.Tiering.validate(len(c.Archivers), bad)
	names := uniqueNames{}
	for i, a := range c.Archivers {
		key := fmt.Sprintf("archivers[%d]", i)
		names.check(key+".name", a.Name, bad)
		if a.Type == "" {
			bad(key+".type", "must name an archiver plugin")
		}
	}
	c.validateTransports(bad)
	bundles := uniqueNames{}
	for i, b := range c.Plugins.Bundles {
		key := fmt.Sprintf("plugins.bundles[%d]", i)
		bundles.check(key+".name", b.Name, bad)
		if b.File == "" {
			bad(key+".file", "must name the bundle's binary")
		}
		if len(b.SHA256) != 64 || strings.Trim(strings.ToLower(b.SHA256), "0123456789abcdef") != "" {
			bad(key+".sha256", "want the 64 hex digits of the binary's SHA-256")
		}
	}
	c.Telemetry.validate(bad)
	return errors.Join(errs...)
}

// Listeners lists every transport instance to start: the enabled sections,
// then the [[transports]] list.
func (c *Config) Listeners() []PluginSlot {
	return append(slices.Clip(c.Sections), c.Transports...)
}

// validateTransports checks the [[transports]] entries: the built-in
// sections were named by Load, the plugins check their own keys.
func (c *Config) validateTransports(bad func(key, format string, args ...any)) {
	names := map[string]bool{}
	for _, name := range TransportSections {
		names[name] = true
	}
	for i, t := range c.Transports {
		key := fmt.Sprintf("transports[%d]", i)
		if err := checkInstanceName(t.Name); err != nil {
			bad(key+".name", "%v", err)
		} else if names[t.Name] {
			bad(key+".name", "%q is used twice (the sections %s count as names)", t.Name, strings.Join(TransportSections, ", "))
		}
		names[t.Name] = true
		if t.Type == "" {
			bad(key+".type", "must name a transport plugin")
		}
	}
}

// tieringSizeMax bounds the in-memory budgets (a typo such as "1TiB"
// should not pass for a cache).
const tieringSizeMax = 1 << 40

func (t Tiering) validate(archivers int, bad func(key, format string, args ...any)) {
	if t.MemoryCacheSize > tieringSizeMax {
		bad("system.tiering.memory_cache_size", "%s is above 1TiB", t.MemoryCacheSize)
	}
	if t.ArchiveCacheSize > tieringSizeMax {
		bad("system.tiering.archive_cache_size", "%s is above 1TiB", t.ArchiveCacheSize)
	}
	if t.ArchiveReadAhead > t.ArchiveCacheSize {
		bad("system.tiering.archive_read_ahead", "%s is larger than archive_cache_size %s, where read-ahead lands", t.ArchiveReadAhead, t.ArchiveCacheSize)
	}
	if t.LocalMaxSize == 0 {
		bad("system.tiering.local_max_size", "0 would keep nothing: use local_active_only = true, or \"unlimited\"")
	}
	if archivers == 0 && t.LocalLimited() {
		bad("system.tiering", "local_retention, local_max_size and local_active_only delete local segments once archived: configure [[archivers]]")
	}
}

func (t Telemetry) validate(bad func(key, format string, args ...any)) {
	if t.Traces.SamplingRatio < 0 || t.Traces.SamplingRatio > 1 {
		bad("telemetry.traces.sampling_ratio", "%g is outside 0..1", t.Traces.SamplingRatio)
	}
	if !strings.HasPrefix(t.Prometheus.Path, "/") {
		bad("telemetry.prometheus.path", "%q must start with /", t.Prometheus.Path)
	}
	for name, sig := range map[string]Signal{"traces": t.Traces.Signal, "metrics": t.Metrics, "logs": t.Logs} {
		key := "telemetry." + name
		if sig.Transport == "" {
			bad(key+".transport", "must name a telemetry exporter (grpc, http, stdout) or be none")
		}
		if sig.ExportInterval <= 0 || sig.ExportInterval > time.Hour {
			bad(key+".export_interval", "%s is outside 0..1h", sig.ExportInterval)
		}
		if !t.Enabled || (sig.Transport != TransportGRPC && sig.Transport != TransportHTTP) {
			continue
		}
		if _, _, err := net.SplitHostPort(sig.Endpoint); err != nil {
			bad(key+".endpoint", "want host:port: %v", err)
		}
	}
	if t.Enabled && t.ServiceName == "" {
		bad("telemetry.service_name", "must not be empty when telemetry is enabled")
	}
}

// journalSlotsMin leaves room for a checkpoint interval beside two
// pipelines of prepares.
const (
	journalSlotsMin = 128
	journalSlotsMax = 1 << 16
	sessionsMax     = 1024
	prepareSizeMin  = 64 << 10
	prepareSizeMax  = 8 << 20 // core/vsr's PrepareBodySizeMax
)

func (c Cluster) validate(bad func(key, format string, args ...any)) {
	switch c.Mode {
	case ClusterVSR, ClusterNone:
	default:
		bad("cluster.mode", "%q is not one of vsr, none", c.Mode)
	}
	if c.ID == 0 {
		bad("cluster.id", "must not be 0")
	}
	if c.JournalSlots < journalSlotsMin || c.JournalSlots > journalSlotsMax {
		bad("cluster.journal_slots", "%d is outside %d..%d", c.JournalSlots, journalSlotsMin, journalSlotsMax)
	}
	if c.PrepareSizeMax < prepareSizeMin || c.PrepareSizeMax > prepareSizeMax {
		bad("cluster.prepare_size_max", "%s is outside %s..%s", c.PrepareSizeMax, ByteSize(prepareSizeMin), ByteSize(prepareSizeMax))
	}
	if c.RequestTimeout <= 0 {
		bad("cluster.request_timeout", "must be positive, got %s", c.RequestTimeout)
	}
	if c.Sessions < 1 || c.Sessions > sessionsMax {
		bad("cluster.sessions", "%d is outside 1..%d", c.Sessions, sessionsMax)
	}
	if c.DataReplication != "ring" && c.DataReplication != "star" {
		bad("cluster.data_replication", "%q is not one of ring, star", c.DataReplication)
	}
	c.validateReplicas(bad)
}

// clusterKeyBytesMin matches the replica bus's minimum.
const (
	clusterKeyBytesMin = 16
	replicasMax        = 16
)

func (c Cluster) validateReplicas(bad func(key, format string, args ...any)) {
	if len(c.Replicas) == 0 {
		if c.Replica != 0 {
			bad("cluster.replica", "%d without cluster.replicas (a cluster of one is replica 0)", c.Replica)
		}
		return
	}
	if c.Mode != ClusterVSR {
		bad("cluster.replicas", "needs cluster.mode = %q", ClusterVSR)
	}
	if len(c.Replicas) > replicasMax {
		bad("cluster.replicas", "%d replicas, at most %d", len(c.Replicas), replicasMax)
	}
	if c.Replica < 0 || c.Replica >= len(c.Replicas) {
		bad("cluster.replica", "%d is outside 0..%d (the replicas listed)", c.Replica, len(c.Replicas)-1)
	}
	if len(c.Replicas) > 1 && len(c.Key) < clusterKeyBytesMin {
		bad("cluster.key", "must be at least %d bytes with more than one replica", clusterKeyBytesMin)
	}
	names := uniqueNames{}
	for i, r := range c.Replicas {
		key := fmt.Sprintf("cluster.replicas[%d]", i)
		names.check(key+".name", r.Name, bad)
		if _, _, err := net.SplitHostPort(r.BusAddress); err != nil {
			bad(key+".bus_address", "%q: want host:port", r.BusAddress)
		}
		if _, _, err := net.SplitHostPort(r.TCPAddress); err != nil {
			bad(key+".tcp_address", "%q: want host:port", r.TCPAddress)
		}
		for field, addr := range map[string]string{"quic_address": r.QUICAddress, "http_address": r.HTTPAddress, "websocket_address": r.WebSocketAddress} {
			if addr == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				bad(key+"."+field, "%q: want host:port", addr)
			}
		}
	}
}
