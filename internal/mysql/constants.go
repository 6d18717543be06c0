package mysql

// Capability flags (protocol::CapabilityFlags).
const (
	ClientLongPassword               uint32 = 1 << 0
	ClientFoundRows                  uint32 = 1 << 1
	ClientLongFlag                   uint32 = 1 << 2
	ClientConnectWithDB              uint32 = 1 << 3
	ClientNoSchema                   uint32 = 1 << 4
	ClientCompress                   uint32 = 1 << 5
	ClientODBC                       uint32 = 1 << 6
	ClientLocalFiles                 uint32 = 1 << 7
	ClientIgnoreSpace                uint32 = 1 << 8
	ClientProtocol41                 uint32 = 1 << 9
	ClientInteractive                uint32 = 1 << 10
	ClientSSL                        uint32 = 1 << 11
	ClientIgnoreSigpipe              uint32 = 1 << 12
	ClientTransactions               uint32 = 1 << 13
	ClientReserved                   uint32 = 1 << 14
	ClientSecureConnection           uint32 = 1 << 15
	ClientMultiStatements            uint32 = 1 << 16
	ClientMultiResults               uint32 = 1 << 17
	ClientPSMultiResults             uint32 = 1 << 18
	ClientPluginAuth                 uint32 = 1 << 19
	ClientConnectAttrs               uint32 = 1 << 20
	ClientPluginAuthLenencClientData uint32 = 1 << 21
	ClientCanHandleExpiredPasswords  uint32 = 1 << 22
	ClientSessionTrack               uint32 = 1 << 23
	ClientDeprecateEOF               uint32 = 1 << 24
	ClientOptionalResultsetMetadata  uint32 = 1 << 25
	ClientZstdCompressionAlgorithm   uint32 = 1 << 26
	ClientQueryAttributes            uint32 = 1 << 27
)

// Command bytes: the first byte of every command packet.
const (
	ComSleep            byte = 0x00
	ComQuit             byte = 0x01
	ComInitDB           byte = 0x02
	ComQuery            byte = 0x03
	ComFieldList        byte = 0x04
	ComCreateDB         byte = 0x05
	ComDropDB           byte = 0x06
	ComRefresh          byte = 0x07
	ComShutdown         byte = 0x08
	ComStatistics       byte = 0x09
	ComProcessInfo      byte = 0x0a
	ComConnect          byte = 0x0b
	ComProcessKill      byte = 0x0c
	ComDebug            byte = 0x0d
	ComPing             byte = 0x0e
	ComTime             byte = 0x0f
	ComDelayedInsert    byte = 0x10
	ComChangeUser       byte = 0x11
	ComBinlogDump       byte = 0x12
	ComTableDump        byte = 0x13
	ComConnectOut       byte = 0x14
	ComRegisterSlave    byte = 0x15
	ComStmtPrepare      byte = 0x16
	ComStmtExecute      byte = 0x17
	ComStmtSendLongData byte = 0x18
	ComStmtClose        byte = 0x19
	ComStmtReset        byte = 0x1a
	ComSetOption        byte = 0x1b
	ComStmtFetch        byte = 0x1c
	ComDaemon           byte = 0x1d
	ComBinlogDumpGTID   byte = 0x1e
	ComResetConnection  byte = 0x1f
)

// COM_SET_OPTION values.
const (
	MySQLOptionMultiStatementsOn  uint16 = 0
	MySQLOptionMultiStatementsOff uint16 = 1
)

