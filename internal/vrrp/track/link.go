package track

import (
	"context"
	"net"
	"time"
)

// LinkPoll is how often WatchLink looks at the interface.
const LinkPoll = 100 * time.Millisecond

// LinkStatus reports whether the interface exists, is administratively up
// and has carrier (IFF_RUNNING), in the current network namespace.
func LinkStatus(name string) Status {
	ifi, err := net.InterfaceByName(name)
	if err != nil || ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagRunning == 0 {
		return Down
	}
	return Up
}

// WatchLink polls the interface every LinkPoll (netlink, through the
// standard library, so it sees the namespace it runs in) and calls onChange
// when its status differs from the previous one; the first call reports
// the initial status. It returns when ctx ends.
func WatchLink(ctx context.Context, name string, onChange func(Status)) {
	last := Status(-1)
	t := time.NewTicker(LinkPoll)
	defer t.Stop()
	for {
		if s := LinkStatus(name); s != last {
			last = s
			onChange(s)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
