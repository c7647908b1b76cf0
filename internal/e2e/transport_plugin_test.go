package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	iggy "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
	iggcon "github.com/apache/iggy/foreign/go/contracts"

	"github.com/runnel-io/runnel/internal/testserver"
)

// extListeningRE finds the address of the [[transports]] entry "ext".
var extListeningRE = regexp.MustCompile(`listening transport=ext address=(\S+)`)

// transportPluginConfig adds a listener served by the external tcp_ext
// transport (cmd/runnel-plugin-transport) beside the built-in [tcp].
func transportPluginConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runnel.toml")
	cfg := fmt.Sprintf(`[[transports]]
name = "ext"
type = "tcp_ext"
[transports.config]
address = "127.0.0.1:0"

[plugins]
dir = %q
[[plugins.bundles]]
name = "transport"
file = "runnel-plugin-transport"
sha256 = %q
`, filepath.Dir(transportPluginBinary), fileSHA256(t, transportPluginBinary))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// childrenNamed lists the pids of pid's children whose command name (at
// most 15 bytes in /proc) starts with comm.
func childrenNamed(t *testing.T, pid int, comm string) []int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ")".
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		fields := strings.Fields(rest)
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) && strings.Contains(string(stat), "("+comm) {
			out = append(out, child)
		}
	}
	return out
}

func iggyClientAt(t *testing.T, addr string) iggcon.Client {
	t.Helper()
	cli, err := iggy.NewIggyClient(iggy.WithTcp(tcp.WithServerAddress(addr)))
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	if _, err := cli.LoginUser(rootUser, rootPassword); err != nil {
		t.Fatalf("login at %s: %v", addr, err)
	}
	return cli
}

// sendAndPoll creates a stream and topic, sends n messages and polls them
// back, all through cli.
func sendAndPoll(t *testing.T, cli iggcon.Client, stream string, n int) {
	t.Helper()
	_, err := cli.CreateStream(stream)
	mustNoErr(t, "create stream "+stream, err)
	_, err = cli.CreateTopic(id(t, stream), "t", 1, iggcon.CompressionAlgorithmNone, iggcon.Duration(0), 0, nil)
	mustNoErr(t, "create topic", err)
	sid, tid := id(t, stream), id(t, "t")
	mustNoErr(t, "send", cli.SendMessages(sid, tid, iggcon.PartitionId(0), messages(t, stream, n)))
	p0 := uint32(0)
	polled, err := cli.PollMessages(sid, tid, iggcon.NewSingleConsumer(id(t, uint32(1))), iggcon.OffsetPollingStrategy(0), uint32(n), false, &p0)
	mustNoErr(t, "poll", err)
	if int(polled.MessageCount) != n {
		t.Fatalf("polled %d messages from %s, want %d", polled.MessageCount, stream, n)
	}
	for i, m := range polled.Messages {
		if want := fmt.Sprintf("%s-%d", stream, i); string(m.Payload) != want {
			t.Fatalf("message %d: %q, want %q", i, m.Payload, want)
		}
	}
}

// TestExternalTransportPlugin: a listener served by an external bundle
// (the tcp transport in its own process, requests handed to the server
// over gRPC) serves the Iggy Go SDK end to end; after kill -9 of the
// plugin process the server reports that listener down, naming the
// plugin, and keeps serving on its built-in [tcp] listener.
func TestExternalTransportPlugin(t *testing.T) {
	s := testserver.StartArgs(t, serverBinary, []string{"--config", transportPluginConfig(t)})
	var extAddr string
	testserver.Eventually(t, "the ext listener's address in the log", func() bool {
		if m := extListeningRE.FindStringSubmatch(s.Output()); m != nil {
			extAddr = m[1]
		}
		return extAddr != ""
	})
	if extAddr == s.Addr {
		t.Fatalf("ext listens on the built-in listener's address %s", extAddr)
	}
	ext := iggyClientAt(t, extAddr)
	mustNoErr(t, "ping through the plugin", ext.Ping())
	sendAndPoll(t, ext, "through-plugin", 50)
	// The data is the server's: the built-in listener sees it too.
	builtin := iggyClient(t, s)
	got, err := builtin.GetStream(id(t, "through-plugin"))
	mustNoErr(t, "get stream through [tcp]", err)
	if got.MessagesCount != 50 {
		t.Fatalf("stream seen through [tcp] holds %d messages, want 50", got.MessagesCount)
	}

	children := childrenNamed(t, s.Pid(), "runnel-plugin-t")
	if len(children) != 1 {
		t.Fatalf("want one transport plugin process under the server, found %v", children)
	}
	if err := syscall.Kill(children[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testserver.Eventually(t, "the server to report the ext listener down", func() bool {
		out := s.Output()
		return strings.Contains(out, "transport plugin failed; this listener is down") &&
			strings.Contains(out, "transport=ext") && strings.Contains(out, "transport.tcp_ext (bundle transport")
	})
	testserver.Eventually(t, "the ext port to refuse connections", func() bool {
		c, err := net.Dial("tcp", extAddr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	for _, line := range strings.Split(s.Output(), "\n") {
		if strings.Contains(line, "listener is down") {
			t.Log(line)
		}
	}
	sendAndPoll(t, iggyClient(t, s), "after-kill", 20) // [tcp] keeps serving
	s.Stop()                                           // and the server stops cleanly (exit 0)
}