// Column types (enum_field_types).
const (
	TypeDecimal    byte = 0x00
	TypeTiny       byte = 0x01
	TypeShort      byte = 0x02
	TypeLong       byte = 0x03
	TypeFloat      byte = 0x04
	TypeDouble     byte = 0x05
	TypeNull       byte = 0x06
	TypeTimestamp  byte = 0x07
	TypeLongLong   byte = 0x08
	TypeInt24      byte = 0x09
	TypeDate       byte = 0x0a
	TypeTime       byte = 0x0b
	TypeDateTime   byte = 0x0c
	TypeYear       byte = 0x0d
	TypeNewDate    byte = 0x0e
	TypeVarChar    byte = 0x0f
	TypeBit        byte = 0x10
	TypeTimestamp2 byte = 0x11
	TypeDateTime2  byte = 0x12
	TypeTime2      byte = 0x13
	TypeJSON       byte = 0xf5
	TypeNewDecimal byte = 0xf6
	TypeEnum       byte = 0xf7
	TypeSet        byte = 0xf8
	TypeTinyBlob   byte = 0xf9
	TypeMediumBlob byte = 0xfa
	TypeLongBlob   byte = 0xfb
	TypeBlob       byte = 0xfc
	TypeVarString  byte = 0xfd
	TypeString     byte = 0xfe
	TypeGeometry   byte = 0xff
)

// Column definition flags.
const (
	FlagNotNull       uint16 = 1 << 0
	FlagPriKey        uint16 = 1 << 1
	FlagUniqueKey     uint16 = 1 << 2
	FlagMultipleKey   uint16 = 1 << 3
	FlagBlob          uint16 = 1 << 4
	FlagUnsigned      uint16 = 1 << 5
	FlagZerofill      uint16 = 1 << 6
	FlagBinary        uint16 = 1 << 7
	FlagEnum          uint16 = 1 << 8
	FlagAutoIncrement uint16 = 1 << 9
	FlagTimestamp     uint16 = 1 << 10
	FlagSet           uint16 = 1 << 11
	FlagNoDefault     uint16 = 1 << 12
	FlagOnUpdateNow   uint16 = 1 << 13
	FlagNum           uint16 = 1 << 15
)

// Server status flags, carried by OK and EOF packets.
const (
	ServerStatusInTrans            uint16 = 0x0001
	ServerStatusAutocommit         uint16 = 0x0002
	ServerMoreResultsExists        uint16 = 0x0008
	ServerStatusNoGoodIndexUsed    uint16 = 0x0010
	ServerStatusNoIndexUsed        uint16 = 0x0020
	ServerStatusCursorExists       uint16 = 0x0040
	ServerStatusLastRowSent        uint16 = 0x0080
	ServerStatusDBDropped          uint16 = 0x0100
	ServerStatusNoBackslashEscapes uint16 = 0x0200
	ServerStatusMetadataChanged    uint16 = 0x0400
	ServerQueryWasSlow             uint16 = 0x0800
	ServerPSOutParams              uint16 = 0x1000
	ServerStatusInTransReadonly    uint16 = 0x2000
	ServerSessionStateChanged      uint16 = 0x4000
)

// COM_STMT_EXECUTE cursor flags.
const (
	CursorTypeNoCursor   byte = 0x00
	CursorTypeReadOnly   byte = 0x01
	CursorTypeForUpdate  byte = 0x02
	CursorTypeScrollable byte = 0x04
)

// First bytes that identify a response packet.
const (
	okHeader           byte = 0x00
	authMoreDataHeader byte = 0x01
	localInfileHeader  byte = 0xfb
	eofHeader          byte = 0xfe
	errHeader          byte = 0xff
)

// Authentication plugin names.
const (
	AuthNativePassword      = "mysql_native_password"
	AuthCachingSHA2Password = "caching_sha2_password"
	AuthClearPassword       = "mysql_clear_password"
)

// caching_sha2_password exchange bytes (after the 0x01 "more data" header).
const (
	cachingSHA2RequestPublicKey byte = 0x02
	cachingSHA2FastAuthSuccess  byte = 0x03
	cachingSHA2PerformFullAuth  byte = 0x04
)

// Character set ids used in handshakes and column definitions.
const (
	CharsetUTF8GeneralCI    uint8  = 33
	CharsetBinary           uint16 = 63
	CharsetUTF8MB4GeneralCI uint8  = 45
)

// MaxPayloadChunk is the largest payload one physical packet carries; longer
// logical packets are split into chunks of exactly this size.
const MaxPayloadChunk = 0xffffff

// DefaultMaxPacketSize is the default limit on a logical packet (as MySQL's
// max_allowed_packet: 64 MiB).
const DefaultMaxPacketSize = 64 << 20
