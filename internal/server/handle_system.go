package server

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/runnel-io/runnel/core/metadata"
	"github.com/runnel-io/runnel/core/partition"
	"github.com/runnel-io/runnel/sdk/wire"
)

func (c *session) getStats(userID uint32) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionServerInfo, 0, 0); err != nil {
		return nil, err
	}
	s := c.srv
	st := wire.Stats{
		ProcessID:       uint32(os.Getpid()),
		MemoryUsage:     processRSSBytes(),
		RunTimeMicros:   uint64(time.Since(s.startedAt).Microseconds()),
		StartTimeMicros: uint64(s.startedAt.UnixMicro()),
		ReadBytes:       s.readBytes.Load(),
		WrittenBytes:    s.writtenBytes.Load(),
		ClientsCount:    uint32(s.clients.count()),
		OSName:          runtime.GOOS,
		ServerVersion:   Version,
		ServerSemver:    versionSemver,
		ThreadsCount:    uint32(runtime.GOMAXPROCS(0)),
	}
	st.Hostname, _ = os.Hostname()
	st.KernelVersion = kernelVersion()
	st.OSVersion = st.KernelVersion
	st.TotalMemory, st.AvailableMemory = systemMemoryBytes()
	var fs syscall.Statfs_t
	if syscall.Statfs(s.cfg.System.Path, &fs) == nil {
		st.FreeDiskSpace = fs.Bavail * uint64(fs.Bsize)
		st.TotalDiskSpace = fs.Blocks * uint64(fs.Bsize)
	}
	s.meta.View(func(ms *metadata.State) {
		st.StreamsCount = uint32(ms.StreamsCount())
		for stream := range ms.Streams() {
			st.TopicsCount += uint32(stream.TopicsCount())
			for topic := range stream.Topics() {
				st.PartitionsCount += topic.PartitionsCount()
				st.ConsumerGroupsCount += uint32(topic.GroupsCount())
			}
		}
	})
	s.parts.each(func(pl *partitionLog) {
		ps := s.statsOf(pl) // with archived history
		st.SegmentsCount += uint32(ps.SegmentsCount)
		st.MessagesCount += ps.MessagesCount
		st.MessagesSizeBytes += ps.SizeBytes
	})
	return st.AppendTo(c.scratch[:0]), nil
}

func (pl *partitionLog) stats() partition.Stats {
	var st partition.Stats
	_ = pl.with(func(l *partition.Log) error {
		st = l.Stats()
		return nil
	})
	return st
}

// getClusterMetadata answers with this single node as the healthy leader,
// so the Iggy SDK never redirects.
func (c *session) getClusterMetadata() ([]byte, error) {
	md := c.srv.clusterMetadata()
	return md.AppendTo(c.scratch[:0]), nil
}

func (c *session) clientInfo() wire.ClientInfo {
	userID, _ := c.user()
	c.srv.groupsMu.Lock()
	groups := len(c.srv.members.ClientGroups(c.id))
	c.srv.groupsMu.Unlock()
	return wire.ClientInfo{ClientID: c.id, UserID: userID, Transport: c.transport, Address: c.addr, ConsumerGroupsCount: uint32(groups)}
}

// getClient answers GetClient and GetMe. An unknown id is ClientNotFound
// rather than Rust's empty answer, which makes the Go SDK panic (§8.3).
func (c *session) getClient(userID, clientID uint32, me bool) ([]byte, error) {
	if !me {
		if err := c.authorize(userID, metadata.ActionServerInfo, 0, 0); err != nil {
			return nil, err
		}
		if clientID == 0 {
			return nil, wire.ErrInvalidClientID
		}
	}
	other := c.srv.clients.get(clientID)
	if other == nil {
		return nil, wire.ErrClientNotFound.Detail("client %d", clientID)
	}
	details := wire.ClientDetails{ClientInfo: other.clientInfo()}
	c.srv.groupsMu.Lock()
	for _, g := range c.srv.members.ClientGroups(clientID) {
		details.ConsumerGroups = append(details.ConsumerGroups, wire.ClientGroup{StreamID: g.StreamID, TopicID: g.TopicID, GroupID: g.GroupID})
	}
	c.srv.groupsMu.Unlock()
	return details.AppendTo(c.scratch[:0]), nil
}

func (c *session) getClients(userID uint32) ([]byte, error) {
	if err := c.authorize(userID, metadata.ActionServerInfo, 0, 0); err != nil {
		return nil, err
	}
	list := c.srv.clients.list()
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	infos := make([]wire.ClientInfo, 0, len(list))
	for _, other := range list {
		infos = append(infos, other.clientInfo())
	}
	return wire.AppendClients(c.scratch[:0], infos), nil
}

// processRSSBytes reads the resident set size from /proc (Linux); 0 elsewhere.
func processRSSBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(fields[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// systemMemoryBytes reads total and available memory from /proc/meminfo.
func systemMemoryBytes() (total, available uint64) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kib, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "MemTotal:":
			total = kib << 10
		case "MemAvailable:":
			available = kib << 10
		}
	}
	return total, available
}

func kernelVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
