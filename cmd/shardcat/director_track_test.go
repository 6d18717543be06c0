//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/director"
	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
	"github.com/shardcat/shardcat/internal/testenv"
)

// trackShardcat builds shardcat and runs `shardcat director -f conf` in ns
// with a control socket; it returns the config path (to rewrite before a
// SIGHUP), the socket, the process and its output.
func trackShardcat(t *testing.T, ns, conf string, extra ...string) (path, sock string, cmd *exec.Cmd, out *testenv.Buffer, done <-chan struct{}) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "shardcat")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	path, sock = filepath.Join(dir, "sc.conf"), filepath.Join(dir, "d.sock")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{bin, "director", "-f", path, "--socket", sock}, extra...)
	cmd, out, done = testenv.StartInNetns(t, ns, nil, args...)
	return path, sock, cmd, out, done
}

// vrrpStatus asks the director for one instance's status.
func vrrpStatus(t *testing.T, sock, name string) (director.InstanceStatus, bool) {
	t.Helper()
	var st []director.InstanceStatus
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ipvsadm.Call(ctx, sock, "vrrp", &st); err != nil {
		return director.InstanceStatus{}, false
	}
	for _, s := range st {
		if s.Name == name {
			return s, true
		}
	}
	return director.InstanceStatus{}, false
}

// withTracking adds lines to the vrrp_instance of a VRRPUnicastConf and
// blocks before it.
func withTracking(conf, before, inInstance string) string {
	conf = strings.Replace(conf, "vrrp_instance VI_1 {", before+"vrrp_instance VI_1 {", 1)
	return strings.Replace(conf, "    virtual_ipaddress {", inInstance+"    virtual_ipaddress {", 1)
}

