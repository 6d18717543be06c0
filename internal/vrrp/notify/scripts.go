package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/vrrp/track"
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
type Security struct {
	Enabled bool   // enable_script_security
	User    string // script_user: default identity when running as root
	Group   string
}

// Prepare turns a notify/track command line into a runnable command with
// its identity, refusing (as keepalived does) an insecure script when
// script security is on.
func Prepare(c *keepalivedconf.Command, sec Security) (track.Command, error) {
	argv, err := track.SplitCommand(c.Line)
	if err != nil {
		return track.Command{}, err
	}
	u, g := c.User, c.Group
	if u == "" {
		u, g = sec.User, sec.Group
	}
	cred, err := track.Identity(u, g)
	if err != nil {
		return track.Command{}, err
	}
	if sec.Enabled {
		if err := track.CheckSecure(argv[0], cred); err != nil {
			return track.Command{}, err
		}
	}
	return track.Command{Argv: argv, Cred: cred}, nil
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
		if err := track.Exec(context.Background(), cmd, timeout, args...); err != nil {
			s.logf("%s (%s): %v", what, e.State, err)
		}
	}) {
		s.logf("%s (%s) dropped: queue full or closed", what, e.State)
	}
}
