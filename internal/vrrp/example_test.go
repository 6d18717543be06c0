package vrrp_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/shardcat/shardcat/internal/vrrp"
)

// A driver owns the clock and the sockets: it feeds events in with the
// current monotonic time, performs the returned actions in order, and calls
// Tick at the returned deadline.
func Example() {
	m, err := vrrp.New(vrrp.Config{
		VRID: 51, Priority: 100, AdvertInterval: time.Second, Version: 2,
		StateMaster: true, Auth: vrrp.AuthPass, Pass: "1111",
		Address: netip.MustParseAddr("10.213.0.1"),
		VIPs:    []netip.Addr{netip.MustParseAddr("10.213.0.100")},
	})
	if err != nil {
		panic(err)
	}
	start := time.Unix(0, 0)
	show := func(out vrrp.Output) {
		for _, a := range out.Actions {
			fmt.Println(" ", a)
		}
		if out.Deadline.IsZero() {
			fmt.Println("  no timer")
			return
		}
		fmt.Println("  next tick at", out.Deadline.Sub(start))
	}

	fmt.Println("start:")
	out := m.Start(start)
	show(out)

	fmt.Println("master-down timer:")
	out = m.Tick(out.Deadline)
	show(out)

	fmt.Println("shutdown:")
	show(m.Shutdown(out.Deadline))
	// Output:
	// start:
	//   state(INIT->BACKUP)
	//   next tick at 3.609375s
	// master-down timer:
	//   state(BACKUP->MASTER)
	//   send-advert(prio=100)
	//   add-vips
	//   announce
	//   next tick at 4.609375s
	// shutdown:
	//   send-advert(prio=0)
	//   remove-vips
	//   state(MASTER->INIT)
	//   no timer
}
