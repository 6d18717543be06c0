package mysql

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mysql2Script logs in with npm's mysql2 (a JavaScript implementation of
// the protocol), runs text and prepared queries, and prints one line each.
const mysql2Script = `
const mysql = require('mysql2/promise');
(async () => {
  const [host, port] = process.argv[2].split(':');
  const c = await mysql.createConnection({host, port: +port, user: 'app', password: 'secret', database: 'test'});
  const out = [];
  const [r1] = await c.query('select 1');
  out.push(JSON.stringify(r1));
  await c.query('insert into t values js');
  const [r2] = await c.query('select * from t');
  out.push(JSON.stringify(r2));
  const [r3] = await c.execute('SELECT ?, ?, ?, ?, ?, ?',
    [42, 'it\'s', null, Buffer.from([1, 2, 255]), 1.5, new Date(Date.UTC(2020, 0, 2, 3, 4, 5))]);
  out.push(JSON.stringify(r3));
  const [r4] = await c.execute('select * from t');
  out.push(JSON.stringify(r4));
  try { await c.query('bogus'); } catch (e) { out.push(e.errno + ' ' + e.sqlState); }
  await c.end();
  console.log(out.join('\n'));
})().catch(e => { console.error(e); process.exit(1); });
`

// TestServerWithMySQL2 needs node and a directory holding
// node_modules/mysql2 (npm install mysql2) named by SHARDCAT_MYSQL2_DIR.
func TestServerWithMySQL2(t *testing.T) {
	dir := os.Getenv("SHARDCAT_MYSQL2_DIR")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		t.Skip("set SHARDCAT_MYSQL2_DIR to a directory with node_modules/mysql2 (and install node)")
	}
	addr, _, _ := startServer(t, nil)
	script := filepath.Join(t.TempDir(), "peer.js")
	if err := os.WriteFile(script, []byte(mysql2Script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, addr)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mysql2: %v\n%s", err, out)
	}
	// mysql2 binds numbers as DOUBLE, Buffers as BLOB and Dates as binary
	// DATETIME; the handler echoes each parameter's Go type and literal.
	want := `[{"1":1}]
[{"id":1,"name":"js"}]
[{"p1":"float64 4.2e+01","p2":"string 'it\\'s'","p3":"<nil> NULL","p4":"[]uint8 X'0102ff'","p5":"float64 1.5e+00","p6":"time.Time '2020-01-02 03:04:05'"}]
[{"id":1,"name":"js"}]
1064 42000`
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("mysql2 output:\n%s\nwant:\n%s", got, want)
	}
}
