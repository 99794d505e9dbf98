// The WASM boundary of tuxd, written down once. `src/abi.ts` mirrors every constant here and
// `tests/abi_test.ts` keeps the two equal by comparing against this module's exported globals.
//
// Only numbers cross the boundary: TypeScript reads socket bytes straight into a connection
// slot, calls `parse`, then reads offsets and lengths from the request record and slices the
// bytes it needs. Responses are assembled from numeric codes and (offset, length) inputs into
// OUT. Nothing here allocates per request, and memory only grows once, in `init`, before any
// view of it exists.

// ---------------------------------------------------------------------------------------------
// Memory regions (byte offsets into linear memory)

/** Static data of the module stays below this; `init` traps if `__heap_base` passes it. */
export const DATA_END: i32 = 0x10000;
/** The request record filled by `parse` (fixed fields, see REQ_*). */
export const REQ: i32 = 0x10000;
/** Per known request header: index of its first field line in FIELDS, or -1. */
export const KNOWN: i32 = 0x10100;
/** The field table: FIELD_SIZE bytes per field line, up to MAX_FIELDS_CAP lines. */
export const FIELDS: i32 = 0x10200;
/** The response head assembled by the head_* functions. */
export const OUT: i32 = 0x14000;
export const OUT_SIZE: i32 = 0x4000;
/** Scratch input: TypeScript copies field values here before passing (offset, length). */
export const IN: i32 = 0x18000;
export const IN_SIZE: i32 = 0x4000;
/** The current IMF-fixdate (RFC 9110 §5.6.7), DATE_LEN bytes, refreshed by `set_clock`. */
export const DATE: i32 = 0x1c000;
export const DATE_LEN: i32 = 29;
/** Connection slots start here: SLOT_STATE bytes of decoder state, then the input buffer. */
export const SLOTS: i32 = 0x20000;
export const SLOT_STATE: i32 = 32;

// ---------------------------------------------------------------------------------------------
// The request record (i32 fields at REQ + offset)

export const REQ_METHOD: i32 = 0; // METHOD_* id
export const REQ_METHOD_OFF: i32 = 4;
export const REQ_METHOD_LEN: i32 = 8;
export const REQ_TARGET_OFF: i32 = 12; // the request-target as sent
export const REQ_TARGET_LEN: i32 = 16;
export const REQ_PATH_OFF: i32 = 20; // absolute-path part of the target, up to '?'
export const REQ_PATH_LEN: i32 = 24;
export const REQ_QUERY_OFF: i32 = 28; // after '?'; length -1 when there is no '?'
export const REQ_QUERY_LEN: i32 = 32;
export const REQ_AUTH_OFF: i32 = 36; // authority of an absolute-form target, else length 0
export const REQ_AUTH_LEN: i32 = 40;
export const REQ_MINOR: i32 = 44; // 0 for HTTP/1.0, 1 for HTTP/1.1 and higher 1.x
export const REQ_FLAGS: i32 = 48; // F_* bits
export const REQ_FIELD_COUNT: i32 = 52;
export const REQ_CL_LO: i32 = 56; // Content-Length as u64, when F_CONTENT_LENGTH
export const REQ_CL_HI: i32 = 60;
export const REQ_PATH_HASH: i32 = 64; // FNV-1a of the raw path bytes
export const REQ_HEAD_LEN: i32 = 68; // bytes of the head, including leading empty lines

/** Bytes per field line in FIELDS, and the i32 fields of an entry. */
export const FIELD_SIZE: i32 = 20;
export const FIELD_NAME_OFF: i32 = 0;
export const FIELD_NAME_LEN: i32 = 4;
export const FIELD_VALUE_OFF: i32 = 8; // value without leading and trailing OWS
export const FIELD_VALUE_LEN: i32 = 12;
export const FIELD_ID: i32 = 16; // H_* id, or H_OTHER
export const MAX_FIELDS_CAP: i32 = 400; // (OUT - FIELDS) / FIELD_SIZE, rounded down

// ---------------------------------------------------------------------------------------------
// Return codes of `parse`: > 0 is the head length; these are the others. Errors are the
// negated HTTP status to answer with; the connection is closed after any of them.

export const PARSE_INCOMPLETE: i32 = 0;
export const PARSE_BAD_REQUEST: i32 = -400;
export const PARSE_PAYLOAD_TOO_LARGE: i32 = -413;
export const PARSE_URI_TOO_LONG: i32 = -414;
export const PARSE_FIELDS_TOO_LARGE: i32 = -431;
export const PARSE_NOT_IMPLEMENTED: i32 = -501;
export const PARSE_VERSION: i32 = -505;

// Return codes of `chunk_decode`: >= 0 is input consumed; these are the others.
export const CHUNK_BAD: i32 = -400;
export const CHUNK_TOO_LARGE: i32 = -413;

