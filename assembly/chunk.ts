// Chunked transfer coding decoder (RFC 9112 §7.1), in place: the chunk data of [p, p + len) is
// moved down to p with the framing removed, so decoding never needs a second buffer. Its state
// lives at the start of the connection's slot, so a body may arrive in any number of reads.

import {
  CH_EXT, CH_LEFT_HI, CH_LEFT_LO, CH_OUT, CH_STATE, CH_TOTAL_HI, CH_TOTAL_LO, CH_TRAILER,
  CHUNK_BAD, CHUNK_TOO_LARGE, CS_DONE, CS_SIZE,
} from "./abi";
import { isTchar } from "./bytes";
import * as limits from "./limits";

const CS_DIGITS = 1; // inside chunk-size
const CS_SIZE_LF = 3; // saw CR after the size line
const CS_DATA = 4;
const CS_DATA_CR = 5; // chunk-data ended, expecting CR
const CS_DATA_LF = 6;
const CS_TRAILER_START = 7; // at the start of a trailer line or the final CRLF
const CS_TRAILER_VALUE = 8; // after "name:" of a trailer field line (checked, then dropped)
const CS_TRAILER_LF = 9;
const CS_FINAL_LF = 11;
const CS_TRAILER_NAME = 12;
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1)
const CS_EXT_SEMI = 20; // BWS, then ";" must come
const CS_EXT_NAME_START = 21; // after ";": BWS, then a token
const CS_EXT_NAME = 22;
const CS_EXT_AFTER_NAME = 23; // BWS after a name: "=", ";" or CR
const CS_EXT_VALUE_START = 24; // after "=": BWS, then a token or a quoted-string
const CS_EXT_VALUE = 25;
const CS_EXT_QUOTED = 26;
const CS_EXT_ESCAPE = 27;
const CS_EXT_AFTER_VALUE = 28; // ";" or CR (or BWS before ";")

@inline function hexValue(c: u8): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** One byte of a chunk-ext: the next state, or -1 when the byte breaks the grammar. */
function extStep(state: i32, c: u8): i32 {
  const ws = c == 32 || c == 9;
  switch (state) {
    case CS_EXT_SEMI:
      if (ws) return state;
      return c == 59 ? CS_EXT_NAME_START : -1;
    case CS_EXT_NAME_START:
      if (ws) return state;
      return isTchar(c) ? CS_EXT_NAME : -1;
    case CS_EXT_NAME:
      if (isTchar(c)) return state;
      // fallthrough: what may follow a name may follow the BWS after it
    case CS_EXT_AFTER_NAME:
      if (ws) return CS_EXT_AFTER_NAME;
      if (c == 61 /* = */) return CS_EXT_VALUE_START;
      if (c == 59) return CS_EXT_NAME_START;
      return c == 13 ? CS_SIZE_LF : -1;
    case CS_EXT_VALUE_START:
      if (ws) return state;
      if (c == 34 /* " */) return CS_EXT_QUOTED;
      return isTchar(c) ? CS_EXT_VALUE : -1;
    case CS_EXT_VALUE:
      if (isTchar(c)) return state;
      // fallthrough
    case CS_EXT_AFTER_VALUE:
      if (ws) return CS_EXT_SEMI;
      if (c == 59) return CS_EXT_NAME_START;
      return c == 13 ? CS_SIZE_LF : -1;
    case CS_EXT_QUOTED:
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
      if (c == 34) return CS_EXT_AFTER_VALUE;
      if (c == 92 /* \ */) return CS_EXT_ESCAPE;
      return (c < 32 && c != 9) || c == 127 ? -1 : state;
    case CS_EXT_ESCAPE:
      return (c < 32 && c != 9) || c == 127 ? -1 : CS_EXT_QUOTED;
  }
  return -1;
}

/**
 * Decodes from [p, p + len) using the state at `st`. Returns the input bytes consumed (>= 0;
 * it stops right after the final CRLF, leaving any next request's bytes alone) or CHUNK_BAD /
 * CHUNK_TOO_LARGE; the decoded byte count is left at st + CH_OUT and the data starts at p.
 */
