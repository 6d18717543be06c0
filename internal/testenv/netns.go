package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Run runs a command and fails the test with its output when it fails.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// NetnsPair creates two network namespaces joined by a veth pair, with
// subnet+".1/24" in the first and subnet+".2/24" in the second (IPv6 off),
// and deletes them at the end of the test. Tests send VRRP and ARP only
// there, never in the root namespace. tag keeps names of concurrent
// callers apart; processes started later register their cleanups later, so
// they stop before the namespaces go.
func NetnsPair(t testing.TB, tag, subnet string) (ns1, ns2, if1, if2 string) {
	t.Helper()
	RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "ip (iproute2) not found")
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	ns1, ns2 = "sc-"+tag+"1-"+id, "sc-"+tag+"2-"+id
	if1, if2 = "v"+tag+"1-"+id, "v"+tag+"2-"+id
	for _, ns := range []string{ns1, ns2} {
		Run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	Run(t, "ip", "-n", ns1, "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns2)
	for _, x := range []struct{ ns, ifname, addr string }{{ns1, if1, subnet + ".1/24"}, {ns2, if2, subnet + ".2/24"}} {
		Run(t, "ip", "netns", "exec", x.ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
		Run(t, "ip", "-n", x.ns, "addr", "add", x.addr, "dev", x.ifname)
		Run(t, "ip", "-n", x.ns, "link", "set", x.ifname, "up")
		Run(t, "ip", "-n", x.ns, "link", "set", "lo", "up")
	}
	return ns1, ns2, if1, if2
}

// HasAddress reports whether namespace ns holds the IPv4 address addr.
func HasAddress(t testing.TB, ns, addr string) bool {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-4", "addr", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s addr show: %v\n%s", ns, err, out)
	}
	return strings.Contains(string(out), " "+addr+"/")
}
