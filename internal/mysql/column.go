package mysql

import "encoding/binary"

// ColumnDef is a Protocol::ColumnDefinition41 packet: one column of a result
// set or one parameter of a prepared statement.
type ColumnDef struct {
	Catalog  string // always "def"
	Schema   string
	Table    string
	OrgTable string
	Name     string
	OrgName  string
	Charset  uint16
	Length   uint32
	Type     byte
	Flags    uint16
	Decimals byte
	// DefaultValue is only sent in COM_FIELD_LIST responses (nil: absent).
	DefaultValue []byte
}

// AppendColumnDef appends the packet payload for c.
func AppendColumnDef(b []byte, c *ColumnDef) []byte {
	catalog := c.Catalog
	if catalog == "" {
		catalog = "def"
	}
	b = AppendLenEncString(b, []byte(catalog))
	b = AppendLenEncString(b, []byte(c.Schema))
	b = AppendLenEncString(b, []byte(c.Table))
	b = AppendLenEncString(b, []byte(c.OrgTable))
	b = AppendLenEncString(b, []byte(c.Name))
	b = AppendLenEncString(b, []byte(c.OrgName))
	b = append(b, 0x0c) // length of the fixed-size fields that follow
	b = binary.LittleEndian.AppendUint16(b, c.Charset)
	b = binary.LittleEndian.AppendUint32(b, c.Length)
	b = append(b, c.Type)
	b = binary.LittleEndian.AppendUint16(b, c.Flags)
	b = append(b, c.Decimals, 0, 0)
	if c.DefaultValue != nil {
		b = AppendLenEncString(b, c.DefaultValue)
	}
	return b
}

// DecodeColumnDef parses a ColumnDefinition41 payload.
func DecodeColumnDef(payload []byte) (*ColumnDef, error) {
	d := newDecoder(payload)
	c := &ColumnDef{}
	str := func(what string) string {
		b, isNull := d.lenEncBytes(what)
		if isNull {
			d.fail(what + ": unexpected NULL")
		}
		return string(b)
	}
	c.Catalog = str("column catalog")
	c.Schema = str("column schema")
	c.Table = str("column table")
	c.OrgTable = str("column org_table")
	c.Name = str("column name")
	c.OrgName = str("column org_name")
	fixed, _ := d.lenEncInt("column fixed-length fields")
	if d.err == nil && fixed < 0x0c {
		d.fail("column fixed-length fields: too short")
	}
	start := d.pos
	c.Charset = d.uint16("column charset")
	c.Length = d.uint32("column length")
	c.Type = d.uint8("column type")
	c.Flags = d.uint16("column flags")
	c.Decimals = d.uint8("column decimals")
	if d.err == nil {
		d.bytes(int(fixed)-(d.pos-start), "column filler")
	}
	if d.err == nil && d.remaining() > 0 {
		def, _ := d.lenEncBytes("column default value")
		c.DefaultValue = append([]byte{}, def...)
	}
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

// IsUnsigned reports the UNSIGNED flag.
func (c *ColumnDef) IsUnsigned() bool { return c.Flags&FlagUnsigned != 0 }
