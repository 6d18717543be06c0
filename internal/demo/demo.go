// Package demo builds the demo's local cluster: two MariaDB shards on
// loopback and a Mycat 1.6 conf dir that shards an orders table over them,
// plus the sample data to load through the proxy. `shardcat demo` starts it
// and serves the proxy on the conf dir.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shardcat/shardcat/internal/mariadb"
)

// Defaults for Options.
const (
	DefaultPort        = 8066
	DefaultManagerPort = 9066
	DefaultUser        = "root"
	DefaultPassword    = "shardcat"
	Schema             = "TESTDB"
)

// Options configure the cluster. Zero values mean the defaults above; a
// negative port means "pick a free one" (for tests).
type Options struct {
	Port        int    // the proxy's serverPort
	ManagerPort int    // the proxy's managerPort
	User        string // the proxy's client account
	Password    string
	// Engine picks the shards: "mariadb", "embedded", or "" for MariaDB
	// when mariadbd is installed and the embedded engine otherwise.
	Engine string
}

// Shard is one data host of the demo.
type Shard struct {
	Name     string // dataHost name: hostA, hostB
	DataNode string // dn1, dn2
	Database string // db1, db2
	Server   ShardServer
}

// Cluster is a running demo cluster.
type Cluster struct {
	Dir      string // everything lives here
	ConfDir  string // the Mycat conf dir for the proxy
	Port     int    // the proxy's serverPort, as written in server.xml
	User     string
	Password string
	Shards   []Shard
	// BackendUser and BackendPassword are the account the proxy uses on
	// the shards (the writeHosts' user and password).
	BackendUser, BackendPassword string
}

// Start starts two shards under dir (shard A holds db1, shard B db2):
// MariaDB servers when mariadbd is installed (or opt.Engine is "mariadb"),
// otherwise the embedded engine (tools/embedded-mysql). It writes the conf
// dir dir/conf. On error nothing is left running.
func Start(ctx context.Context, dir string, opt Options) (*Cluster, error) {
	_, haveMariaDB := mariadb.Available()
	embedded := opt.Engine == "embedded" || (opt.Engine == "" && !haveMariaDB)
	if opt.Engine == "mariadb" && !haveMariaDB {
		return nil, errors.New("demo: mariadbd not found: install it with `apt-get install mariadb-server` (or run scripts/test.sh as root)")
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir:             dir,
		ConfDir:         filepath.Join(dir, "conf"),
		Port:            opt.Port,
		User:            opt.User,
		Password:        opt.Password,
		BackendUser:     "shardcat",
		BackendPassword: randomPassword(),
	}
	var engineBin string
	if embedded {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if engineBin, err = buildEmbedded(ctx, dir); err != nil {
			return nil, err
		}
	}
	for _, s := range []Shard{
		{Name: "hostA", DataNode: "dn1", Database: "db1"},
		{Name: "hostB", DataNode: "dn2", Database: "db2"},
	} {
		if embedded {
			e, err := startEmbedded(ctx, engineBin, dir, s.Database)
			if err != nil {
				c.Stop()
				return nil, fmt.Errorf("demo: shard %s: %w", s.Name, err)
			}
			s.Server = e
			c.Shards = append(c.Shards, s)
			continue
		}
		srv, err := mariadb.Start(ctx, mariadb.Options{
			Dir:       filepath.Join(dir, "shard-"+strings.TrimPrefix(s.Name, "host")),
			User:      c.BackendUser,
			Password:  c.BackendPassword,
			Databases: []string{s.Database},
		})
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("demo: shard %s: %w", s.Name, err)
		}
		s.Server = mariadbShard{srv}
		c.Shards = append(c.Shards, s)
	}
	if err := c.writeConf(opt.ManagerPort); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (o Options) withDefaults() (Options, error) {
	var err error
	pick := func(port, def int) int {
		switch {
		case port == 0:
			return def
		case port < 0:
			p, e := mariadb.FreePort()
			if e != nil {
				err = e
			}
			return p
		}
		return port
	}
	o.Port = pick(o.Port, DefaultPort)
	o.ManagerPort = pick(o.ManagerPort, DefaultManagerPort)
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	return o, err
}

