// Path globs for `--cache-control GLOB=VALUE`: `*` matches within one segment, `**` across
// segments, `?` one character; a glob without "/" matches the last segment (`*.js`).

export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(glob.includes("/") ? `^${re}$` : `(^|/)${re}$`);
}

/** The value of the first rule whose glob matches `path`, or null. */
export function firstMatch(
  rules: readonly { re: RegExp; value: string }[],
  path: string,
): string | null {
  for (const r of rules) if (r.re.test(path)) return r.value;
  return null;
}
