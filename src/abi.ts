// Mirror of assembly/abi.ts, the WASM boundary: memory regions, the request record, return
// codes, flags and ids. tests/abi_test.ts fails when the two disagree; change both together.
// ---------------------------------------------------------------------------------------------
// Memory regions (byte offsets into linear memory)

/** Static data of the module stays below this; `init` traps if `__heap_base` passes it. */
export const DATA_END = 0x10000;
/** The request record filled by `parse` (fixed fields, see REQ_*). */
export const REQ = 0x10000;
/** Per known request header: index of its first field line in FIELDS, or -1. */
export const KNOWN = 0x10100;
/** The field table: FIELD_SIZE bytes per field line, up to MAX_FIELDS_CAP lines. */
export const FIELDS = 0x10200;
/** The response head assembled by the head_* functions. */
export const OUT = 0x14000;
export const OUT_SIZE = 0x4000;
/** Scratch input: TypeScript copies field values here before passing (offset, length). */
export const IN = 0x18000;
export const IN_SIZE = 0x4000;
/** The current IMF-fixdate (RFC 9110 §5.6.7), DATE_LEN bytes, refreshed by `set_clock`. */
export const DATE = 0x1c000;
export const DATE_LEN = 29;
/** Connection slots start here: SLOT_STATE bytes of decoder state, then the input buffer. */
export const SLOTS = 0x20000;
export const SLOT_STATE = 32;

// ---------------------------------------------------------------------------------------------
// The request record (i32 fields at REQ + offset)

export const REQ_METHOD = 0; // METHOD_* id
export const REQ_METHOD_OFF = 4;
export const REQ_METHOD_LEN = 8;
export const REQ_TARGET_OFF = 12; // the request-target as sent
export const REQ_TARGET_LEN = 16;
export const REQ_PATH_OFF = 20; // absolute-path part of the target, up to '?'
export const REQ_PATH_LEN = 24;
export const REQ_QUERY_OFF = 28; // after '?'; length -1 when there is no '?'
export const REQ_QUERY_LEN = 32;
export const REQ_AUTH_OFF = 36; // authority of an absolute-form target, else length 0
export const REQ_AUTH_LEN = 40;
export const REQ_MINOR = 44; // 0 for HTTP/1.0, 1 for HTTP/1.1 and higher 1.x
export const REQ_FLAGS = 48; // F_* bits
export const REQ_FIELD_COUNT = 52;
export const REQ_CL_LO = 56; // Content-Length as u64, when F_CONTENT_LENGTH
export const REQ_CL_HI = 60;
export const REQ_PATH_HASH = 64; // FNV-1a of the raw path bytes
export const REQ_HEAD_LEN = 68; // bytes of the head, including leading empty lines

/** Bytes per field line in FIELDS, and the i32 fields of an entry. */
export const FIELD_SIZE = 20;
export const FIELD_NAME_OFF = 0;
export const FIELD_NAME_LEN = 4;
export const FIELD_VALUE_OFF = 8; // value without leading and trailing OWS
export const FIELD_VALUE_LEN = 12;
export const FIELD_ID = 16; // H_* id, or H_OTHER
export const MAX_FIELDS_CAP = 400; // (OUT - FIELDS) / FIELD_SIZE, rounded down

// ---------------------------------------------------------------------------------------------
// Return codes of `parse`: > 0 is the head length; these are the others. Errors are the
// negated HTTP status to answer with; the connection is closed after any of them.

export const PARSE_INCOMPLETE = 0;
export const PARSE_BAD_REQUEST = -400;
export const PARSE_PAYLOAD_TOO_LARGE = -413;
export const PARSE_URI_TOO_LONG = -414;
export const PARSE_FIELDS_TOO_LARGE = -431;
export const PARSE_NOT_IMPLEMENTED = -501;
export const PARSE_VERSION = -505;

// Return codes of `chunk_decode`: >= 0 is input consumed; these are the others.
export const CHUNK_BAD = -400;
export const CHUNK_TOO_LARGE = -413;

