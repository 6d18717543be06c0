package proxy

import (
	"context"
	"strconv"
)

// defaultCollationID is what backend connections are opened with
// (utf8mb4_general_ci); a client that asks for it needs no SET NAMES.
const defaultCollationID = 45

// wellKnownCollations covers the ids drivers commonly send when the data
// hosts cannot be asked (they are down at login).
var wellKnownCollations = map[uint8][2]string{
	8:   {"latin1", "latin1_swedish_ci"},
	33:  {"utf8", "utf8_general_ci"},
	45:  {"utf8mb4", "utf8mb4_general_ci"},
	46:  {"utf8mb4", "utf8mb4_bin"},
	48:  {"latin1", "latin1_general_ci"},
	63:  {"binary", "binary"},
	83:  {"utf8", "utf8_bin"},
	224: {"utf8mb4", "utf8mb4_unicode_ci"},
}

// collation names the handshake's collation id, asking a data host's
// information_schema once for ids it does not know.
func (p *Proxy) collation(id uint8) (charset, collation string, ok bool) {
	p.mu.Lock()
	if p.collations == nil {
		p.mu.Unlock()
		p.loadCollations()
		p.mu.Lock()
	}
	c, found := p.collations[id]
	p.mu.Unlock()
	if !found {
		c, found = wellKnownCollations[id]
	}
	return c[0], c[1], found
}

func (p *Proxy) loadCollations() {
	loaded := map[uint8][2]string{}
	t := p.topo.Load()
	for _, n := range t.nodes {
		bc, err := n.host.Acquire(context.Background(), false)
		if err != nil {
			continue
		}
		r, err := bc.Execute("SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS")
		n.host.Release(bc)
		if err != nil {
			continue
		}
		for _, row := range r.Rows {
			id, err := strconv.Atoi(string(row[0]))
			if err == nil && id > 0 && id < 256 {
				loaded[uint8(id)] = [2]string{string(row[1]), string(row[2])}
			}
		}
		break
	}
	p.mu.Lock()
	if len(loaded) > 0 || p.collations == nil {
		p.collations = loaded
	}
	p.mu.Unlock()
}
