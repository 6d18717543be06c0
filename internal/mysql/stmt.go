package mysql

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Stmt is a prepared statement on the server side. The handler fills
// ParamCount, Params (optional), Columns and HandlerData in ComStmtPrepare;
// the connection assigns ID and keeps the rest.
type Stmt struct {
	ID         uint32
	Query      string
	ParamCount int
	// Params are the parameter definitions sent to the client; nil means
	// ParamCount generic "?" definitions.
	Params  []*ColumnDef
	Columns []*ColumnDef
	// HandlerData is free for the handler (e.g. its parsed plan).
	HandlerData any

	// paramTypes are the types bound by the last execute that sent them
	// (later executes may omit them).
	paramTypes []uint16
	longData   map[int][]byte
	// longDataTooBig remembers SEND_LONG_DATA past the packet limit (it has
	// no response), so the next execute fails as MySQL's does.
	longDataTooBig bool
}

// ExecuteRequest is a decoded COM_STMT_EXECUTE.
type ExecuteRequest struct {
	StmtID     uint32
	Flags      byte // cursor type
	Iterations uint32
	// Params holds one Go value per parameter: nil (NULL), int64, uint64,
	// float32, float64, string, []byte, Decimal, time.Time, time.Duration, or
	// string for zero/invalid dates.
	Params []any
	// ParamTypes are the type words in effect (type | 0x8000 when unsigned).
	ParamTypes []uint16
}

// Decimal is a DECIMAL value in its exact text form.
type Decimal string

// paramUnsignedFlag marks an unsigned parameter type in COM_STMT_EXECUTE.
const paramUnsignedFlag = 0x8000

// DecodeStmtExecute parses a COM_STMT_EXECUTE payload (without the command
// byte). paramCount comes from the prepare; boundTypes are the types of the
// previous execute (used when the client does not resend them); longData
// holds COM_STMT_SEND_LONG_DATA chunks per parameter index.
func DecodeStmtExecute(data []byte, paramCount int, boundTypes []uint16, longData map[int][]byte) (*ExecuteRequest, error) {
	d := newDecoder(data)
	req := &ExecuteRequest{}
	req.StmtID = d.uint32("execute statement id")
	req.Flags = d.uint8("execute flags")
	req.Iterations = d.uint32("execute iteration count")
	if d.err != nil {
		return nil, d.err
	}
	if paramCount == 0 {
		return req, nil
	}
	if paramCount < 0 || paramCount > math.MaxUint16 {
		return nil, fmt.Errorf("mysql: execute: bad parameter count %d", paramCount)
	}
	nullBitmap := d.bytes((paramCount+7)/8, "execute null bitmap")
	newBound := d.uint8("execute new-params-bound flag")
	if d.err != nil {
		return nil, d.err
	}
	types := boundTypes
	if newBound == 1 {
		types = make([]uint16, paramCount)
		for i := range types {
			types[i] = d.uint16("execute parameter type")
		}
		if d.err != nil {
			return nil, d.err
		}
	} else if len(types) != paramCount {
		return nil, malformed("execute: parameter types never bound")
	}
	req.ParamTypes = types
	req.Params = make([]any, paramCount)
	for i := 0; i < paramCount; i++ {
		if nullBitmap[i/8]&(1<<(i%8)) != 0 {
			continue
		}
		typ := byte(types[i])
		if ld, ok := longData[i]; ok {
			if isStringType(typ) {
				req.Params[i] = string(ld)
			} else {
				req.Params[i] = append([]byte{}, ld...)
			}
			continue
		}
		req.Params[i] = decodeBinaryParam(d, typ, types[i]&paramUnsignedFlag != 0)
		if d.err != nil {
			return nil, fmt.Errorf("mysql: execute: parameter %d: %w", i+1, d.err)
		}
	}
	return req, nil
}

func isStringType(t byte) bool {
	switch t {
	case TypeVarChar, TypeVarString, TypeString, TypeEnum, TypeSet, TypeJSON:
		return true
	}
	return false
}

