package mycatconf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
)

// element is a tiny DOM node that remembers its line, so every finding can
// name file:line. Mycat reads its XML through a DOM too (ConfigUtil), so a
// tree is the natural shape to follow its loaders.
type element struct {
	Name     string // local name, namespace prefix dropped (mycat:schema -> schema)
	Attrs    []xml.Attr
	Children []*element
	Text     string // concatenated character data of this element only
	Line     int
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack when the
// tree is walked recursively (childTable nests).
const maxDepth = 64

// parseXML reads one XML document into a tree rooted at its document element.
func parseXML(data []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	// Mycat's shipped files are UTF-8, but Java's parser honours any declared
	// encoding, and GBK-encoded files exist in the field.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		enc, err := ianaindex.IANA.Encoding(charset)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("unsupported encoding %q (expected UTF-8 or another IANA charset such as GBK)", charset)
		}
		return enc.NewDecoder().Reader(input), nil
	}
	var root *element
	var stack []*element
	var text [][]byte
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("line %d: elements nested deeper than %d", line, maxDepth)
			}
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("line %d: second root element <%s>", line, t.Name.Local)
			}
			e := &element{Name: t.Name.Local, Attrs: t.Attr, Line: line}
			if len(stack) == 0 {
				root = e
			} else {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, e)
			}
			stack = append(stack, e)
			text = append(text, nil)
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.Text = string(text[len(text)-1])
			stack = stack[:len(stack)-1]
			text = text[:len(text)-1]
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1] = append(text[len(text)-1], t...)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// attr returns the attribute's value and whether it is present. Like the
// DOM's getAttribute, names are case-sensitive and unprefixed.
func (e *element) attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// get returns the attribute's value, "" when absent (DOM getAttribute).
func (e *element) get(name string) string {
	v, _ := e.attr(name)
	return v
}

// children lists the direct children with the given local name.
func (e *element) children(name string) []*element {
	var out []*element
	for _, c := range e.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// textContent is the DOM's getTextContent: all character data below e.
func (e *element) textContent() string {
	if len(e.Children) == 0 {
		return e.Text
	}
	var b strings.Builder
	e.appendText(&b, 0)
	return b.String()
}

func (e *element) appendText(b *strings.Builder, depth int) {
	// Text is stored per element without interleaving order; for the
	// elements Mycat reads as text (property, heartbeat, columns) children
	// do not occur, so concatenation order does not matter in practice.
	b.WriteString(e.Text)
	if depth >= maxDepth {
		return
	}
	for _, c := range e.Children {
		c.appendText(b, depth+1)
	}
}
