package proxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/mysql"
)

// XA two-phase commit (SET XA = ON). Each node of a transaction runs an XA
// branch 'gtrid','<dataNode>'. COMMIT ends and prepares every branch, then
// writes the decision durably into xaLogTable on the coordinator log's data
// node (MySQL, not a local file, so any proxy can finish a dead proxy's
// transactions), then commits the branches and deletes the decision. On
// start, XA RECOVER on every node resolves in-doubt branches: committed when
// the log says so, rolled back when no decision was written and the branch
// is older than the recovery grace period (a live coordinator may still be
// between its prepares and its decision).

// xaLogTable holds the decisions of distributed transactions.
const xaLogTable = "shardcat_xa_log"

// xidPrefix marks the XA transactions shardcat started.
const xidPrefix = "shardcat-"

var xaCounter atomic.Uint64

// newGtrid names a distributed transaction: creation time (for recovery's
// grace period), connection and a counter keep it unique across proxies.
func newGtrid(connID uint32) string {
	return fmt.Sprintf("%s%d-%d-%d", xidPrefix, time.Now().UnixMilli(), connID, xaCounter.Add(1))
}

func gtridTime(gtrid string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(gtrid, xidPrefix)
	if !ok {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(strings.SplitN(rest, "-", 2)[0], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

func xid(gtrid, dataNode string) string {
	return "'" + gtrid + "','" + dataNode + "'"
}

// xaLogNode is where decisions are written: server.xml's XARecoveryLogNode
// (shardcat's own property) or the first data node by name.
func (t *topology) xaLogNode() string {
	if n := t.cfg.System.Raw["XARecoveryLogNode"]; n != "" {
		return n
	}
	best := ""
	for n := range t.nodes {
		if best == "" || n < best {
			best = n
		}
	}
	return best
}

// xaLogExec runs one statement on the coordinator log's node, outside any
// client transaction, creating the table on first use.
func (p *Proxy) xaLogExec(ctx context.Context, sql string) (*mysql.Result, error) {
	t := p.topo.Load()
	n := t.nodes[t.xaLogNode()]
	if n == nil {
		return nil, fmt.Errorf("XA coordinator log node %q is not a data node", t.xaLogNode())
	}
	c, err := n.host.Acquire(ctx, true)
	if err != nil {
		return nil, err
	}
	defer n.host.Release(c)
	if c.DB != n.database {
		if err := c.InitDB(n.database); err != nil {
			return nil, err
		}
		c.DB = n.database
	}
	r, err := c.Execute(sql)
	if se, ok := err.(*mysql.SQLError); ok && se.Code == mysql.ERNoSuchTable {
		if _, cerr := c.Execute("CREATE TABLE IF NOT EXISTS " + xaLogTable +
			" (gtrid VARCHAR(128) NOT NULL PRIMARY KEY, decision VARCHAR(16) NOT NULL, created TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB"); cerr != nil {
			return nil, cerr
		}
		r, err = c.Execute(sql)
	}
	return r, err
}

// xaCommit runs two-phase commit over the held connections.
func (s *session) xaCommit(ctx context.Context) error {
	gtrid := s.xaGtrid
	nodes := make([]string, 0, len(s.held))
	for name := range s.held {
		nodes = append(nodes, name)
	}
	sortStrings(nodes)
	if len(nodes) == 1 {
		c := s.held[nodes[0]]
		if _, err := c.ExecuteMulti("XA END " + xid(gtrid, nodes[0]) + "; XA COMMIT " + xid(gtrid, nodes[0]) + " ONE PHASE"); err != nil {
			return fmt.Errorf("XA COMMIT ONE PHASE on %s: %w", nodes[0], err)
		}
		return nil
	}
	// Phase one: every branch must prepare.
	for _, name := range nodes {
		c := s.held[name]
		if _, err := c.ExecuteMulti("XA END " + xid(gtrid, name) + "; XA PREPARE " + xid(gtrid, name)); err != nil {
			s.xaRollbackAll(nodes)
			return fmt.Errorf("XA PREPARE on %s failed, transaction rolled back: %w", name, err)
		}
	}
	if err := s.p.xaHook("prepared"); err != nil {
		return err
	}
	// The decision, durably, before phase two.
	if _, err := s.p.xaLogExec(ctx, "INSERT INTO "+xaLogTable+" (gtrid, decision) VALUES ('"+gtrid+"', 'COMMIT')"); err != nil {
		s.xaRollbackAll(nodes)
		return fmt.Errorf("writing the XA decision failed, transaction rolled back: %w", err)
	}
	if err := s.p.xaHook("decided"); err != nil {
		return err
	}
	var failed []string
	for _, name := range nodes {
		if _, err := s.held[name].Execute("XA COMMIT " + xid(gtrid, name)); err != nil {
			failed = append(failed, name+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		// The decision stays in the log: recovery commits these branches.
		return fmt.Errorf("XA COMMIT of %s is decided but not finished on %s; recovery will complete it", gtrid, strings.Join(failed, "; "))
	}
	s.p.xaLogExec(ctx, "DELETE FROM "+xaLogTable+" WHERE gtrid = '"+gtrid+"'")
	return nil
}

// xaRollbackAll rolls back every branch, prepared or not.
func (s *session) xaRollbackAll(nodes []string) {
	for _, name := range nodes {
		c := s.held[name]
		c.ExecuteMulti("XA END " + xid(s.xaGtrid, name)) // fails harmlessly once ended
		if _, err := c.Execute("XA ROLLBACK " + xid(s.xaGtrid, name)); err != nil {
			s.p.log.Warn("XA ROLLBACK failed", "xid", s.xaGtrid, "dataNode", name, "err", err)
		}
	}
}

func (p *Proxy) xaHook(stage string) error {
	if p.opt.XAHook != nil {
		return p.opt.XAHook(stage)
	}
	return nil
}

// RecoverXA resolves in-doubt XA branches that shardcat started: branches
// whose transaction has a COMMIT decision are committed, the others older
// than grace are rolled back. It returns how many branches it finished.
func (p *Proxy) RecoverXA(ctx context.Context, grace time.Duration) (int, error) {
	t := p.topo.Load()
	done := 0
	decisions := map[string]string{}
	r, err := p.xaLogExec(ctx, "SELECT gtrid, decision FROM "+xaLogTable)
	if err != nil {
		return 0, fmt.Errorf("reading the XA log: %w", err)
	}
	for _, row := range r.Rows {
		decisions[string(row[0])] = string(row[1])
	}
	pending := map[string]int{}
	for name, n := range t.nodes {
		c, err := n.host.Acquire(ctx, true)
		if err != nil {
			return done, fmt.Errorf("XA RECOVER on %s: %w", name, err)
		}
		res, err := c.Execute("XA RECOVER")
		if err != nil {
			n.host.Release(c)
			return done, fmt.Errorf("XA RECOVER on %s: %w", name, err)
		}
		for _, row := range res.Rows {
			gl, _ := strconv.Atoi(string(row[1]))
			data := string(row[3])
			if gl > len(data) {
				continue
			}
			gtrid, bqual := data[:gl], data[gl:]
			if !strings.HasPrefix(gtrid, xidPrefix) || bqual != name {
				continue
			}
			switch {
			case decisions[gtrid] == "COMMIT":
				_, err = c.Execute("XA COMMIT " + xid(gtrid, bqual))
			default:
				if at, ok := gtridTime(gtrid); ok && time.Since(at) < grace {
					pending[gtrid]++
					continue
				}
				_, err = c.Execute("XA ROLLBACK " + xid(gtrid, bqual))
			}
			if err != nil {
				n.host.Release(c)
				return done, fmt.Errorf("resolving XA %s on %s: %w", gtrid, name, err)
			}
			done++
			p.log.Info("XA branch recovered", "gtrid", gtrid, "dataNode", name, "decision", decisions[gtrid])
		}
		n.host.Release(c)
	}
	for gtrid := range decisions {
		if pending[gtrid] == 0 {
			p.xaLogExec(ctx, "DELETE FROM "+xaLogTable+" WHERE gtrid = '"+gtrid+"'")
		}
	}
	return done, nil
}

// xaStart begins this node's branch on a connection joining the transaction.
func (s *session) xaStart(c *backend.Conn, nodeName string) error {
	if s.xaGtrid == "" {
		s.xaGtrid = newGtrid(s.conn.ID())
	}
	_, err := c.Execute("XA START " + xid(s.xaGtrid, nodeName))
	return err
}
