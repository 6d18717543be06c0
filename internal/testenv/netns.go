package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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

// Node is one network namespace on a test link made by NewLAN.
type Node struct {
	NS, If string
	IPv4   netip.Addr // subnet4.N/24
	IPv6   netip.Addr // subnet6N/64 (N in hex), invalid when IPv6 is off
}

// NewLAN creates n network namespaces on one Ethernet link and deletes them
// at the end of the test: two are joined by a veth pair, more are joined
// through a bridge in an extra namespace (the switch, with multicast
// snooping off so VRRP multicast reaches every port). Node i gets
// subnet4.(i+1)/24 and, when subnet6 (e.g. "fd00:213:9::") is not empty,
// subnet6(i+1)/64 plus its link-local address, with DAD off so the
// addresses are usable at once; otherwise IPv6 is off. tag keeps names of
// concurrent callers apart (at most 7 characters).
func NewLAN(t testing.TB, tag, subnet4, subnet6 string, n int) []Node {
	t.Helper()
	RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "ip (iproute2) not found")
	}
	if n < 2 {
		t.Fatalf("NewLAN: %d nodes", n)
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	addNS := func(name string) {
		Run(t, "ip", "netns", "add", name)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		Run(t, "ip", "-n", name, "link", "set", "lo", "up")
		if subnet6 == "" {
			Run(t, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		} else {
			// Set before the veths exist: new devices copy "default".
			Run(t, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
		}
	}
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{NS: fmt.Sprintf("sc-%s%d-%s", tag, i+1, id), If: fmt.Sprintf("v%s%d-%s", tag, i+1, id),
			IPv4: netip.MustParseAddr(fmt.Sprintf("%s.%d", subnet4, i+1))}
		if subnet6 != "" {
			nodes[i].IPv6 = netip.MustParseAddr(fmt.Sprintf("%s%x", subnet6, i+1))
		}
		addNS(nodes[i].NS)
	}
	if n == 2 {
		Run(t, "ip", "-n", nodes[0].NS, "link", "add", nodes[0].If, "type", "veth", "peer", "name", nodes[1].If, "netns", nodes[1].NS)
	} else {
		sw := fmt.Sprintf("sc-%ss-%s", tag, id)
		addNS(sw)
		Run(t, "ip", "-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
		Run(t, "ip", "-n", sw, "link", "set", "br0", "up")
		for i, nd := range nodes {
			port := fmt.Sprintf("p%d", i+1)
			Run(t, "ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", nd.If, "netns", nd.NS)
			Run(t, "ip", "-n", sw, "link", "set", port, "master", "br0", "up")
		}
	}
	for _, nd := range nodes {
		Run(t, "ip", "-n", nd.NS, "addr", "add", nd.IPv4.String()+"/24", "dev", nd.If)
		if nd.IPv6.IsValid() {
			Run(t, "ip", "-n", nd.NS, "addr", "add", nd.IPv6.String()+"/64", "dev", nd.If, "nodad")
		}
		Run(t, "ip", "-n", nd.NS, "link", "set", nd.If, "up")
	}
	// Carrier-up reaches the stack through linkwatch (up to 1 s later);
	// only then does IPv6 give the link its link-local address, which
	// VRRPv3 over IPv6 sends from. Wait for both so tests start on a
	// usable link.
	deadline := time.Now().Add(10 * time.Second)
	for _, nd := range nodes {
		ns := OpenNetns(t, nd.NS)
		for !linkReady(ns, nd.If, nd.IPv6.IsValid()) {
			if time.Now().After(deadline) {
				t.Fatalf("NewLAN: %s in %s not up (with a link-local address) after 10 s", nd.If, nd.NS)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nodes
}

func linkReady(ns *Netns, ifname string, v6 bool) bool {
	l, err := ns.nl.LinkByName(ifname)
	if err != nil || l.Attrs().OperState != netlink.OperUp {
		return false
	}
	if !v6 {
		return true
	}
	addrs, err := ns.nl.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
			return true
		}
	}
	return false
}

// Netns is a handle on a named network namespace for fast address checks
// (netlink, no process per check) and for opening sockets inside it.
type Netns struct {
	Name string
	ns   netns.NsHandle
	nl   *netlink.Handle
}

// OpenNetns opens namespace name for the rest of the test.
func OpenNetns(t testing.TB, name string) *Netns {
	t.Helper()
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("netns %s: %v", name, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		t.Fatalf("netlink in netns %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close(); ns.Close() })
	return &Netns{Name: name, ns: ns, nl: h}
}

// Has reports whether the namespace holds addr on any interface.
func (n *Netns) Has(addr netip.Addr) (bool, error) {
	fam := netlink.FAMILY_V4
	if addr.Is6() {
		fam = netlink.FAMILY_V6
	}
	addrs, err := n.nl.AddrList(nil, fam)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return false, err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			return true, nil
		}
	}
	return false, nil
}

// MustHave is Has that fails the test on a netlink error.
func (n *Netns) MustHave(t testing.TB, addr netip.Addr) bool {
	t.Helper()
	ok, err := n.Has(addr)
	if err != nil {
		t.Fatalf("netns %s: addresses: %v", n.Name, err)
	}
	return ok
}

// LinkSetDown sets interface ifname of the namespace down.
func (n *Netns) LinkSetDown(ifname string) error {
	l, err := n.nl.LinkByName(ifname)
	if err != nil {
		return err
	}
	return n.nl.LinkSetDown(l)
}

// LinkSetUp sets interface ifname of the namespace up.
func (n *Netns) LinkSetUp(ifname string) error {
	l, err := n.nl.LinkByName(ifname)
	if err != nil {
		return err
	}
	return n.nl.LinkSetUp(l)
}

// Do runs fn on an OS thread switched into the namespace, so sockets fn
// creates live there (a socket keeps its namespace afterwards). The thread
// is discarded rather than switched back.
func (n *Netns) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := netns.Set(n.ns); err != nil {
			errc <- fmt.Errorf("setns %s: %w", n.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// LinkUp reports whether interface ifname of the namespace is
// operationally up.
func (n *Netns) LinkUp(ifname string) bool { return linkReady(n, ifname, false) }

// DelAddr removes prefix from interface ifname of the namespace; an absent
// address is not an error.
func (n *Netns) DelAddr(ifname string, prefix netip.Prefix) error {
	l, err := n.nl.LinkByName(ifname)
	if err != nil {
		return err
	}
	a := &netlink.Addr{IPNet: &net.IPNet{IP: prefix.Addr().AsSlice(), Mask: net.CIDRMask(prefix.Bits(), prefix.Addr().BitLen())}}
	if err := n.nl.AddrDel(l, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return err
	}
	return nil
}