func writeExecutable(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestDirectorTrackScriptMovesVIPToKeepalived: shardcat (MASTER, 150) with a
// vrrp_script of weight -100 holds the VIP while keepalived (BACKUP, 100)
// waits; when the script fails shardcat advertises 50 and keepalived takes
// the VIP; when it succeeds again shardcat preempts. The notify script gets
// keepalived's arguments, an SMTP alert goes out, and the status op and
// /metrics show the change.
func TestDirectorTrackScriptMovesVIPToKeepalived(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "t", "10.213.2")
	testBin, dir, flag := healthFlag(t)
	notified := filepath.Join(dir, "notified")
	notifyScript := filepath.Join(dir, "notify.sh")
	writeExecutable(t, notifyScript, `echo "$@" >> `+notified+"\n")
	conf := withTracking(testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.2.2", "10.213.2.1", "10.213.2.100"),
		fmt.Sprintf("vrrp_script chk_flag {\n    script \"%s -e %s\"\n    interval 1\n    weight -100\n}\n", testBin, flag),
		"    track_script {\n        chk_flag\n    }\n    notify "+notifyScript+"\n")

	// The SMTP sink listens inside shardcat's namespace.
	var sink *testenv.SMTPSink
	testenv.OpenNetns(t, ns2).Do(func() error { sink = testenv.StartSMTPSink(t); return nil })
	conf = strings.Replace(conf, "global_defs {\n", fmt.Sprintf("global_defs {\n    smtp_server 127.0.0.1 %d\n    smtp_helo_name sc.test\n"+
		"    notification_email_from sc@test\n    notification_email {\n        ops@test\n    }\n", sink.Addr.Port), 1)
	conf = strings.Replace(conf, "    notify ", "    smtp_alert\n    notify ", 1)

	ka := testenv.StartKeepalived(t, ns1, testenv.VRRPUnicastConf("BACKUP", if1, 100, "10.213.2.1", "10.213.2.2", "10.213.2.100"))
	_, sock, cmd, sc, done := trackShardcat(t, ns2, conf, "--metrics", "127.0.0.1:19110")
	notes := func() string { b, _ := os.ReadFile(notified); return string(b) }
	testenv.WaitFor(t, "shardcat to take the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.2.100") }, sc, ka)
	testenv.WaitFor(t, "notify INSTANCE VI_1 MASTER 150", 10*time.Second, func() bool { return strings.Contains(notes(), "INSTANCE VI_1 MASTER 150\n") }, sc)
	testenv.WaitFor(t, "the SMTP alert for MASTER", 10*time.Second, func() bool {
		for _, m := range sink.Messages() {
			if strings.Contains(m, "Subject: ["+if2+"] VRRP Instance VI_1 - Entering MASTER state\r\n") && strings.Contains(m, "=> VRRP Instance is now owning VRRP VIPs <=") {
				return true
			}
		}
		return false
	}, sc)
	if l := sink.Lines(); len(l) < 3 || l[0] != "HELO sc.test" || l[1] != "MAIL FROM:<sc@test>" || l[2] != "RCPT TO:<ops@test>" {
		t.Errorf("SMTP dialogue %q", l)
	}
	if st, ok := vrrpStatus(t, sock, "VI_1"); !ok || st.State != "MASTER" || st.Priority != 150 || st.Master != "10.213.2.2" || st.AdvertsSent == 0 {
		t.Errorf("status while master: %+v (ok %v)", st, ok)
	}
	metrics, err := exec.Command("ip", "netns", "exec", ns2, "curl", "-sf", "http://127.0.0.1:19110/metrics").CombinedOutput()
	if err != nil {
		t.Errorf("scraping /metrics: %v\n%s", err, metrics)
	}
	for _, want := range []string{`shardcat_vrrp_state{instance="VI_1"} 2`, `shardcat_vrrp_priority{instance="VI_1"} 150`,
		`shardcat_vrrp_transitions_total{instance="VI_1",to="MASTER"} 1`, `shardcat_vrrp_adverts_sent_total{instance="VI_1"}`,
		`shardcat_vrrp_drops_total{instance="VI_1",reason="`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// When the script fails, keepalived (100) preempts shardcat (now 50).
	os.Remove(flag)
	failed := time.Now()
	testenv.WaitFor(t, "keepalived to take the VIP after the script failed", 20*time.Second, func() bool {
		return testenv.HasAddress(t, ns1, "10.213.2.100") && !testenv.HasAddress(t, ns2, "10.213.2.100")
	}, sc, ka)
	t.Logf("keepalived took over %v after the script started failing", time.Since(failed).Round(10*time.Millisecond))
	testenv.WaitFor(t, "notify INSTANCE VI_1 BACKUP 50", 10*time.Second, func() bool { return strings.Contains(notes(), "INSTANCE VI_1 BACKUP 50\n") }, sc)
	st, ok := vrrpStatus(t, sock, "VI_1")
	if !ok || st.State != "BACKUP" || st.Priority != 50 || st.BasePriority != 150 || st.Master != "10.213.2.1" ||
		!strings.Contains(st.LastReason, "higher priority advert from 10.213.2.1") {
		t.Errorf("status after the failure: %+v", st)
	}
	code, table, stderr := runShardcat(t, "director", "status", "--socket", sock)
	if code != 0 || !strings.Contains(table, "INSTANCE") ||
		!regexp.MustCompile(`(?m)^VI_1 +`+if2+` +51 +BACKUP +50 +150 +10\.213\.2\.1 `).MatchString(table) {
		t.Errorf("director status exit %d:\n%s%s", code, table, stderr)
	}
	if code, js, _ := runShardcat(t, "director", "--status", "--json", "--socket", sock); code != 0 || !strings.Contains(js, `"state": "BACKUP"`) {
		t.Errorf("director --status --json exit %d:\n%s", code, js)
	}
	if !strings.Contains(sc.String(), `vrrp transition instance=VI_1 from=MASTER to=BACKUP priority=50 reason="higher priority advert from 10.213.2.1`) {
		t.Errorf("no structured transition log:\n%s", sc)
	}

	// When it succeeds again shardcat (150) preempts keepalived.
	os.WriteFile(flag, nil, 0o644)
	testenv.WaitFor(t, "shardcat to preempt after the script recovered", 20*time.Second, func() bool {
		return testenv.HasAddress(t, ns2, "10.213.2.100") && !testenv.HasAddress(t, ns1, "10.213.2.100")
	}, sc, ka)

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("shardcat did not exit on SIGTERM\n%s", sc)
	}
	if !strings.Contains(notes(), "INSTANCE VI_1 STOP ") {
		t.Errorf("no STOP notification:\n%s", notes())
	}
}

