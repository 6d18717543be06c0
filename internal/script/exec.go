// Package script runs keepalived's scripts (vrrp_script, notify*, MISC_CHECK,
// notify_up/down, quorum_up/down) the way keepalived does: split into words
// without a shell, in their own process group, as script_user, refused
// when enable_script_security finds them writable by others.
package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killGrace is how long a timed-out script's process group has between
// SIGTERM and SIGKILL (keepalived: 2 s).
const killGrace = 2 * time.Second

// Command is a script as keepalived runs it: the path and its arguments
// (no shell), and the identity to run it as (nil = ours).
type Command struct {
	Argv []string
	Cred *syscall.Credential
}

func (c Command) String() string { return strings.Join(c.Argv, " ") }

// SplitCommand splits a script line into words as keepalived does: on
// blanks, with '...' and "..." quoting and backslash escapes.
func SplitCommand(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case r == '\\' && quote != '\'' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("script %q: unterminated quote", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty script")
	}
	return words, nil
}

// Identity resolves user[:group] (or user and group) to a credential. It
// returns nil when no user is given or when we are not root (only root can
// switch users; keepalived then runs scripts as itself too).
func Identity(userName, group string) (*syscall.Credential, error) {
	if userName == "" || os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(userName)
	if err != nil {
		return nil, fmt.Errorf("script user %q: %w", userName, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("script group %q: %w", group, err)
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// CheckSecure is enable_script_security's check: the script and every
// directory above it must be writable by root only (or by the user it runs
// as). A root-owned sticky directory such as /tmp is accepted, as only the
// owner of an entry can replace it there.
func CheckSecure(argv0 string, cred *syscall.Credential) error {
	path := argv0
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return fmt.Errorf("script %s: %w", argv0, err)
		}
		path = p
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	runUID := uint32(0)
	if cred != nil {
		runUID = cred.Uid
	}
	for p := path; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("script %s: %w", argv0, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode()
		switch {
		case st.Uid != 0 && st.Uid != runUID:
			return fmt.Errorf("SECURITY VIOLATION - script %s: %s is owned by uid %d, not root", argv0, p, st.Uid)
		case fi.IsDir() && mode&os.ModeSticky != 0 && st.Uid == 0:
		case mode.Perm()&0o002 != 0:
			return fmt.Errorf("SECURITY VIOLATION - script %s: %s is writable by others", argv0, p)
		case mode.Perm()&0o020 != 0 && st.Gid != 0:
			return fmt.Errorf("SECURITY VIOLATION - script %s: %s is writable by group %d", argv0, p, st.Gid)
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

// Exec runs c (extra arguments appended) in its own process group and
// waits for it. On timeout the whole group gets SIGTERM, then SIGKILL after
// 2 s, and the run counts as failed. It returns nil for exit status 0.
func Exec(ctx context.Context, c Command, timeout time.Duration, extra ...string) error {
	argv := append(append([]string(nil), c.Argv...), extra...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.Cred}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var why error
	select {
	case err := <-done:
		return err
	case <-timer:
		why = fmt.Errorf("timed out after %v", timeout)
	case <-ctx.Done():
		why = ctx.Err()
	}
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(killGrace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// Children that ignored SIGTERM may outlive the leader.
	syscall.Kill(-pgid, syscall.SIGKILL)
	return why
}

// Security is what global_defs says about running scripts.
type Security struct {
	Enabled bool   // enable_script_security
	User    string // script_user: default identity when running as root
	Group   string
}

// Prepare turns a script line (with its own user and group, "" = the
// default) into a runnable command with its identity, refusing, as
// keepalived does, an insecure script when script security is on.
func Prepare(line, userName, group string, sec Security) (Command, error) {
	argv, err := SplitCommand(line)
	if err != nil {
		return Command{}, err
	}
	if userName == "" {
		userName, group = sec.User, sec.Group
	}
	cred, err := Identity(userName, group)
	if err != nil {
		return Command{}, err
	}
	if sec.Enabled {
		if err := CheckSecure(argv[0], cred); err != nil {
			return Command{}, err
		}
	}
	return Command{Argv: argv, Cred: cred}, nil
}
