package dataplane

import (
	"context"
	"sync"
	"time"

	"github.com/shardcat/shardcat/internal/script"
)

// commandTimeout bounds a notify_up/down or quorum_up/down run (keepalived
// has no bound; a hung script must not pile up processes forever).
const commandTimeout = 30 * time.Second

type namedCommand struct {
	what string
	c    *script.Command
}

// runAndWait runs the commands at once and waits for them (each within
// commandTimeout): at the service's removal, before the process may exit.
func (s *Service) runAndWait(cmds []namedCommand) {
	var wg sync.WaitGroup
	for _, nc := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := script.Exec(context.Background(), *nc.c, commandTimeout); err != nil {
				s.opts.Logf("virtual_server %s: %s %q: %v", s.cfg.Addr, nc.what, nc.c.String(), err)
			}
		}()
	}
	wg.Wait()
}

// runCommand starts c (nil = none), as keepalived runs notify_up,
// notify_down, quorum_up and quorum_down: nobody waits for it, its output is
// discarded and a failure only logged.
func (s *Service) runCommand(what string, c *script.Command) {
	if c == nil || s.opts.member {
		return // a group's scripts run once, for its first member
	}
	go func() {
		if err := script.Exec(context.Background(), *c, commandTimeout); err != nil {
			s.opts.Logf("virtual_server %s: %s %q: %v", s.cfg.Addr, what, c.String(), err)
		}
	}()
}
