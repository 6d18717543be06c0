package mysql

import (
	"errors"
	"fmt"
)

// Result is a complete statement result: a result set when Columns is not
// empty, otherwise an OK.
type Result struct {
	Columns      []*ColumnDef
	Rows         []Row
	AffectedRows uint64
	LastInsertID uint64
	Status       uint16
	Warnings     uint16
	Info         string
}

// WriteResult writes r: OK when it has no columns, else a result set (text
// rows, or binary rows inside COM_STMT_EXECUTE). Set
// SERVER_MORE_RESULTS_EXISTS in r.Status when another result follows.
func (c *Conn) WriteResult(r *Result) error {
	if len(r.Columns) == 0 {
		return c.WriteOK(&OKPacket{
			AffectedRows: r.AffectedRows, LastInsertID: r.LastInsertID,
			Status: r.Status, Warnings: r.Warnings, Info: r.Info,
		})
	}
	if err := c.WriteColumns(r.Columns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := c.WriteRow(row); err != nil {
			return err
		}
	}
	return c.WriteResultSetEnd(r.Status, r.Warnings)
}

// WriteColumns starts a result set: the column count, the definitions and
// (without CLIENT_DEPRECATE_EOF) an EOF.
func (c *Conn) WriteColumns(cols []*ColumnDef) error {
	if len(cols) == 0 {
		return errors.New("mysql: result set without columns")
	}
	c.resp = respOpen
	c.resultCols = cols
	if err := c.pc.WritePacket(AppendLenEncInt(c.scratch[:0], uint64(len(cols)))); err != nil {
		return err
	}
	for _, col := range cols {
		if err := c.pc.WritePacket(AppendColumnDef(c.scratch[:0], col)); err != nil {
			return err
		}
	}
	if !c.DeprecateEOF() {
		return c.pc.WritePacket(AppendEOF(c.scratch[:0], 0, c.status))
	}
	return nil
}

// WriteRow writes one row of the open result set (binary protocol inside
// COM_STMT_EXECUTE, converting from text form).
func (c *Conn) WriteRow(row Row) error {
	if c.resultCols == nil {
		return errors.New("mysql: WriteRow without WriteColumns")
	}
	if c.binaryRows {
		var err error
		if c.scratch, err = AppendBinaryRow(c.scratch[:0], c.resultCols, row); err != nil {
			return err
		}
	} else {
		if len(row) != len(c.resultCols) {
			return fmt.Errorf("mysql: row has %d values for %d columns", len(row), len(c.resultCols))
		}
		c.scratch = AppendTextRow(c.scratch[:0], row)
	}
	return c.pc.WritePacket(c.scratch)
}

// WriteResultSetEnd closes the open result set with EOF (or OK under
// CLIENT_DEPRECATE_EOF). The session status is ORed into status.
func (c *Conn) WriteResultSetEnd(status, warnings uint16) error {
	return c.writeTerminator(warnings, status|c.status, 0)
}

// writeTerminator writes the packet that ends a result set in the client's
// dialect: EOF, or an OK with header 0xfe.
func (c *Conn) writeTerminator(warnings, status uint16, affected uint64) error {
	if c.DeprecateEOF() {
		c.scratch = AppendOK(c.scratch[:0], eofHeader, &OKPacket{AffectedRows: affected, Status: status, Warnings: warnings}, c.capabilities)
	} else {
		c.scratch = AppendEOF(c.scratch[:0], warnings, status)
	}
	c.markEnd(status)
	return c.pc.WritePacket(c.scratch)
}

// WriteFieldList answers COM_FIELD_LIST: the definitions then a terminator.
func (c *Conn) WriteFieldList(cols []*ColumnDef) error {
	for _, col := range cols {
		def := *col
		if def.DefaultValue == nil {
			def.DefaultValue = []byte{}
		}
		if err := c.pc.WritePacket(AppendColumnDef(c.scratch[:0], &def)); err != nil {
			return err
		}
	}
	return c.writeTerminator(0, c.status, 0)
}

// WriteRawPacket writes a payload as is with the client's next sequence id
// (for column definitions and rows copied from a backend).
func (c *Conn) WriteRawPacket(payload []byte) error {
	c.resp = respOpen
	return c.pc.WritePacket(payload)
}

