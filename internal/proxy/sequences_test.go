package proxy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSaveCurIDRewritesOnlyThatLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sequence_conf.properties")
	os.WriteFile(file, []byte("# ids\nGLOBAL.HISIDS=\nGLOBAL.MINID=10001\nGLOBAL.MAXID=20000\nGLOBAL.CURID=10000\nCOMPANY.CURID = 5\n"), 0o644)
	if err := saveCurID(file, "GLOBAL", 10042); err != nil {
		t.Fatal(err)
	}
	if err := saveCurID(file, "COMPANY", 7); err != nil {
		t.Fatal(err)
	}
	if err := saveCurID(file, "NEW", 1); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	want := "# ids\nGLOBAL.HISIDS=\nGLOBAL.MINID=10001\nGLOBAL.MAXID=20000\nGLOBAL.CURID=10042\nCOMPANY.CURID = 7\n\nNEW.CURID=1\n"
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