// Chunked decoder state, at the start of a connection slot (SLOT_STATE bytes).
export const CH_STATE = 0; // CS_* state
export const CH_EXT = 4; // chunk-extension bytes seen on the current size line
export const CH_LEFT_LO = 8; // chunk-data bytes still to come
export const CH_LEFT_HI = 12;
export const CH_TOTAL_LO = 16; // decoded body bytes so far
export const CH_TOTAL_HI = 20;
export const CH_OUT = 24; // decoded bytes produced by the last call
export const CH_TRAILER = 28; // trailer section bytes so far
export const CS_SIZE = 0; // must be 0: a zeroed state starts a body
export const CS_DONE = 10;

// ---------------------------------------------------------------------------------------------
// Request flags (REQ_FLAGS)

export const F_CONTENT_LENGTH = 1 << 0;
export const F_CHUNKED = 1 << 1;
export const F_CONN_CLOSE = 1 << 2;
export const F_CONN_KEEP_ALIVE = 1 << 3;
export const F_CONN_UPGRADE = 1 << 4;
export const F_EXPECT_CONTINUE = 1 << 5;
export const F_EXPECT_OTHER = 1 << 6; // an expectation other than 100-continue (417)
export const F_ABSOLUTE_FORM = 1 << 7;
export const F_ASTERISK_FORM = 1 << 8;
export const F_AUTHORITY_FORM = 1 << 9;
export const F_PATH_PLAIN = 1 << 10; // path has no '%', no '//', no dot segment
export const F_CONDITIONAL = 1 << 11; // any If-* field, including If-Range
export const F_RANGE = 1 << 12;
export const F_ACCEPT_ENCODING = 1 << 13;

// ---------------------------------------------------------------------------------------------
// Methods (RFC 9110 §9); case-sensitive, anything else is METHOD_OTHER.

export const METHOD_OTHER = 0;
export const METHOD_GET = 1;
export const METHOD_HEAD = 2;
export const METHOD_POST = 3;
export const METHOD_PUT = 4;
export const METHOD_DELETE = 5;
export const METHOD_OPTIONS = 6;
export const METHOD_PATCH = 7;
export const METHOD_CONNECT = 8;
export const METHOD_TRACE = 9;

// ---------------------------------------------------------------------------------------------
// Request header ids, recognised case-insensitively by `parse` (KNOWN has H_COUNT entries).

export const H_OTHER = -1;
export const H_HOST = 0;
export const H_CONNECTION = 1;
export const H_CONTENT_LENGTH = 2;
export const H_TRANSFER_ENCODING = 3;
export const H_EXPECT = 4;
export const H_IF_MATCH = 5;
export const H_IF_NONE_MATCH = 6;
export const H_IF_MODIFIED_SINCE = 7;
export const H_IF_UNMODIFIED_SINCE = 8;
export const H_IF_RANGE = 9;
export const H_RANGE = 10;
export const H_ACCEPT_ENCODING = 11;
export const H_ACCEPT = 12;
export const H_UPGRADE = 13;
export const H_CONTENT_TYPE = 14;
export const H_AUTHORIZATION = 15;
export const H_TE = 16;
export const H_TRAILER = 17;
export const H_KEEP_ALIVE = 18;
export const H_PROXY_CONNECTION = 19;
export const H_PROXY = 20;
export const H_ORIGIN = 21;
export const H_COUNT = 22;

// ---------------------------------------------------------------------------------------------
// Response fields written by `head_field`, `head_number` and `head_date`.

export const R_CONTENT_TYPE = 0;
export const R_CONTENT_LENGTH = 1;
export const R_ETAG = 2;
export const R_LAST_MODIFIED = 3;
export const R_ACCEPT_RANGES = 4;
export const R_LOCATION = 5;
export const R_ALLOW = 6;
export const R_VARY = 7;
export const R_CONTENT_RANGE = 8;
export const R_CONTENT_ENCODING = 9;
export const R_CACHE_CONTROL = 10;
export const R_RETRY_AFTER = 11;
export const R_TRANSFER_ENCODING = 12;
export const R_NOSNIFF = 13; // X-Content-Type-Options; the value is always "nosniff"

/** `head_end` connection modes: the Connection field written, if any. */
export const CONN_DEFAULT = 0; // no field (HTTP/1.1 persistent)
export const CONN_CLOSE = 1;
export const CONN_KEEP_ALIVE = 2; // HTTP/1.0 persistent
export const CONN_UPGRADE = 3;

/** `head_end` result when OUT overflowed. */
export const HEAD_OVERFLOW = -1;