// TestDirectorSIGHUPAddsInstanceAndSyncGroupFault: a SIGHUP adds VI_2 (a
// new VIP) and a sync group without bouncing VI_1 (its VIP never leaves);
// then VI_2's weight-0 script fails and the group takes both to FAULT.
func TestDirectorSIGHUPAddsInstanceAndSyncGroupFault(t *testing.T) {
	_, ns2, _, if2 := testenv.NetnsPair(t, "h", "10.213.3")
	testBin, dir, flag := healthFlag(t)
	vi1 := testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.3.2", "10.213.3.1", "10.213.3.100")
	path, sock, _, sc, _ := trackShardcat(t, ns2, vi1)
	testenv.WaitFor(t, "VI_1 to take its VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.3.100") }, sc)
	// The VIP is added before the transition reaches the status (the
	// director handles transitions on its own goroutine): wait for both.
	testenv.WaitFor(t, "VI_1's status to say MASTER", 10*time.Second, func() bool {
		st, ok := vrrpStatus(t, sock, "VI_1")
		return ok && st.State == "MASTER" && st.TransitionsByTo["MASTER"] == 1
	}, sc)
	before, _ := vrrpStatus(t, sock, "VI_1")

	vi2 := strings.NewReplacer("VI_1", "VI_2", "virtual_router_id 51", "virtual_router_id 52", "10.213.3.100", "10.213.3.101").
		Replace(vi1[strings.Index(vi1, "vrrp_instance"):])
	vi2 = strings.Replace(vi2, "    virtual_ipaddress {", "    track_script {\n        chk_flag\n    }\n    virtual_ipaddress {", 1)
	grown := vi1 + fmt.Sprintf("vrrp_script chk_flag {\n    script \"%s -e %s\"\n    interval 1\n    weight 0\n}\n", testBin, flag) +
		vi2 + "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
	if err := os.WriteFile(path, []byte(grown), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pgrep", "-f", "-n", path).Output()
	if err != nil {
		t.Fatalf("finding shardcat: %v", err)
	}
	var pid int
	fmt.Sscan(string(out), &pid)
	syscall.Kill(pid, syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !testenv.HasAddress(t, ns2, "10.213.3.101") {
		if !testenv.HasAddress(t, ns2, "10.213.3.100") {
			t.Fatalf("VI_1 lost its VIP during the reload\n%s", sc)
		}
		if time.Now().After(deadline) {
			t.Fatalf("VI_2 never took its VIP\n%s", sc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	after, _ := vrrpStatus(t, sock, "VI_1")
	if after.State != "MASTER" || !after.LastTransition.Equal(before.LastTransition) || after.TransitionsByTo["MASTER"] != 1 {
		t.Errorf("VI_1 was bounced by the reload: before %+v\nafter %+v", before, after)
	}
	if !strings.Contains(sc.String(), "reload: vrrp_instance kept [VI_1], new VIPs [], started [VI_2]") {
		t.Errorf("no reload summary:\n%s", sc)
	}

	// VI_2's script fails: the group puts both in FAULT, both VIPs go.
	os.Remove(flag)
	testenv.WaitFor(t, "both VIPs to go with the group in FAULT", 20*time.Second, func() bool {
		return !testenv.HasAddress(t, ns2, "10.213.3.100") && !testenv.HasAddress(t, ns2, "10.213.3.101")
	}, sc)
	st, _ := vrrpStatus(t, sock, "VI_1")
	if st.State != "FAULT" || !strings.Contains(st.Fault, "sync group G: VI_2 is in FAULT (tracked script chk_flag failed)") {
		t.Errorf("VI_1 status: %+v", st)
	}
	// It recovers: both come back.
	os.WriteFile(flag, nil, 0o644)
	testenv.WaitFor(t, "both VIPs back after the script recovered", 20*time.Second, func() bool {
		return testenv.HasAddress(t, ns2, "10.213.3.100") && testenv.HasAddress(t, ns2, "10.213.3.101")
	}, sc)

	// A SIGHUP back to the first file removes VI_2 (its VIP goes, notify
	// says DELETED) and keeps VI_1.
	notified := filepath.Join(dir, "notified")
	notifyScript := filepath.Join(dir, "notify.sh")
	writeExecutable(t, notifyScript, `echo "$@" >> `+notified+"\n")
	// First give VI_2 the notify script (a notify change keeps it running).
	withNotify := strings.Replace(grown, "        chk_flag\n    }\n", "        chk_flag\n    }\n    notify "+notifyScript+"\n", 1)
	os.WriteFile(path, []byte(withNotify), 0o644)
	syscall.Kill(pid, syscall.SIGHUP)
	testenv.WaitFor(t, "the notify-only reload", 10*time.Second, func() bool {
		return strings.Count(sc.String(), "reload: vrrp_instance kept [VI_1 VI_2], new VIPs [], started [], stopped []") == 1
	}, sc)
	before, _ = vrrpStatus(t, sock, "VI_1")
	os.WriteFile(path, []byte(vi1), 0o644)
	syscall.Kill(pid, syscall.SIGHUP)
	testenv.WaitFor(t, "VI_2's VIP to go", 10*time.Second, func() bool { return !testenv.HasAddress(t, ns2, "10.213.3.101") }, sc)
	testenv.WaitFor(t, "notify DELETED", 10*time.Second, func() bool {
		b, _ := os.ReadFile(notified)
		return strings.Contains(string(b), "INSTANCE VI_2 DELETED ")
	}, sc)
	after, _ = vrrpStatus(t, sock, "VI_1")
	if !testenv.HasAddress(t, ns2, "10.213.3.100") || !after.LastTransition.Equal(before.LastTransition) {
		t.Errorf("VI_1 was disturbed by VI_2's removal: %+v", after)
	}
	if _, ok := vrrpStatus(t, sock, "VI_2"); ok {
		t.Error("VI_2 still in the status after its removal")
	}

	// A reload that only changes VI_1's VIPs keeps it MASTER: the new
	// address comes, the dropped one goes, no transition.
	moved := strings.Replace(vi1, "10.213.3.100", "10.213.3.102/24 label "+if2+":v", 1)
	os.WriteFile(path, []byte(moved), 0o644)
	syscall.Kill(pid, syscall.SIGHUP)
	testenv.WaitFor(t, "VI_1's new VIP", 10*time.Second, func() bool {
		return testenv.HasAddress(t, ns2, "10.213.3.102") && !testenv.HasAddress(t, ns2, "10.213.3.100")
	}, sc)
	if out := testenv.Run(t, "ip", "-n", ns2, "-4", "addr", "show", "dev", if2); !strings.Contains(out, "10.213.3.102/24") || !strings.Contains(out, if2+":v") {
		t.Errorf("new VIP without its prefix or label:\n%s", out)
	}
	st, _ = vrrpStatus(t, sock, "VI_1")
	if st.State != "MASTER" || !st.LastTransition.Equal(after.LastTransition) || !strings.Contains(sc.String(), "new VIPs [VI_1]") {
		t.Errorf("VI_1 bounced by a VIP-only reload: %+v\n%s", st, sc)
	}
}

// TestDirectorTrackInterfaceFault: a tracked interface (weight 0) losing carrier
// puts the instance in FAULT (VIP removed); back up, it becomes master again.
func TestDirectorTrackInterfaceFault(t *testing.T) {
	_, ns2, _, if2 := testenv.NetnsPair(t, "i", "10.213.4")
	// A second veth pair inside the namespace: taking the peer down drops
	// the tracked end's carrier (it stays administratively up).
	testenv.Run(t, "ip", "-n", ns2, "link", "add", "scdum0", "type", "veth", "peer", "name", "scdum1")
	testenv.Run(t, "ip", "-n", ns2, "link", "set", "scdum0", "up")
	testenv.Run(t, "ip", "-n", ns2, "link", "set", "scdum1", "up")
	conf := withTracking(testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.4.2", "10.213.4.1", "10.213.4.100"), "",
		"    track_interface {\n        scdum0\n    }\n")
	_, sock, _, sc, _ := trackShardcat(t, ns2, conf)
	testenv.WaitFor(t, "the VIP", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.4.100") }, sc)
	testenv.Run(t, "ip", "-n", ns2, "link", "set", "scdum1", "down")
	testenv.WaitFor(t, "FAULT to remove the VIP", 10*time.Second, func() bool { return !testenv.HasAddress(t, ns2, "10.213.4.100") }, sc)
	if st, _ := vrrpStatus(t, sock, "VI_1"); st.State != "FAULT" || st.Fault != "tracked interface scdum0 down" {
		t.Errorf("status: %+v", st)
	}
	testenv.Run(t, "ip", "-n", ns2, "link", "set", "scdum1", "up")
	testenv.WaitFor(t, "the VIP back after the link came up", 20*time.Second, func() bool { return testenv.HasAddress(t, ns2, "10.213.4.100") }, sc)
}

// twoInstances turns a VRRPUnicastConf into VI_1 plus a VI_2 (VRID 52,
// VIP .101) and a vrrp_sync_group G of both; extra goes into VI_1.
func twoInstances(conf, vip, vip2, extraVI1 string) string {
	inst := conf[strings.Index(conf, "vrrp_instance"):]
	vi2 := strings.NewReplacer("VI_1", "VI_2", "virtual_router_id 51", "virtual_router_id 52", vip+"/", vip2+"/").Replace(inst)
	conf = strings.Replace(conf, "    virtual_ipaddress {", extraVI1+"    virtual_ipaddress {", 1)
	return conf + vi2 + "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
}

// TestDirectorSyncGroupFailsOverWithKeepalived: shardcat and keepalived
// each run the sync group G of VI_1 and VI_2. shardcat (150) holds both
// VIPs; when VI_1's weight-0 script fails the whole group goes to FAULT and
// keepalived (100) takes both VIPs; when it recovers shardcat takes both back.
func TestDirectorSyncGroupFailsOverWithKeepalived(t *testing.T) {
	ns1, ns2, if1, if2 := testenv.NetnsPair(t, "g", "10.213.5")
	testBin, _, flag := healthFlag(t)
	vip1, vip2 := "10.213.5.100", "10.213.5.101"
	kaConf := twoInstances(testenv.VRRPUnicastConf("BACKUP", if1, 100, "10.213.5.1", "10.213.5.2", vip1), vip1, vip2, "")
	scConf := fmt.Sprintf("vrrp_script chk_flag {\n    script \"%s -e %s\"\n    interval 1\n}\n", testBin, flag) +
		twoInstances(testenv.VRRPUnicastConf("MASTER", if2, 150, "10.213.5.2", "10.213.5.1", vip1), vip1, vip2,
			"    track_script {\n        chk_flag\n    }\n")
	ka := testenv.StartKeepalived(t, ns1, kaConf)
	_, sock, _, sc, _ := trackShardcat(t, ns2, scConf)
	both := func(ns string) func() bool {
		return func() bool { return testenv.HasAddress(t, ns, vip1) && testenv.HasAddress(t, ns, vip2) }
	}
	none := func(ns string) bool { return !testenv.HasAddress(t, ns, vip1) && !testenv.HasAddress(t, ns, vip2) }
	testenv.WaitFor(t, "shardcat to hold both VIPs", 20*time.Second, both(ns2), sc, ka)
	if !none(ns1) {
		t.Fatalf("keepalived holds a VIP while shardcat is master\n%s", ka)
	}

	os.Remove(flag)
	testenv.WaitFor(t, "keepalived to take both VIPs", 20*time.Second, func() bool { return both(ns1)() && none(ns2) }, sc, ka)
	st, _ := vrrpStatus(t, sock, "VI_2")
	if st.State != "FAULT" || !strings.Contains(st.Fault, "sync group G: VI_1 is in FAULT") {
		t.Errorf("VI_2 status: %+v", st)
	}
	if !strings.Contains(sc.String(), "vrrp_sync_group G: entering FAULT state") {
		t.Errorf("no group transition logged\n%s", sc)
	}

	os.WriteFile(flag, nil, 0o644)
	testenv.WaitFor(t, "shardcat to take both VIPs back", 20*time.Second, func() bool { return both(ns2)() && none(ns1) }, sc, ka)
	// Stable: no flapping between the routers for a few adverts.
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if !both(ns2)() || !none(ns1) {
			t.Fatalf("the group flapped\nshardcat:\n%s\nkeepalived:\n%s", sc, ka)
		}
	}
}

// healthFlag gives a vrrp_script check that succeeds while the file flag
// exists: test(1)'s path, a temp dir, and the flag (created).
func healthFlag(t *testing.T) (testBin, dir, flag string) {
	t.Helper()
	testBin, err := exec.LookPath("test")
	if err != nil {
		t.Fatal("no test(1): coreutils is part of every Debian install")
	}
	dir = t.TempDir()
	flag = filepath.Join(dir, "healthy")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return testBin, dir, flag
}