// ForwardResult copies one result (OK, ERR or a whole result set) from a
// backend to this client without decoding rows. Terminators are rewritten
// when the two sides disagree on CLIENT_DEPRECATE_EOF, and adjust (if not
// nil) may rewrite the final status flags, e.g. to clear or set
// SERVER_MORE_RESULTS_EXISTS. The session status is not ORed in: the
// backend's flags are the truth for a forwarded result.
//
// Rows are copied as they are when both sides use the same row format; when
// the client runs COM_STMT_EXECUTE and the backend answered a COM_QUERY (or
// the reverse) each row is converted between text and binary form.
//
// It returns the backend's own final status: loop while it has
// SERVER_MORE_RESULTS_EXISTS. A backend ERR is forwarded and also returned
// as *SQLError; other errors mean the backend connection is unusable.
func (c *Conn) ForwardResult(b *ClientConn, adjust func(status uint16) uint16) (status uint16, err error) {
	if adjust == nil {
		adjust = func(s uint16) uint16 { return s }
	}
	first, err := b.readPacketShared()
	if err != nil {
		return 0, err
	}
	switch {
	case IsErrPacket(first):
		se, derr := DecodeErr(first)
		if derr != nil {
			return 0, b.fail(derr)
		}
		if err := c.WriteError(se); err != nil {
			return 0, err
		}
		return 0, se
	case first[0] == okHeader:
		ok, derr := DecodeOK(first, b.capabilities)
		if derr != nil {
			return 0, b.fail(derr)
		}
		status = ok.Status
		ok.Status = adjust(ok.Status)
		c.scratch = AppendOK(c.scratch[:0], okHeader, ok, c.capabilities)
		c.markEnd(ok.Status)
		return status, c.pc.WritePacket(c.scratch)
	case first[0] == localInfileHeader:
		if err := c.relayLocalInfile(b, first); err != nil {
			return 0, err
		}
		return c.ForwardResult(b, adjust)
	}
	count, _, _, derr := ReadLenEncInt(first)
	if derr != nil || count == 0 {
		return 0, b.fail(malformed("result set column count"))
	}
	if err := c.WriteRawPacket(first); err != nil {
		return 0, err
	}
	convert := c.binaryRows != b.BinaryRows()
	var cols []*ColumnDef
	for i := uint64(0); i < count; i++ {
		p, err := b.readPacketShared()
		if err != nil {
			return 0, err
		}
		if convert {
			col, err := DecodeColumnDef(p)
			if err != nil {
				return 0, b.fail(err)
			}
			cols = append(cols, col)
		}
		if err := c.pc.WritePacket(p); err != nil {
			return 0, err
		}
	}
	if !b.DeprecateEOF() {
		p, err := b.readPacketShared()
		if err != nil {
			return 0, err
		}
		if !IsEOFPacket(p) {
			return 0, b.fail(malformed("expected EOF after column definitions"))
		}
	}
	if !c.DeprecateEOF() {
		if err := c.pc.WritePacket(AppendEOF(c.scratch[:0], 0, c.status)); err != nil {
			return 0, err
		}
	}
	for {
		p, err := b.readPacketShared()
		if err != nil {
			return 0, err
		}
		switch {
		case IsErrPacket(p):
			se, derr := DecodeErr(p)
			if derr != nil {
				return 0, b.fail(derr)
			}
			if err := c.WriteError(se); err != nil {
				return 0, err
			}
			return 0, se
		case IsEOFPacket(p):
			warnings, st, derr := b.decodeTerminator(p)
			if derr != nil {
				return 0, b.fail(derr)
			}
			return st, c.writeTerminator(warnings, adjust(st), 0)
		default:
			if convert {
				if p, err = convertRow(p, cols, c.binaryRows, c.scratch[:0]); err != nil {
					return 0, b.fail(err)
				}
				c.scratch = p
			}
			if err := c.pc.WritePacket(p); err != nil {
				return 0, err
			}
		}
	}
}

// convertRow turns a text row into a binary one (toBinary) or back.
func convertRow(p []byte, cols []*ColumnDef, toBinary bool, buf []byte) ([]byte, error) {
	if toBinary {
		row, err := DecodeTextRow(p, len(cols))
		if err != nil {
			return nil, err
		}
		return AppendBinaryRow(buf, cols, row)
	}
	row, err := DecodeBinaryRow(p, cols)
	if err != nil {
		return nil, err
	}
	return AppendTextRow(buf, row), nil
}

// relayLocalInfile serves a backend's LOAD DATA LOCAL INFILE request: the
// request goes to the client (if it allows local files) and the file's
// packets, up to the empty one, go back to the backend. The backend's
// final OK or ERR is left for the caller to forward.
func (c *Conn) relayLocalInfile(b *ClientConn, request []byte) error {
	if c.capabilities&ClientLocalFiles == 0 {
		// Answer for the client: an empty file, so the backend stays in step.
		if err := b.pc.WritePacketFlush(nil); err != nil {
			return b.fail(err)
		}
		return nil
	}
	if err := c.pc.WritePacketFlush(request); err != nil {
		return err
	}
	for {
		p, err := c.pc.ReadPacketShared()
		if err != nil {
			// The backend waits for data it will never get.
			b.fail(fmt.Errorf("client failed during LOAD DATA LOCAL: %w", err))
			return err
		}
		if err := b.pc.WritePacket(p); err != nil {
			return b.fail(err)
		}
		if len(p) == 0 {
			if err := b.pc.Flush(); err != nil {
				return b.fail(err)
			}
			return nil
		}
	}
}
