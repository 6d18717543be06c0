package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/script"
)

// DefaultTimeout bounds a notify script's run (keepalived has no bound; a
// hung script must not hold back the later notifications forever).
const DefaultTimeout = 30 * time.Second

// Event is a state change to notify: of an instance or a sync group.
type Event struct {
	Group    bool   // vrrp_sync_group rather than vrrp_instance
	Name     string // instance or group name
	State    string // MASTER, BACKUP, FAULT, STOP or DELETED
	Priority int
}

// Kind is keepalived's first notify argument: INSTANCE or GROUP.
func (e Event) Kind() string {
	if e.Group {
		return "GROUP"
	}
	return "INSTANCE"
}

// Security is what global_defs says about running scripts.
type Security = script.Security

// Prepare turns a notify/track command into a runnable command with its
// identity (script.Prepare).
func Prepare(c *keepalivedconf.Command, sec Security) (script.Command, error) {
	return script.Prepare(c.Line, c.User, c.Group, sec)
}

// Scripts runs notify scripts in order, one at a time.
type Scripts struct {
	Timeout time.Duration // per script; 0 = DefaultTimeout
	logf    func(string, ...any)
	q       *queue
}

// NewScripts starts the runner; logf receives failures (nil discards).
func NewScripts(logf func(string, ...any)) *Scripts {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Scripts{logf: logf, q: newQueue()}
}

// Close waits (up to wait) for the queued scripts, then stops.
func (s *Scripts) Close(wait time.Duration) { s.q.close(wait) }

// Notify queues the scripts of n for e: the notify_<state> script without
// arguments, then the notify script with keepalived's arguments
// INSTANCE|GROUP NAME STATE PRIORITY. It never blocks; a refused script
// (security) or a full queue is logged.
func (s *Scripts) Notify(n keepalivedconf.Notify, sec Security, e Event) {
	var specific *keepalivedconf.Command
	switch e.State {
	case "MASTER":
		specific = n.Master
	case "BACKUP":
		specific = n.Backup
	case "FAULT":
		specific = n.Fault
	case "STOP", "DELETED": // DELETED: removed by a reload
		specific = n.Stop
	}
	s.queue(specific, sec, e, nil)
	s.queue(n.Any, sec, e, []string{e.Kind(), e.Name, e.State, strconv.Itoa(e.Priority)})
}

func (s *Scripts) queue(c *keepalivedconf.Command, sec Security, e Event, args []string) {
	if c == nil {
		return
	}
	what := fmt.Sprintf("%s %s: notify script %q", e.Kind(), e.Name, c.Line)
	cmd, err := Prepare(c, sec)
	if err != nil {
		s.logf("%s not run: %v", what, err)
		return
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if !s.q.add(func() {
		if err := script.Exec(context.Background(), cmd, timeout, args...); err != nil {
			s.logf("%s (%s): %v", what, e.State, err)
		}
	}) {
		s.logf("%s (%s) dropped: queue full or closed", what, e.State)
	}
}
