package mycatconf

import (
	"strings"
	"testing"
)

func TestParseXML(t *testing.T) {
	root, err := parseXML([]byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!DOCTYPE mycat:schema SYSTEM \"schema.dtd\">\r\n" +
		"<mycat:schema xmlns:mycat=\"http://io.mycat/\">\r\n  <!-- c -->\r\n  <schema\r\n   name=\"A\">x<table/>y</schema>\r\n</mycat:schema>"))
	if err != nil {
		t.Fatal(err)
	}
	if root.Name != "schema" || root.Line != 3 || len(root.Children) != 1 {
		t.Fatalf("root = %+v", root)
	}
	s := root.Children[0]
	if s.Name != "schema" || s.Line != 5 || s.get("name") != "A" || s.textContent() != "xy" || len(s.children("table")) != 1 {
		t.Errorf("schema = %+v", s)
	}
	if _, ok := s.attr("nope"); ok {
		t.Error("attr(nope) found")
	}
}

func TestParseXMLEncodings(t *testing.T) {
	// "数据" in GBK.
	gbk := "<?xml version=\"1.0\" encoding=\"GBK\"?><a><property name=\"n\">\xca\xfd\xbe\xdd</property></a>"
	root, err := parseXML([]byte(gbk))
	if err != nil {
		t.Fatal(err)
	}
	if got := root.Children[0].textContent(); got != "数据" {
		t.Errorf("GBK text = %q", got)
	}
	if _, err := parseXML([]byte(`<?xml version="1.0" encoding="no-such-charset"?><a/>`)); err == nil || !strings.Contains(err.Error(), "unsupported encoding") {
		t.Errorf("unknown charset: err = %v", err)
	}
}

func TestParseXMLErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "no root element"},
		{"<a/><b/>", "second root element <b>"},
		{"<a><b></a>", "element <b> closed by </a>"},
		{strings.Repeat("<a>", maxDepth+1), "nested deeper than 64"},
		{"<a>&nope;</a>", "invalid character entity"},
	}
	for _, tt := range tests {
		if _, err := parseXML([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseXML(%.20q) err = %v, want %q", tt.in, err, tt.want)
		}
	}
}