export function chunkDecode(st: i32, p: i32, len: i32): i32 {
  let state = load<i32>(st + CH_STATE);
  let left = (<u64>load<u32>(st + CH_LEFT_HI) << 32) | <u64>load<u32>(st + CH_LEFT_LO);
  let total = (<u64>load<u32>(st + CH_TOTAL_HI) << 32) | <u64>load<u32>(st + CH_TOTAL_LO);
  let ext = load<i32>(st + CH_EXT);
  let trailer = load<i32>(st + CH_TRAILER);
  const end = p + len;
  let i = p;
  let out = p;
  let result = 0;

  while (i < end && state != CS_DONE) {
    if (state == CS_DATA) {
      let n = end - i;
      if (<u64>n > left) n = <i32>left;
      if (out != i) memory.copy(out, i, n);
      out += n;
      i += n;
      left -= <u64>n;
      if (left == 0) state = CS_DATA_CR;
      continue;
    }
    const c = load<u8>(i);
    i++;
    if (state == CS_SIZE || state == CS_DIGITS) {
      const h = hexValue(c);
      if (h >= 0) {
        // Checked arithmetic: a size that does not fit in u64 is too large, never wrapped.
        if (left > (<u64>0xffffffffffffffff >> 4)) {
          result = CHUNK_TOO_LARGE;
          break;
        }
        left = (left << 4) | <u64>h;
        state = CS_DIGITS;
        continue;
      }
      if (state == CS_SIZE) {
        result = CHUNK_BAD; // a size line must start with a hex digit
        break;
      }
      if (total + left < total || total + left > limits.maxBody) {
        result = CHUNK_TOO_LARGE;
        break;
      }
      if (c == 13) {
        state = CS_SIZE_LF;
        continue;
      }
      if (c == 59 /* ; */) {
        state = CS_EXT_NAME_START;
        ext = 1;
        continue;
      }
      if (c == 32 || c == 9) {
        state = CS_EXT_SEMI;
        ext = 1;
        continue;
      }
      result = CHUNK_BAD;
      break;
    }
    if (state >= CS_EXT_SEMI) {
      // Extensions are parsed to the letter of the grammar, then ignored (RFC 9112 §7.1.1): a
      // lax reading here is a lax reading of where the chunk data begins.
      if (c != 13 && ++ext > limits.maxChunkExt) {
        result = CHUNK_TOO_LARGE;
        break;
      }
      const next = extStep(state, c);
      if (next < 0) {
        result = CHUNK_BAD;
        break;
      }
      state = next;
      continue;
    }
    if (state == CS_SIZE_LF) {
      if (c != 10) {
        result = CHUNK_BAD;
        break;
      }
      ext = 0;
      if (left == 0) {
        state = CS_TRAILER_START;
      } else {
        total += left;
        state = CS_DATA;
      }
      continue;
    }
    if (state == CS_DATA_CR) {
      if (c != 13) {
        result = CHUNK_BAD; // chunk data must be followed by CRLF
        break;
      }
      state = CS_DATA_LF;
      continue;
    }
    if (state == CS_DATA_LF) {
      if (c != 10) {
        result = CHUNK_BAD;
        break;
      }
      state = CS_SIZE;
      continue;
    }
    if (state == CS_TRAILER_START) {
      if (c == 13) {
        state = CS_FINAL_LF;
        continue;
      }
      // A trailer field line starts with a field name: no obs-fold, no empty name.
      if (!isTchar(c)) {
        result = CHUNK_BAD;
        break;
      }
      state = CS_TRAILER_NAME;
      trailer++;
      continue;
    }
    if (++trailer > limits.maxHead) {
      result = CHUNK_TOO_LARGE;
      break;
    }
    if (state == CS_TRAILER_NAME) {
      if (c == 58 /* : */) state = CS_TRAILER_VALUE;
      else if (!isTchar(c)) {
        result = CHUNK_BAD; // including whitespace before the colon (RFC 9112 §5.1)
        break;
      }
      continue;
    }
    if (state == CS_TRAILER_VALUE) {
      if (c == 13) {
        state = CS_TRAILER_LF;
        continue;
      }
      if ((c < 32 && c != 9) || c == 127) {
        result = CHUNK_BAD;
        break;
      }
      continue;
    }
    if (state == CS_TRAILER_LF) {
      if (c != 10) {
        result = CHUNK_BAD;
        break;
      }
      state = CS_TRAILER_START;
      continue;
    }
    if (state == CS_FINAL_LF) {
      if (c != 10) {
        result = CHUNK_BAD;
        break;
      }
      state = CS_DONE;
      continue;
    }
    result = CHUNK_BAD;
    break;
  }

  store<i32>(st + CH_STATE, state);
  store<u32>(st + CH_LEFT_LO, <u32>(left & 0xffffffff));
  store<u32>(st + CH_LEFT_HI, <u32>(left >> 32));
  store<u32>(st + CH_TOTAL_LO, <u32>(total & 0xffffffff));
  store<u32>(st + CH_TOTAL_HI, <u32>(total >> 32));
  store<i32>(st + CH_EXT, ext);
  store<i32>(st + CH_TRAILER, trailer);
  store<i32>(st + CH_OUT, out - p);
  return result < 0 ? result : i - p;
}
