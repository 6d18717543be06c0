package proxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/router"
	"github.com/shardcat/shardcat/internal/sequence"
)

// newSequenceSource builds the global sequence handler server.xml asks for.
// It lives as long as the proxy (a reload keeps it: a new snowflake clock
// state could repeat ids).
func (p *Proxy) newSequenceSource(cfg *mycatconf.Config) sequence.Source {
	switch cfg.System.SequenceHandlerType {
	case 1:
		return sequence.NewDB(cfg.Sequences.DB, p.sequenceQuery)
	case 2:
		return &sequence.Snowflake{Worker: cfg.Sequences.WorkerID, Datacenter: cfg.Sequences.DatacenterID}
	default:
		seqs := map[string]*sequence.LocalState{}
		for name, s := range cfg.Sequences.Local {
			seqs[name] = &sequence.LocalState{MinID: s.MinID, MaxID: s.MaxID, CurID: s.CurID}
		}
		file := filepath.Join(cfg.Dir, mycatconf.SequenceFile)
		var mu sync.Mutex
		return sequence.NewLocal(seqs, func(name string, cur int64) error {
			mu.Lock()
			defer mu.Unlock()
			return saveCurID(file, name, cur)
		})
	}
}

// saveCurID rewrites NAME.CURID in sequence_conf.properties, as Mycat's
// IncrSequencePropHandler does, through a temporary file and a rename.
func saveCurID(file, name string, cur int64) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	line := regexp.MustCompile(`(?mi)^(\s*` + regexp.QuoteMeta(name) + `\.CURID\s*[=:]\s*).*$`)
	val := strconv.FormatInt(cur, 10)
	var out []byte
	if line.Match(data) {
		out = line.ReplaceAll(data, []byte("${1}"+val))
	} else {
		out = append(append([]byte{}, data...), []byte("\n"+name+".CURID="+val+"\n")...)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// sequenceQuery runs a MYCAT_SEQUENCE function on a data node, outside any
// client transaction (a sequence block must not roll back with it).
func (p *Proxy) sequenceQuery(ctx context.Context, dataNode, sql string) (string, error) {
	n := p.topo.Load().nodes[dataNode]
	if n == nil {
		return "", fmt.Errorf("sequence_db_conf.properties names unknown data node %s", dataNode)
	}
	c, err := n.host.Acquire(ctx, true)
	if err != nil {
		return "", err
	}
	defer n.host.Release(c)
	if c.DB != n.database {
		if err := c.InitDB(n.database); err != nil {
			return "", err
		}
		c.DB = n.database
	}
	r, err := c.Execute(sql)
	if err != nil {
		return "", err
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 || r.Rows[0][0] == nil {
		return "", fmt.Errorf("%s returned no value", sql)
	}
	return string(r.Rows[0][0]), nil
}

// fillValues replaces sequence references and adds autoIncrement keys, then
// routes the statement again. It returns the new plan and statement and the
// first id generated (LAST_INSERT_ID).
func (s *session) fillValues(ctx context.Context, plan *router.Plan, sql string) (*router.Plan, string, uint64, error) {
	var firstID uint64
	t := s.topo()
	for round := 0; round < 3; round++ {
		switch {
		case len(plan.Sequences) > 0:
			values := make([]string, len(plan.Sequences))
			for i, name := range plan.Sequences {
				ids, err := s.p.seq.Next(ctx, name, 1)
				if err != nil {
					return nil, "", 0, mysql.NewSQLError(mysql.ERUnknownError, "global sequence: %v", err)
				}
				values[i] = strconv.FormatInt(ids[0], 10)
				if firstID == 0 {
					firstID = uint64(ids[0])
				}
			}
			filled, err := router.FillSequences(sql, values)
			if err != nil {
				return nil, "", 0, err
			}
			sql = filled
		case plan.AutoIncrement != nil:
			ai := plan.AutoIncrement
			ids, err := s.p.seq.Next(ctx, ai.Sequence, ai.Rows)
			if err != nil {
				return nil, "", 0, mysql.NewSQLError(mysql.ERUnknownError, "autoIncrement %s: %v", ai.Table, err)
			}
			text := make([]string, len(ids))
			for i, id := range ids {
				text[i] = strconv.FormatInt(id, 10)
			}
			if firstID == 0 && len(ids) > 0 {
				firstID = uint64(ids[0])
			}
			filled, err := t.router.AddPrimaryKeys(sql, ai.Column, text)
			if err != nil {
				return nil, "", 0, err
			}
			sql = filled
		default:
			return plan, sql, firstID, nil
		}
		p, err := t.router.Route(s.schema, sql)
		if err != nil {
			return nil, "", 0, err
		}
		plan = p
	}
	return nil, "", 0, mysql.NewSQLError(mysql.ERUnknownError, "statement still needs sequence values after filling them: %s", abbreviate(sql))
}

// lookupSQL names the parent table as the node spells it: Mycat upper-cases
// table names, and MySQL on Linux compares them case-sensitively.
func lookupSQL(bc *backend.Conn, lk *router.Lookup) (string, error) {
	r, err := bc.Execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND UPPER(TABLE_NAME) = '" +
		strings.ReplaceAll(strings.ToUpper(lk.ParentTable), "'", "''") + "'")
	if err != nil {
		return "", err
	}
	switch len(r.Rows) {
	case 0:
		return "", fmt.Errorf("parent table %s does not exist", strings.ToLower(lk.ParentTable))
	case 1:
		name := strings.ReplaceAll(string(r.Rows[0][0]), "`", "``")
		return strings.Replace(lk.SQL, "`"+lk.ParentTable+"`", "`"+name+"`", 1), nil
	}
	return "", fmt.Errorf("parent table %s matches %d tables that differ only in case", strings.ToLower(lk.ParentTable), len(r.Rows))
}

// executeLookup sends an ER child INSERT to the node holding its parent row,
// found by asking the parent table's nodes (Mycat's fetchStoreNodeByJdbc).
func (s *session) executeLookup(ctx context.Context, plan *router.Plan, more bool) error {
	lk := plan.Lookup
	for _, nodeName := range lk.DataNodes {
		bc, err := s.acquire(ctx, nodeName, true)
		if err != nil {
			return err
		}
		sql, err := lookupSQL(bc, lk)
		var r *mysql.Result
		if err == nil {
			r, err = bc.Execute(sql)
		}
		s.release(nodeName, bc)
		if err != nil {
			return mysql.NewSQLError(mysql.ERUnknownError, "looking up the parent row on %s: %v", nodeName, err)
		}
		if len(r.Rows) > 0 {
			return s.forwardOne(ctx, router.Route{DataNode: nodeName, SQL: lk.Then}, true, more)
		}
	}
	return mysql.NewSQLError(mysql.ERUnknownError, "can't find (root) parent sharding node for sql: %s (no %s row with %s = %s)",
		abbreviate(lk.Then), strings.ToLower(lk.ParentTable), strings.ToLower(lk.ParentKey), lk.Value)
}
