package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// SampleOrders is the number of orders in the sample data; order n has
// items 2n-1 and 2n.
const SampleOrders = 10

var customers = []string{"alice", "bob", "carol", "dave", "erin"}

var regionNames = []string{"north", "south", "east", "west"}

// SampleSQL creates the demo's tables and rows. It is meant to run through
// the proxy, which routes each statement: the CREATEs go to every node of a
// table, each order and its items to the shard of the order's id, and the
// regions to both shards. One row per INSERT: Mycat 1.6 rejects multi-row
// inserts into ER child tables.
func SampleSQL() []string {
	stmts := []string{
		"DROP TABLE IF EXISTS order_items",
		"DROP TABLE IF EXISTS orders",
		"DROP TABLE IF EXISTS regions",
		`CREATE TABLE regions (
	id INT NOT NULL PRIMARY KEY,
	name VARCHAR(32) NOT NULL
)`,
		`CREATE TABLE orders (
	id BIGINT NOT NULL PRIMARY KEY,
	customer VARCHAR(64) NOT NULL,
	region_id INT NOT NULL,
	total DECIMAL(10,2) NOT NULL,
	created_at DATETIME NOT NULL
)`,
		`CREATE TABLE order_items (
	id BIGINT NOT NULL PRIMARY KEY,
	order_id BIGINT NOT NULL,
	sku VARCHAR(32) NOT NULL,
	qty INT NOT NULL,
	price DECIMAL(10,2) NOT NULL,
	KEY idx_order (order_id)
)`,
	}
	for i, name := range regionNames {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO regions (id, name) VALUES (%d, '%s')", i+1, name))
	}
	for n := 1; n <= SampleOrders; n++ {
		total := 0
		var items []string
		for k := 0; k < 2; k++ {
			itemID := 2*n - 1 + k
			qty := 1 + (n+k)%3
			cents := 499 + 250*((n*3+k)%7)
			total += qty * cents
			items = append(items, fmt.Sprintf(
				"INSERT INTO order_items (id, order_id, sku, qty, price) VALUES (%d, %d, 'SKU-%03d', %d, %d.%02d)",
				itemID, n, 100+(n*7+k)%40, qty, cents/100, cents%100))
		}
		stmts = append(stmts, fmt.Sprintf(
			"INSERT INTO orders (id, customer, region_id, total, created_at) VALUES (%d, '%s', %d, %d.%02d, '2026-11-%02d 10:%02d:00')",
			n, customers[(n-1)%len(customers)], 1+(n-1)%len(regionNames), total/100, total%100, n, n*5%60))
		stmts = append(stmts, items...)
	}
	return stmts
}

// Example is a query worth trying, with what it shows.
type Example struct {
	SQL, Shows string
}

// Examples are printed by `shardcat demo` once the data is loaded.
func Examples() []Example {
	return []Example{
		{"SELECT * FROM orders WHERE id = 3;", "one shard: 3 mod 2 = 1 -> dn2 (db2 on shard B)"},
		{"SELECT id, customer, total FROM orders ORDER BY total DESC LIMIT 5;", "both shards, sorted and limited by the proxy"},
		{"SELECT region_id, COUNT(*), SUM(total) FROM orders GROUP BY region_id;", "aggregates merged across shards"},
		{"SELECT o.id, i.sku, i.qty FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = 4;", "ER join: items live with their order"},
		{"SELECT o.id, r.name FROM orders o JOIN regions r ON r.id = o.region_id ORDER BY o.id;", "join with a global table, on each shard"},
		{"EXPLAIN SELECT * FROM orders WHERE id = 7;", "where Mycat would send it"},
	}
}

// ProxyDSN is a go-sql-driver/mysql DSN for the proxy's client account on
// addr ("" = the cluster's own 127.0.0.1:Port).
func (c *Cluster) ProxyDSN(addr string) string {
	if addr == "" {
		addr = c.Addr()
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = c.User, c.Password
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", addr, Schema
	return cfg.FormatDSN()
}

// LoadSampleData runs SampleSQL through the proxy at addr on one connection.
func (c *Cluster) LoadSampleData(ctx context.Context, addr string) error {
	db, err := sql.Open("mysql", c.ProxyDSN(addr))
	if err != nil {
		return err
	}
	defer db.Close()
	// The proxy may call ready just before it accepts connections.
	var conn *sql.Conn
	for attempt := 0; ; attempt++ {
		if conn, err = db.Conn(ctx); err == nil {
			break
		}
		var refused *mysql.MySQLError // a server's answer: retrying will not help
		if attempt == 50 || ctx.Err() != nil || errors.As(err, &refused) {
			return fmt.Errorf("demo: connect to the proxy at %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer conn.Close()
	for _, stmt := range SampleSQL() {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("demo: loading sample data through the proxy: %s: %w", stmt, err)
		}
	}
	return nil
}

// VerifyPlacement checks, directly on the shards, that the sample data sits
// where Mycat's mod-long would put it: order n and its items on shard n mod
// 2, every region on both shards, and no order lost or duplicated.
func (c *Cluster) VerifyPlacement(ctx context.Context) error {
	orders := 0
	for i, s := range c.Shards {
		db, err := s.Server.Open(s.Database)
		if err != nil {
			return err
		}
		defer db.Close()
		var n, misplaced, misplacedItems, regions int
		q := fmt.Sprintf(`SELECT
	(SELECT COUNT(*) FROM orders),
	(SELECT COUNT(*) FROM orders WHERE id %% 2 <> %d),
	(SELECT COUNT(*) FROM order_items WHERE order_id %% 2 <> %d OR order_id NOT IN (SELECT id FROM orders)),
	(SELECT COUNT(*) FROM regions)`, i, i)
		if err := db.QueryRowContext(ctx, q).Scan(&n, &misplaced, &misplacedItems, &regions); err != nil {
			return fmt.Errorf("demo: shard %s: %w", s.Name, err)
		}
		switch {
		case misplaced > 0:
			return fmt.Errorf("demo: shard %s (%s) holds %d orders of the other shard", s.Name, s.DataNode, misplaced)
		case misplacedItems > 0:
			return fmt.Errorf("demo: shard %s (%s) holds %d order_items away from their order", s.Name, s.DataNode, misplacedItems)
		case regions != len(regionNames):
			return fmt.Errorf("demo: shard %s (%s) has %d regions, want all %d (global table)", s.Name, s.DataNode, regions, len(regionNames))
		}
		orders += n
	}
	if orders != SampleOrders {
		return fmt.Errorf("demo: the shards hold %d orders, want %d", orders, SampleOrders)
	}
	return nil
}
