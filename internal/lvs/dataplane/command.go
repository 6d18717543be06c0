package dataplane

import (
	"os/exec"
)

// runCommand starts line with /bin/sh -c, as keepalived runs notify_up,
// notify_down, quorum_up and quorum_down: nobody waits for it on the relay
// path, its output is discarded and its exit status only logged.
func (s *Service) runCommand(what, line string) {
	if line == "" {
		return
	}
	cmd := exec.Command("/bin/sh", "-c", line)
	if err := cmd.Start(); err != nil {
		s.opts.Logf("virtual_server %s: %s %q: %v", s.cfg.Addr, what, line, err)
		return
	}
	go func() {
		if err := cmd.Wait(); err != nil {
			s.opts.Logf("virtual_server %s: %s %q: %v", s.cfg.Addr, what, line, err)
		}
	}()
}