func decodeBinaryParam(d *decoder, typ byte, unsigned bool) any {
	signed := func(u uint64, bits int) any {
		if unsigned {
			return u
		}
		shift := 64 - bits
		return int64(u<<shift) >> shift
	}
	switch typ {
	case TypeNull:
		return nil
	case TypeTiny:
		return signed(uint64(d.uint8("tiny")), 8)
	case TypeShort, TypeYear:
		return signed(uint64(d.uint16("short")), 16)
	case TypeLong, TypeInt24:
		return signed(uint64(d.uint32("long")), 32)
	case TypeLongLong:
		return signed(d.uint64("longlong"), 64)
	case TypeFloat:
		return math.Float32frombits(d.uint32("float"))
	case TypeDouble:
		return math.Float64frombits(d.uint64("double"))
	case TypeDecimal, TypeNewDecimal:
		v, _ := d.lenEncBytes("decimal")
		return Decimal(v)
	case TypeDate, TypeNewDate, TypeDateTime, TypeTimestamp, TypeDateTime2, TypeTimestamp2:
		dt := decodeBinaryDateTime(d)
		if d.err != nil {
			return nil
		}
		return dateTimeValue(dt)
	case TypeTime, TypeTime2:
		t := decodeBinaryTime(d)
		if d.err != nil {
			return nil
		}
		dur := time.Duration(t.days)*24*time.Hour + time.Duration(t.hour)*time.Hour +
			time.Duration(t.min)*time.Minute + time.Duration(t.sec)*time.Second +
			time.Duration(t.micro)*time.Microsecond
		if t.negative {
			dur = -dur
		}
		return dur
	case TypeVarChar, TypeVarString, TypeString, TypeEnum, TypeSet, TypeJSON:
		v, _ := d.lenEncBytes("string")
		return string(v)
	case TypeTinyBlob, TypeMediumBlob, TypeLongBlob, TypeBlob, TypeBit, TypeGeometry:
		v, _ := d.lenEncBytes("blob")
		return append([]byte{}, v...)
	default:
		d.fail(fmt.Sprintf("unknown parameter type 0x%02x", typ))
		return nil
	}
}

// dateTimeValue gives a time.Time (UTC) for a valid date, else the text
// MySQL would print (zero dates like 0000-00-00 are legal in MySQL).
func dateTimeValue(dt dateTime) any {
	t := time.Date(int(dt.year), time.Month(dt.month), int(dt.day), int(dt.hour), int(dt.min), int(dt.sec),
		int(dt.micro)*1000, time.UTC)
	if dt.year == 0 || t.Year() != int(dt.year) || t.Month() != time.Month(dt.month) || t.Day() != int(dt.day) ||
		t.Hour() != int(dt.hour) || t.Minute() != int(dt.min) || t.Second() != int(dt.sec) {
		return string(formatDateTime(dt, false, 31))
	}
	return t
}

