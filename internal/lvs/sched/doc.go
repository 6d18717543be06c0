// Package sched implements the Linux kernel's IPVS schedulers (rr, wrr, lc,
// wlc, sed, nq, fo, ovf, lblc, lblcr, dh, sh, mh, twos) as pure functions over
// a snapshot of the real servers.
//
// Each call receives the destinations in list order (the order in which they
// were added to the service) and returns the index of the chosen destination.
// The code is written from the behaviour described in
// /work/shared/reference/lvs-keepalived.md section (b); no kernel code is
// copied. Stateful schedulers keep their state in their own value, never in
// globals, and none of them reads the clock or starts goroutines: time enters
// through ConnInfo.Now and the Tick methods. A scheduler value is not safe
// for concurrent use; the caller serialises calls per service, as the kernel
// does with its per-service lock.
//
// Divergences from the kernel, all deliberate and documented where they occur:
// loads are compared with 64-bit products (the kernel's twos uses int);
// a destination that left the snapshot is treated as unavailable by the
// lblc/lblcr caches; configuration changes are detected by comparing
// snapshots, so several changes between two calls act as one.
package sched
