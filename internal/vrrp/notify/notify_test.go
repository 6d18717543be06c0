package notify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/testenv"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSMTPAlertDialogueAndFormat(t *testing.T) {
	sink := testenv.StartSMTPSink(t)
	g := keepalivedconf.GlobalDefs{RouterID: "lb1", SMTPServer: "127.0.0.1", SMTPPort: sink.Addr.Port,
		SMTPHeloName: "lb1.example", NotificationEmailFrom: "lvs@example.com",
		NotificationEmail: []string{"ops@example.com", "dba@example.com"}, SMTPConnectTimeout: 5 * time.Second}
	var logs []string
	m := NewMailer(g, func(f string, a ...any) { logs = append(logs, f) })
	m.Alert(Event{Name: "VI_1", State: "MASTER", Priority: 150})
	m.Alert(Event{Group: true, Name: "G1", State: "FAULT"})
	m.Close(10 * time.Second)
	want := []string{"HELO lb1.example", "MAIL FROM:<lvs@example.com>", "RCPT TO:<ops@example.com>",
		"RCPT TO:<dba@example.com>", "DATA", "QUIT"}
	lines := sink.Lines()
	if len(lines) != 2*len(want) {
		t.Fatalf("dialogue %q, want twice %q (logs %v)", lines, want, logs)
	}
	for i, w := range append(want, want...) {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i, lines[i], w)
		}
	}
	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	for _, w := range []string{"From: lvs@example.com\r\n", "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n",
		"X-Mailer: Keepalived\r\n", "To: ops@example.com, dba@example.com\r\n", "\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n"} {
		if !strings.Contains(msgs[0], w) {
			t.Errorf("first mail lacks %q:\n%s", w, msgs[0])
		}
	}
	if !strings.Contains(msgs[1], "Subject: [lb1] VRRP Group G1 - Entering FAULT state\r\n") ||
		!strings.Contains(msgs[1], "=> All VRRP group instances are now in FAULT state <=") {
		t.Errorf("group mail:\n%s", msgs[1])
	}
}

func TestSMTPFailureIsLoggedNotBlocking(t *testing.T) {
	// A port nobody listens on: the alert returns at once and the failure
	// is logged by the sender.
	logged := make(chan string, 4)
	g := keepalivedconf.GlobalDefs{SMTPServer: "127.0.0.1", SMTPPort: 1, NotificationEmail: []string{"a@b"}, SMTPConnectTimeout: time.Second}
	m := NewMailer(g, func(f string, a ...any) { logged <- f })
	start := time.Now()
	m.Alert(Event{Name: "VI_1", State: "BACKUP"})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Alert blocked for %v", d)
	}
	select {
	case l := <-logged:
		if !strings.Contains(l, "SMTP alert") {
			t.Errorf("log %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no failure logged")
	}
	m.Close(time.Second)
}

func TestNotifyScriptsArguments(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "n.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$0 $*\" | sed 's|.*/||' >> "+out+"\n"), 0o755)
	n := keepalivedconf.Notify{
		Master: &keepalivedconf.Command{Line: script + " master-arg"},
		Fault:  &keepalivedconf.Command{Line: script},
		Any:    &keepalivedconf.Command{Line: script},
	}
	s := NewScripts(t.Logf)
	s.Notify(n, Security{}, Event{Name: "VI_1", State: "MASTER", Priority: 150})
	s.Notify(n, Security{}, Event{Group: true, Name: "G", State: "BACKUP", Priority: 0})
	s.Close(10 * time.Second)
	b, _ := os.ReadFile(out)
	want := "n.sh master-arg\nn.sh INSTANCE VI_1 MASTER 150\nn.sh GROUP G BACKUP 0\n"
	if string(b) != want {
		t.Errorf("scripts ran as\n%s\nwant\n%s", b, want)
	}
}

func TestNotifyRefusesInsecureScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ownership checks need root-owned files")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "n.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ntouch "+out+"\n"), 0o755)
	os.Chmod(script, 0o777)
	logged := make(chan string, 4)
	s := NewScripts(func(f string, a ...any) { logged <- strings.TrimSpace(sprintf(f, a...)) })
	s.Notify(keepalivedconf.Notify{Master: &keepalivedconf.Command{Line: script}}, Security{Enabled: true}, Event{Name: "VI_1", State: "MASTER"})
	s.Close(5 * time.Second)
	select {
	case l := <-logged:
		if !strings.Contains(l, "SECURITY VIOLATION") {
			t.Errorf("log %q", l)
		}
	default:
		t.Error("refusal not logged")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("insecure script ran")
	}
}

func TestNotifyScriptTimeoutDoesNotHoldQueue(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	slow := filepath.Join(dir, "slow.sh")
	os.WriteFile(slow, []byte("#!/bin/sh\nsleep 300\n"), 0o755)
	fast := filepath.Join(dir, "fast.sh")
	os.WriteFile(fast, []byte("#!/bin/sh\ntouch "+out+"\n"), 0o755)
	s := NewScripts(t.Logf)
	s.Timeout = 300 * time.Millisecond
	start := time.Now()
	s.Notify(keepalivedconf.Notify{Master: &keepalivedconf.Command{Line: slow}}, Security{}, Event{Name: "A", State: "MASTER"})
	s.Notify(keepalivedconf.Notify{Master: &keepalivedconf.Command{Line: fast}}, Security{}, Event{Name: "B", State: "MASTER"})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Notify blocked for %v", d)
	}
	waitFor(t, "the script after a hung one", func() bool { _, err := os.Stat(out); return err == nil })
	s.Close(5 * time.Second)
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
