package catalog

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/runnel-io/runnel/plugins/component"
)

// instanceProcess is the plugin process behind one storage or transport
// instance (archivers have their own supervision, remote.go): its go-plugin
// client, its pid, the instance's logger, and a watcher that logs once if
// it exits.
type instanceProcess struct {
	client *plugin.Client
	pid    int
	logger *slog.Logger
	stop   chan struct{}
	done   chan struct{}
}

func newInstanceProcess(client *plugin.Client, logger *slog.Logger) instanceProcess {
	pid, _ := strconv.Atoi(client.ID())
	return instanceProcess{client: client, pid: pid, logger: logger, stop: make(chan struct{}), done: make(chan struct{})}
}

// instanceLogger is env's logger (or the catalog's) naming the bundle and
// the instance ("storage.file_ext").
func (c *Catalog) instanceLogger(env component.Env, b *extBundle, instance string) *slog.Logger {
	logger := c.logger
	if env.Logger != nil {
		logger = env.Logger
	}
	return logger.With("bundle", b.ref.Name, "instance", instance)
}

// watch logs exitMsg, with attrs() and the pid, when the instanceProcess exits;
// it returns then or at stopWatching. Run it on its own goroutine.
func (p *instanceProcess) watch(exitMsg string, attrs func() []any) {
	defer close(p.done)
	tick := time.NewTicker(exitPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		if p.client.Exited() {
			p.logger.Error(exitMsg, append([]any{"pid", p.pid}, attrs()...)...)
			return
		}
	}
}

// stopWatching ends watch and waits for it. Call it once.
func (p *instanceProcess) stopWatching() {
	close(p.stop)
	<-p.done
}

// PID is the plugin instanceProcess's id.
func (p *instanceProcess) PID() int { return p.pid }