// AppendStmtExecute builds a COM_STMT_EXECUTE payload (with the command
// byte) binding params, always sending their types. Supported values: nil,
// bool, all int and uint kinds, float32, float64, string, []byte, Decimal,
// time.Time, time.Duration.
func AppendStmtExecute(b []byte, stmtID uint32, params []any) ([]byte, error) {
	b = append(b, ComStmtExecute)
	b = binary.LittleEndian.AppendUint32(b, stmtID)
	b = append(b, CursorTypeNoCursor)
	b = binary.LittleEndian.AppendUint32(b, 1)
	if len(params) == 0 {
		return b, nil
	}
	bitmapAt := len(b)
	b = append(b, make([]byte, (len(params)+7)/8)...)
	b = append(b, 1)
	typesAt := len(b)
	b = append(b, make([]byte, 2*len(params))...)
	for i, p := range params {
		var typ uint16
		switch v := p.(type) {
		case nil:
			b[bitmapAt+i/8] |= 1 << (i % 8)
			typ = uint16(TypeNull)
		case bool:
			typ = uint16(TypeTiny)
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case int:
			typ, b = uint16(TypeLongLong), binary.LittleEndian.AppendUint64(b, uint64(v))
		case int8:
			typ, b = uint16(TypeLongLong), binary.LittleEndian.AppendUint64(b, uint64(v))
		case int16:
			typ, b = uint16(TypeLongLong), binary.LittleEndian.AppendUint64(b, uint64(v))
		case int32:
			typ, b = uint16(TypeLongLong), binary.LittleEndian.AppendUint64(b, uint64(v))
		case int64:
			typ, b = uint16(TypeLongLong), binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint:
			typ, b = uint16(TypeLongLong)|paramUnsignedFlag, binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint8:
			typ, b = uint16(TypeLongLong)|paramUnsignedFlag, binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint16:
			typ, b = uint16(TypeLongLong)|paramUnsignedFlag, binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint32:
			typ, b = uint16(TypeLongLong)|paramUnsignedFlag, binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint64:
			typ, b = uint16(TypeLongLong)|paramUnsignedFlag, binary.LittleEndian.AppendUint64(b, v)
		case float32:
			typ, b = uint16(TypeFloat), binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		case float64:
			typ, b = uint16(TypeDouble), binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case string:
			typ, b = uint16(TypeVarString), AppendLenEncString(b, []byte(v))
		case []byte:
			typ, b = uint16(TypeBlob), AppendLenEncString(b, v)
		case Decimal:
			typ, b = uint16(TypeNewDecimal), AppendLenEncString(b, []byte(v))
		case time.Time:
			typ = uint16(TypeDateTime)
			b = appendBinaryDateTime(b, dateTime{uint16(v.Year()), uint8(v.Month()), uint8(v.Day()),
				uint8(v.Hour()), uint8(v.Minute()), uint8(v.Second()), uint32(v.Nanosecond() / 1000)})
		case time.Duration:
			typ = uint16(TypeTime)
			t := timeValue{negative: v < 0}
			if v < 0 {
				v = -v
			}
			t.days = uint32(v / (24 * time.Hour))
			t.hour = uint8(v / time.Hour % 24)
			t.min = uint8(v / time.Minute % 60)
			t.sec = uint8(v / time.Second % 60)
			t.micro = uint32(v / time.Microsecond % 1000000)
			b = appendBinaryTime(b, t)
		default:
			return nil, fmt.Errorf("mysql: execute: unsupported parameter type %T", p)
		}
		binary.LittleEndian.PutUint16(b[typesAt+2*i:], typ)
	}
	return b, nil
}

// PrepareOK is the header of a COM_STMT_PREPARE_OK response.
type PrepareOK struct {
	StmtID      uint32
	ColumnCount uint16
	ParamCount  uint16
	Warnings    uint16
}

// AppendPrepareOK appends the first packet of COM_STMT_PREPARE_OK.
func AppendPrepareOK(b []byte, p *PrepareOK) []byte {
	b = append(b, okHeader)
	b = binary.LittleEndian.AppendUint32(b, p.StmtID)
	b = binary.LittleEndian.AppendUint16(b, p.ColumnCount)
	b = binary.LittleEndian.AppendUint16(b, p.ParamCount)
	b = append(b, 0)
	return binary.LittleEndian.AppendUint16(b, p.Warnings)
}

// DecodePrepareOK parses the first packet of COM_STMT_PREPARE_OK.
func DecodePrepareOK(payload []byte) (*PrepareOK, error) {
	d := newDecoder(payload)
	if h := d.uint8("prepare OK header"); d.err == nil && h != okHeader {
		return nil, malformed("prepare OK: header is not 0x00")
	}
	p := &PrepareOK{}
	p.StmtID = d.uint32("prepare OK statement id")
	p.ColumnCount = d.uint16("prepare OK column count")
	p.ParamCount = d.uint16("prepare OK parameter count")
	if d.err != nil {
		return nil, d.err
	}
	if d.remaining() >= 3 {
		d.uint8("prepare OK filler")
		p.Warnings = d.uint16("prepare OK warnings")
	}
	return p, nil
}

// paramDef is the definition MySQL sends for a parameter it knows nothing about.
var paramDef = &ColumnDef{Name: "?", Charset: CharsetBinary, Type: TypeVarString}

