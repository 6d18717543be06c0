package track

import (
	"context"
	"net"
	"time"

	"github.com/vishvananda/netlink"
)

// linkPoll is how often WatchLink looks at the interface when no netlink
// event came: a safety net for a missed or unavailable subscription.
var linkPoll = time.Second

// LinkStatus reports whether the interface exists, is administratively up
// and has carrier (IFF_RUNNING), in the current network namespace.
func LinkStatus(name string) Status {
	ifi, err := net.InterfaceByName(name)
	if err != nil || ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagRunning == 0 {
		return Down
	}
	return Up
}

// WatchLink calls onChange when the interface's status differs from the
// previous one (the first call reports the initial status) until ctx ends.
// It reacts to the kernel's link notifications (RTM_NEWLINK/DELLINK, as
// keepalived does) in the namespace it runs in, and also looks every
// linkPoll in case the subscription failed or missed one.
func WatchLink(ctx context.Context, name string, onChange func(Status)) {
	updates := make(chan netlink.LinkUpdate, 16)
	done := make(chan struct{})
	if err := netlink.LinkSubscribe(updates, done); err == nil {
		defer func() {
			close(done)
			// The library's reader sends without watching done: keep
			// receiving until it closes the channel.
			go func(ch <-chan netlink.LinkUpdate) {
				for range ch {
				}
			}(updates)
		}()
	} else {
		updates = nil // polling only
	}
	last := Status(-1)
	t := time.NewTicker(linkPoll)
	defer t.Stop()
	for {
		if s := LinkStatus(name); s != last {
			last = s
			onChange(s)
		}
		// Wait for a tick or a notification about this interface.
		for relevant := false; !relevant; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				relevant = true
			case u, ok := <-updates:
				if !ok {
					updates = nil // the subscription ended: polling only
					continue
				}
				relevant = u.Link != nil && u.Link.Attrs().Name == name
			}
		}
	}
}
