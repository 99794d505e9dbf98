/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3).
 *
 * Policy decisions, where the RFC leaves a choice:
 *
 * - No Accept-Encoding field: `identity`. §12.5.3 would allow any coding,
 *   but clients that omit the field often cannot decode one.
 * - An element with an invalid weight (`q=2`, `q=0.1234`, `q=.5`, another
 *   parameter, trailing junk) is ignored as if absent, like any malformed
 *   list element. It therefore cannot refuse identity, and a coding it
 *   names is only acceptable through `*`.
 * - A coding listed twice takes the lowest of its weights: a refusal
 *   anywhere in the field is honoured.
 * - Ties are broken by the order of `available` (server preference), and
 *   identity comes after every coding.
 * - `null` means nothing is acceptable: identity was refused (`identity;q=0`,
 *   or `*;q=0` without an identity entry) and no available coding is
 *   acceptable. The caller may answer 406 or, as §12.5.3 permits, send
 *   identity anyway (usually the more useful choice for a static file).
 *
 * Runs on most requests, so it scans the field in place without splitting
 * and allocates only a small weight array.
 *
 * @module
 */

import { skipOws } from "./fields.ts";

/**
 * Picks the content coding for a response: one of `available` (listed in
 * server preference order, e.g. `["br", "zstd", "gzip"]`), `"identity"`, or
 * `null` if nothing acceptable remains. Coding names are compared
 * case-insensitively (§8.4.1); `x-gzip` and `x-compress` are aliases of
 * `gzip` and `compress`. `available` must not contain "identity".
 */
export function negotiateEncoding(
  accept: string | null | undefined,
  available: readonly string[],
): string | null {
  if (accept === null || accept === undefined) return "identity";

  // Weights in thousandths (qvalue has three decimals, §12.4.2); -1 = unlisted.
  const q = new Int16Array(available.length).fill(-1);
  let identityQ = -1;
  let starQ = -1;

  const n = accept.length;
  let i = 0;
  while (i < n) {
    let c = accept.charCodeAt(i);
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    // codings = content-coding / "identity" / "*", content-coding = token.
    const tokStart = i;
    while (i < n && isTchar(accept.charCodeAt(i))) i++;
    const tokEnd = i;
    i = skipOws(accept, i);
    let weight = 1000;
    c = accept.charCodeAt(i);
    if (c === 0x3b) { // ";"
      // weight = OWS ";" OWS "q=" qvalue; "q" is case-insensitive.
      i = skipOws(accept, i + 1);
      if ((accept.charCodeAt(i) | 0x20) === 0x71 && accept.charCodeAt(i + 1) === 0x3d) {
        const end = scanQvalue(accept, i + 2);
        weight = end < 0 ? -1 : parseQvalue(accept, i + 2, end);
        i = end < 0 ? i : skipOws(accept, end);
      } else {
        weight = -1;
      }
    }
    if (tokEnd === tokStart || weight < 0 || (i < n && accept.charCodeAt(i) !== 0x2c)) {
      // Malformed element: no comma can occur inside a valid one, so resume
      // after the next comma.
      const comma = accept.indexOf(",", i);
      if (comma < 0) break;
      i = comma + 1;
      continue;
    }
    if (tokEnd - tokStart === 1 && accept.charCodeAt(tokStart) === 0x2a) {
      starQ = minWeight(starQ, weight);
    } else if (equalsIgnoreCase(accept, tokStart, tokEnd, "identity")) {
      identityQ = minWeight(identityQ, weight);
    } else {
      for (let k = 0; k < available.length; k++) {
        if (namesCoding(accept, tokStart, tokEnd, available[k])) {
          q[k] = minWeight(q[k], weight);
        }
      }
    }
  }

  // "*" matches any coding not listed explicitly.
  let best = -1;
  let bestQ = 0;
  for (let k = 0; k < available.length; k++) {
    const w = q[k] >= 0 ? q[k] : starQ;
    if (w > bestQ) {
      best = k;
      bestQ = w;
    }
  }
  // Identity is acceptable unless refused by "identity;q=0", or by "*;q=0"
  // without an identity entry. A weight for identity, from its own entry or
  // from "*", competes with the codings; with neither, identity is merely
  // the fallback and loses to any acceptable coding.
  const idQ = identityQ >= 0 ? identityQ : starQ >= 0 ? starQ : -1;
  if (best >= 0 && (idQ < 0 || bestQ >= idQ)) return available[best];
  return idQ !== 0 ? "identity" : null;
}

// Returns the end of a qvalue starting at `i`, or -1 if there is none:
// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
function scanQvalue(s: string, i: number): number {
  const lead = s.charCodeAt(i);
  if (lead !== 0x30 && lead !== 0x31) return -1;
  i++;
  if (s.charCodeAt(i) !== 0x2e) return i;
  i++;
  for (let k = 0; k < 3; k++, i++) {
    const c = s.charCodeAt(i);
    if (lead === 0x31 ? c !== 0x30 : !(c >= 0x30 && c <= 0x39)) break;
  }
  return i;
}

// Value of a qvalue already validated by scanQvalue, in thousandths.
function parseQvalue(s: string, start: number, end: number): number {
  if (s.charCodeAt(start) === 0x31) return 1000;
  let v = 0;
  let scale = 100;
  for (let k = start + 2; k < end; k++, scale /= 10) v += (s.charCodeAt(k) - 0x30) * scale;
  return v;
}

function minWeight(current: number, w: number): number {
  return current < 0 || w < current ? w : current;
}

// Whether token s[a, b) names `coding`, honouring the deprecated "x-gzip"
// and "x-compress" aliases (§8.4.1.1, §8.4.1.3).
function namesCoding(s: string, a: number, b: number, coding: string): boolean {
  if (equalsIgnoreCase(s, a, b, coding)) return true;
  return b - a === coding.length + 2 && equalsIgnoreCase(s, a, a + 2, "x-") &&
    equalsIgnoreCase(s, a + 2, b, coding) &&
    (equalsIgnoreCase(coding, 0, coding.length, "gzip") ||
      equalsIgnoreCase(coding, 0, coding.length, "compress"));
}

// ASCII case-insensitive comparison of s[a, b) with `t`.
function equalsIgnoreCase(s: string, a: number, b: number, t: string): boolean {
  if (b - a !== t.length) return false;
  for (let k = 0; k < t.length; k++) {
    const x = s.charCodeAt(a + k);
    const y = t.charCodeAt(k);
    if (x !== y && !(isAlpha(x) && (x | 0x20) === (y | 0x20))) return false;
  }
  return true;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

// tchar (§5.6.2).
function isTchar(c: number): boolean {
  if (isAlpha(c) || (c >= 0x30 && c <= 0x39)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
  }
  return false;
}