func (c *Conn) stmtPrepare(query string) error {
	st, err := c.srv.Handler.ComStmtPrepare(c, query)
	if err != nil {
		return err
	}
	if st == nil {
		return NewSQLError(ERUnknownError, "internal error: no statement")
	}
	if st.Params != nil {
		st.ParamCount = len(st.Params)
	}
	if st.ParamCount > math.MaxUint16 || len(st.Columns) > math.MaxUint16 {
		return NewSQLError(ERParse, "too many parameters or columns")
	}
	c.nextStmtID++
	st.ID = c.nextStmtID
	st.Query = query
	c.stmts[st.ID] = st
	err = c.pc.WritePacket(AppendPrepareOK(nil, &PrepareOK{
		StmtID: st.ID, ColumnCount: uint16(len(st.Columns)), ParamCount: uint16(st.ParamCount),
	}))
	if err != nil {
		return err
	}
	if st.ParamCount > 0 {
		for i := 0; i < st.ParamCount; i++ {
			def := paramDef
			if st.Params != nil {
				def = st.Params[i]
			}
			if err := c.pc.WritePacket(AppendColumnDef(c.scratch[:0], def)); err != nil {
				return err
			}
		}
		if !c.DeprecateEOF() {
			if err := c.pc.WritePacket(AppendEOF(c.scratch[:0], 0, c.status)); err != nil {
				return err
			}
		}
	}
	if len(st.Columns) > 0 {
		for _, def := range st.Columns {
			if err := c.pc.WritePacket(AppendColumnDef(c.scratch[:0], def)); err != nil {
				return err
			}
		}
		if !c.DeprecateEOF() {
			if err := c.pc.WritePacket(AppendEOF(c.scratch[:0], 0, c.status)); err != nil {
				return err
			}
		}
	}
	c.resp = respDone
	return nil
}

func (c *Conn) stmtExecute(data []byte) error {
	if len(data) < 4 {
		return NewSQLError(ERMalformedPacket, "COM_STMT_EXECUTE: truncated")
	}
	id := binary.LittleEndian.Uint32(data)
	st, ok := c.stmts[id]
	if !ok {
		return NewSQLError(ERUnknownStmtHandler, "Unknown prepared statement handler (%d) given to mysqld_stmt_execute", id)
	}
	if st.longDataTooBig {
		st.longData, st.longDataTooBig = nil, false
		return NewSQLError(ERNetPacketTooLarge, "Parameter of prepared statement which is set through mysql_send_long_data() is longer than 'max_allowed_packet' bytes")
	}
	req, err := DecodeStmtExecute(data, st.ParamCount, st.paramTypes, st.longData)
	if err != nil {
		return NewSQLError(ERMalformedPacket, "%v", err)
	}
	st.paramTypes = req.ParamTypes
	st.longData = nil // long data is consumed by the execute that follows
	c.binaryRows = true
	return c.srv.Handler.ComStmtExecute(c, st, req)
}

func (c *Conn) stmtSendLongData(data []byte) {
	if len(data) < 6 {
		return
	}
	st, ok := c.stmts[binary.LittleEndian.Uint32(data)]
	if !ok {
		return
	}
	param := int(binary.LittleEndian.Uint16(data[4:]))
	if param >= st.ParamCount {
		return
	}
	if st.longData == nil {
		st.longData = map[int][]byte{}
	}
	// Bounded by MaxPacketSize in total, as MySQL bounds it by max_allowed_packet.
	if len(st.longData[param])+len(data)-6 > c.pc.maxSize() {
		st.longDataTooBig = true
		return
	}
	st.longData[param] = append(st.longData[param], data[6:]...)
}

func (c *Conn) stmtReset(data []byte) error {
	if len(data) < 4 {
		return NewSQLError(ERMalformedPacket, "COM_STMT_RESET: truncated")
	}
	id := binary.LittleEndian.Uint32(data)
	st, ok := c.stmts[id]
	if !ok {
		return NewSQLError(ERUnknownStmtHandler, "Unknown prepared statement handler (%d) given to mysqld_stmt_reset", id)
	}
	st.longData, st.longDataTooBig = nil, false
	if err := c.srv.Handler.ComStmtReset(c, st); err != nil {
		return err
	}
	return c.WriteOK(&OKPacket{})
}

func (c *Conn) closeAllStmts() {
	for id, st := range c.stmts {
		delete(c.stmts, id)
		c.srv.Handler.ComStmtClose(c, st)
	}
}

// Statement returns a prepared statement of this connection by id.
func (c *Conn) Statement(id uint32) (*Stmt, bool) {
	st, ok := c.stmts[id]
	return st, ok
}
