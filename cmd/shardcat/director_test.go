package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runShardcat(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

const seedDir = "../../internal/keepalivedconf/testdata"

func TestDirectorCheckClean(t *testing.T) {
	code, out, errOut := runShardcat(t, "director", "-f", filepath.Join(seedDir, "seed-master-clean.conf"), "--check")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"vrrp_instance VI_1 {", "state MASTER", "virtual_server 192.168.100.100 8066 {",
		"real_server 192.168.100.5 8066 {", "lvs_method DR"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "0 error(s), 0 warning(s); 1 vrrp_instance, 1 virtual_server") {
		t.Errorf("summary missing from stderr:\n%s", errOut)
	}
}

func TestDirectorCheckSeedAsPublished(t *testing.T) {
	path := filepath.Join(seedDir, "seed-master.conf")
	code, out, errOut := runShardcat(t, "director", "-f", path, "--check")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the seed has a bad virtual_ipaddress); stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		path + ":14: warning: unknown keyword \"MASTER\"",
		path + ":27: error: virtual_ipaddress",
		path + ":48: warning: unknown keyword \"real_server\" at top level",
		"1 error(s), 34 warning(s)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The dump shows what would run: BACKUP, and one real server.
	if !strings.Contains(out, "state BACKUP") || strings.Count(out, "real_server ") != 1 {
		t.Errorf("dump does not show the misread config:\n%s", out)
	}
}

// Running VRRP is tested in network namespaces (director_vrrp_test.go);
// here only a failure that sends nothing: an interface that does not exist.
func TestDirectorVRRPOnMissingInterfaceFails(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "k.conf")
	text := "vrrp_instance VI_1 {\n state MASTER\n interface sc-nosuchif0\n virtual_router_id 51\n priority 100\n advert_int 1\n virtual_ipaddress {\n 10.213.9.100/24\n }\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runShardcat(t, "director", "-f", conf, "--socket", "")
	if code == 0 || !strings.Contains(errOut, "sc-nosuchif0") {
		t.Errorf("exit %d, stderr %q; want a failure naming the missing interface", code, errOut)
	}
}

func TestDirectorUsageErrors(t *testing.T) {
	if code, _, _ := runShardcat(t, "director", "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code, _, errOut := runShardcat(t, "director", "--check", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("extra argument: exit %d, stderr %q", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "nope.conf")
	if code, _, errOut := runShardcat(t, "director", "-f", missing, "--check"); code != 1 || !strings.Contains(errOut, "nope.conf") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestDirectorConfigID(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "k.conf")
	text := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n @lb1 state MASTER\n @^lb1 priority 50\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runShardcat(t, "director", "-f", conf, "-i", "lb1", "--check")
	if !strings.Contains(out, "state MASTER") || !strings.Contains(out, "priority 100") {
		t.Errorf("-i lb1 not applied:\n%s", out)
	}
	_, out, _ = runShardcat(t, "director", "-f", conf, "-i", "lb2", "--check")
	if !strings.Contains(out, "state BACKUP") || !strings.Contains(out, "priority 50") {
		t.Errorf("-i lb2 not applied:\n%s", out)
	}
}
