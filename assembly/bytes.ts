// Byte classes and comparisons shared by the parser and the chunked decoder.

/** tchar (RFC 9110 §5.6.2): the characters of a token, such as a method or field name. */
export function isTchar(c: u8): bool {
  return load<u8>(TCHAR + c) != 0;
}

// A 256-byte table, 1 for each tchar.
const TCHAR = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // SP ! " # $ % & ' ( ) * + , - . /
  0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
  // 0-9 : ; < = > ?
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
  // @ A-O
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // P-Z [ \ ] ^ _
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
  // ` a-o
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // p-z { | } ~ DEL
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** ASCII lower case; other bytes unchanged. */
@inline export function lower(c: u8): u8 {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/** Case-insensitive comparison of memory with a lower-case ASCII literal of the same length. */
export function lowerEquals(off: i32, s: string): bool {
  for (let k = 0; k < s.length; k++) {
    if (lower(load<u8>(off + k)) != <u8>s.charCodeAt(k)) return false;
  }
  return true;
}
