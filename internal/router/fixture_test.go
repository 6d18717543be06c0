package router

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/shard"
)

// modFunc is PartitionByMod: BigInteger(v).abs() mod count.
type modFunc struct{ count int64 }

func (m modFunc) Calculate(v string) (int, error) {
	n, ok := new(big.Int).SetString(v, 10)
	if !ok {
		return 0, fmt.Errorf("%w: %q is not an integer", shard.ErrNoPartition, v)
	}
	return int(new(big.Int).Mod(n.Abs(n), big.NewInt(m.count)).Int64()), nil
}

func (m modFunc) CalculateRange(begin, end string) ([]int, bool, error) { return nil, true, nil }
func (m modFunc) PartitionNum() int                                     { return int(m.count) }

// rangeFunc places v in partition v/size (like AutoPartitionByLong with
// equal ranges) and can narrow ranges.
type rangeFunc struct{ size, parts int64 }

func (f rangeFunc) Calculate(v string) (int, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n/f.size >= f.parts {
		return 0, fmt.Errorf("%w: %q", shard.ErrNoPartition, v)
	}
	return int(n / f.size), nil
}

func (f rangeFunc) CalculateRange(begin, end string) ([]int, bool, error) {
	b, err := f.Calculate(begin)
	if err != nil {
		return nil, false, err
	}
	e, err := f.Calculate(end)
	if err != nil {
		return nil, false, err
	}
	var out []int
	for i := b; i <= e; i++ {
		out = append(out, i)
	}
	return out, false, nil
}

func (f rangeFunc) PartitionNum() int { return int(f.parts) }

// testConfig is a Mycat-like schema:
//
//	TESTDB (checkSQLschema, sqlMaxLimit 100, no default node)
//	  COMPANY        global dn1..dn3
//	  TRAVELRECORD   mod-long(ID) dn1..dn3
//	  CUSTOMER       mod-long(ID) dn1..dn3
//	    ORDERS       child: CUSTOMER_ID -> CUSTOMER.ID (placed by the parent's rule)
//	      ORDER_ITEMS child: ORDER_ID -> ORDERS.ID (needs a lookup)
//	      ORDER_NOTES child: CUST -> ORDERS.CUSTOMER_ID (placed by CUSTOMER's rule, two levels up)
//	  HOTNEWS        range(ID, 1000 per node) dn1..dn3, ruleRequired
//	  GOODS          single node dn2
//	  AUTOTAB        mod-long(ID) dn1..dn3, autoIncrement primaryKey ID
//	  NOLIMIT        mod-long(ID) dn1..dn3, needAddLimit=false
//	  USERS          mod-long(ID) dn1..dn3, primaryKey USER_NO
//	  REGION         global dn1..dn2
//	OTHERDB (default dataNode dn4, sqlMaxLimit -1)
//	  ITEMS          mod-long2(ID) dn4,dn5
func testConfig() *mycatconf.Config {
	mod3 := &mycatconf.Function{Name: "mod-long", Class: "PartitionByMod", Impl: modFunc{3}}
	mod2 := &mycatconf.Function{Name: "mod-long2", Class: "PartitionByMod", Impl: modFunc{2}}
	rng := &mycatconf.Function{Name: "rang-long", Class: "AutoPartitionByLong", Impl: rangeFunc{1000, 3}}
	modRule := &mycatconf.TableRule{Name: "mod-long", Column: "ID", Function: mod3}
	rngRule := &mycatconf.TableRule{Name: "auto-sharding-long", Column: "ID", Function: rng}
	dn123 := []string{"dn1", "dn2", "dn3"}
	sharded := func(name string, rule *mycatconf.TableRule) *mycatconf.Table {
		return &mycatconf.Table{Name: name, Type: mycatconf.TableSharded, DataNodes: dn123, Rule: rule, NeedAddLimit: true}
	}
	customer := sharded("CUSTOMER", modRule)
	orders := &mycatconf.Table{Name: "ORDERS", Type: mycatconf.TableChild, DataNodes: dn123, Parent: customer,
		JoinKey: "CUSTOMER_ID", ParentKey: "ID", PrimaryKey: "ID", NeedAddLimit: true}
	items := &mycatconf.Table{Name: "ORDER_ITEMS", Type: mycatconf.TableChild, DataNodes: dn123, Parent: orders,
		JoinKey: "ORDER_ID", ParentKey: "ID", NeedAddLimit: true}
	notes := &mycatconf.Table{Name: "ORDER_NOTES", Type: mycatconf.TableChild, DataNodes: dn123, Parent: orders,
		JoinKey: "CUST", ParentKey: "CUSTOMER_ID", NeedAddLimit: true}
	customer.Children = []*mycatconf.Table{orders}
	orders.Children = []*mycatconf.Table{items, notes}
	hotnews := sharded("HOTNEWS", rngRule)
	hotnews.RuleRequired = true
	autotab := sharded("AUTOTAB", modRule)
	autotab.AutoIncrement, autotab.PrimaryKey = true, "ID"
	nolimit := sharded("NOLIMIT", modRule)
	nolimit.NeedAddLimit = false
	users := sharded("USERS", modRule)
	users.PrimaryKey = "USER_NO"
	travel := sharded("TRAVELRECORD", modRule)
	travel.PrimaryKey = "ID"
	testdb := &mycatconf.Schema{Name: "TESTDB", CheckSQLSchema: true, SQLMaxLimit: 100, Tables: map[string]*mycatconf.Table{
		"COMPANY":      {Name: "COMPANY", Type: mycatconf.TableGlobal, DataNodes: dn123, NeedAddLimit: true},
		"REGION":       {Name: "REGION", Type: mycatconf.TableGlobal, DataNodes: []string{"dn1", "dn2"}, NeedAddLimit: true},
		"TRAVELRECORD": travel,
		"CUSTOMER":     customer,
		"ORDERS":       orders,
		"ORDER_ITEMS":  items,
		"ORDER_NOTES":  notes,
		"HOTNEWS":      hotnews,
		"GOODS":        {Name: "GOODS", Type: mycatconf.TableSingle, DataNodes: []string{"dn2"}, NeedAddLimit: true},
		"AUTOTAB":      autotab,
		"NOLIMIT":      nolimit,
		"USERS":        users,
	}}
	otherdb := &mycatconf.Schema{Name: "OTHERDB", SQLMaxLimit: -1, DataNode: "dn4", Tables: map[string]*mycatconf.Table{
		"ITEMS": {Name: "ITEMS", Type: mycatconf.TableSharded, DataNodes: []string{"dn4", "dn5"},
			Rule: &mycatconf.TableRule{Name: "mod-long2", Column: "ID", Function: mod2}, NeedAddLimit: true},
	}}
	nodes := map[string]*mycatconf.DataNode{}
	for i := 1; i <= 5; i++ {
		n := fmt.Sprintf("dn%d", i)
		nodes[n] = &mycatconf.DataNode{Name: n, DataHost: "host1", Database: fmt.Sprintf("db%d", i)}
	}
	return &mycatconf.Config{
		Schemas:   map[string]*mycatconf.Schema{"TESTDB": testdb, "OTHERDB": otherdb},
		DataNodes: nodes,
		Functions: map[string]*mycatconf.Function{"mod-long": mod3, "mod-long2": mod2, "rang-long": rng},
	}
}