// Chunked decoder state, at the start of a connection slot (SLOT_STATE bytes).
export const CH_STATE: i32 = 0; // CS_* state
export const CH_EXT: i32 = 4; // chunk-extension bytes seen on the current size line
export const CH_LEFT_LO: i32 = 8; // chunk-data bytes still to come
export const CH_LEFT_HI: i32 = 12;
export const CH_TOTAL_LO: i32 = 16; // decoded body bytes so far
export const CH_TOTAL_HI: i32 = 20;
export const CH_OUT: i32 = 24; // decoded bytes produced by the last call
export const CH_TRAILER: i32 = 28; // trailer section bytes so far
export const CS_SIZE: i32 = 0; // must be 0: a zeroed state starts a body
export const CS_DONE: i32 = 10;

// ---------------------------------------------------------------------------------------------
// Request flags (REQ_FLAGS)

export const F_CONTENT_LENGTH: i32 = 1 << 0;
export const F_CHUNKED: i32 = 1 << 1;
export const F_CONN_CLOSE: i32 = 1 << 2;
export const F_CONN_KEEP_ALIVE: i32 = 1 << 3;
export const F_CONN_UPGRADE: i32 = 1 << 4;
export const F_EXPECT_CONTINUE: i32 = 1 << 5;
export const F_EXPECT_OTHER: i32 = 1 << 6; // an expectation other than 100-continue (417)
export const F_ABSOLUTE_FORM: i32 = 1 << 7;
export const F_ASTERISK_FORM: i32 = 1 << 8;
export const F_AUTHORITY_FORM: i32 = 1 << 9;
export const F_PATH_PLAIN: i32 = 1 << 10; // path has no '%', no '//', no dot segment
export const F_CONDITIONAL: i32 = 1 << 11; // any If-* field, including If-Range
export const F_RANGE: i32 = 1 << 12;
export const F_ACCEPT_ENCODING: i32 = 1 << 13;

// ---------------------------------------------------------------------------------------------
// Methods (RFC 9110 §9); case-sensitive, anything else is METHOD_OTHER.

export const METHOD_OTHER: i32 = 0;
export const METHOD_GET: i32 = 1;
export const METHOD_HEAD: i32 = 2;
export const METHOD_POST: i32 = 3;
export const METHOD_PUT: i32 = 4;
export const METHOD_DELETE: i32 = 5;
export const METHOD_OPTIONS: i32 = 6;
export const METHOD_PATCH: i32 = 7;
export const METHOD_CONNECT: i32 = 8;
export const METHOD_TRACE: i32 = 9;

// ---------------------------------------------------------------------------------------------
// Request header ids, recognised case-insensitively by `parse` (KNOWN has H_COUNT entries).

export const H_OTHER: i32 = -1;
export const H_HOST: i32 = 0;
export const H_CONNECTION: i32 = 1;
export const H_CONTENT_LENGTH: i32 = 2;
export const H_TRANSFER_ENCODING: i32 = 3;
export const H_EXPECT: i32 = 4;
export const H_IF_MATCH: i32 = 5;
export const H_IF_NONE_MATCH: i32 = 6;
export const H_IF_MODIFIED_SINCE: i32 = 7;
export const H_IF_UNMODIFIED_SINCE: i32 = 8;
export const H_IF_RANGE: i32 = 9;
export const H_RANGE: i32 = 10;
export const H_ACCEPT_ENCODING: i32 = 11;
export const H_ACCEPT: i32 = 12;
export const H_UPGRADE: i32 = 13;
export const H_CONTENT_TYPE: i32 = 14;
export const H_AUTHORIZATION: i32 = 15;
export const H_TE: i32 = 16;
export const H_TRAILER: i32 = 17;
export const H_KEEP_ALIVE: i32 = 18;
export const H_PROXY_CONNECTION: i32 = 19;
export const H_PROXY: i32 = 20;
export const H_ORIGIN: i32 = 21;
export const H_COUNT: i32 = 22;

// ---------------------------------------------------------------------------------------------
// Response fields written by `head_field`, `head_number` and `head_date`.

export const R_CONTENT_TYPE: i32 = 0;
export const R_CONTENT_LENGTH: i32 = 1;
export const R_ETAG: i32 = 2;
export const R_LAST_MODIFIED: i32 = 3;
export const R_ACCEPT_RANGES: i32 = 4;
export const R_LOCATION: i32 = 5;
export const R_ALLOW: i32 = 6;
export const R_VARY: i32 = 7;
export const R_CONTENT_RANGE: i32 = 8;
export const R_CONTENT_ENCODING: i32 = 9;
export const R_CACHE_CONTROL: i32 = 10;
export const R_RETRY_AFTER: i32 = 11;
export const R_TRANSFER_ENCODING: i32 = 12;
export const R_NOSNIFF: i32 = 13; // X-Content-Type-Options; the value is always "nosniff"

/** `head_end` connection modes: the Connection field written, if any. */
export const CONN_DEFAULT: i32 = 0; // no field (HTTP/1.1 persistent)
export const CONN_CLOSE: i32 = 1;
export const CONN_KEEP_ALIVE: i32 = 2; // HTTP/1.0 persistent
export const CONN_UPGRADE: i32 = 3;

/** `head_end` result when OUT overflowed. */
export const HEAD_OVERFLOW: i32 = -1;
