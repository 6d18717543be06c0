package track

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// WatchLink follows the kernel's link notifications: with the safety-net
// poll pushed out to an hour, a link going down, up, losing carrier and
// going away is still seen.
func TestWatchLinkFollowsNotifications(t *testing.T) {
	testenv.RequireRoot(t)
	old := linkPoll
	linkPoll = time.Hour
	t.Cleanup(func() { linkPoll = old })
	name := fmt.Sprintf("sctrk%d", os.Getpid()%100000)
	testenv.Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	testenv.Run(t, "ip", "-n", name, "link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk1", "up")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk0", "up")
	ns := testenv.OpenNetns(t, name)

	seen := make(chan Status, 8)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ns.Do(func() error {
			WatchLink(ctx, "trk0", func(s Status) { seen <- s })
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-stopped })
	expect := func(want Status, after string) {
		t.Helper()
		select {
		case s := <-seen:
			if s != want {
				t.Fatalf("after %s: %v, want %v", after, s, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("after %s: no change reported", after)
		}
	}
	expect(Up, "start")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk0", "down")
	expect(Down, "link down")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk0", "up")
	expect(Up, "link up")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk1", "down")
	expect(Down, "carrier lost (peer down)")
	testenv.Run(t, "ip", "-n", name, "link", "set", "trk1", "up")
	expect(Up, "carrier back")
	testenv.Run(t, "ip", "-n", name, "link", "del", "trk0")
	expect(Down, "link deleted")
}