// Addr is the proxy's client address.
func (c *Cluster) Addr() string { return fmt.Sprintf("127.0.0.1:%d", c.Port) }

// Stop stops the shards (cleanly); the directory stays.
func (c *Cluster) Stop() error {
	var errs []error
	for _, s := range c.Shards {
		if s.Server != nil {
			errs = append(errs, s.Server.Stop())
		}
	}
	return errors.Join(errs...)
}

// randomPassword is the shards' backend password: nobody types it, so it
// need not be memorable, and a fresh one per run keeps stale conf dirs out.
func randomPassword() string {
	b := make([]byte, 9)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (c *Cluster) writeConf(managerPort int) error {
	if err := os.MkdirAll(c.ConfDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	files := map[string]string{
		"server.xml": c.serverXML(managerPort),
		"schema.xml": c.schemaXML(),
		"rule.xml":   ruleXML,
		// Mycat's stock local-file sequence (sequnceHandlerType 0), so
		// "next value for MYCATSEQ_GLOBAL" works in the demo.
		"sequence_conf.properties": sequenceConf,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(c.ConfDir, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

func (c *Cluster) serverXML(managerPort int) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:server SYSTEM "server.dtd">
<mycat:server xmlns:mycat="http://io.mycat/">
	<system>
		<property name="serverPort">%d</property>
		<property name="managerPort">%d</property>
		<property name="bindIp">127.0.0.1</property>
		<property name="charset">utf8mb4</property>
	</system>
	<user name="%s" defaultAccount="true">
		<property name="password">%s</property>
		<property name="schemas">%s</property>
		<property name="defaultSchema">%s</property>
	</user>
</mycat:server>
`, c.Port, managerPort, xmlEscape(c.User), xmlEscape(c.Password), Schema, Schema)
}

// schemaXML: orders sharded by id (mod-long) over dn1,dn2; order_items
// follows its order (ER child); regions is copied to both nodes (global);
// any other table lives on dn1.
func (c *Cluster) schemaXML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:schema SYSTEM "schema.dtd">
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="%s" checkSQLschema="true" sqlMaxLimit="100" dataNode="dn1">
		<table name="orders" primaryKey="id" dataNode="dn1,dn2" rule="mod-long">
			<childTable name="order_items" primaryKey="id" joinKey="order_id" parentKey="id"/>
		</table>
		<table name="regions" primaryKey="id" type="global" dataNode="dn1,dn2"/>
	</schema>
`, Schema)
	for _, s := range c.Shards {
		fmt.Fprintf(&b, "\t<dataNode name=%q dataHost=%q database=%q/>\n", s.DataNode, s.Name, s.Database)
	}
	for _, s := range c.Shards {
		fmt.Fprintf(&b, `	<dataHost name=%q maxCon="100" minCon="2" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1" slaveThreshold="100">
		<heartbeat>select user()</heartbeat>
		<writeHost host="%s-M1" url="%s" user=%q password=%q/>
	</dataHost>
`, s.Name, s.Name, s.Server.Addr(), c.BackendUser, c.BackendPassword)
	}
	b.WriteString("</mycat:schema>\n")
	return b.String()
}

const ruleXML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:rule SYSTEM "rule.dtd">
<mycat:rule xmlns:mycat="http://io.mycat/">
	<tableRule name="mod-long">
		<rule>
			<columns>id</columns>
			<algorithm>mod-long</algorithm>
		</rule>
	</tableRule>
	<function name="mod-long" class="io.mycat.route.function.PartitionByMod">
		<property name="count">2</property>
	</function>
</mycat:rule>
`

const sequenceConf = `GLOBAL.HISIDS=
GLOBAL.MINID=10001
GLOBAL.MAXID=20000
GLOBAL.CURID=10000
`

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
