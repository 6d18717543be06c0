package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shardcat/shardcat/internal/mycatconf"
)

// readmeConf writes the README's example conf files (```xml blocks whose
// first line names the file) into a directory.
func readmeConf(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```xml\n<!-- ([a-z.]+) -->\n(.*?)```").FindAllSubmatch(text, -1)
	if len(blocks) != 3 {
		t.Fatalf("README has %d named xml blocks, want server.xml, schema.xml, rule.xml", len(blocks))
	}
	dir := t.TempDir()
	for _, b := range blocks {
		if err := os.WriteFile(filepath.Join(dir, string(b[1])), b[2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadmeConfLoads(t *testing.T) {
	dir := readmeConf(t)
	_, findings, err := mycatconf.Load(dir)
	if err != nil {
		t.Fatalf("README conf: %v", err)
	}
	for _, f := range findings {
		if !f.Warning {
			t.Errorf("README conf: %s", f)
		}
	}
}

// The README's explain example must print what it shows.
func TestReadmeExplainExample(t *testing.T) {
	dir := readmeConf(t)
	text, _ := os.ReadFile("../../README.md")
	m := regexp.MustCompile(`(?s)\$ echo "([^"]+)" \| shardcat explain --conf DIR\n(.*?)\n\n`).FindSubmatch(text)
	if m == nil {
		t.Fatal("README explain example not found")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"explain", "--conf", dir}, stdio{strings.NewReader(string(m[1]) + "\n"), &out, &errOut})
	if code != 0 {
		t.Fatalf("explain exit %d: %s", code, errOut.String())
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if norm(out.String()) != norm(string(m[2])) {
		t.Fatalf("README shows:\n%s\nexplain prints:\n%s", m[2], out.String())
	}
}

// The README's keepalived.conf example parses with no finding.
func TestReadmeKeepalivedExample(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```keepalived\n(.*?)```").FindSubmatch(text)
	if m == nil {
		t.Fatal("README has no keepalived example")
	}
	file := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(file, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"director", "-f", file, "--check"}, stdio{nil, &out, &errOut}); code != 0 {
		t.Fatalf("director --check exit %d:\n%s", code, errOut.String())
	}
	if strings.Contains(errOut.String(), ": warning:") || strings.Contains(errOut.String(), ": error:") ||
		!strings.Contains(errOut.String(), "0 error(s), 0 warning(s)") {
		t.Fatalf("findings on the README example:\n%s", errOut.String())
	}
}
