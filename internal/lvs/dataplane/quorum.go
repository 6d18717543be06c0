package dataplane

// quorumState is keepalived's set_quorum_states and update_quorum_state
// (check/ipwrapper.c) as a pure type. With sum the total weight of the live
// real servers, the service starts up only when sum >= quorum+hysteresis;
// it goes down when sum is 0 or below quorum-hysteresis, and back up once
// sum reaches quorum+hysteresis. Between the two thresholds it keeps its
// state, so a flapping server does not toggle it.
type quorumState struct {
	down bool
}

// start sets the initial state (set_quorum_states).
func (q *quorumState) start(sum, quorum, hysteresis int) {
	if quorum <= 0 {
		quorum = 1
	}
	q.down = sum < quorum+hysteresis
}

// update applies the current sum and reports a transition: +1 gained,
// -1 lost, 0 none.
func (q *quorumState) update(sum, quorum, hysteresis int) int {
	if quorum <= 0 {
		quorum = 1
	}
	switch {
	case q.down && sum >= quorum+hysteresis:
		q.down = false
		return +1
	case !q.down && (sum == 0 || sum < quorum-hysteresis):
		q.down = true
		return -1
	}
	return 0
}
