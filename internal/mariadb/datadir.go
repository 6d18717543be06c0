package mariadb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// templateMarker is written last into a template datadir; a template without
// it is incomplete and never copied.
const templateMarker = ".shardcat-template-complete"

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// newDataDir fills dataDir with an initialised, empty datadir. The first
// call runs mariadb-install-db (about 1 s) into a template shared by all
// processes of this user and mariadbd build; later calls copy it (0.1 s).
func newDataDir(ctx context.Context, dataDir string) error {
	templateOnce.Do(func() { templateDir, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		// The cache is an optimisation only: initialise directly.
		return installDB(ctx, dataDir)
	}
	if err := copyTree(templateDir, dataDir); err != nil {
		os.RemoveAll(dataDir)
		return installDB(ctx, dataDir)
	}
	os.Remove(filepath.Join(dataDir, templateMarker))
	return nil
}

// ensureTemplate returns the template datadir for the installed mariadbd,
// creating it atomically (build in a temp dir, rename) if needed.
func ensureTemplate(ctx context.Context) (string, error) {
	bin, ok := Available()
	if !ok {
		return "", errors.New("mariadbd not found")
	}
	st, err := os.Stat(bin)
	if err != nil {
		return "", err
	}
	// Keyed by the binary's identity so an upgraded server gets a new template.
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d|%s", bin, st.Size(), st.ModTime().UnixNano(), innodbLogFileSize)))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("shardcat-mariadb-template-%d-%s", os.Getuid(), hex.EncodeToString(sum[:6])))
	if _, err := os.Stat(filepath.Join(dir, templateMarker)); err == nil {
		return dir, nil
	}
	build, err := os.MkdirTemp(os.TempDir(), "shardcat-mariadb-template-build-")
	if err != nil {
		return "", err
	}
	data := filepath.Join(build, "data")
	if err := installDB(ctx, data); err != nil {
		os.RemoveAll(build)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(data, templateMarker), nil, 0o644); err != nil {
		os.RemoveAll(build)
		return "", err
	}
	if err := os.Rename(data, dir); err != nil {
		// Another process won the race; use its template if complete.
		os.RemoveAll(build)
		if _, statErr := os.Stat(filepath.Join(dir, templateMarker)); statErr == nil {
			return dir, nil
		}
		return "", err
	}
	os.RemoveAll(build)
	return dir, nil
}

// installDB runs mariadb-install-db as test-peers.md shows: root without a
// password (socket only, since the server binds loopback), no test db.
func installDB(ctx context.Context, dataDir string) error {
	tool, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		tool = "/usr/bin/mariadb-install-db"
		if _, statErr := os.Stat(tool); statErr != nil {
			return errors.New("mariadb: mariadb-install-db not found (apt-get install mariadb-server)")
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tool, "--no-defaults", "--datadir="+dataDir, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db", innodbLogFileSize)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb: %s --datadir=%s: %w\n%s", tool, dataDir, err, lastLines(string(out), 15))
	}
	return nil
}

// copyTree copies a directory of regular files (a datadir) preserving modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		default:
			return fmt.Errorf("mariadb: unexpected file type in template: %s", path)
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
